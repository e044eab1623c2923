"""Incentives (激励机制): commission plans, statements that explain every line, and clawbacks.

A plan pays a rate on credited amounts (deals booked, or cash collected). Tiered plans set rates by
attainment of the target: marginal (each slice of the credit is paid at the rate of the bracket it
falls in) or retroactive (everything at the rate of the bracket finally reached). Accelerators
multiply the rate above 100% attainment, decelerators below a floor; a cap limits the payout;
bonuses add a rate for named products or for a window of dates.

Money is rounded once: the exact sum of every line is rounded half-even to the minor unit and
then allocated back over the lines by largest remainder, so the total equals the sum of the lines
and never differs from the exact figure by more than half a minor unit (ERPNext #33681 rounded each
line first and was a cent off).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import EXACT, Currency, Money, allocate_minor, to_decimal
from bizrel.core.numbers import ratio
from bizrel.core.periods import Period
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.sales.attainment import field_of, pct, split_credit
from bizrel.sales.targets import choice

__all__ = [
    "Bracket",
    "ClawbackApplied",
    "ClawbackReason",
    "ClawbackRequested",
    "CommissionAdjustment",
    "CommissionPlan",
    "CommissionStatement",
    "Credit",
    "Decelerator",
    "LineKind",
    "PayoutBasis",
    "PeriodBonus",
    "ProductBonus",
    "StatementLine",
    "Tier",
    "TierMode",
    "check_brackets",
    "clawback_amount",
    "clawback_key",
    "commission_statement",
    "credits_from_bookings",
    "credits_from_payments",
    "tier_edge",
]


class TierMode(enum.StrEnum):
    """How brackets apply: the whole credit at one rate (flat), each slice at its rate (marginal), or retroactively."""

    FLAT = "flat"
    MARGINAL = "marginal"
    RETROACTIVE = "retroactive"


class PayoutBasis(enum.StrEnum):
    """When commission is earned: at booking or when the cash is collected."""

    BOOKING = "booking"
    COLLECTION = "collection"


class LineKind(enum.StrEnum):
    """What a statement line is: commission, bonus, the cap's deduction or a clawback."""

    COMMISSION = "commission"
    BONUS = "bonus"
    CAP = "cap"
    CLAWBACK = "clawback"


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _percent(value: Decimal) -> str:
    return f"{_plain(value * 100)}%"


def _rate(value: object, name: str) -> Decimal:
    d = to_decimal(value, name)
    if d < 0:
        raise ValidationError(name, value, "cannot be negative")
    return d


def _bracket_lower(value: object) -> Decimal:
    return _rate(value, "bracket.lower")


def _bracket_upper_opt(value: object) -> Decimal | None:
    return None if value is None else _rate(value, "bracket.upper")


def _bracket_rate(value: object) -> Decimal:
    return _rate(value, "bracket.rate")


def _decelerator_floor(value: object) -> Decimal:
    return _rate(value, "decelerator.floor")


def _decelerator_factor(value: object) -> Decimal:
    return _rate(value, "decelerator.factor")


def _product_bonus_rate(value: object) -> Decimal:
    return _rate(value, "product_bonus.rate")


def _period_bonus_rate(value: object) -> Decimal:
    return _rate(value, "period_bonus.rate")


@frozen
class Bracket:
    """Attainment from `lower` (inclusive) to `upper` (exclusive; None: no limit) pays `rate`.

    Attainments are fractions of the target: 1 is 100%.
    """

    lower: Decimal = field(converter=_bracket_lower)
    upper: Decimal | None = field(converter=_bracket_upper_opt)
    rate: Decimal = field(converter=_bracket_rate)

    def __attrs_post_init__(self) -> None:
        if self.upper is not None and self.upper <= self.lower:
            raise ValidationError("bracket.upper", self.upper, f"must be above the lower bound {self.lower}")

    @property
    def label(self) -> str:
        return f"{_percent(self.lower)}-{'...' if self.upper is None else _percent(self.upper)}"


