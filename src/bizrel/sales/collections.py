"""Contracts and payment collection (回款): payment plans, invoices, payments, aging, DSO.

A contract comes from a won deal and carries its payment plan. Payments are facts; how each one
was applied to instalments is recorded with it, and everything else (what is paid, outstanding,
overdue, the credit held from overpayments) is derived from those facts, never stored twice.
Amounts "as of" a day count every payment received up to the end of that day.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from attrs import define, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import CurrencyMismatch, IdempotencyConflict, InvariantViolation, NotFound, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import Currency, Money
from bizrel.core.numbers import ratio, round_fraction
from bizrel.core.periods import Period, add_months
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.sales.attainment import field_of, pct
from bizrel.sales.targets import check_weights

__all__ = [
    "AGING_BUCKETS",
    "AgingReport",
    "AgingRow",
    "Application",
    "CollectionCycleReport",
    "CollectionPerformance",
    "CollectionPerformanceRow",
    "Contract",
    "ContractCreated",
    "ContractFullyPaid",
    "Instalment",
    "InstalmentOverdue",
    "InstalmentStatus",
    "InstalmentVoided",
    "Invoice",
    "Payment",
    "PaymentReceived",
    "PaymentRecord",
    "Reminder",
    "aging",
    "collection_cycle",
    "collection_performance",
    "dso",
    "dso_count_back",
    "dso_standard",
]

CREDIT = "credit"  # payment_id of an application drawn from held credit
REMINDER_LEVELS = (1, 30, 60, 90)


class InstalmentStatus(enum.StrEnum):
    """Where an instalment stands: pending, partly paid, paid, overdue or void."""

    PENDING = "pending"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"


@frozen
class Instalment:
    """One instalment of a contract: its number, amount and due date."""

    number: int
    due: date
    amount: Money
    voided_at: datetime | None = None


@frozen
class Invoice:
    """An invoice issued for an instalment."""

    id: str
    instalment: int
    issued_on: date
    amount: Money


@frozen
class Payment:
    """A payment received on a contract, with the instalments it was applied to."""

    id: str
    received_at: datetime
    amount: Money
    reference: str = ""


@frozen
class Application:
    """`amount` of payment `payment_id` (or of held credit) went to instalment `instalment` at `at`."""

    payment_id: str
    instalment: int
    amount: Money
    at: datetime


@frozen
class Reminder:
    """An overdue reminder sent for an instalment at a level (days overdue), kept so that each is sent once."""

    instalment: int
    level: int
    sent_on: date


@frozen
class PaymentRecord:
    """A payment as a plain record for collections actuals and pay-on-collection commissions."""

    deal_id: str
    contract_id: str
    owner_id: str
    received_at: datetime
    amount: Money


@frozen(kw_only=True)
class ContractCreated(DomainEvent):
    """Event: a contract was created for a won deal."""

    contract_id: str
    opportunity_id: str
    owner_id: str
    amount: Money


@frozen(kw_only=True)
class PaymentReceived(DomainEvent):
    """Event: a payment was received on a contract."""

    contract_id: str
    payment_id: str
    owner_id: str
    amount: Money
    held_as_credit: Money


@frozen(kw_only=True)
class InstalmentVoided(DomainEvent):
    """Event: an instalment was voided, with the reason."""

    contract_id: str
    instalment: int
    reason: str


@frozen(kw_only=True)
class InstalmentOverdue(DomainEvent):
    """A reminder: an instalment is `days_overdue` days late (sent once per level: 1, 30, 60, 90)."""

    contract_id: str
    owner_id: str
    account_name: str
    instalment: int
    due: date
    days_overdue: int
    level: int
    outstanding: Money


@frozen(kw_only=True)
class ContractFullyPaid(DomainEvent):
    """Event: every instalment of a contract is paid."""

    contract_id: str
    owner_id: str
    cycle_days: int


def _end_of(day: date | None) -> datetime | None:
    """The instant after the last moment of a day (UTC): 'as of a day' includes the whole day."""
    if day is None:
        return None
    return _midnight(day) + timedelta(days=1)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@define(kw_only=True)
class Contract(Aggregate):
    """A signed deal with its payment plan, invoices and the payments received against it."""

    opportunity_id: str
    owner_id: str
    account_name: str
    amount: Money
    won_at: datetime
    instalments: list[Instalment]
    invoices: list[Invoice]
    payments: list[Payment]
    applications: list[Application]
    reminders: list[Reminder]
    fully_paid_at: datetime | None = None

    @classmethod
    def from_opportunity(
        cls,
        opportunity: Any,
        *,
        tenant_id: TenantId,
        id: str,
        shares: Sequence[Decimal | int | str],
        anchor: date,
        every_months: int = 1,
    ) -> Contract:
        """A contract for a won deal (an Opportunity or a record with id, owner_id, account_name,
        amount, status, closed_at) paid in instalments: amounts split exactly by `shares`, the
        n-th due `n * every_months` months after `anchor` (computed from the anchor, never chained)."""
        check_id("id", id)
        if str(field_of(opportunity, "status")) != "won":
            raise InvariantViolation("status", str(field_of(opportunity, "status")), "only a won deal gets a contract")
        amount = field_of(opportunity, "amount")
        if not isinstance(amount, Money) or not amount.amount > 0:
            raise ValidationError("amount", amount, "a contract needs a positive Money amount")
        if isinstance(every_months, bool) or not isinstance(every_months, int) or every_months < 0:
            raise ValidationError("every_months", every_months, "must be a whole number of at least 0")
        if not isinstance(anchor, date) or isinstance(anchor, datetime):
            raise ValidationError("anchor", anchor, "expected a date")
        weights = check_weights({str(i): s for i, s in enumerate(shares)}, "shares")
        parts = amount.allocate(list(weights.values()))
        won_at = utc(field_of(opportunity, "closed_at"), "closed_at")
        contract = cls(
            tenant_id=tenant_id,
            id=id,
            opportunity_id=str(field_of(opportunity, "id")),
            owner_id=str(field_of(opportunity, "owner_id")),
            account_name=str(field_of(opportunity, "account_name")),
            amount=amount,
            won_at=won_at,
            instalments=[Instalment(n + 1, add_months(anchor, n * every_months), part) for n, part in enumerate(parts)],
            invoices=[],
            payments=[],
            applications=[],
            reminders=[],
        )
        contract.record(
            ContractCreated(
                tenant_id=tenant_id,
                occurred_at=won_at,
                contract_id=id,
                opportunity_id=contract.opportunity_id,
                owner_id=contract.owner_id,
                amount=amount,
            )
        )
        return contract

    @property
    def currency(self) -> Currency:
        return self.amount.currency

    # -- derived state ------------------------------------------------------------------------

    def instalment(self, number: int) -> Instalment:
        for inst in self.instalments:
            if inst.number == number:
                return inst
        raise NotFound("instalment", number)

    def paid(self, number: int, as_of: date | None = None) -> Money:
        until = _end_of(as_of)
        return Money.total(
            (a.amount for a in self.applications if a.instalment == number and (until is None or a.at < until)),
            self.currency,
        )

    def outstanding(self, number: int, as_of: date | None = None) -> Money:
        inst = self.instalment(number)
        if inst.voided_at is not None:
            return Money.zero(self.currency)
        return inst.amount - self.paid(number, as_of)

    def status(self, number: int, as_of: date) -> InstalmentStatus:
        """Derived from the payments: void, paid, overdue (past due and not fully paid), partly paid, pending."""
        inst = self.instalment(number)
        if inst.voided_at is not None:
            return InstalmentStatus.VOID
        left = self.outstanding(number, as_of)
        if left.is_zero():
            return InstalmentStatus.PAID
        if inst.due < as_of:
            return InstalmentStatus.OVERDUE
        if left != inst.amount:
            return InstalmentStatus.PARTLY_PAID
        return InstalmentStatus.PENDING

    def credit(self, as_of: date | None = None) -> Money:
        """Money received but not applied to any instalment (overpayments), held for the customer."""
        until = _end_of(as_of)
        received = Money.total(
            (p.amount for p in self.payments if until is None or p.received_at < until), self.currency
        )
        applied = Money.total((a.amount for a in self.applications if until is None or a.at < until), self.currency)
        return received - applied

    def is_billed(self, number: int) -> bool:
        return any(i.instalment == number for i in self.invoices)

    def billed_on(self, number: int) -> date:
        """The day an instalment became receivable: its invoice date, or its due date if that came first."""
        inst = self.instalment(number)
        return min([inst.due, *(i.issued_on for i in self.invoices if i.instalment == number)])

    def receivables(self, as_of: date) -> list[tuple[Instalment, Money]]:
        """Open receivables on a day: unpaid parts of live instalments billed by then (invoiced or due)."""
        until = _end_of(as_of)
        assert until is not None
        paid: dict[int, int] = {}
        for a in self.applications:
            if a.at < until:
                paid[a.instalment] = paid.get(a.instalment, 0) + a.amount.to_minor()
        invoiced: dict[int, date] = {}
        for invoice in self.invoices:
            invoiced[invoice.instalment] = min(invoice.issued_on, invoiced.get(invoice.instalment, invoice.issued_on))
        out = []
        for inst in self.instalments:
            if inst.voided_at is not None or min(inst.due, invoiced.get(inst.number, inst.due)) > as_of:
                continue
            left = inst.amount.to_minor() - paid.get(inst.number, 0)
            if left > 0:
                out.append((inst, Money.from_minor(left, self.currency)))
        return out

    @property
    def cycle_days(self) -> int | None:
        """Days from won to fully paid (the collection cycle, 回款周期)."""
        return None if self.fully_paid_at is None else (self.fully_paid_at.date() - self.won_at.date()).days

    def payment_records(self) -> list[PaymentRecord]:
        return [
            PaymentRecord(self.opportunity_id, self.id, self.owner_id, p.received_at, p.amount) for p in self.payments
        ]

    # -- changes ------------------------------------------------------------------------------

    def _live(self, number: int) -> Instalment:
        inst = self.instalment(number)
        if inst.voided_at is not None:
            raise InvariantViolation("instalment", number, f"instalment {number} of {self.id} is void")
        return inst

    def issue_invoice(self, invoice_id: str, instalment: int, on: date) -> Invoice:
        """Invoice what is still outstanding on a live instalment (one invoice per instalment)."""
        check_id("invoice_id", invoice_id)
        self._live(instalment)
        if any(i.id == invoice_id for i in self.invoices):
            raise ValidationError("invoice_id", invoice_id, "invoice exists already")
        if self.is_billed(instalment):
            raise InvariantViolation("instalment", instalment, "is invoiced already")
        left = self.outstanding(instalment)
        if left.is_zero():
            raise InvariantViolation("instalment", instalment, "is paid: nothing to invoice")
        invoice = Invoice(invoice_id, instalment, on, left)
        self.invoices.append(invoice)
        return invoice

    def receive_payment(
        self, payment_id: str, amount: Money, at: datetime, *, instalment: int | None = None, reference: str = ""
    ) -> list[Application]:
        """Record a payment and apply it: to the named instalment, or to the oldest open ones.

        What exceeds the outstanding amounts is held as credit. Re-sending the same payment id with
        the same data changes nothing (idempotent); with different data it is refused.
        """
        check_id("payment_id", payment_id)
        if not isinstance(amount, Money):
            raise ValidationError("amount", amount, "expected Money")
        if amount.currency is not self.currency:
            raise CurrencyMismatch("amount", self.currency.code, amount.currency.code)
        if not amount.amount > 0:
            raise ValidationError("amount", amount, "a payment must be positive")
        at = utc(at, "at")
        for p in self.payments:
            if p.id == payment_id:
                if (p.amount, p.received_at, p.reference) == (amount, at, reference):
                    return []
                raise IdempotencyConflict(payment_id)
        targets = (
            [self._live(instalment)]
            if instalment is not None
            else [i for i in sorted(self.instalments, key=lambda i: (i.due, i.number)) if i.voided_at is None]
        )
        self.payments.append(Payment(payment_id, at, amount, reference))
        applied = self._apply(payment_id, amount, targets, at)
        held = amount - Money.total((a.amount for a in applied), self.currency)
        self.record(
            PaymentReceived(
                tenant_id=self.tenant_id,
                occurred_at=at,
                contract_id=self.id,
                payment_id=payment_id,
                owner_id=self.owner_id,
                amount=amount,
                held_as_credit=held,
            )
        )
        self._check_fully_paid(at)
        return applied

    def apply_credit(self, instalment: int, at: datetime) -> Application | None:
        """Use held credit for an instalment (as much as both allow); None when there is nothing to do."""
        inst = self._live(instalment)
        at = utc(at, "at")
        applied = self._apply(CREDIT, self.credit(), [inst], at)
        self._check_fully_paid(at)
        return applied[0] if applied else None

    def _apply(self, source: str, amount: Money, targets: Iterable[Instalment], at: datetime) -> list[Application]:
        left = amount
        out = []
        for inst in targets:
            if not left.amount > 0:
                break
            part = min(left, self.outstanding(inst.number))
            if part.amount > 0:
                application = Application(source, inst.number, part, at)
                self.applications.append(application)
                out.append(application)
                left -= part
        return out

    def void_instalment(self, number: int, at: datetime, reason: str) -> None:
        """Cancel an instalment nothing was paid on (a renegotiated plan); its status becomes void."""
        self._live(number)
        if self.paid(number).amount > 0:
            raise InvariantViolation("instalment", number, "has payments: it cannot be voided")
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("reason", reason, "voiding needs a reason")
        at = utc(at, "at")
        self.instalments = [
            Instalment(i.number, i.due, i.amount, at) if i.number == number else i for i in self.instalments
        ]
        self.record(
            InstalmentVoided(
                tenant_id=self.tenant_id, occurred_at=at, contract_id=self.id, instalment=number, reason=reason
            )
        )
        self._check_fully_paid(at)

    def _check_fully_paid(self, at: datetime) -> None:
        if self.fully_paid_at is not None:
            return
        live = [i for i in self.instalments if i.voided_at is None]
        if live and all(self.outstanding(i.number).is_zero() for i in live):
            self.fully_paid_at = at
            self.record(
                ContractFullyPaid(
                    tenant_id=self.tenant_id,
                    occurred_at=at,
                    contract_id=self.id,
                    owner_id=self.owner_id,
                    cycle_days=(at.date() - self.won_at.date()).days,
                )
            )

    def remind_overdue(self, as_of: date, levels: Sequence[int] = REMINDER_LEVELS) -> list[InstalmentOverdue]:
        """Record one reminder event per instalment for the highest overdue level newly reached.

        Idempotent: a level is reminded once; running daily or after a gap gives the same history.
        """
        events = []
        for inst in self.instalments:
            if self.status(inst.number, as_of) is not InstalmentStatus.OVERDUE:
                continue
            days = (as_of - inst.due).days
            done = {r.level for r in self.reminders if r.instalment == inst.number}
            reached = [lv for lv in levels if lv <= days and lv not in done]
            if not reached:
                continue
            for level in reached:
                self.reminders.append(Reminder(inst.number, level, as_of))
            event = InstalmentOverdue(
                tenant_id=self.tenant_id,
                occurred_at=_midnight(as_of),
                contract_id=self.id,
                owner_id=self.owner_id,
                account_name=self.account_name,
                instalment=inst.number,
                due=inst.due,
                days_overdue=days,
                level=max(reached),
                outstanding=self.outstanding(inst.number, as_of),
            )
            self.record(event)
            events.append(event)
        return events


# -- analytics -----------------------------------------------------------------------------------

AGING_BUCKETS = ("current", "1-30", "31-60", "61-90", ">90")


def _bucket(age: int) -> int:
    if age <= 0:
        return 0
    if age <= 30:
        return 1
    if age <= 60:
        return 2
    if age <= 90:
        return 3
    return 4


def _money(minor: int, cur: Currency) -> Money:
    return Money.from_minor(minor, cur)


@frozen
class AgingRow:
    """One row of receivables aging: the open amounts per age bucket for an owner or account."""

    key: str
    buckets: tuple[Money, ...]

    @property
    def total(self) -> Money:
        return Money.total(self.buckets, self.buckets[0].currency)


@frozen
class AgingReport(Result):
    """Open receivables by age past the due date: current, 1-30, 31-60, 61-90 and over 90 days."""

    as_of: date
    rows: tuple[AgingRow, ...]
    total: AgingRow

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "key": r.key,
                **{b: m.amount for b, m in zip(AGING_BUCKETS, r.buckets, strict=True)},
                "total": r.total.amount,
            }
            for r in (*self.rows, self.total)
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [r.key, *[m.format() for m in r.buckets], r.total.format()] for r in (*self.rows, self.total)
        ]
        return ["owner", *AGING_BUCKETS, "total"], rows, f"Receivables aging as of {self.as_of}"

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def _one_currency(contracts: Sequence[Contract], currency: str | Currency | None) -> Currency:
    cur = (
        Currency.of(currency) if currency is not None else (contracts[0].currency if contracts else Currency.of("USD"))
    )
    for c in contracts:
        if c.currency is not cur:
            raise CurrencyMismatch("currency", cur.code, c.currency.code)
    return cur


def aging(
    contracts: Iterable[Contract], as_of: date, *, by: str = "owner_id", currency: str | Currency | None = None
) -> AgingReport:
    """Aging of open receivables per owner (or per contract with by="id"); each receivable lands in
    exactly one bucket, so the buckets partition the open receivables."""
    items = list(contracts)
    cur = _one_currency(items, currency)
    grid: dict[str, list[int]] = {}
    for c in items:
        row = grid.setdefault(str(getattr(c, by)), [0] * len(AGING_BUCKETS))
        for inst, left in c.receivables(as_of):
            row[_bucket((as_of - inst.due).days)] += left.to_minor()
    rows = tuple(AgingRow(k, tuple(_money(v, cur) for v in grid[k])) for k in sorted(grid))
    totals = [sum(grid[k][b] for k in grid) for b in range(len(AGING_BUCKETS))]
    return AgingReport(as_of, rows, AgingRow("total", tuple(_money(v, cur) for v in totals)))


def dso_standard(receivables: Money, credit_sales: Money, days: int) -> Decimal | None:
    """DSO = receivables / credit sales of the period x days in the period (None without sales)."""
    if receivables.currency is not credit_sales.currency:
        raise CurrencyMismatch("credit_sales", receivables.currency.code, credit_sales.currency.code)
    if credit_sales.is_zero():
        return None
    return round_fraction(Fraction(receivables.to_minor(), credit_sales.to_minor()) * days, 1)


def dso_count_back(receivables: Money, history: Sequence[tuple[int, Money]]) -> Decimal:
    """Count-back (exhaustion) DSO: walk back through (days, credit sales) periods, newest first.

    While receivables exceed a period's sales, that period's days count in full and its sales are
    used up; the period where they run out counts days x remaining / sales. Receivables beyond all
    the history count every day of it (the history is too short to say more).
    """
    left = Fraction(receivables.to_minor())
    total = Fraction(0)
    for days, sales in history:
        if sales.currency is not receivables.currency:
            raise CurrencyMismatch("history", receivables.currency.code, sales.currency.code)
        if left <= 0:
            break
        s = sales.to_minor()
        if left > s:
            total += days
            left -= s
        else:
            total += Fraction(days) * left / s
            left = Fraction(0)
    return round_fraction(total, 1)


def _billed(contracts: Iterable[Contract], period: Period) -> int:
    """Credit sales of a period: live instalments that became receivable in it (invoiced or due)."""
    return sum(
        i.amount.to_minor()
        for c in contracts
        for i in c.instalments
        if i.voided_at is None and period.contains(c.billed_on(i.number))
    )


def _open(contracts: Iterable[Contract], as_of: date, *, current_only: bool = False) -> int:
    return sum(
        left.to_minor()
        for c in contracts
        for inst, left in c.receivables(as_of)
        if not current_only or inst.due >= as_of
    )


def dso(
    contracts: Iterable[Contract], period: Period, *, method: str = "standard", currency: str | Currency | None = None
) -> Decimal | None:
    """DSO of a period from contracts: receivables at its last day against what was billed.

    Billed means an instalment became receivable (invoiced, or due without an invoice).
    `standard` uses the period's billing; `count-back` walks back month by month (up to 12).
    """
    items = list(contracts)
    cur = _one_currency(items, currency)
    last = period.end - timedelta(days=1)
    ar = _money(_open(items, last), cur)
    if method == "standard":
        return dso_standard(ar, _money(_billed(items, period), cur), period.days)
    if method == "count-back":
        month = Period.containing(last, "month")
        history = []
        for _ in range(12):
            history.append((month.days, _money(_billed(items, month), cur)))
            month = month.previous()
        return dso_count_back(ar, history)
    raise ValidationError("method", method, "standard or count-back")


@frozen
class CollectionCycleReport(Result):
    """Days from won to fully paid per contract; contracts not yet fully paid are left out."""

    rows: tuple[tuple[str, str, date, date, int], ...]  # contract, owner, won, fully paid, days
    average_days: Decimal | None

    def to_rows(self) -> list[dict[str, object]]:
        return [{"contract_id": c, "owner_id": o, "won_on": w, "paid_on": p, "days": d} for c, o, w, p, d in self.rows]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        avg = "n/a" if self.average_days is None else f"{self.average_days} days"
        return (
            ["contract", "owner", "won", "fully paid", "days"],
            [list(r) for r in self.rows],
            f"Collection cycle (average {avg})",
        )

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def collection_cycle(contracts: Iterable[Contract]) -> CollectionCycleReport:
    """Days from win to full payment for every fully paid contract, and their average."""
    rows = tuple(
        sorted(
            (c.id, c.owner_id, c.won_at.date(), c.fully_paid_at.date(), c.cycle_days)
            for c in contracts
            if c.fully_paid_at is not None and c.cycle_days is not None
        )
    )
    return CollectionCycleReport(rows, ratio(sum(r[4] for r in rows), len(rows), 1))


@frozen
class CollectionPerformanceRow:
    """One instalment's part in collection performance: due, collected on time, late or not."""

    owner_id: str
    due: Money
    collected_on_due: Money
    collection_rate: Decimal | None
    beginning_receivables: Money
    billed: Money
    ending_receivables: Money
    ending_current: Money
    cei: Decimal | None


