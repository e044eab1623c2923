"""Closed-loop analytics: how the customers each rep, source, pipeline, deal size and sales cycle
brought in fare afterwards (NPS, retention, churn, NRR/GRR, lifetime value, LTV:CAC), and
attainment counted only for bookings whose customers are still active N days after the close."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from attrs import frozen

from bizrel.bridge.model import Handoff
from bizrel.bridge.ports import BridgeUnitOfWork
from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.money import Currency, Money
from bizrel.core.numbers import ratio
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.customer import RenewalStatus

__all__ = [
    "ClosedLoopLine",
    "ClosedLoopReport",
    "DealOutcome",
    "GroupFigures",
    "band_labels",
    "closed_loop_report",
    "deal_outcomes",
    "report_from_figures",
    "single_currency",
]

DIMENSIONS = ("rep", "source", "pipeline", "size", "cycle")


@frozen(kw_only=True)
class DealOutcome:
    """One won deal and what became of its customer: the revenue of each term and whether it churned."""

    opportunity_id: str
    customer_id: str
    rep: str
    source: str
    pipeline: str
    amount: Money
    opened_at: datetime
    closed_at: datetime
    terms: tuple[Money, ...]
    churned_at: datetime | None = None
    nps: int | None = None

    @property
    def cycle_days(self) -> int:
        return (self.closed_at - self.opened_at) // timedelta(days=1)

    @property
    def current(self) -> Money:
        """Recurring revenue now: the latest term's amount, or zero once churned."""
        return Money.zero(self.amount.currency) if self.churned_at is not None else self.terms[-1]

    def active_after(self, days: int) -> bool:
        return self.churned_at is None or self.churned_at > self.closed_at + timedelta(days=days)


@frozen(kw_only=True)
class ClosedLoopLine:
    """One group's line of the closed-loop report: its won deals and what became of the customers."""

    group: str
    deals: int
    retained: int
    retention: Decimal | None
    churn: Decimal | None
    nps: Decimal | None
    grr: Decimal | None
    nrr: Decimal | None
    ltv: Money
    bookings: Money
    quality_bookings: Money
    quality_attainment: Decimal | None
    ltv_to_cac: Decimal | None


_HEADERS = (
    "group", "deals", "retained", "retention", "churn", "nps", "grr", "nrr", "ltv (avg)",
    "bookings", "quality bookings", "quality %", "ltv:cac",
)  # fmt: skip


@frozen(kw_only=True)
class ClosedLoopReport(Result):
    """Won deals followed into customer success, per rep or source: retention, NPS, GRR/NRR, LTV beside bookings."""

    by: str
    quality_days: int
    lines: tuple[ClosedLoopLine, ...]

    def line(self, group: str) -> ClosedLoopLine:
        for line in self.lines:
            if line.group == group:
                return line
        raise ValidationError("group", group, f"not a group of this report by {self.by}")

    def to_rows(self) -> list[dict[str, object]]:
        return [dict(zip(_HEADERS, self._cells(line), strict=True)) for line in self.lines]

    @staticmethod
    def _cells(line: ClosedLoopLine) -> tuple[object, ...]:
        return (
            line.group, line.deals, line.retained, line.retention, line.churn, line.nps, line.grr, line.nrr,
            line.ltv, line.bookings, line.quality_bookings, line.quality_attainment, line.ltv_to_cac,
        )  # fmt: skip

    @staticmethod
    def _shown(line: ClosedLoopLine) -> tuple[object, ...]:
        """The cells as people read them: money formatted, shares as percentages, LTV:CAC as a multiple."""

        def pct(value: Decimal | None) -> str:
            return "-" if value is None else f"{value * 100:.1f}%"

        return (
            line.group, line.deals, line.retained, pct(line.retention), pct(line.churn),
            "-" if line.nps is None else f"{line.nps:.0f}", pct(line.grr), pct(line.nrr), line.ltv.format(),
            line.bookings.format(), line.quality_bookings.format(), pct(line.quality_attainment),
            "-" if line.ltv_to_cac is None else f"{line.ltv_to_cac:.2f}x",
        )  # fmt: skip

    def __str__(self) -> str:
        title = f"closed loop by {self.by} (quality = active {self.quality_days} days after close)"
        return text_table(_HEADERS, [self._shown(line) for line in self.lines], title=title)

    def _repr_html_(self) -> str:
        return html_table(_HEADERS, [self._shown(line) for line in self.lines], title=f"closed loop by {self.by}")