def check_brackets(brackets: Sequence[Bracket]) -> tuple[Bracket, ...]:
    """Brackets must start at 0 and follow each other without gap or overlap, the last unbounded."""
    items = tuple(brackets)
    if not items:
        raise ValidationError("brackets", items, "at least one bracket is needed")
    if items[0].lower != 0:
        raise ValidationError("brackets[0].lower", items[0].lower, "the first bracket starts at 0")
    for i in range(1, len(items)):
        previous, current = items[i - 1], items[i]
        if previous.upper is None or current.lower < previous.upper:
            raise ValidationError(f"brackets[{i}]", current.label, f"overlaps brackets[{i - 1}] {previous.label}")
        if current.lower > previous.upper:
            raise ValidationError(f"brackets[{i}]", current.label, f"leaves a gap after {previous.label}")
    if items[-1].upper is not None:
        raise ValidationError(f"brackets[{len(items) - 1}].upper", items[-1].upper, "the last bracket is unbounded")
    return items


def tier_edge(target_minor: int, attainment: Decimal) -> int:
    """Where an attainment edge falls in money, in minor units: target x edge, rounded half-even, once."""
    return round(Fraction(attainment) * target_minor)


@frozen
class Tier:
    """A stretch of credit, in minor units from `start_minor` (inclusive) to `end_minor` (exclusive;
    None: no limit), paid at `rate`; `label` names its bracket and the multipliers in its rate."""

    start_minor: int
    end_minor: int | None
    rate: Decimal
    label: str

    def contains(self, minor: int) -> bool:
        return self.start_minor <= minor and (self.end_minor is None or minor < self.end_minor)


@frozen
class Decelerator:
    """Below `floor` attainment the rate is multiplied by `factor` (between 0 and 1)."""

    floor: Decimal = field(converter=_decelerator_floor)
    factor: Decimal = field(converter=_decelerator_factor)

    def __attrs_post_init__(self) -> None:
        if self.factor > 1:
            raise ValidationError("decelerator.factor", self.factor, "must be at most 1")


@frozen
class ProductBonus:
    """An extra rate on credit for deals of a named product."""

    product: str
    rate: Decimal = field(converter=_product_bonus_rate)


@frozen
class PeriodBonus:
    """An extra rate on credit dated in [start, end) (a SPIF)."""

    start: date
    end: date
    rate: Decimal = field(converter=_period_bonus_rate)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError("period_bonus.end", self.end, f"must be after {self.start}")


