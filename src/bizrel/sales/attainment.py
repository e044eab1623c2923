"""Attainment: what was booked or collected against the target, how it paces, where it will land.

Actuals come from plain records (mappings or objects, such as Opportunity or the payment records
of a Contract). Pacing compares the actual with the share of the target that should be reached by
now: linear in days, or by the seasonal distribution. Every figure is exact; ratios are rounded
half-even once, to four places.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from attrs import frozen

from bizrel.core.clock import utc
from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.money import Currency, Money
from bizrel.core.numbers import ratio, round_fraction
from bizrel.core.periods import Period
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.sales.targets import SeasonalDistribution, TargetValue, check_weights, split_value

__all__ = [
    "AttainmentReport",
    "AttainmentRow",
    "Leaderboard",
    "LeaderboardEntry",
    "activities_done",
    "attainment_report",
    "bookings",
    "collections_received",
    "field_of",
    "new_customers_won",
    "pct",
    "split_credit",
]

_MISSING = object()


def field_of(record: Any, name: str, default: Any = _MISSING) -> Any:
    """A field of a plain record: a mapping key or an attribute."""
    if isinstance(record, Mapping):
        value = record.get(name, default)
    else:
        value = getattr(record, name, default)
    if value is _MISSING:
        raise ValidationError(name, type(record).__name__, "the record has no such field")
    return value


def pct(value: Decimal | None) -> str:
    """A ratio as a percentage for people (n/a when undefined)."""
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _minor(value: TargetValue) -> int:
    return value.to_minor() if isinstance(value, Money) else value


def _like(template: TargetValue, minor: int) -> TargetValue:
    return Money.from_minor(minor, template.currency) if isinstance(template, Money) else minor


def _fmt(value: TargetValue) -> str:
    return value.format() if isinstance(value, Money) else str(value)


def split_credit(amount: TargetValue, shares: Mapping[str, Decimal | int | str]) -> dict[str, TargetValue]:
    """Credit for one deal split between reps in the given shares, exactly (the parts sum to amount)."""
    checked = check_weights(shares, "shares")
    return dict(zip(checked, split_value(amount, list(checked.values())), strict=True))


def _credits(
    records: Iterable[Any],
    period: Period,
    *,
    when: str,
    include: Callable[[Any], bool],
    credit: Callable[[str, date], str | None] | None,
    currency: str | Currency | None,
) -> dict[str, Money]:
    totals: dict[str, int] = {}
    cur = Currency.of(currency) if currency is not None else None
    for record in records:
        if not include(record):
            continue
        at = field_of(record, when)
        if at is None:
            continue
        day = utc(at, when).date() if isinstance(at, datetime) else at
        if not period.contains(day):
            continue
        amount: Money = field_of(record, "amount")
        if cur is None:
            cur = amount.currency
        elif amount.currency is not cur:
            raise CurrencyMismatch("amount", cur.code, amount.currency.code)
        shares = field_of(record, "splits", None) or {field_of(record, "owner_id"): 1}
        for person, part in split_credit(amount, shares).items():
            owner = credit(person, day) if credit is not None else person
            if owner is not None:
                totals[owner] = totals.get(owner, 0) + _minor(part)
    return {k: Money.from_minor(v, cur or "USD") for k, v in sorted(totals.items())}


def bookings(
    opportunities: Iterable[Any],
    period: Period,
    *,
    credit: Callable[[str, date], str | None] | None = None,
    currency: str | Currency | None = None,
) -> dict[str, Money]:
    """Won amount per owner for deals closed in the period.

    Records need status, closed_at, amount and owner_id (an Opportunity qualifies); an optional
    `splits` mapping shares the credit between reps. `credit(rep, day)` maps a rep to whoever gets
    the credit on that day: `org.team_of` credits the team the rep belonged to when the deal closed.
    """
    return _credits(
        opportunities,
        period,
        when="closed_at",
        include=lambda r: str(field_of(r, "status")) == "won",
        credit=credit,
        currency=currency,
    )


def collections_received(
    payments: Iterable[Any],
    period: Period,
    *,
    credit: Callable[[str, date], str | None] | None = None,
    currency: str | Currency | None = None,
) -> dict[str, Money]:
    """Cash received per owner in the period, from records with received_at, amount and owner_id."""
    return _credits(payments, period, when="received_at", include=lambda r: True, credit=credit, currency=currency)


def _counts(
    records: Iterable[Any], period: Period, *, when: str, credit: Callable[[str, date], str | None] | None
) -> dict[str, int]:
    totals: dict[str, int] = {}
    for record in records:
        at = field_of(record, when)
        if at is None:
            continue
        day = utc(at, when).date() if isinstance(at, datetime) else at
        if not period.contains(day):
            continue
        person = field_of(record, "owner_id")
        owner = credit(person, day) if credit is not None else person
        if owner is not None:
            totals[owner] = totals.get(owner, 0) + 1
    return dict(sorted(totals.items()))


def activities_done(
    activities: Iterable[Any], period: Period, *, credit: Callable[[str, date], str | None] | None = None
) -> dict[str, int]:
    """Activities completed in the period per owner, from records with done_at and owner_id (an
    Activity qualifies); an open task counts when it is done, not when it is planned."""
    return _counts(activities, period, when="done_at", credit=credit)


def new_customers_won(
    opportunities: Iterable[Any], period: Period, *, credit: Callable[[str, date], str | None] | None = None
) -> dict[str, int]:
    """New customers per owner: accounts whose first won new-business deal closed in the period,
    credited to that deal's owner. Records need status, closed_at, owner_id, account_id or
    account_name, and optionally kind (renewals and upsells are not new customers). The account is
    its id, else its name, so a second won deal of the same account is not a second new customer."""
    first: dict[str, Any] = {}
    for record in opportunities:
        if str(field_of(record, "status")) != "won" or str(field_of(record, "kind", "new_business")) != "new_business":
            continue
        closed = field_of(record, "closed_at")
        if closed is None:
            continue
        account = field_of(record, "account_id", None) or f"name:{field_of(record, 'account_name')}"
        earlier = first.get(account)
        if earlier is None or (closed, field_of(record, "id", "")) < (
            field_of(earlier, "closed_at"),
            field_of(earlier, "id", ""),
        ):
            first[account] = record
    return _counts(first.values(), period, when="closed_at", credit=credit)


@frozen
class AttainmentRow:
    """One owner's attainment: target, actual, gap, and pacing against what is expected by now."""

    owner_id: str
    target: TargetValue
    actual: TargetValue
    attainment: Decimal | None
    gap: TargetValue
    expected_to_date: TargetValue
    pacing: Decimal | None
    projection: TargetValue | None
    projected_attainment: Decimal | None

    @property
    def on_track(self) -> bool:
        return self.pacing is None or self.pacing >= 1