def band_labels(bands: Sequence[object], unit: str) -> list[str]:
    """The label of each band below an edge, then the open band at and above the last edge."""
    lows: list[object] = [Decimal(0), *bands]
    return [f"{low}-{high}{unit}" for low, high in zip(lows, bands, strict=False)] + [f">={lows[-1]}{unit}"]


def _band(value: Decimal, bands: Sequence[Decimal], unit: str) -> str:
    labels = band_labels(bands, unit)
    for i, high in enumerate(bands):
        if value < high:
            return labels[i]
    return labels[-1]


def _grouper(by: str, size_bands: Sequence[Decimal], cycle_bands: Sequence[int]) -> Callable[[DealOutcome], str]:
    if by == "rep":
        return lambda d: d.rep
    if by == "source":
        return lambda d: d.source
    if by == "pipeline":
        return lambda d: d.pipeline
    if by == "size":
        return lambda d: _band(d.amount.amount, size_bands, "")
    if by == "cycle":
        return lambda d: _band(Decimal(d.cycle_days), [Decimal(c) for c in cycle_bands], "d")
    raise ValidationError("by", by, f"one of {', '.join(DIMENSIONS)}")


@frozen(kw_only=True)
class GroupFigures:
    """The exact sums and counts of one group that every line figure is finished from: deals,
    retained deals, first-term, current, kept (current capped at the first term), lifetime, booked
    and quality-booked revenue in minor units, and the NPS responders (each customer once),
    promoters and detractors."""

    deals: int
    retained: int
    start_minor: int
    current_minor: int
    kept_minor: int
    lifetime_minor: int
    bookings_minor: int
    quality_minor: int
    responders: int
    promoters: int
    detractors: int


def _figures(deals: Sequence[DealOutcome], quality_days: int) -> GroupFigures:
    currency = deals[0].amount.currency

    def minor(amounts: Iterable[Money]) -> int:
        return Money.total(amounts, currency).to_minor()

    by_customer = {d.customer_id: d.nps for d in deals if d.nps is not None}
    scores = list(by_customer.values())
    return GroupFigures(
        deals=len(deals),
        retained=sum(1 for d in deals if d.churned_at is None),
        start_minor=minor(d.terms[0] for d in deals),
        current_minor=minor(d.current for d in deals),
        kept_minor=minor(min(d.current, d.terms[0]) for d in deals),
        lifetime_minor=minor(t for d in deals for t in d.terms),
        bookings_minor=minor(d.amount for d in deals),
        quality_minor=minor(d.amount for d in deals if d.active_after(quality_days)),
        responders=len(scores),
        promoters=sum(1 for s in scores if s >= 9),
        detractors=sum(1 for s in scores if s <= 6),
    )


def _line(group: str, f: GroupFigures, currency: Currency, cost: Money | None) -> ClosedLoopLine:
    start = Money.from_minor(f.start_minor, currency)
    lifetime = Money.from_minor(f.lifetime_minor, currency)
    bookings = Money.from_minor(f.bookings_minor, currency)
    quality = Money.from_minor(f.quality_minor, currency)
    share = ratio(f.promoters - f.detractors, f.responders)
    return ClosedLoopLine(
        group=group,
        deals=f.deals,
        retained=f.retained,
        retention=ratio(f.retained, f.deals),
        churn=ratio(f.deals - f.retained, f.deals),
        nps=None if share is None else share * 100,
        grr=ratio(Money.from_minor(f.kept_minor, currency).amount, start.amount),
        nrr=ratio(Money.from_minor(f.current_minor, currency).amount, start.amount),
        ltv=lifetime.multiply(Decimal(1) / Decimal(f.deals)),
        bookings=bookings,
        quality_bookings=quality,
        quality_attainment=ratio(quality.amount, bookings.amount),
        ltv_to_cac=None if cost is None else ratio(lifetime.amount, cost.amount),
    )