@define(kw_only=True)
class CommissionPlan(Aggregate):
    """How reps are paid: brackets over attainment, accelerators, caps, bonuses and the clawback window."""

    name: str
    currency: Currency
    mode: TierMode
    brackets: tuple[Bracket, ...]
    payout_basis: PayoutBasis = PayoutBasis.BOOKING
    accelerator: Decimal | None = None
    decelerator: Decelerator | None = None
    cap: Money | None = None
    product_bonuses: tuple[ProductBonus, ...] = ()
    period_bonuses: tuple[PeriodBonus, ...] = ()
    clawback_days: int = 0

    @classmethod
    def create(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        name: str,
        currency: str | Currency,
        mode: TierMode | str = TierMode.FLAT,
        rate: Decimal | str | int | None = None,
        brackets: Sequence[Bracket] = (),
        payout_basis: PayoutBasis | str = PayoutBasis.BOOKING,
        accelerator: Decimal | str | int | None = None,
        decelerator: Decelerator | None = None,
        cap: Money | None = None,
        product_bonuses: Sequence[ProductBonus] = (),
        period_bonuses: Sequence[PeriodBonus] = (),
        clawback_days: int = 0,
    ) -> CommissionPlan:
        """A plan: FLAT takes `rate`; MARGINAL and RETROACTIVE take `brackets`."""
        check_id("id", id)
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("name", name, "must be a non-empty str")
        cur = Currency.of(currency)
        mode = choice(TierMode, mode, "mode")
        payout_basis = choice(PayoutBasis, payout_basis, "payout_basis")
        if mode is TierMode.FLAT:
            if rate is None or brackets:
                raise ValidationError("rate", rate, "a flat plan takes one rate and no brackets")
            checked: tuple[Bracket, ...] = (Bracket(0, None, rate),)
        else:
            if rate is not None:
                raise ValidationError("rate", rate, "a tiered plan takes brackets, not one rate")
            checked = check_brackets(brackets)
        accel = None if accelerator is None else to_decimal(accelerator, "accelerator")
        if accel is not None and accel < 1:
            raise ValidationError("accelerator", accelerator, "must be at least 1")
        if cap is not None:
            if not isinstance(cap, Money) or cap.is_negative():
                raise ValidationError("cap", cap, "expected non-negative Money")
            if cap.currency is not cur:
                raise CurrencyMismatch("cap", cur.code, cap.currency.code)
        if isinstance(clawback_days, bool) or not isinstance(clawback_days, int) or clawback_days < 0:
            raise ValidationError("clawback_days", clawback_days, "must be a whole number of days, at least 0")
        return cls(
            tenant_id=tenant_id,
            id=id,
            name=name,
            currency=cur,
            mode=mode,
            brackets=checked,
            payout_basis=payout_basis,
            accelerator=accel,
            decelerator=decelerator,
            cap=cap,
            product_bonuses=tuple(product_bonuses),
            period_bonuses=tuple(period_bonuses),
            clawback_days=clawback_days,
        )

    @property
    def needs_target(self) -> bool:
        return self.mode is not TierMode.FLAT or self.accelerator is not None or self.decelerator is not None

    def tiers(self, target: Money | None) -> tuple[Tier, ...]:
        """The plan's tiers for a target: where each starts and ends in money, its rate and its label.

        This is the one definition every mode pays by. The attainment edges are the brackets' lower
        bounds, 100% when there is an accelerator and the decelerator's floor; each falls at
        target x edge rounded half-even to the minor unit (`tier_edge`), and a tier runs from its
        edge (inclusive) to the next one (exclusive). A tier lies inside one bracket and wholly on
        one side of each multiplier's edge, so its rate is the bracket's rate times the multipliers
        its label names. Tiers narrower than a minor unit are empty and left out.
        """
        if not self.needs_target:
            (bracket,) = self.brackets
            return (Tier(0, None, bracket.rate, bracket.label),)
        target_minor = self._checked_target(target)
        edges = {b.lower for b in self.brackets}
        if self.accelerator is not None:
            edges.add(Decimal(1))
        if self.decelerator is not None:
            edges.add(self.decelerator.floor)
        lowers = sorted(edges)
        out = []
        for i, lower in enumerate(lowers):
            upper = lowers[i + 1] if i + 1 < len(lowers) else None
            start = tier_edge(target_minor, lower)
            end = None if upper is None else tier_edge(target_minor, upper)
            if end is not None and end <= start:
                continue
            bracket = next(b for b in self.brackets if b.lower <= lower and (b.upper is None or lower < b.upper))
            rate, label = bracket.rate, bracket.label
            if self.accelerator is not None and lower >= 1:
                rate, label = EXACT.multiply(rate, self.accelerator), f"{label} x{_plain(self.accelerator)} from 100%"
            if self.decelerator is not None and upper is not None and upper <= self.decelerator.floor:
                factor, floor = self.decelerator.factor, _percent(self.decelerator.floor)
                rate, label = EXACT.multiply(rate, factor), f"{label} x{_plain(factor)} below {floor}"
            out.append(Tier(start, end, rate, label))
        return tuple(out)

    def _checked_target(self, target: Money | None) -> int:
        if target is None or not target.amount > 0:
            raise ValidationError("target", target, f"plan {self.name!r} is tiered by attainment: needs a target")
        if target.currency is not self.currency:
            raise CurrencyMismatch("target", self.currency.code, target.currency.code)
        return target.to_minor()

    def earnings(self, credits: Sequence[Credit], target: Money | None) -> list[_Earning]:
        """Exact (unrounded) earnings per slice of credit, in minor units, in credit order."""
        if not credits:
            return []
        tiers = self.tiers(target)
        if self.mode is TierMode.RETROACTIVE:
            return self._retroactive(credits, tiers)
        return self._marginal(credits, tiers)

    @staticmethod
    def _marginal(credits: Sequence[Credit], tiers: tuple[Tier, ...]) -> list[_Earning]:
        """Each slice of credit at the rate of the tier it falls in (a credit crossing an edge is cut there)."""
        out: list[_Earning] = []
        position = 0
        for c in credits:
            start, end = position, position + c.amount.to_minor()
            position = end
            for tier in tiers:
                lo, hi = max(start, tier.start_minor), end if tier.end_minor is None else min(end, tier.end_minor)
                if hi > lo:
                    out.append(_Earning(c, hi - lo, tier.rate, tier.label, LineKind.COMMISSION))
        return out

    @staticmethod
    def _retroactive(credits: Sequence[Credit], tiers: tuple[Tier, ...]) -> list[_Earning]:
        """Every credit at the rate of the tier the whole credited amount reaches."""
        credited = sum(c.amount.to_minor() for c in credits)
        reached = next(t for t in tiers if t.contains(credited))
        label = f"{reached.label} (reached)"
        return [_Earning(c, c.amount.to_minor(), reached.rate, label, LineKind.COMMISSION) for c in credits]

    def bonuses(self, credits: Sequence[Credit]) -> list[_Earning]:
        out = []
        for c in credits:
            for pb in self.product_bonuses:
                if c.product == pb.product:
                    out.append(_Earning(c, c.amount.to_minor(), pb.rate, f"product {pb.product}", LineKind.BONUS))
            for sb in self.period_bonuses:
                if sb.start <= c.credited_on < sb.end:
                    out.append(_Earning(c, c.amount.to_minor(), sb.rate, f"SPIF {sb.start}..{sb.end}", LineKind.BONUS))
        return out