@frozen
class AttainmentReport(Result):
    """Target, actual, gap and pacing per owner for one period as of one day."""

    title: str
    period: Period
    as_of: date
    elapsed_share: Decimal
    rows: tuple[AttainmentRow, ...]

    def row(self, owner_id: str) -> AttainmentRow:
        for r in self.rows:
            if r.owner_id == owner_id:
                return r
        raise ValidationError("owner_id", owner_id, "not in this report")

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "owner_id": r.owner_id,
                "target": r.target.amount if isinstance(r.target, Money) else r.target,
                "actual": r.actual.amount if isinstance(r.actual, Money) else r.actual,
                "attainment": r.attainment,
                "gap": r.gap.amount if isinstance(r.gap, Money) else r.gap,
                "expected_to_date": r.expected_to_date.amount
                if isinstance(r.expected_to_date, Money)
                else r.expected_to_date,
                "pacing": r.pacing,
                "projection": r.projection.amount if isinstance(r.projection, Money) else r.projection,
            }
            for r in self.rows
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        headers = ["owner", "target", "actual", "attained", "gap", "expected", "pacing", "projection"]
        rows: list[list[object]] = [
            [
                r.owner_id,
                _fmt(r.target),
                _fmt(r.actual),
                pct(r.attainment),
                _fmt(r.gap),
                _fmt(r.expected_to_date),
                pct(r.pacing),
                "n/a" if r.projection is None else _fmt(r.projection),
            ]
            for r in self.rows
        ]
        title = f"{self.title} {self.period} as of {self.as_of} ({pct(self.elapsed_share)} of the period elapsed)"
        return headers, rows, title

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())

    def leaderboard(self, by: str = "attainment") -> Leaderboard:
        """Ranked rows; equal values share a rank (1, 2, 2, 4) and are listed by actual, then owner id."""
        if by not in ("attainment", "actual", "pacing"):
            raise ValidationError("by", by, "rank by attainment, actual or pacing")

        def primary(r: AttainmentRow) -> Fraction:
            value = _minor(r.actual) if by == "actual" else getattr(r, by)
            return Fraction(-1) if value is None else Fraction(value)

        ordered = sorted(self.rows, key=lambda r: (-primary(r), -_minor(r.actual), r.owner_id))
        entries: list[LeaderboardEntry] = []
        for i, r in enumerate(ordered):
            tied = entries and primary(ordered[i - 1]) == primary(r)
            rank = entries[-1].rank if tied else i + 1
            entries.append(LeaderboardEntry(rank, r.owner_id, r.actual, r.attainment, r.pacing))
        return Leaderboard(f"{self.title} {self.period}: ranked by {by}", tuple(entries))


