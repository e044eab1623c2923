"""Rule-based segments, value tiers and snapshots over plain customer records."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.ids import TenantId
from bizrel.core.money import Money
from bizrel.customer import (
    AttributeIn,
    AttributeIs,
    DateBetween,
    HasTag,
    InHealthBand,
    InLifecycleStage,
    Not,
    RfmScoreBetween,
    SegmentDefinition,
    SegmentSnapshot,
    ValueTier,
    rfm_summary,
    value_tiers,
)

T0 = datetime(2026, 6, 30, tzinfo=UTC)


class Stage(enum.StrEnum):
    ACTIVE = "active"
    AT_RISK = "at risk"


@dataclass
class Customer:
    id: str
    tags: list[str] = field(default_factory=list)
    attributes: dict[str, object] = field(default_factory=dict)
    lifecycle_stage: object = "active"
    health_band: str = "healthy"
    created_at: datetime = T0


def _segment(rule: object) -> SegmentDefinition:
    return SegmentDefinition(tenant_id=TenantId("t"), id="s", name="S", rule=rule, created_at=T0)  # type: ignore[arg-type]


CUSTOMERS = [
    Customer(
        "a", tags=["vip"], attributes={"industry": "retail", "seats": 40}, created_at=datetime(2025, 1, 5, tzinfo=UTC)
    ),
    Customer("b", tags=["vip", "beta"], attributes={"industry": "saas", "seats": 5}, lifecycle_stage=Stage.AT_RISK),
    Customer("c", attributes={"seats": Decimal("12.5")}, health_band="watch"),
]


def test_leaf_predicates() -> None:
    assert _segment(HasTag("vip")).members(CUSTOMERS) == ("a", "b")
    assert _segment(AttributeIs("seats", ">=", 10)).members(CUSTOMERS) == ("a", "c")
    assert _segment(AttributeIs("industry", "!=", "retail")).members(CUSTOMERS) == ("b",)  # c has none
    assert _segment(AttributeIs("industry", "<", 3)).members(CUSTOMERS) == ()  # incomparable: no match
    assert _segment(AttributeIn("industry", ("saas", "retail"))).members(CUSTOMERS) == ("a", "b")
    assert _segment(InLifecycleStage(("at risk",))).members(CUSTOMERS) == ("b",)  # enums compare by value
    assert _segment(InHealthBand(("watch",))).members(CUSTOMERS) == ("c",)
    assert _segment(DateBetween("created_at", date(2025, 1, 1), date(2025, 2, 1))).members(CUSTOMERS) == ("a",)
    assert _segment(DateBetween("created_at", start=date(2026, 1, 1))).members(CUSTOMERS) == ("b", "c")


def test_combinators_and_their_text() -> None:
    rule = (HasTag("vip") & ~InLifecycleStage(("at risk",))) | InHealthBand(("watch",))
    assert _segment(rule).members(CUSTOMERS) == ("a", "c")
    assert str(rule) == "((tag 'vip' and not lifecycle stage in ['at risk']) or health band in ['watch'])"


@settings(max_examples=100, deadline=None)
@given(tags=st.lists(st.sampled_from(["x", "y", "z"]), max_size=3), stage=st.sampled_from(["active", "churned"]))
def test_boolean_algebra_holds(tags: list[str], stage: str) -> None:
    record = Customer("r", tags=tags, lifecycle_stage=stage)
    p, q = HasTag("x"), InLifecycleStage(("active",))
    assert (p & q).matches(record) == (p.matches(record) and q.matches(record))
    assert (p | q).matches(record) == (p.matches(record) or q.matches(record))
    assert Not(p & q).matches(record) == (~p | ~q).matches(record)  # De Morgan


def test_rfm_scores_come_from_the_record_or_a_summary() -> None:
    records = [{"id": "a", "r_score": 5}, {"id": "b", "r_score": 2}]
    assert _segment(RfmScoreBetween("r", 4, 5)).members(records) == ("a",)
    txns = [
        {"customer_id": "a", "occurred_at": T0, "amount": Money("5.00", "EUR")},
        {"customer_id": "b", "occurred_at": datetime(2026, 1, 1, tzinfo=UTC), "amount": Money("9.00", "EUR")},
    ]
    summary = rfm_summary(txns, as_of=T0)
    plain = [{"id": "a"}, {"id": "b"}, {"id": "unknown"}]
    # two customers: the better one scores 1 + 5 * 1 // 2 = 3, the other 1; "unknown" has no scores
    assert (summary["a"].r_score, summary["b"].r_score) == (3, 1)
    assert _segment(RfmScoreBetween("r", 3, 5)).members(plain, rfm=summary) == ("a",)
    assert _segment(RfmScoreBetween("m", 3, 5)).members(plain, rfm=summary) == ("b",)
    with pytest.raises(ValidationError):
        RfmScoreBetween("r", 4, 6)
    with pytest.raises(ValidationError):
        RfmScoreBetween("x", 1, 2)  # type: ignore[arg-type]


def test_missing_fields_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        _segment(HasTag("vip")).members([{"id": "a"}])
    assert info.value.field == "tags"
    with pytest.raises(ValidationError):
        AttributeIs("seats", "~", 3)  # type: ignore[arg-type]


def test_snapshots_sort_members_and_diff() -> None:
    segment = _segment(HasTag("vip"))
    first = segment.snapshot(CUSTOMERS, id="1", as_of=T0)
    second = SegmentSnapshot(tenant_id=TenantId("t"), id="2", segment_id="s", as_of=T0, member_ids=("c", "a", "c"))
    assert (first.member_ids, second.member_ids, second.size) == (("a", "b"), ("a", "c"), 2)
    change = second.changes_since(first)
    assert (change.joined, change.left) == (("c",), ("b",))
    other = SegmentSnapshot(tenant_id=TenantId("t"), id="3", segment_id="other", as_of=T0, member_ids=())
    with pytest.raises(ValidationError):
        second.changes_since(other)
    with pytest.raises(ValidationError):
        segment.snapshot(CUSTOMERS, id="4", as_of=datetime(2026, 1, 1))


def test_value_tiers_by_threshold() -> None:
    tiers = [("key account", Money("10000", "USD")), ValueTier("A", Money("1000", "USD")), ("B", Money("100", "USD"))]
    result = value_tiers(
        {"a": Money("25000", "USD"), "b": Money("1000", "USD"), "c": Money("99.99", "USD"), "d": Money("100", "USD")},
        tiers,
    )
    assert [(r["customer_id"], r["tier"]) for r in result.to_rows()] == [
        ("a", "key account"),
        ("b", "A"),
        ("c", "C"),
        ("d", "B"),
    ]
    assert result.sizes() == {"key account": 1, "A": 1, "B": 1, "C": 1}
    assert result.tier_of("c") == "C" and "Value tiers" in str(result)
    with pytest.raises(CurrencyMismatch):
        value_tiers([("a", Money("5", "EUR"))], tiers)
    with pytest.raises(ValidationError):
        value_tiers([("a", Money("5", "USD"))], [("C", Money("1", "USD"))])  # clashes with the default
    summary = rfm_summary(
        [{"customer_id": "x", "occurred_at": T0, "amount": Money("1500", "USD")}], as_of=T0, scored=False
    )
    assert value_tiers(summary, tiers).tier_of("x") == "A"


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(0, 10**7), min_size=1, max_size=30))
def test_tiers_are_monotonic_in_value(values: list[int]) -> None:
    tiers = [("key account", Money.from_minor(5_000_000, "USD")), ("A", Money.from_minor(500_000, "USD"))]
    result = value_tiers([(f"c{i:02d}", Money.from_minor(v, "USD")) for i, v in enumerate(values)], tiers)
    rank = {"key account": 2, "A": 1, "C": 0}
    pairs = [(v, rank[r["tier"]]) for v, r in zip(values, result.to_rows(), strict=True)]
    for v1, t1 in pairs:
        for v2, t2 in pairs:
            if v1 <= v2:
                assert t1 <= t2