@frozen
class Credit:
    """One amount credited to the rep: a deal booked (its share of it) or a payment collected."""

    deal_id: str
    credited_on: date
    amount: Money
    product: str | None = None


@frozen
class _Earning:
    credit: Credit
    base_minor: int
    rate: Decimal
    bracket: str
    kind: LineKind

    @property
    def exact(self) -> Decimal:
        return EXACT.multiply(Decimal(self.base_minor), self.rate)


def _credit_day(record: Any, name: str) -> date | None:
    value = field_of(record, name)
    if value is None:
        return None
    return utc(value, name).date() if isinstance(value, datetime) else value


def _rep_share(record: Any, rep_id: str) -> Money | None:
    shares = field_of(record, "splits", None) or {field_of(record, "owner_id"): 1}
    if rep_id not in shares:
        return None
    part = split_credit(field_of(record, "amount"), shares)[rep_id]
    assert isinstance(part, Money)
    return part


def _credits(
    rep_id: str, records: Iterable[Any], period: Period, *, when: str, deal: str, won_only: bool
) -> list[Credit]:
    out = []
    for record in records:
        if won_only and str(field_of(record, "status")) != "won":
            continue
        day = _credit_day(record, when)
        share = _rep_share(record, rep_id)
        if day is None or share is None or not period.contains(day):
            continue
        out.append(Credit(str(field_of(record, deal)), day, share, field_of(record, "product", None)))
    return sorted(out, key=lambda c: (c.credited_on, c.deal_id))


def credits_from_bookings(rep_id: str, opportunities: Iterable[Any], period: Period) -> list[Credit]:
    """The rep's credit for deals won in the period (their share when a deal has `splits`)."""
    return _credits(rep_id, opportunities, period, when="closed_at", deal="id", won_only=True)


def credits_from_payments(rep_id: str, payments: Iterable[Any], period: Period) -> list[Credit]:
    """The rep's credit for cash received in the period (records with deal_id, received_at, amount, owner_id)."""
    return _credits(rep_id, payments, period, when="received_at", deal="deal_id", won_only=False)


# -- statements ----------------------------------------------------------------------------------


@frozen
class StatementLine:
    """One line of a statement: what it is for, on which base, at which rate and bracket."""

    kind: LineKind
    deal_id: str | None
    credited_on: date | None
    base: Money
    rate: Decimal | None
    bracket: str
    amount: Money


