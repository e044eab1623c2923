"""The closed-loop report on a hand-built data set, against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bizrel.adapters.store import Store
from bizrel.bridge import DealOutcome, closed_loop_report, deal_outcomes, handoff_id, wire_bridge
from bizrel.core.clock import FixedClock
from bizrel.core.errors import ValidationError
from bizrel.core.money import Money
from bizrel.customer import churn_subscription, renew_subscription, set_attribute
from tests.unit.bridge.helpers import CONFIG, T0, TENANT, won_deal

D0 = datetime(2025, 1, 1, tzinfo=UTC)


def eur(n: int) -> Money:
    return Money(n, "EUR")


def deal(i: int, rep: str, source: str, amount: int, terms: list[int], cycle: int, **kw: object) -> DealOutcome:
    return DealOutcome(
        opportunity_id=f"o{i}", customer_id=f"c{i}", rep=rep, source=source, pipeline="nb", amount=eur(amount),
        opened_at=D0, closed_at=D0 + timedelta(days=cycle), terms=tuple(eur(t) for t in terms), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


DEALS = [
    # ann: 1000 then expanded to 1500 (promoter); 2000 churned 30 days after close (detractor)
    deal(1, "ann", "web", 1000, [1000, 1500], 20, nps=10),
    deal(2, "ann", "referral", 2000, [2000], 40, churned_at=D0 + timedelta(days=70), nps=3),
    # bob: 4000 contracted to 3000 (passive); 1000 churned 200 days after close
    deal(3, "bob", "web", 4000, [4000, 3000], 100, nps=8),
    deal(4, "bob", "web", 1000, [1000], 10, churned_at=D0 + timedelta(days=210)),
]


def test_by_rep_matches_hand_figures() -> None:
    report = closed_loop_report(DEALS, by="rep", quality_days=90, costs={"ann": eur(500)})
    ann = report.line("ann")
    # start 3000; current 1500 + 0; kept min(1500,1000) + 0 = 1000
    assert (ann.deals, ann.retained, ann.retention, ann.churn) == (2, 1, Decimal("0.5"), Decimal("0.5"))
    assert ann.nrr == Decimal("0.5") and ann.grr == Decimal("0.3333")
    assert ann.nps == Decimal("0")  # one promoter, one detractor
    assert ann.ltv == eur(2250)  # (1000 + 1500 + 2000) / 2
    assert ann.bookings == eur(3000) and ann.quality_bookings == eur(1000)  # deal 2 churned within 90 days
    assert ann.quality_attainment == Decimal("0.3333") and ann.ltv_to_cac == Decimal(9)  # 4500 / 500
    bob = report.line("bob")
    # start 5000; current 3000; kept 3000
    assert bob.nrr == Decimal("0.6") and bob.grr == Decimal("0.6") and bob.nps == Decimal("0")  # one passive
    assert bob.quality_bookings == eur(5000) and bob.ltv_to_cac is None


def test_other_dimensions() -> None:
    by_source = closed_loop_report(DEALS, by="source")
    assert [line.group for line in by_source.lines] == ["referral", "web"]
    assert by_source.line("web").retention == Decimal("0.6667")
    by_size = closed_loop_report(DEALS, by="size", size_bands=[Decimal(1500)])
    assert [(line.group, line.deals) for line in by_size.lines] == [("0-1500", 2), (">=1500", 2)]
    by_cycle = closed_loop_report(DEALS, by="cycle", cycle_bands=[30, 90])
    assert [(line.group, line.deals) for line in by_cycle.lines] == [("0-30d", 2), ("30-90d", 1), (">=90d", 1)]
    assert "closed loop by cycle" in str(by_cycle) and by_cycle.to_rows()[0]["group"] == "0-30d"
    with pytest.raises(ValidationError):
        closed_loop_report(DEALS, by="colour")


def test_outcomes_come_from_handoffs_and_subscriptions(store: Store) -> None:
    wire_bridge(store, CONFIG)
    won_deal(store, "o1", account_id="acc-1", amount=1000)
    won_deal(store, "o2", account="Initech", account_id="acc-2", amount=2000, owner="rep-2")
    assert isinstance(store.clock, FixedClock)
    store.clock.set(T0 + timedelta(days=30))
    with store.unit_of_work(TENANT) as uow:
        renew_subscription(
            uow, f"{handoff_id('o1')}:subscription", end=T0.date() + timedelta(days=800), amount=eur(1200)
        )
        churn_subscription(uow, f"{handoff_id('o2')}:subscription", "budget")
        set_attribute(uow, f"{handoff_id('o1')}:customer", "nps", 9)
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        report = closed_loop_report(deal_outcomes(uow), by="rep")
    assert report.line("rep-1").nrr == Decimal("1.2") and report.line("rep-1").nps == Decimal(100)
    assert report.line("rep-2").retained == 0 and report.line("rep-2").quality_bookings == eur(0)
