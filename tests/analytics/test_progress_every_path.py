"""Every public analytic calls its progress callback on every path (records consumed on the
reference path; load and check, aggregate and finish on the DuckDB engine and on push-down into
SQLite and PostgreSQL) and returns exactly what it returns without one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bizrel import analytics
from bizrel.adapters import Store
from bizrel.core import Money, Period, PeriodKind
from tests.analytics.helpers import AS_OF, frame, stored
from tests.analytics.test_customer import response_frame, stored_responses
from tests.analytics.test_funnel import frames, make_pipeline
from tests.analytics.test_funnel import stored as stored_deals

Calls = list[tuple[int, int | None]]
PHASES = [(0, 3), (1, 3), (2, 3), (3, 3)]
MAY = Period.containing(datetime(2026, 5, 10, tzinfo=UTC), PeriodKind.MONTH)

PURCHASES = [
    {"customer_id": c, "occurred_at": AS_OF - timedelta(days=d, hours=h), "amount": Money.from_minor(a, "USD")}
    for c, d, h, a in [
        ("a", 1, 2, 500),
        ("a", 40, 0, 700),
        ("b", 10, 5, 100),
        ("c", 10, 1, 100),
        ("c", 75, 3, 2_500),
        ("d", 40, 0, 9_000),
    ]
]

Run = Callable[..., object]
CUSTOMER_ANALYTICS: list[tuple[str, Run]] = [
    ("rfm", lambda data, **kw: analytics.rfm_summary(data, as_of=AS_OF, **kw)),
    ("rfm lifetimes", lambda data, **kw: analytics.rfm_summary(data, as_of=AS_OF, convention="lifetimes", **kw)),
    ("cohorts", lambda data, **kw: analytics.cohort_retention(data, as_of=AS_OF, **kw)),
    ("churn", lambda data, **kw: analytics.churn_rate(data, MAY, **kw)),
    ("value", lambda data, **kw: analytics.value_metrics(data, as_of=AS_OF, **kw)),
    ("repeat", analytics.repeat_purchase_rate),
    ("aov", analytics.average_order_value),
    ("frequency", analytics.purchase_frequency),
    ("historical", analytics.historical_lifetime_value),
]


def recorder() -> tuple[Calls, Callable[[int, int | None], None]]:
    calls: Calls = []
    return calls, lambda done, total: calls.append((done, total))


@pytest.mark.parametrize(("name", "run"), CUSTOMER_ANALYTICS, ids=[name for name, _ in CUSTOMER_ANALYTICS])
def test_customer_analytics_report_progress_on_every_path(name: str, run: Run, store: Store) -> None:
    expected = run(PURCHASES)
    calls, progress = recorder()
    assert run(iter(PURCHASES), progress=progress) == expected  # a generator: total known at the end
    assert calls == [(len(PURCHASES), len(PURCHASES))]
    for data, extra in ((frame(PURCHASES), {}), (store, {"tenant_id": stored(store, PURCHASES)})):
        calls, progress = recorder()
        assert run(data, progress=progress, **extra) == expected
        assert calls == PHASES


def test_rfm_frame_reports_its_two_phases() -> None:
    calls, progress = recorder()
    table = analytics.rfm_frame(frame(PURCHASES), as_of=AS_OF, progress=progress)
    assert table.equals(analytics.rfm_frame(frame(PURCHASES), as_of=AS_OF))
    assert calls == [(0, 2), (1, 2), (2, 2)]


def test_satisfaction_reports_progress_on_every_path(store: Store) -> None:
    answers = [
        {
            "id": f"r{i}",
            "kind": "nps",
            "survey_id": "nps1",
            "customer_id": f"c{i % 3}",
            "score": score,
            "responded_at": AS_OF - timedelta(days=9 * i),
        }
        for i, score in enumerate([10, 6, 9, 8, 10, 3])
    ]
    tenant, _ = stored_responses(store, answers)
    runs: list[Run] = [
        lambda data, **kw: analytics.nps_by_period(data, "month", **kw),
        lambda data, **kw: analytics.nps_by_segment(data, "customer_id", **kw),
    ]
    for run in runs:
        expected = run(answers)
        calls, progress = recorder()
        assert run(answers, progress=progress) == expected
        assert calls == [(len(answers), len(answers))]
        for data, extra in ((response_frame(answers), {}), (store, {"tenant_id": tenant})):
            calls, progress = recorder()
            assert run(data, progress=progress, **extra) == expected
            assert calls == PHASES
    calls, progress = recorder()
    analytics.csat_by_period([], progress=progress)
    analytics.csat_by_segment(response_frame([]), "customer_id", progress=progress)
    assert calls == [(0, 0), *PHASES]


def test_funnel_reports_progress_on_every_path(store: Store) -> None:
    pipeline = make_pipeline(3)
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    deals: list[dict[str, Any]] = [
        {
            "id": f"o{i}",
            "pipeline_id": "p",
            "status": status,
            "amount": Money.from_minor(1_000 * (i + 1), "EUR"),
            "created_at": t0 + timedelta(days=i),
            "closed_at": None if status == "open" else t0 + timedelta(days=10 + i),
            "lost_reason": "price" if status == "lost" else None,
            "history": [(f"S'{k}", t0 + timedelta(days=i + 2 * k)) for k in range(i % 3 + 1)],
        }
        for i, status in enumerate(["won", "lost", "open", "won"])
    ]
    expected = analytics.funnel_report(pipeline, deals)
    calls, progress = recorder()
    assert analytics.funnel_report(pipeline, deals, progress=progress) == expected
    assert calls == [(len(deals), len(deals))]
    for args, extra in ((frames(deals), {}), ((store,), {"tenant_id": stored_deals(store, deals)})):
        calls, progress = recorder()
        assert analytics.funnel_report(pipeline, *args, progress=progress, **extra) == expected
        assert calls == PHASES