@define(kw_only=True)
class CommissionAdjustment(Aggregate):
    """A clawback waiting to be deducted, or deducted already (`deducted_in`: the statement that did).

    It is deducted by the first statement issued for its rep and plan whose period does not end
    before `effective_on`: normally the statement of the period it happened in, or the next one
    issued when that one was issued already.
    """

    rep_id: str
    plan_id: str
    deal_id: str
    amount: Money
    effective_on: date
    reason: str
    source_statement_id: str
    deducted_in: str | None = None


@define(kw_only=True)
class CommissionStatement(Aggregate, Result):
    """What a rep earned under a plan in a period, line by line; total is the sum of the lines."""

    rep_id: str
    plan_id: str
    period: Period
    target: Money | None
    credited: Money
    attainment: Decimal | None
    lines: list[StatementLine]
    total: Money

    def paid_by_deal(self) -> dict[str, Money]:
        """Commission and bonuses per deal, after the cap (shared over deals in proportion)."""
        earned: dict[str, int] = {}
        for line in self.lines:
            if line.kind in (LineKind.COMMISSION, LineKind.BONUS) and line.deal_id is not None:
                earned[line.deal_id] = earned.get(line.deal_id, 0) + line.amount.to_minor()
        cap = sum(line.amount.to_minor() for line in self.lines if line.kind is LineKind.CAP)
        cur = self.total.currency
        if cap and any(earned.values()):
            kept = allocate_minor(sum(earned.values()) + cap, [Decimal(v) for v in earned.values()])
            return {d: Money.from_minor(k, cur) for d, k in zip(earned, kept, strict=True)}
        return {d: Money.from_minor(v, cur) for d, v in earned.items()}

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "kind": line.kind.value,
                "deal_id": line.deal_id,
                "credited_on": line.credited_on,
                "base": line.base.amount,
                "rate": line.rate,
                "bracket": line.bracket,
                "amount": line.amount.amount,
                "currency": line.amount.currency.code,
            }
            for line in self.lines
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [
                line.kind.value,
                line.deal_id or "",
                line.credited_on or "",
                line.base.format(),
                "" if line.rate is None else f"{(line.rate * 100).normalize():f}%",
                line.bracket,
                line.amount.format(),
            ]
            for line in self.lines
        ]
        rows.append(["total", "", "", "", "", "", self.total.format()])
        target = "no target" if self.target is None else f"target {self.target.format()}"
        title = (
            f"Commission statement {self.rep_id} {self.period} ({self.plan_id}): credited {self.credited.format()}, "
            f"{target}, attainment {pct(self.attainment)}"
        )
        return ["line", "deal", "date", "base", "rate", "bracket", "amount"], rows, title

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def commission_statement(
    plan: CommissionPlan,
    rep_id: str,
    period: Period,
    credits: Sequence[Credit],
    *,
    target: Money | None = None,
    adjustments: Sequence[CommissionAdjustment] = (),
    id: str | None = None,
) -> CommissionStatement:
    """Compute a statement (pure: persisting it is the caller's choice)."""
    check_id("rep_id", rep_id)
    credits = sorted(credits, key=lambda c: (c.credited_on, c.deal_id))
    for i, c in enumerate(credits):
        if c.amount.currency is not plan.currency:
            raise CurrencyMismatch(f"credits[{i}].amount", plan.currency.code, c.amount.currency.code)
        if c.amount.is_negative():
            raise ValidationError(f"credits[{i}].amount", c.amount, "credit cannot be negative")
    paying = [c for c in credits if not c.amount.is_zero()]
    earnings = plan.earnings(paying, target) + plan.bonuses(paying)
    exact_total = sum((e.exact for e in earnings), Decimal(0))
    total_minor = round(Fraction(exact_total))  # half-even, once
    weights = [e.exact for e in earnings]
    amounts = allocate_minor(total_minor, weights) if any(weights) else [0] * len(earnings)
    cur = plan.currency
    lines = [
        StatementLine(
            e.kind,
            e.credit.deal_id,
            e.credit.credited_on,
            Money.from_minor(e.base_minor, cur),
            e.rate,
            e.bracket,
            Money.from_minor(a, cur),
        )
        for e, a in zip(earnings, amounts, strict=True)
    ]
    if plan.cap is not None and total_minor > plan.cap.to_minor():
        earned = Money.from_minor(total_minor, cur)
        lines.append(
            StatementLine(LineKind.CAP, None, None, earned, None, f"cap {plan.cap.format()}", plan.cap - earned)
        )
    for adj in adjustments:
        if adj.rep_id != rep_id or adj.plan_id != plan.id or adj.effective_on >= period.end:
            reason = f"does not belong to {rep_id}/{plan.id} by the end of {period}"
            raise ValidationError("adjustments", adj.id, reason)
        lines.append(
            StatementLine(
                LineKind.CLAWBACK, adj.deal_id, adj.effective_on, -adj.amount, None, _adjusting(adj, period), adj.amount
            )
        )
    credited = Money.total((c.amount for c in credits), cur)
    return CommissionStatement(
        tenant_id=plan.tenant_id,
        id=id or f"{plan.id}:{rep_id}:{period.label}",
        rep_id=rep_id,
        plan_id=plan.id,
        period=period,
        target=target,
        credited=credited,
        attainment=None if target is None else ratio(credited.to_minor(), target.to_minor()),
        lines=lines,
        total=Money.total((line.amount for line in lines), cur),
    )


