"""What a member and what finance read: a member's statement and a program's points liability."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrs import frozen

from bizrel.core.clock import local_date, utc
from bizrel.core.money import Money
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.customer.loyalty.ledger import LoyaltyAccount
from bizrel.customer.loyalty.program import LoyaltyProgram

__all__ = ["ExpiringPoints", "Liability", "Statement", "liability", "statement"]


@frozen(kw_only=True)
class ExpiringPoints:
    """Points that expire at the end of `last_day` (local date), and their money value."""

    last_day: date
    points: int
    value: Money


@frozen(kw_only=True)
class Statement(Result):
    """A member's statement: balance, tier, the period's entries and the points expiring soon."""

    customer_id: str
    at: datetime
    balance: int
    usable: int
    pending: int
    owed: int
    value: Money
    expiring: tuple[ExpiringPoints, ...]
    tier: str
    qualifying: Decimal
    next_tier: str | None
    to_next_tier: Decimal | None
    next_review_at: datetime

    @property
    def expiring_points(self) -> int:
        return sum(e.points for e in self.expiring)

    def to_rows(self) -> list[tuple[str, Any]]:
        rows: list[tuple[str, Any]] = [
            ("balance", self.balance),
            ("usable", self.usable),
            ("pending (return window)", self.pending),
            ("owed from future earnings", self.owed),
            ("value", self.value),
            ("tier", self.tier),
            ("qualifying", self.qualifying),
            ("next tier", self.next_tier or "-"),
            ("to next tier", self.to_next_tier if self.to_next_tier is not None else "-"),
            ("next review", self.next_review_at.date().isoformat()),
        ]
        rows += [(f"expiring {e.last_day.isoformat()}", f"{e.points} ({e.value})") for e in self.expiring]
        return rows

    def __str__(self) -> str:
        return text_table(("item", "value"), self.to_rows(), title=f"Loyalty statement for {self.customer_id}")

    def _repr_html_(self) -> str:
        return html_table(("item", "value"), self.to_rows(), title=f"Loyalty statement for {self.customer_id}")


def statement(program: LoyaltyProgram, account: LoyaltyAccount, *, at: datetime, days: int = 30) -> Statement:
    """Balance, points expiring within `days`, tier and progress, next review date, as of `at`."""
    at = utc(at, "at")
    horizon = at + timedelta(days=days)
    by_day: dict[date, int] = {}
    for lot in account.open_lots():
        if lot.expires_at is not None and at < lot.expires_at <= horizon:
            last_day = local_date(lot.expires_at, program.tz) - timedelta(days=1)
            by_day[last_day] = by_day.get(last_day, 0) + lot.remaining
    qualifying = account.qualifying_value(
        program.tier_metric, program.currency, program.window_start(at), at + timedelta(microseconds=1)
    )
    index = program.tier_index(account.tier)
    upper = program.tiers[index + 1] if index + 1 < len(program.tiers) else None
    return Statement(
        customer_id=account.customer_id,
        at=at,
        balance=account.balance_at(at),
        usable=account.usable(at),
        pending=account.pending(at),
        owed=account.clawback,
        value=program.value_of(max(account.balance_at(at), 0)),
        expiring=tuple(
            ExpiringPoints(last_day=d, points=p, value=program.value_of(p)) for d, p in sorted(by_day.items())
        ),
        tier=account.tier,
        qualifying=qualifying,
        next_tier=upper.name if upper else None,
        to_next_tier=max(upper.threshold - qualifying, Decimal(0)) if upper else None,
        next_review_at=account.next_review_at(program),
    )


@frozen(kw_only=True)
class Liability(Result):
    """Outstanding points of a program and their money value (valued once, on the total)."""

    program_id: str
    members: int
    points: int
    value: Money
    by_tier: tuple[tuple[str, int, int], ...]  # (tier, members, points)
    expiring_points: int
    expiring_value: Money
    expiring_from: datetime
    expiring_to: datetime

    def to_rows(self) -> list[tuple[str, int, int]]:
        return list(self.by_tier)

    def __str__(self) -> str:
        table = text_table(("tier", "members", "points"), self.to_rows(), title=f"Program {self.program_id}")
        return (
            f"{table}\n"
            f"points outstanding: {self.points} worth {self.value.format()} (liability)\n"
            f"expiring {self.expiring_from.date()}..{self.expiring_to.date()}: "
            f"{self.expiring_points} worth {self.expiring_value.format()}"
        )

    def _repr_html_(self) -> str:
        return html_table(("tier", "members", "points"), self.to_rows(), title=str(self).splitlines()[-2])


def liability(
    program: LoyaltyProgram,
    accounts: Iterable[LoyaltyAccount],
    *,
    at: datetime,
    expiring_from: datetime,
    expiring_to: datetime,
) -> Liability:
    """Points outstanding at `at` (overdrafts count as zero) and the points expiring in [from, to)."""
    at = utc(at, "at")
    start, end = utc(expiring_from, "expiring_from"), utc(expiring_to, "expiring_to")
    members = points = expiring = 0
    tiers = {t.name: [0, 0] for t in program.tiers}
    for account in accounts:
        if account.program_id != program.id:
            continue
        held = max(account.balance_at(at), 0)
        members += 1
        points += held
        tiers[account.tier][0] += 1
        tiers[account.tier][1] += held
        expiring += sum(
            lot.remaining
            for lot in account.lots.values()
            if lot.remaining and lot.expires_at is not None and max(start, at) < lot.expires_at <= end
        )
    return Liability(
        program_id=program.id,
        members=members,
        points=points,
        value=program.value_of(points),
        by_tier=tuple((name, n, p) for name, (n, p) in tiers.items()),
        expiring_points=expiring,
        expiring_value=program.value_of(expiring),
        expiring_from=start,
        expiring_to=end,
    )