@frozen
class LeaderboardEntry:
    """One place on a leaderboard: rank, owner, actual, attainment and pacing."""

    rank: int
    owner_id: str
    actual: TargetValue
    attainment: Decimal | None
    pacing: Decimal | None


@frozen
class Leaderboard(Result):
    """Owners ranked by attainment (ties share a rank)."""

    title: str
    entries: tuple[LeaderboardEntry, ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {"rank": e.rank, "owner_id": e.owner_id, "actual": _fmt(e.actual), "attainment": e.attainment}
            for e in self.entries
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [e.rank, e.owner_id, _fmt(e.actual), pct(e.attainment), pct(e.pacing)] for e in self.entries
        ]
        return ["rank", "owner", "actual", "attained", "pacing"], rows, self.title

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def attainment_report(
    targets: Mapping[str, TargetValue],
    actuals: Mapping[str, TargetValue],
    period: Period,
    as_of: date,
    *,
    distribution: SeasonalDistribution | None = None,
    title: str = "Attainment",
) -> AttainmentReport:
    """Attainment per owner of `targets`; owners without actuals have zero.

    Elapsed share: days before `as_of` over the period's days (linear), or the seasonal share of
    the months before `as_of` when a distribution is given. Projection is the run rate:
    actual / elapsed share, rounded half-even to the minor unit.
    """
    if not isinstance(as_of, date) or isinstance(as_of, datetime):
        raise ValidationError("as_of", as_of, "expected a date")
    if as_of <= period.start:
        share = Fraction(0)
    elif as_of >= period.end:
        share = Fraction(1)
    elif distribution is not None:
        share = distribution.elapsed_share(period, as_of)
    else:
        share = Fraction((as_of - period.start).days, period.days)
    rows = []
    for owner, target in targets.items():
        actual = actuals.get(owner, _like(target, 0))
        if isinstance(actual, Money) is not isinstance(target, Money):
            raise ValidationError(f"actuals[{owner}]", actual, "must be of the target's kind (money or count)")
        if isinstance(actual, Money) and isinstance(target, Money) and actual.currency is not target.currency:
            raise CurrencyMismatch(f"actuals[{owner}]", target.currency.code, actual.currency.code)
        t, a = _minor(target), _minor(actual)
        expected = round(Fraction(t) * share)
        projection = round(Fraction(a) / share) if share else None
        rows.append(
            AttainmentRow(
                owner_id=owner,
                target=target,
                actual=actual,
                attainment=ratio(a, t),
                gap=_like(target, t - a),
                expected_to_date=_like(target, expected),
                pacing=ratio(a, expected),
                projection=None if projection is None else _like(target, projection),
                projected_attainment=None if projection is None else ratio(projection, t),
            )
        )
    return AttainmentReport(title, period, as_of, round_fraction(share), tuple(rows))