def _adjusting(adjustment: CommissionAdjustment, period: Period) -> str:
    """The line's text: the reason, and for a clawback from an earlier period, that period."""
    if period.contains(adjustment.effective_on):
        return adjustment.reason
    happened = Period.containing(adjustment.effective_on, period.kind, start_month=period.start.month)
    return f"{adjustment.reason}, adjusts {happened.label}"


# -- clawbacks -----------------------------------------------------------------------------------


def _reason(value: str) -> ClawbackReason:
    return choice(ClawbackReason, value, "reason")


def _won_at(value: object) -> datetime:
    return utc(value, "won_at")


class ClawbackReason(enum.StrEnum):
    """Why commission is taken back: a refund, or a churn inside the clawback window."""

    REFUND = "refund"
    CHURN = "churn"


@frozen(kw_only=True)
class ClawbackRequested(DomainEvent):
    """Sent (by the bridge) when a deal's money goes back or its customer churns.

    `refunded` is the part of `deal_amount` that was refunded (None: the whole deal is clawed
    back, as for churn). `won_at` starts the plan's clawback window.
    """

    deal_id: str
    reason: ClawbackReason = field(converter=_reason)
    won_at: datetime = field(converter=_won_at)
    refunded: Money | None = None
    deal_amount: Money | None = None


@frozen(kw_only=True)
class ClawbackApplied(DomainEvent):
    """Event: a clawback was deducted on a commission statement."""

    adjustment_id: str
    rep_id: str
    deal_id: str
    amount: Money


def clawback_amount(paid: Money, request: ClawbackRequested, taken: Money | None = None) -> Money:
    """The negative adjustment for a deal: all it paid, or the refunded share of it (allocated exactly),
    never more than what is left of `paid` after the clawbacks `taken` already (a negative amount)."""
    left = paid if taken is None else paid + taken
    if left.is_negative():
        raise ValidationError("taken", taken, f"takes back more than the {paid} paid")
    if request.refunded is None:
        return -left
    if request.deal_amount is None or not request.deal_amount.amount > 0:
        raise ValidationError("deal_amount", request.deal_amount, "a partial refund needs the deal amount")
    refunded, whole = request.refunded, request.deal_amount
    if refunded.currency is not whole.currency:
        raise CurrencyMismatch("refunded", whole.currency.code, refunded.currency.code)
    if refunded.is_negative() or refunded > whole:
        raise ValidationError("refunded", refunded, f"must be between 0 and the deal amount {whole}")
    if paid.is_zero():
        return paid
    share = paid.allocate([refunded.amount, (whole - refunded).amount])[0]
    return -min(share, left)


def clawback_key(request: ClawbackRequested) -> str:
    """The business key a clawback is handled once by: deal, reason, date and refunded amount."""
    amount = "all" if request.refunded is None else f"{request.refunded.amount}{request.refunded.currency.code}"
    return f"{request.deal_id}:{request.reason.value}:{request.occurred_at.date().isoformat()}:{amount}"
