"""Regression scenarios reported against other loyalty systems (reliability anchors §2 and §9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core import IdempotencyConflict, Money, PolicyViolation
from bizrel.customer.loyalty import (
    DebtPolicy,
    EntryKind,
    ExpiryPolicy,
    InsufficientPoints,
    LoyaltyAccount,
    PointsEarned,
    Tier,
    TierMetric,
    TierWindow,
    assert_invariants,
)
from tests.unit.loyalty.support import START, ProgramFactory, invoice, member

# -- refunds and returns (ERPNext #32951, PR #30242; Odoo #212922, #257854, #221928) -------------


def test_invoice_cancelled_after_earning_reverses_every_point(make_program: ProgramFactory) -> None:
    program = make_program()
    account = member(program)
    account.earn(program, invoice("inv", "600.00", "400.00"), at=START, key="earn")
    entry = account.refund(program, "inv", at=START, key="cancel")
    assert (entry.kind, entry.points, account.balance) == (EntryKind.REVERSE, -1000, 0)
    assert sum(r.points for r in entry.lines) == 1000
    assert_invariants(account, program)


def test_return_of_100_out_of_1000_reduces_points_in_proportion(make_program: ProgramFactory) -> None:
    program = make_program()
    account = member(program)
    account.earn(program, invoice("inv", "1000.00"), at=START, key="earn")
    account.refund(program, "inv", amount=Money("100.00", "USD"), at=START, key="r1")
    assert account.balance == 900
    account.refund(program, "inv", amount=Money("400.00", "USD"), at=START, key="r2")
    assert account.balance == 500  # half returned in two steps: exactly half the points
    assert_invariants(account, program)


def test_returning_one_line_reverses_exactly_that_lines_points(make_program: ProgramFactory) -> None:
    program = make_program(category_multipliers={"shoes": "3"})
    account = member(program)
    account.earn(program, invoice("inv", "10.00", "20.00", categories=("", "shoes")), at=START, key="earn")
    assert account.balance == 10 + 60
    entry = account.refund(program, "inv", lines={"l2": Money("20.00", "USD")}, at=START, key="line")
    assert entry.points == -60
    assert account.balance == 10


@given(points_cents=st.integers(1, 10**6), parts=st.lists(st.integers(1, 100), min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_partial_returns_sum_to_the_full_reversal(points_cents: int, parts: list[int]) -> None:
    from bizrel.customer.loyalty import LoyaltyProgram

    program = LoyaltyProgram(tenant_id=START.isoformat()[:4], id="p", name="P", currency="USD")  # type: ignore[arg-type]
    account = LoyaltyAccount.open(program, "c", at=START)
    account.earn(program, invoice("inv", str(Money.from_minor(points_cents, "USD").amount)), at=START, key="e")
    earned = account.balance
    total = Money.from_minor(points_cents, "USD")
    shares = total.allocate(parts)
    for i, share in enumerate(shares):
        if share:
            account.refund(program, "inv", amount=share, at=START, key=f"r{i}")
        assert 0 <= account.balance <= earned
    assert account.balance == 0
    assert_invariants(account, program)


def test_redeem_then_refund_claws_back_the_spent_points_once(make_program: ProgramFactory) -> None:
    program = make_program(debt_policy=DebtPolicy.CLAWBACK)
    account = member(program)
    account.earn(program, invoice("inv", "100.00"), at=START, key="earn")
    account.redeem(program, 60, at=START, key="spend")
    first = account.refund(program, "inv", at=START, key="refund")
    again = account.refund(program, "inv", at=START, key="refund")  # a retried request
    assert first is again
    assert (account.balance, account.clawback) == (0, 60)
    account.earn(program, invoice("inv2", "100.00"), at=START, key="earn2")
    assert (account.balance, account.clawback) == (40, 0)  # repaid from the next earnings
    assert_invariants(account, program)


def test_redeem_then_return_restores_the_redeemed_points_once(make_program: ProgramFactory) -> None:
    program = make_program()
    account = member(program)
    account.earn(program, invoice("old", "100.00"), at=START, key="old")
    account.redeem(program, 80, at=START, key="pay-with-points")
    account.reverse_redemption(program, "pay-with-points", at=START, key="return-points")
    assert account.balance == 100
    with pytest.raises(Exception, match="already reversed"):
        account.reverse_redemption(program, "pay-with-points", at=START, key="return-points-again")
    assert account.balance == 100


@pytest.mark.rule(
    "Points the member has already spent are taken from other lots, and what is still missing follows the "
    "program's `DebtPolicy`: a negative balance up to `overdraft_limit`, or a claw-back from future "
    "earnings."
)
@pytest.mark.rule("Never silently.")
def test_overdraft_policy_allows_a_negative_balance_up_to_the_limit_and_never_silently(
    make_program: ProgramFactory,
) -> None:
    program = make_program(debt_policy=DebtPolicy.OVERDRAFT, overdraft_limit=50)
    account = member(program)
    account.earn(program, invoice("a", "100.00"), at=START, key="a")
    account.earn(program, invoice("b", "100.00"), at=START, key="b")
    account.redeem(program, 140, at=START, key="spend")  # all of lot a, 40 of lot b
    account.refund(program, "a", at=START, key="refund-a")  # 60 from lot b, 40 overdrawn
    assert (account.balance, account.overdraft) == (-40, 40)
    assert_invariants(account, program)
    before = LoyaltyAccount.replay(account, account.entries)
    with pytest.raises(PolicyViolation, match="limit 50"):
        account.refund(program, "b", amount=Money("20.00", "USD"), at=START, key="refund-b")
    assert account == before
    account.earn(program, invoice("c", "30.00"), at=START, key="c")
    assert (account.balance, account.overdraft) == (-10, 10)
    assert_invariants(account, program)


# -- expiry (FloCafe #78, Kademi #5962, hrms #2563) --------------------------------------------------


def test_sixty_of_a_hundred_spent_then_the_lot_expires_posts_forty(make_program: ProgramFactory) -> None:
    program = make_program(expiry=ExpiryPolicy.after_months(1))
    account = member(program)
    account.earn(program, invoice("inv", "100.00"), at=START, key="earn")
    account.redeem(program, 60, at=START, key="spend")
    expired = account.expire_due(program, at=START + timedelta(days=40))
    assert [(e.kind, e.points) for e in expired] == [(EntryKind.EXPIRE, -40)]
    assert account.balance == 0
    assert account.expire_due(program, at=START + timedelta(days=80)) == []  # never twice
    assert_invariants(account, program)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_redeeming_on_the_expiry_day_up_to_local_midnight(make_program: ProgramFactory, zone: str) -> None:
    tz = ZoneInfo(zone)
    program = make_program(expiry=ExpiryPolicy.after_months(1), timezone=zone)
    earned = datetime(2025, 1, 15, 10, 0, tzinfo=tz)
    last_moment = datetime(2025, 2, 15, 23, 59, 59, 999999, tzinfo=tz)
    midnight = datetime(2025, 2, 16, 0, 0, tzinfo=tz)
    account = member(program, at=earned)
    account.earn(program, invoice("inv", "100.00"), at=earned, key="earn")
    assert account.lots[1].expires_at == midnight.astimezone(UTC)
    spent = account.redeem(program, 30, at=last_moment, key="last-minute")
    assert spent.points == -30
    with pytest.raises(InsufficientPoints):
        account.redeem(program, 1, at=midnight, key="too-late")
    assert account.expire_due(program, at=midnight)[0].points == -70
    assert account.balance == 0


@pytest.mark.rule(
    "A `LoyaltyProgram` declares every rule explicitly: the earn rate and its rounding mode, category and "
    "product multipliers, time-boxed campaigns, bonuses, caps, what a point is worth, when lots expire (a "
    "number of months after earning, the end of a period, or never), the return window before points are "
    "usable, tiers and what happens to points that are refunded after they were spent."
)
def test_expiry_at_the_end_of_the_following_year_and_never(make_program: ProgramFactory) -> None:
    yearly = make_program(expiry=ExpiryPolicy.end_of("year", 1))
    assert yearly.expires_at(START) == datetime(2027, 1, 1, tzinfo=UTC)
    assert make_program().expires_at(START) is None


def test_restoring_a_redemption_into_an_expired_lot_expires_it_again(make_program: ProgramFactory) -> None:
    program = make_program(expiry=ExpiryPolicy.after_months(1))
    account = member(program)
    account.earn(program, invoice("inv", "50.00"), at=START, key="earn")
    account.redeem(program, 50, at=START, key="spend")
    later = START + timedelta(days=60)
    account.reverse_redemption(program, "spend", at=later, key="undo")
    kinds = [(e.kind, e.points) for e in account.entries[-2:]]
    assert kinds == [(EntryKind.REVERSE, 50), (EntryKind.EXPIRE, -50)]
    assert account.balance == 0
    assert_invariants(account, program)


def test_fefo_takes_the_earliest_expiry_then_the_oldest_then_the_lowest_id(make_program: ProgramFactory) -> None:
    program = make_program(expiry=ExpiryPolicy.after_months(12))
    account = member(program)
    account.earn(program, invoice("year", "100.00"), at=START, key="a")  # lot 1 expires in 2026
    program.expiry = ExpiryPolicy.end_of("month")  # the program changed its rules
    account.earn(program, invoice("jan-1", "20.00"), at=START + timedelta(hours=1), key="b")  # lot 2
    account.earn(program, invoice("jan-2", "15.00"), at=START + timedelta(hours=1), key="c")  # lot 3, same time
    entry = account.redeem(program, 40, at=START + timedelta(hours=2), key="spend")
    assert [(m.lot, m.points) for m in entry.movements] == [(2, -20), (3, -15), (1, -5)]


# -- tiers (ERPNext #24672, #22167) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spent", "tier"),
    [
        ("999.99", "basic"),
        ("1000.00", "silver"),
        ("1000.01", "silver"),
        ("4999.99", "silver"),
        ("5000.00", "gold"),
        ("5000.01", "gold"),
    ],
)
def test_tier_threshold_boundaries(make_program: ProgramFactory, spent: str, tier: str) -> None:
    program = make_program(
        tier_metric=TierMetric.MONEY_SPENT,
        tiers=(
            Tier(name="basic", threshold=0),
            Tier(name="silver", threshold="1000"),
            Tier(name="gold", threshold="5000"),
        ),
    )
    account = member(program)
    account.earn(program, invoice("inv", spent), at=START, key="earn")
    assert account.tier == tier


def test_first_purchase_below_tier_two_stays_in_tier_one(make_program: ProgramFactory) -> None:
    program = make_program(
        tiers=(Tier(name="t1", threshold=0), Tier(name="t2", threshold=500, multiplier="2")),
    )
    account = member(program)
    assert account.earn(program, invoice("a", "300.00"), at=START, key="a").points == 300
    assert account.tier == "t1"
    assert account.earn(program, invoice("b", "300.00"), at=START, key="b").points == 300  # t1 rate, then upgrade
    assert account.tier == "t2"
    assert account.earn(program, invoice("c", "100.00"), at=START, key="c").points == 200


def test_downgrade_waits_for_the_review_and_lands_softly(make_program: ProgramFactory) -> None:
    program = make_program(
        tiers=(Tier(name="a", threshold=0), Tier(name="b", threshold=100), Tier(name="c", threshold=200)),
        soft_landing=True,
    )
    account = member(program)
    account.earn(program, invoice("x", "250.00"), at=START, key="x")
    assert account.tier == "c"
    assert account.next_review_at(program) == datetime(2026, 1, 1, tzinfo=UTC)
    assert account.review_tier(program, at=datetime(2025, 12, 31, tzinfo=UTC), key="early") is None
    assert account.tier == "c"
    first = account.review_tier(program, at=datetime(2026, 1, 1, tzinfo=UTC), key="r1")
    assert first is not None
    assert account.tier == "c"  # 250 earned in 2025 keeps c
    account.review_tier(program, at=datetime(2027, 1, 2, tzinfo=UTC), key="r2")
    assert account.tier == "b"  # nothing in 2026: one tier down, not to the bottom
    assert [type(e).__name__ for e in account.pending_events].count("TierChanged") == 2


# -- money and points (ERPNext PR #45817, Odoo PR #219640, #259660) ---------------------------------


@pytest.mark.rule("Its money value is exact: never a float.")
def test_points_to_money_is_exact(make_program: ProgramFactory) -> None:
    program = make_program(point_value="0.1")
    assert program.value_of(290) == Money("29.00", "USD")  # 290 x 0.1 (the report's "29.90" is 299 points)
    assert program.value_of(299) == Money("29.90", "USD")
    cents3 = make_program(point_value="0.03")
    assert cents3.value_of(3030) == Money("90.90", "USD")
    assert cents3.points_for(Money("90.90", "USD")) == 3030
    jpy = make_program(currency="JPY", point_value="1")
    assert jpy.value_of(1) == Money("1", "JPY")  # points are never rounded by a currency's rounding


@given(
    cents=st.integers(0, 10**9),
    value=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("10"), places=4),
)
@settings(max_examples=2000, deadline=None)
def test_points_for_an_amount_pay_it_and_one_fewer_does_not(cents: int, value: Decimal) -> None:
    from bizrel.customer.loyalty import LoyaltyProgram

    program = LoyaltyProgram(
        tenant_id="t", id="p", name="P", currency="USD", point_value=value, value_rounding="ROUND_DOWN"
    )  # type: ignore[arg-type]
    amount = Money.from_minor(cents, "USD")
    points = program.points_for(amount)
    assert Decimal(points) * value >= amount.amount
    assert points == 0 or Decimal(points - 1) * value < amount.amount


def test_points_on_a_partly_paid_invoice(make_program: ProgramFactory) -> None:
    program = make_program()
    account = member(program)
    first = account.earn(program, invoice("inv", "60.00", "40.00", paid="25.00"), at=START, key="pay1")
    assert first.points == 25
    with pytest.raises(Exception, match="nothing newly paid"):
        account.earn(program, invoice("inv", "60.00", "40.00", paid="25.00"), at=START, key="pay1-again")
    second = account.earn(program, invoice("inv", "60.00", "40.00"), at=START, key="paid-in-full")
    assert second.points == 75
    assert account.balance == 100
    account.refund(program, "inv", at=START, key="refund")
    assert account.balance == 0


# -- earn rules --------------------------------------------------------------------------------------


@pytest.mark.rule(
    "A `LoyaltyProgram` declares every rule explicitly: the earn rate and its rounding mode, category and "
    "product multipliers, time-boxed campaigns, bonuses, caps, what a point is worth, when lots expire (a "
    "number of months after earning, the end of a period, or never), the return window before points are "
    "usable, tiers and what happens to points that are refunded after they were spent."
)
def test_multipliers_campaigns_and_caps(make_program: ProgramFactory) -> None:
    from bizrel.customer.loyalty import Campaign, Invoice, InvoiceLine

    program = make_program(
        points_per_unit="2",
        category_multipliers={"food": "0.5"},
        product_multipliers={"truffle": "3"},
        max_points_per_transaction=500,
        max_points_per_period=600,
    )
    program.add_campaign(Campaign(name="double", starts_at=START, ends_at=START + timedelta(days=7), multiplier="2"))
    account = member(program)
    lines = (
        InvoiceLine(id="a", amount=Money("10.99", "USD"), category="food"),
        InvoiceLine(id="b", amount=Money("10.00", "USD"), category="food", product="truffle"),
    )
    entry = account.earn(program, Invoice(id="p1", lines=lines), at=START, key="p1")
    assert [r.points for r in entry.lines] == [21, 120]  # floor(10.99*2*0.5*2)=21, 10*2*3*2=120
    capped = account.earn(program, invoice("p2", "1000.00"), at=START, key="p2")
    assert capped.points == 459  # 600 per month minus 141 already earned, under the 500 per transaction
    later = account.earn(program, invoice("p3", "1000.00"), at=START + timedelta(days=20), key="p3")
    assert later.points == 500  # new month, campaign over: 2000 capped at 500 per transaction


def test_bonuses_are_awarded_once_each(make_program: ProgramFactory) -> None:
    from bizrel.customer.loyalty import BonusKind

    program = make_program(signup_bonus=100, birthday_bonus=50, referral_bonus=200)
    account = member(program)
    account.award_bonus(program, BonusKind.SIGNUP, at=START, key="s")
    with pytest.raises(PolicyViolation):
        account.award_bonus(program, BonusKind.SIGNUP, at=START, key="s2")
    account.award_bonus(program, BonusKind.BIRTHDAY, at=START, key="b25")
    with pytest.raises(PolicyViolation):
        account.award_bonus(program, BonusKind.BIRTHDAY, at=START + timedelta(days=30), key="b25-again")
    account.award_bonus(program, BonusKind.BIRTHDAY, at=START + timedelta(days=365), key="b26")
    account.award_bonus(program, BonusKind.REFERRAL, at=START + timedelta(days=365), key="ref", reference="cust-0002")
    with pytest.raises(PolicyViolation):
        account.award_bonus(
            program, BonusKind.REFERRAL, at=START + timedelta(days=365), key="ref2", reference="cust-0002"
        )
    assert account.balance == 100 + 50 + 50 + 200


def test_points_wait_for_the_return_window(make_program: ProgramFactory) -> None:
    program = make_program(pending_days=14)
    account = member(program)
    account.earn(program, invoice("inv", "100.00"), at=START, key="earn")
    assert (account.balance, account.usable(START), account.pending(START)) == (100, 0, 100)
    with pytest.raises(InsufficientPoints):
        account.redeem(program, 1, at=START + timedelta(days=13), key="early")
    account.redeem(program, 100, at=START + timedelta(days=14), key="on-time")
    assert account.balance == 0


# -- idempotency and validation ------------------------------------------------------------------


def test_a_key_replayed_returns_the_first_result_and_changes_nothing(make_program: ProgramFactory) -> None:
    program = make_program()
    account = member(program)
    first = account.earn(program, invoice("inv", "100.00"), at=START, key="k")
    events = len(account.pending_events)
    snapshot = LoyaltyAccount.replay(account, account.entries)
    assert account.earn(program, invoice("inv", "100.00"), at=START + timedelta(days=1), key="k") is first
    assert account == snapshot
    assert len(account.pending_events) == events
    with pytest.raises(IdempotencyConflict):
        account.earn(program, invoice("inv", "100.01"), at=START, key="k")
    with pytest.raises(IdempotencyConflict):
        account.redeem(program, 5, at=START, key="k")
    assert account == snapshot
    assert [type(e) for e in account.pending_events] == [PointsEarned]


@pytest.mark.parametrize("points", [0, -5, 1.5, True, "10"])
def test_bad_redemptions_are_refused_before_anything_changes(make_program: ProgramFactory, points: object) -> None:
    program = make_program()
    account = member(program)
    account.earn(program, invoice("inv", "10.00"), at=START, key="earn")
    snapshot = LoyaltyAccount.replay(account, account.entries)
    with pytest.raises(Exception, match="points"):
        account.redeem(program, points, at=START, key="bad")  # type: ignore[arg-type]
    assert account == snapshot
    assert "bad" not in account.keys


def test_operations_cannot_go_back_in_time(make_program: ProgramFactory) -> None:
    program = make_program()
    account = member(program)
    account.earn(program, invoice("inv", "10.00"), at=START + timedelta(days=2), key="earn")
    with pytest.raises(Exception, match="before the account's last entry"):
        account.redeem(program, 1, at=START, key="past")


def test_refunding_points_that_already_expired_still_counts_against_the_tier(make_program: ProgramFactory) -> None:
    """Found by the long state-machine profile: the expired part of a refund is not taken from the
    balance again, but the purchase no longer qualifies for the tier either."""
    program = make_program(
        expiry=ExpiryPolicy.after_months(1),
        tiers=(Tier(name="basic", threshold=0), Tier(name="silver", threshold=100)),
        tier_window=TierWindow.ROLLING,
        window_months=2,
        review_months=1,
    )
    start = datetime(2025, 1, 30, 10, 0, tzinfo=UTC)
    account = member(program, at=start)
    account.earn(program, invoice("a", "1.00"), at=start, key="a")
    account.earn(program, invoice("b", "99.00"), at=start, key="b")
    assert account.tier == "silver"
    refund = account.refund(program, "a", at=datetime(2025, 3, 14, tzinfo=UTC), key="refund-a")
    assert (refund.points, refund.forgone, account.balance) == (0, 1, 0)  # lot a expired on Mar 1
    account.review_tier(program, at=datetime(2025, 3, 30, tzinfo=UTC), key="review")
    assert account.tier == "basic"  # 99 qualifying points in [Jan 30, Mar 30)


def test_statement_and_liability_do_not_count_points_past_expiry_before_the_sweep(
    make_program: ProgramFactory,
) -> None:
    from bizrel.customer.loyalty import liability, statement

    program = make_program(expiry=ExpiryPolicy.after_months(1))
    account = member(program)
    account.earn(program, invoice("inv", "100.00"), at=START, key="earn")
    later = START + timedelta(days=45)  # expired, and no operation or expiry job has run since
    assert account.balance == 100  # the ledger has not posted the expiry yet ...
    assert statement(program, account, at=later).balance == 0  # ... but nobody is shown those points
    report = liability(program, [account], at=later, expiring_from=later, expiring_to=later + timedelta(days=30))
    assert (report.points, report.value) == (0, Money("0.00", "USD"))
    soon = statement(program, account, at=START + timedelta(days=20), days=30)
    assert [(e.last_day.isoformat(), e.points) for e in soon.expiring] == [("2025-02-15", 100)]


@pytest.mark.rule(
    "The outstanding points of a program, valued once on the total (never by summing rounded lines), and "
    "the points that expire in the coming days:"
)
def test_liability_values_the_total_once_instead_of_summing_rounded_members(make_program: ProgramFactory) -> None:
    from bizrel.customer.loyalty import liability

    program = make_program(point_value="0.004")
    accounts = [member(program, customer=f"cust-{n}") for n in range(3)]
    for n, account in enumerate(accounts):
        account.adjust(program, 1, reason="goodwill", at=START, key=f"k{n}")
    assert sum((program.value_of(a.balance) for a in accounts), Money("0", "USD")) == Money("0.00", "USD")
    report = liability(program, accounts, at=START, expiring_from=START, expiring_to=START + timedelta(days=1))
    assert (report.points, report.value) == (3, Money("0.01", "USD"))  # 0.012 rounded down once