@frozen
class CollectionPerformance(Result):
    """Collection rate and collection effectiveness index (CEI) per rep for one period.

    collection rate = paid by period end on instalments due in the period / amount due in it.
    CEI = (beginning receivables + billed in the period - ending receivables)
          / (beginning receivables + billed in the period - ending current receivables),
    where receivables are open billed (invoiced or due) amounts and current ones are not yet due.
    1 (100%) is perfect collection.
    """

    period: Period
    rows: tuple[CollectionPerformanceRow, ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "owner_id": r.owner_id,
                "due": r.due.amount,
                "collected_on_due": r.collected_on_due.amount,
                "collection_rate": r.collection_rate,
                "cei": r.cei,
            }
            for r in self.rows
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [r.owner_id, r.due.format(), r.collected_on_due.format(), pct(r.collection_rate), pct(r.cei)]
            for r in self.rows
        ]
        return ["owner", "due", "collected", "rate", "CEI"], rows, f"Collection performance {self.period}"

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def collection_performance(
    contracts: Iterable[Contract], period: Period, *, currency: str | Currency | None = None
) -> CollectionPerformance:
    """What was due in `period` and how much of it was collected, on time and in all."""
    items = list(contracts)
    cur = _one_currency(items, currency)
    last = period.end - timedelta(days=1)
    before = period.start - timedelta(days=1)
    by_owner: dict[str, list[Contract]] = {}
    for c in items:
        by_owner.setdefault(c.owner_id, []).append(c)
    rows = []
    for owner in sorted(by_owner):
        mine = by_owner[owner]
        due_items = [(c, i) for c in mine for i in c.instalments if i.voided_at is None and period.contains(i.due)]
        due = sum(i.amount.to_minor() for _, i in due_items)
        paid = sum(c.paid(i.number, last).to_minor() for c, i in due_items)
        begin, sales = _open(mine, before), _billed(mine, period)
        end, current = _open(mine, last), _open(mine, last, current_only=True)
        rows.append(
            CollectionPerformanceRow(
                owner_id=owner,
                due=_money(due, cur),
                collected_on_due=_money(paid, cur),
                collection_rate=ratio(paid, due),
                beginning_receivables=_money(begin, cur),
                billed=_money(sales, cur),
                ending_receivables=_money(end, cur),
                ending_current=_money(current, cur),
                cei=ratio(begin + sales - end, begin + sales - current),
            )
        )
    return CollectionPerformance(period, tuple(rows))