def report_from_figures(
    by: str,
    quality_days: int,
    currency: Currency | None,
    figures: Mapping[str, GroupFigures],
    costs: Mapping[str, Money] | None,
) -> ClosedLoopReport:
    """The report from each group's exact figures (shared by the reference and the SQL paths)."""
    costs = costs or {}
    lines: tuple[ClosedLoopLine, ...] = ()
    if currency is not None:
        lines = tuple(_line(g, figures[g], currency, costs.get(g)) for g in sorted(figures))
    return ClosedLoopReport(by=by, quality_days=quality_days, lines=lines)


def single_currency(codes: Iterable[str]) -> Currency | None:
    """The one currency of all amounts and terms (None for no deals); several are refused."""
    found = sorted(set(codes))
    if len(found) > 1:
        raise CurrencyMismatch("currency", found[0], found[1])
    return Currency.of(found[0]) if found else None


def closed_loop_report(
    deals: Iterable[DealOutcome],
    *,
    by: str = "rep",
    quality_days: int = 90,
    costs: Mapping[str, Money] | None = None,
    size_bands: Sequence[Decimal] = (Decimal(10_000), Decimal(50_000)),
    cycle_bands: Sequence[int] = (30, 90),
) -> ClosedLoopReport:
    """Group won deals by a dimension; `costs` (acquisition cost per group) adds LTV:CAC.

    NRR = current recurring revenue / first-term revenue; GRR caps each deal at its first term;
    lifetime value is the revenue of all terms so far, averaged per deal. All amounts and terms
    must be in one currency.
    """
    key = _grouper(by, size_bands, cycle_bands)
    groups: dict[str, list[DealOutcome]] = {}
    for deal in deals:
        groups.setdefault(key(deal), []).append(deal)
    currency = single_currency(
        m.currency.code for group in groups.values() for d in group for m in (d.amount, *d.terms)
    )
    figures = {g: _figures(group, quality_days) for g, group in groups.items()}
    return report_from_figures(by, quality_days, currency, figures, costs)


def _outcome(uow: BridgeUnitOfWork, handoff: Handoff, as_of: datetime) -> DealOutcome:
    terms = []
    churned_at = None
    term = uow.subscriptions.find(handoff.subscription_id)
    while term is not None:
        terms.append(term.amount)
        if term.status is RenewalStatus.CHURNED and term.closed_at is not None and term.closed_at <= as_of:
            churned_at = term.closed_at
        term = uow.subscriptions.find(term.next_id) if term.next_id else None
    nps = uow.customers.get(handoff.customer_id).attributes.get("nps")
    return DealOutcome(
        opportunity_id=handoff.opportunity_id,
        customer_id=handoff.customer_id,
        rep=handoff.roles.sales_owner_id,
        source=handoff.source or "unknown",
        pipeline=handoff.pipeline_id,
        amount=handoff.amount,
        opened_at=handoff.opened_at,
        closed_at=handoff.closed_at,
        terms=tuple(terms) or (handoff.amount,),
        churned_at=churned_at,
        nps=nps if isinstance(nps, int) and not isinstance(nps, bool) else None,
    )


def deal_outcomes(uow: BridgeUnitOfWork, as_of: datetime | None = None) -> list[DealOutcome]:
    """Every handed-over deal with its customer's terms, churn and NPS (attribute "nps") as of now."""
    when = uow.clock.now() if as_of is None else as_of
    return [_outcome(uow, h, when) for h in uow.handoffs.list(order_by="closed_at")]
