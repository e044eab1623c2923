"""Hypothesis strategies for bizrel's values and aggregates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.ids import TenantId
from bizrel.core.money import Currency, Money
from bizrel.sales.pipeline import Opportunity, Pipeline, Stage

__all__ = ["aware_datetimes", "currencies", "ids", "money", "opportunities", "pipelines", "texts"]

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def currencies() -> st.SearchStrategy[Currency]:
    return st.sampled_from(sorted(MINOR_UNITS)).map(Currency.of)


def money(
    currency: str | None = None, *, min_minor: int = -(10**12), max_minor: int = 10**12
) -> st.SearchStrategy[Money]:
    cur = st.just(Currency.of(currency)) if currency else currencies()
    return st.builds(Money.from_minor, st.integers(min_minor, max_minor), cur)


def aware_datetimes(days: int = 3650) -> st.SearchStrategy[datetime]:
    """UTC instants with microseconds, within `days` of 2020-01-01."""
    return st.integers(0, days * 86_400_000_000).map(lambda us: _EPOCH + timedelta(microseconds=us))


def ids() -> st.SearchStrategy[str]:
    return st.text(st.characters(min_codepoint=48, max_codepoint=122, categories=["L", "N"]), min_size=1, max_size=24)


def texts(max_size: int = 60) -> st.SearchStrategy[str]:
    """Printable text, hostile characters included (quotes, semicolons, RTL marks, emoji)."""
    return st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=max_size).filter(
        lambda s: bool(s.strip())
    )


def pipelines(tenant_id: str = "t1") -> st.SearchStrategy[Pipeline]:
    stage_names = st.lists(texts(20), min_size=1, max_size=6, unique=True)
    return st.builds(
        lambda pid, name, names: Pipeline(
            tenant_id=TenantId(tenant_id),
            id=pid,
            name=name,
            stages=tuple(Stage(n, f"{(i + 1) / (len(names) + 1):.2f}") for i, n in enumerate(names)),
        ),
        ids(),
        texts(),
        stage_names,
    )


@st.composite
def opportunities(draw: st.DrawFn, pipeline: Pipeline) -> Opportunity:
    """An opportunity in `pipeline`, advanced a random number of stages and perhaps closed."""
    opened = draw(aware_datetimes())
    opp = Opportunity.open(
        tenant_id=pipeline.tenant_id,
        id=draw(ids()),
        pipeline=pipeline,
        owner_id=draw(ids()),
        account_name=draw(texts()),
        amount=draw(money(min_minor=0, max_minor=10**10)),
        expected_close=opened.date() + timedelta(days=draw(st.integers(0, 400))),
        at=opened,
    )
    at = opened
    for stage in pipeline.stages[1 : 1 + draw(st.integers(0, len(pipeline.stages) - 1))]:
        at += timedelta(days=draw(st.integers(0, 30)), seconds=draw(st.integers(0, 86_399)))
        opp.advance(pipeline, stage.name, at)
    outcome = draw(st.sampled_from(["open", "won", "lost"]))
    if outcome == "won":
        opp.win(at + timedelta(days=1))
    elif outcome == "lost":
        opp.lose(draw(texts(30)), at + timedelta(days=1))
    return opp


def dates() -> st.SearchStrategy[date]:
    return st.dates(date(1900, 1, 1), date(2200, 12, 31))
