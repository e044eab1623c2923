"""The points ledger: an append-only list of entries, and the lots, debts and tier it implies.

The ledger is the only thing persisted; everything else on a `LoyaltyAccount` (lots, balance,
tier, idempotency keys) is derived by applying the entries in order, so loading an account from
the store *is* a replay. Every operation first plans its entry against the current state (and
raises before anything changes), then expires what is due, then applies the entry.

Lots: each earning entry opens a lot (its id is the entry's seq). Spending takes from the lot that
expires first, then the oldest, then the lowest id (FEFO), and the entry names the lots it drew
from, so expiry posts exactly what is left of a lot and reversing a redemption puts points back
where they came from, with their original expiry.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrs import define, field, frozen, setters

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import local_date, utc
from bizrel.core.errors import (
    IdempotencyConflict,
    InvariantViolation,
    NotFound,
    PolicyViolation,
    ValidationError,
)
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import Money, allocate_minor
from bizrel.customer.loyalty.program import BonusKind, DebtPolicy, Invoice, LoyaltyProgram, TierMetric

__all__ = [
    "Entry",
    "EntryKind",
    "InsufficientPoints",
    "LineRecord",
    "Lot",
    "LoyaltyAccount",
    "LoyaltyEvent",
    "Movement",
    "PointsAdjusted",
    "PointsEarned",
    "PointsExpired",
    "PointsRedeemed",
    "PointsReversed",
    "TierChanged",
    "account_id_for",
    "assert_invariants",
]

_NEVER = datetime.max.replace(tzinfo=UTC)
_TICK = timedelta(microseconds=1)


class InsufficientPoints(InvariantViolation):
    """A redemption or deduction asked for more points than are usable."""

    def __init__(self, wanted: int, usable: int) -> None:
        self.wanted = wanted
        self.usable = usable
        super().__init__("points", wanted, f"only {usable} points are usable")


class EntryKind(enum.StrEnum):
    """What a ledger entry did to the points: earn, redeem, expire, adjust or reverse."""

    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    ADJUST = "adjust"
    REVERSE = "reverse"


_EXPIRE = EntryKind.EXPIRE


@frozen(kw_only=True)
class Movement:
    """A change to what remains of one lot (negative: points taken from it)."""

    lot: int
    points: int


@frozen(kw_only=True)
class LineRecord:
    """One invoice line in an earn (amount: the line, eligible: newly paid basis) or a refund
    (amount: returned now, eligible: qualifying spend taken back); points moved for the line."""

    line_id: str
    amount: Money
    eligible: Money
    points: int


def _entry_at(value: object) -> datetime:
    return utc(value, "at")


@frozen(kw_only=True)
class Entry:
    """One immutable ledger row. `points` is the movement the member sees on a statement."""

    seq: int
    kind: EntryKind
    at: datetime = field(converter=_entry_at)
    key: str
    fingerprint: str
    points: int
    reason: str = ""
    source: str = ""
    issued: int = 0  # size of the lot this entry opens; the lot's id is `seq`
    available_at: datetime | None = None
    expires_at: datetime | None = None
    movements: tuple[Movement, ...] = ()
    overdraft: int = 0  # change in points overdrawn (a negative balance)
    clawback: int = 0  # change in points owed from future earnings
    lines: tuple[LineRecord, ...] = ()
    reverses: int = 0  # seq of the redemption this entry reverses
    forgone: int = 0  # refunded points not taken again because they had already expired
    value: Money | None = None
    tier: str = ""  # the tier after this entry, when it changed
    review: int = 0  # number of the tier review this entry records
    cap_period: str = ""  # the capping period invoice points count toward


@define(kw_only=True)
class Lot:
    """Points earned together: they become usable and expire together."""

    id: int
    issued: int
    remaining: int
    earned_at: datetime
    available_at: datetime
    expires_at: datetime | None
    source: str
    expired: int = 0

    def fefo_key(self) -> tuple[datetime, datetime, int]:
        return (self.expires_at or _NEVER, self.earned_at, self.id)

    def live(self, at: datetime) -> bool:
        return self.expires_at is None or self.expires_at > at


@define(kw_only=True)
class _Line:
    """What an invoice line has earned and had returned so far, in minor units of `currency`."""

    currency: str
    amount: int
    eligible: int = 0
    points: int = 0
    returned: int = 0
    spend_reversed: int = 0
    points_reversed: int = 0


class _History:
    """Per-invoice, per-period and bonus facts of a ledger, derived on first use.

    Replaying a ledger (loading an account) needs only lots and balances; these facts are built
    from the entries when an operation first asks for them and then kept up to date.
    """

    __slots__ = ("bonuses", "forgone", "invoices", "period_earned", "qualifying")

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.invoices: dict[str, dict[str, _Line]] = {}
        self.qualifying: list[tuple[datetime, int, int]] = []  # (at, paid spend in minor units, points)
        self.period_earned: dict[str, int] = {}
        self.bonuses: set[str] = set()
        self.forgone: dict[str, int] = {}
        for e in entries:
            self.apply(e)

    def apply(self, e: Entry) -> None:
        if e.lines:
            self._apply_lines(e)
        if e.cap_period:
            self.period_earned[e.cap_period] = self.period_earned.get(e.cap_period, 0) + e.points
        if e.forgone:
            self.forgone[e.source] = self.forgone.get(e.source, 0) + e.forgone
        if e.kind is EntryKind.EARN and e.reason.startswith("bonus:"):
            self.bonuses.add(f"{e.reason}|{e.source}")

    def _apply_lines(self, e: Entry) -> None:
        lines = self.invoices.setdefault(e.source, {})
        spend = points = 0
        for r in e.lines:
            eligible = r.eligible.to_minor()
            if e.kind is EntryKind.EARN:
                state = lines.get(r.line_id)
                if state is None:
                    state = lines[r.line_id] = _Line(currency=r.amount.currency.code, amount=r.amount.to_minor())
                state.eligible += eligible
                state.points += r.points
                spend += eligible
                points += r.points
            else:
                state = lines[r.line_id]
                state.returned += r.amount.to_minor()
                state.spend_reversed += eligible
                state.points_reversed += r.points
                spend -= eligible
                points -= r.points  # the whole reversal counts, even the part that had expired
        self.qualifying.append((e.at, spend, points))


# -- events -------------------------------------------------------------------------------------


@frozen(kw_only=True)
class LoyaltyEvent(DomainEvent):
    """The base of every loyalty event: which program and member it concerns."""

    account_id: str
    program_id: str
    customer_id: str
    seq: int


@frozen(kw_only=True)
class PointsEarned(LoyaltyEvent):
    """Event: a member earned points (a purchase or a bonus)."""

    points: int
    reason: str
    source: str


@frozen(kw_only=True)
class PointsRedeemed(LoyaltyEvent):
    """Event: a member redeemed points."""

    points: int
    value: Money


@frozen(kw_only=True)
class PointsExpired(LoyaltyEvent):
    """Event: points expired unused."""

    points: int
    lot: int


@frozen(kw_only=True)
class PointsReversed(LoyaltyEvent):
    """Event: earned points were taken back (a refund) or a redemption was undone."""

    points: int  # signed: negative when a refund took points back, positive when a redemption was undone
    reason: str
    source: str


@frozen(kw_only=True)
class PointsAdjusted(LoyaltyEvent):
    """Event: points were adjusted by hand, with the reason."""

    points: int
    reason: str


@frozen(kw_only=True)
class TierChanged(LoyaltyEvent):
    """Event: a member moved to another tier."""

    from_tier: str
    to_tier: str


def account_id_for(program_id: str, customer_id: str) -> str:
    """One account per member and program: its id is derived, so enrolling twice collides."""
    return f"{program_id}:{customer_id}"


def _share(total: int, part: int, whole: int) -> int:
    """total * part / whole by largest remainder (half up), exact in integers."""
    if whole == 0:
        return total if part else 0
    return allocate_minor(total, [Decimal(part), Decimal(whole - part)])[0]


def _enrolled_at(value: object) -> datetime:
    return utc(value, "enrolled_at")


# -- the account ----------------------------------------------------------------------------------


@define(kw_only=True, on_setattr=setters.NO_OP)
class LoyaltyAccount(Aggregate):
    """One member's points in one program. Persisted as its ledger; the rest is derived.

    `open` starts a new account (and validates it); the constructor rebuilds one from a stored
    ledger, which is what the store does on every load.
    """

    program_id: str
    customer_id: str
    enrolled_at: datetime = field(converter=_enrolled_at)
    initial_tier: str
    entries: list[Entry] = field(factory=list)
    # derived by replaying `entries` (compared by ==, never stored)
    lots: dict[int, Lot] = field(init=False, factory=dict)
    remaining: int = field(init=False, default=0)
    overdraft: int = field(init=False, default=0)
    clawback: int = field(init=False, default=0)
    tier: str = field(init=False, default="")
    reviews: int = field(init=False, default=0)
    keys: dict[str, int] = field(init=False, factory=dict)
    reversed_redemptions: dict[int, int] = field(init=False, factory=dict)
    _history: _History | None = field(init=False, default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        ledger, self.entries = self.entries, []
        self.tier = self.initial_tier
        self._replay(ledger)

    @classmethod
    def open(cls, program: LoyaltyProgram, customer_id: str, *, at: datetime, id: str | None = None) -> LoyaltyAccount:
        check_id("customer_id", customer_id)
        return cls(
            tenant_id=program.tenant_id,
            id=check_id("id", id) if id is not None else account_id_for(program.id, customer_id),
            program_id=program.id,
            customer_id=customer_id,
            enrolled_at=at,
            initial_tier=program.tiers[0].name,
        )

    @classmethod
    def replay(cls, account: LoyaltyAccount, entries: Iterable[Entry]) -> LoyaltyAccount:
        """A fresh account with `account`'s identity, rebuilt only from `entries`."""
        return cls(
            tenant_id=TenantId(account.tenant_id),
            id=account.id,
            program_id=account.program_id,
            customer_id=account.customer_id,
            enrolled_at=account.enrolled_at,
            initial_tier=account.initial_tier,
            entries=list(entries),
        )

    # -- reading ---------------------------------------------------------------------------------

    @property
    def history(self) -> _History:
        if self._history is None:
            self._history = _History(self.entries)
        return self._history

    @property
    def invoices(self) -> Mapping[str, Mapping[str, _Line]]:
        """Per invoice id and line id: amounts, points earned and returned so far."""
        return self.history.invoices

    @property
    def balance(self) -> int:
        """Points held (usable or pending) minus points overdrawn."""
        return self.remaining - self.overdraft

    def balance_at(self, at: datetime) -> int:
        """The balance as of `at`: lots whose expiry has passed count as expired even before the
        expiry entry is posted (it is posted by the next operation or expiry run)."""
        return sum(lot.remaining for lot in self.lots.values() if lot.live(at)) - self.overdraft

    def usable(self, at: datetime) -> int:
        """Points that can be redeemed at `at`: past their return window and not expired."""
        return sum(lot.remaining for lot in self.lots.values() if lot.available_at <= at and lot.live(at))

    def pending(self, at: datetime) -> int:
        return sum(lot.remaining for lot in self.lots.values() if lot.available_at > at and lot.live(at))

    def open_lots(self) -> list[Lot]:
        return sorted((lot for lot in self.lots.values() if lot.remaining), key=Lot.fefo_key)

    def entry(self, key: str) -> Entry:
        seq = self.keys.get(key)
        if seq is None:
            raise NotFound("ledger entry", key)
        return self.entries[seq - 1]

    @property
    def next_expiry_at(self) -> datetime | None:
        dates = [lot.expires_at for lot in self.lots.values() if lot.remaining and lot.expires_at is not None]
        return min(dates) if dates else None

    def qualifying_value(self, metric: TierMetric, currency: str, start: datetime, end: datetime) -> Decimal:
        """Invoice points or paid spend (net of refunds) with start <= at < end."""
        spend = points = 0
        for at, minor, pts in self.history.qualifying:
            if start <= at < end:
                spend += minor
                points += pts
        if metric is TierMetric.POINTS_EARNED:
            return Decimal(points)
        return Money.from_minor(spend, currency).amount

    # -- applying entries (the replay path: no checks, no events) --------------------------------

    def _apply(self, e: Entry) -> None:
        self._replay((e,))

    def _replay(self, ledger: Iterable[Entry]) -> None:
        """Apply entries in order: the one code path for loading, replaying and posting."""
        lots, keys, history = self.lots, self.keys, self._history
        remaining, overdraft, clawback = self.remaining, self.overdraft, self.clawback
        for e in ledger:
            if e.issued:
                lots[e.seq] = Lot(
                    id=e.seq,
                    issued=e.issued,
                    remaining=e.issued,
                    earned_at=e.at,
                    available_at=e.available_at or e.at,
                    expires_at=e.expires_at,
                    source=e.source,
                )
                remaining += e.issued
            for m in e.movements:
                lots[m.lot].remaining += m.points
                remaining += m.points
            if e.kind is _EXPIRE:
                lots[e.movements[0].lot].expired -= e.movements[0].points
            overdraft += e.overdraft
            clawback += e.clawback
            keys[e.key] = e.seq
            if e.reverses:
                self.reversed_redemptions[e.reverses] = e.seq
            if e.tier:
                self.tier = e.tier
            if e.review:
                self.reviews = e.review
            if history is not None:
                history.apply(e)
            self.entries.append(e)
        self.remaining, self.overdraft, self.clawback = remaining, overdraft, clawback

    # -- the operation protocol ------------------------------------------------------------------

    def _run(
        self,
        program: LoyaltyProgram,
        key: str,
        fingerprint: str,
        at: datetime,
        plan: Callable[[int, datetime], dict[str, Any]],
    ) -> Entry:
        """Replay a known key, or plan (may raise, changes nothing), expire what is due, post."""
        done = self._known(key, fingerprint)
        if done is not None:
            return done
        at = self._check_time(program, at)
        due = self._due(at)
        seq = len(self.entries) + len(due) + 1
        draft = plan(seq, at)
        self._expire(due, at)
        entry = self._post(kind=draft.pop("kind"), key=key, fingerprint=fingerprint, at=at, **draft)
        self._expire(self._due(at), at)
        return entry

    def _known(self, key: str, fingerprint: str) -> Entry | None:
        check_id("idempotency_key", key)
        if key.startswith("~"):
            raise ValidationError("idempotency_key", key, "keys starting with ~ are reserved for the ledger")
        seq = self.keys.get(key)
        if seq is None:
            return None
        entry = self.entries[seq - 1]
        if entry.fingerprint != fingerprint:
            raise IdempotencyConflict(key)
        return entry

    def _check_time(self, program: LoyaltyProgram, at: datetime) -> datetime:
        if program.id != self.program_id or program.tenant_id != self.tenant_id:
            raise ValidationError("program", program.id, f"account {self.id} belongs to program {self.program_id}")
        at = utc(at, "at")
        if self.entries and at < self.entries[-1].at:
            raise ValidationError("at", at, f"before the account's last entry at {self.entries[-1].at}")
        if at < self.enrolled_at:
            raise ValidationError("at", at, f"before enrolment at {self.enrolled_at}")
        return at

    def _post(self, **values: Any) -> Entry:
        entry = Entry(seq=len(self.entries) + 1, **values)
        before = self.tier
        self._apply(entry)
        self._announce(entry, before)
        return entry

    def _announce(self, e: Entry, tier_before: str) -> None:
        ids: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "occurred_at": e.at,
            "account_id": self.id,
            "program_id": self.program_id,
            "customer_id": self.customer_id,
            "seq": e.seq,
        }
        match e.kind:
            case EntryKind.EARN:
                self.record(PointsEarned(points=e.points, reason=e.reason, source=e.source, **ids))
            case EntryKind.REDEEM:
                assert e.value is not None
                self.record(PointsRedeemed(points=-e.points, value=e.value, **ids))
            case EntryKind.EXPIRE:
                self.record(PointsExpired(points=-e.points, lot=e.movements[0].lot, **ids))
            case EntryKind.REVERSE:
                self.record(PointsReversed(points=e.points, reason=e.reason, source=e.source, **ids))
            case EntryKind.ADJUST if e.points:
                self.record(PointsAdjusted(points=e.points, reason=e.reason, **ids))
        if self.tier != tier_before:
            self.record(TierChanged(from_tier=tier_before, to_tier=self.tier, **ids))

    # -- lots ------------------------------------------------------------------------------------

    def _due(self, at: datetime) -> list[Lot]:
        return sorted((lot for lot in self.lots.values() if lot.remaining > 0 and not lot.live(at)), key=Lot.fefo_key)

    def _expire(self, due: list[Lot], at: datetime) -> list[Entry]:
        posted = []
        for lot in due:
            seq = len(self.entries) + 1
            posted.append(
                self._post(
                    kind=EntryKind.EXPIRE,
                    key=f"~expire:{lot.id}:{seq}",
                    fingerprint="expire",
                    at=at,
                    points=-lot.remaining,
                    reason="expiry",
                    source=str(lot.id),
                    movements=(Movement(lot=lot.id, points=-lot.remaining),),
                )
            )
        return posted

    def _take(
        self, work: dict[int, int], points: int, at: datetime, *, usable_only: bool, among: Iterable[int] | None = None
    ) -> tuple[list[Movement], int]:
        """Take up to `points` from live lots in FEFO order, tracking what remains in `work`."""
        ids = work.keys() if among is None else among
        candidates = [
            self.lots[i]
            for i in ids
            if work.get(i, 0) > 0 and self.lots[i].live(at) and (not usable_only or self.lots[i].available_at <= at)
        ]
        moves = []
        need = points
        for lot in sorted(candidates, key=Lot.fefo_key):
            if need == 0:
                break
            take = min(work[lot.id], need)
            work[lot.id] -= take
            need -= take
            moves.append(Movement(lot=lot.id, points=-take))
        return moves, need

    def _work(self) -> dict[int, int]:
        return {lot.id: lot.remaining for lot in self.lots.values() if lot.remaining}

    def _settle(self, available: int) -> dict[str, int]:
        """Debt repaid from `available` newly credited points: overdraft first, then claw-back."""
        to_overdraft = min(available, self.overdraft)
        to_clawback = min(available - to_overdraft, self.clawback)
        return {"overdraft": -to_overdraft, "clawback": -to_clawback}

    def _credit(self, seq: int, issued: int) -> dict[str, Any]:
        """A new lot of `issued` points that first repays any debt."""
        debt = self._settle(issued)
        paid = -(debt["overdraft"] + debt["clawback"])
        return {"issued": issued, "movements": (Movement(lot=seq, points=-paid),) if paid else (), **debt}

    def _upgrade(self, program: LoyaltyProgram, at: datetime, spend_minor: int, points: int) -> str:
        """The tier reached by the live window including this entry, if higher (upgrades are immediate)."""
        value = self.qualifying_value(program.tier_metric, program.currency, program.window_start(at), at + _TICK)
        if program.tier_metric is TierMetric.POINTS_EARNED:
            value += points
        else:
            value += Money.from_minor(spend_minor, program.currency).amount
        reached = program.tier_for(value)
        return reached.name if program.tier_index(reached.name) > program.tier_index(self.tier) else ""

    # -- operations ------------------------------------------------------------------------------

    def earn(self, program: LoyaltyProgram, invoice: Invoice, *, at: datetime, key: str) -> Entry:
        """Points for an invoice (or for the newly paid part of one, on a later call)."""

        def plan(seq: int, at: datetime) -> dict[str, Any]:
            known = self.history.invoices.get(invoice.id, {})
            for line in invoice.lines:
                if line.id in known and known[line.id].amount != line.amount.to_minor():
                    was = Money.from_minor(known[line.id].amount, known[line.id].currency)
                    raise ValidationError("line.amount", line.amount, f"line {line.id} was {was}")
            eligible = invoice.eligible()
            wanted: list[int] = []
            for line, paid in zip(invoice.lines, eligible, strict=True):
                target = program.points_for_amount(paid, program.multiplier(line, self.tier, at))
                wanted.append(max(0, target - (known[line.id].points if line.id in known else 0)))
            new_basis = [
                paid - Money.from_minor(known[line.id].eligible, paid.currency) if line.id in known else paid
                for line, paid in zip(invoice.lines, eligible, strict=True)
            ]
            if known and not any(b.amount > 0 for b in new_basis):
                raise ValidationError("paid", invoice.paid, f"nothing newly paid on invoice {invoice.id}")
            label = program.cap_period_of(at)
            caps = [program.max_points_per_transaction]
            if program.max_points_per_period is not None:
                caps.append(max(0, program.max_points_per_period - self.history.period_earned.get(label, 0)))
            for cap in caps:
                if cap is not None and sum(wanted) > cap:
                    wanted = allocate_minor(cap, [Decimal(w) for w in wanted])
            issued = sum(wanted)
            spend = sum(b.to_minor() for b in new_basis)
            return {
                "kind": EntryKind.EARN,
                "points": issued,
                "reason": "invoice",
                "source": invoice.id,
                "available_at": program.available_at(at),
                "expires_at": program.expires_at(at),
                "lines": tuple(
                    LineRecord(line_id=line.id, amount=line.amount, eligible=basis, points=points)
                    for line, basis, points in zip(invoice.lines, new_basis, wanted, strict=True)
                ),
                "tier": self._upgrade(program, at, spend, issued),
                "cap_period": label,
                **self._credit(seq, issued),
            }

        return self._run(program, key, f"earn|{invoice!r}", at, plan)

    def award_bonus(
        self, program: LoyaltyProgram, kind: BonusKind, *, at: datetime, key: str, reference: str = ""
    ) -> Entry:
        """Sign-up (once), birthday (once per local calendar year) or referral (once per referred member)."""
        kind = BonusKind(kind)

        def plan(seq: int, at: datetime) -> dict[str, Any]:
            points = program.bonus(kind)
            if not points:
                raise PolicyViolation("bonus", kind.value, f"program {program.id} awards no {kind.value} bonus")
            source = {
                BonusKind.SIGNUP: "",
                BonusKind.BIRTHDAY: str(local_date(at, program.tz).year),
                BonusKind.REFERRAL: reference,
            }[kind]
            if kind is BonusKind.REFERRAL and (not reference or reference == self.customer_id):
                raise ValidationError("reference", reference, "a referral names another member")
            if f"bonus:{kind.value}|{source}" in self.history.bonuses:
                already = f"already awarded to {self.customer_id} ({source or 'once'})"
                raise PolicyViolation("bonus", kind.value, already)
            return {
                "kind": EntryKind.EARN,
                "points": points,
                "reason": f"bonus:{kind.value}",
                "source": source,
                "available_at": at,
                "expires_at": program.expires_at(at),
                **self._credit(seq, points),
            }

        return self._run(program, key, f"bonus|{kind.value}|{reference}", at, plan)

    def redeem(self, program: LoyaltyProgram, points: int, *, at: datetime, key: str) -> Entry:
        """Spend usable points, FEFO; the entry carries their money value."""

        def plan(seq: int, at: datetime) -> dict[str, Any]:
            _positive("points", points)
            moves, short = self._take(self._work(), points, at, usable_only=True)
            if short:
                raise InsufficientPoints(points, points - short)
            return {
                "kind": EntryKind.REDEEM,
                "points": -points,
                "reason": "redemption",
                "movements": tuple(moves),
                "value": program.value_of(points),
            }

        return self._run(program, key, f"redeem|{points}", at, plan)

    def refund(
        self,
        program: LoyaltyProgram,
        invoice_id: str,
        *,
        at: datetime,
        key: str,
        lines: Mapping[str, Money] | None = None,
        amount: Money | None = None,
    ) -> Entry:
        """Take back the points of returned goods, in proportion to the amount returned per line.

        Give `lines` (line id -> amount returned), or `amount` (spread over the lines in proportion
        to what is still unreturned), or neither (everything still unreturned). Points of the
        invoice that expired are not taken again; points already spent are taken from other lots,
        then become debt under the program's DebtPolicy.
        """

        def plan(seq: int, at: datetime) -> dict[str, Any]:
            known = self.history.invoices.get(invoice_id)
            if known is None:
                raise NotFound("invoice", invoice_id)
            returned = _returned_amounts(known, lines, amount)
            records = []
            for line_id, back in returned.items():
                state = known[line_id]
                now_returned = state.returned + back.to_minor()
                points = _share(state.points, now_returned, state.amount) - state.points_reversed
                spend = _share(state.eligible, now_returned, state.amount) - state.spend_reversed
                records.append(
                    LineRecord(
                        line_id=line_id, amount=back, eligible=Money.from_minor(spend, back.currency), points=points
                    )
                )
            total = sum(r.points for r in records)
            work = self._work()
            own = [lot for lot in self.lots.values() if lot.source == invoice_id]
            moves, short = self._take(work, total, at, usable_only=False, among=[lot.id for lot in own])
            # points of this invoice that expired already left the balance: they are not taken twice
            expired = sum(lot.expired + (0 if lot.live(at) else lot.remaining) for lot in own)  # swept or due
            forgone = min(short, expired - self.history.forgone.get(invoice_id, 0))
            more, short = self._take(work, short - forgone, at, usable_only=False)
            debt = {"overdraft": 0, "clawback": 0}
            if short and program.debt_policy is DebtPolicy.OVERDRAFT:
                if self.overdraft + short > program.overdraft_limit:
                    raise PolicyViolation(
                        "overdraft_limit",
                        self.customer_id,
                        f"refund needs {short} spent points back: overdraft would be {self.overdraft + short}, "
                        f"limit {program.overdraft_limit}",
                    )
                debt["overdraft"] = short
            elif short:
                debt["clawback"] = short
            return {
                "kind": EntryKind.REVERSE,
                "points": forgone - total,
                "reason": "refund",
                "source": invoice_id,
                "forgone": forgone,
                "movements": tuple(moves + more),
                "lines": tuple(records),
                **debt,
            }

        payload = f"refund|{invoice_id}|{sorted((lines or {}).items())!r}|{amount!r}"
        return self._run(program, key, payload, at, plan)

    def reverse_redemption(self, program: LoyaltyProgram, redemption_key: str, *, at: datetime, key: str) -> Entry:
        """Undo a redemption: its points go back to the lots they came from, with their expiry."""

        def plan(seq: int, at: datetime) -> dict[str, Any]:
            target = self.entry(redemption_key)
            if target.kind is not EntryKind.REDEEM:
                raise ValidationError("redemption_key", redemption_key, f"entry {target.seq} is a {target.kind}")
            if target.seq in self.reversed_redemptions:
                raise InvariantViolation("redemption_key", redemption_key, "this redemption was already reversed")
            restores = [Movement(lot=m.lot, points=-m.points) for m in target.movements]
            work = self._work()
            for m in restores:
                work[m.lot] = work.get(m.lot, 0) + m.points
            debt = self._settle(-target.points)
            owed = -(debt["overdraft"] + debt["clawback"])
            settle, short = self._take(work, owed, at, usable_only=False, among=[m.lot for m in restores])
            if short:  # restored into lots that are already expired: they cannot repay debt
                debt = self._settle(owed - short)
            return {
                "kind": EntryKind.REVERSE,
                "points": -target.points,
                "reason": "redemption reversed",
                "source": redemption_key,
                "movements": tuple(restores + settle),
                "reverses": target.seq,
                "value": target.value,
                **debt,
            }

        return self._run(program, key, f"unredeem|{redemption_key}", at, plan)

    def adjust(self, program: LoyaltyProgram, points: int, *, reason: str, at: datetime, key: str) -> Entry:
        """A manual correction: a new lot when positive, a FEFO deduction when negative."""

        def plan(seq: int, at: datetime) -> dict[str, Any]:
            if isinstance(points, bool) or not isinstance(points, int) or points == 0:
                raise ValidationError("points", points, "must be a non-zero whole number")
            check_id("reason", reason)
            values: dict[str, Any] = {"kind": EntryKind.ADJUST, "points": points, "reason": reason}
            if points > 0:
                values.update(available_at=at, expires_at=program.expires_at(at), **self._credit(seq, points))
                return values
            moves, short = self._take(self._work(), -points, at, usable_only=False)
            if short:
                raise InsufficientPoints(-points, -points - short)
            values["movements"] = tuple(moves)
            return values

        return self._run(program, key, f"adjust|{points}|{reason}", at, plan)

    def expire_due(self, program: LoyaltyProgram, *, at: datetime) -> list[Entry]:
        """Post an expire entry for what remains of every lot whose expiry has passed."""
        at = self._check_time(program, at)
        return self._expire(self._due(at), at)

    def next_review_at(self, program: LoyaltyProgram) -> datetime:
        return program.review_at(self.enrolled_at, self.reviews + 1)

    def review_tier(self, program: LoyaltyProgram, *, at: datetime, key: str) -> Entry | None:
        """Judge the tier at the latest review date that has passed (None when none is due).

        Downgrades happen only here; with `soft_landing` a member drops at most one tier per review.
        """
        fingerprint = "review"
        done = self._known(key, fingerprint)
        if done is not None:
            return done
        at = self._check_time(program, at)
        index = self.reviews
        while program.review_at(self.enrolled_at, index + 1) <= at:
            index += 1
        if index == self.reviews:
            return None

        def plan(seq: int, at: datetime) -> dict[str, Any]:
            review_at = program.review_at(self.enrolled_at, index)
            value = self.qualifying_value(
                program.tier_metric, program.currency, program.review_window_start(review_at), review_at
            )
            current = program.tier_index(self.tier)
            judged = program.tier_index(program.tier_for(value).name)
            if judged < current and program.soft_landing:
                judged = current - 1
            name = program.tiers[judged].name
            return {
                "kind": EntryKind.ADJUST,
                "points": 0,
                "reason": "tier review",
                "source": review_at.isoformat(),
                "review": index,
                "tier": name if name != self.tier else "",
            }

        return self._run(program, key, fingerprint, at, plan)


def _positive(field_name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(field_name, value, "must be a whole number > 0")
    return value


def _returned_amounts(
    known: Mapping[str, _Line], lines: Mapping[str, Money] | None, amount: Money | None
) -> dict[str, Money]:
    outstanding = {i: Money.from_minor(state.amount - state.returned, state.currency) for i, state in known.items()}
    if lines is not None and amount is not None:
        raise ValidationError("amount", amount, "give either lines or amount, not both")
    if lines is not None:
        for line_id in lines:
            if line_id not in known:
                raise NotFound("invoice line", line_id)
        returned = dict(lines)
    elif amount is not None:
        ids = [i for i, left in outstanding.items() if left.amount > 0]
        total = Money.total((outstanding[i] for i in ids), amount.currency) if ids else None
        if total is None or amount > total:
            raise ValidationError("amount", amount, f"more than the unreturned {total}")
        returned = dict(zip(ids, amount.allocate([outstanding[i].amount for i in ids]), strict=True))
    else:
        returned = {i: left for i, left in outstanding.items() if left.amount > 0}
    for line_id, back in returned.items():
        if back.is_negative() or back > outstanding[line_id]:
            raise ValidationError(f"lines[{line_id}]", back, f"must be between 0 and {outstanding[line_id]}")
    if not any(back.amount > 0 for back in returned.values()):
        raise ValidationError("lines", lines, "nothing left to refund")
    return returned


def assert_invariants(account: LoyaltyAccount, program: LoyaltyProgram | None = None) -> None:
    """Check every ledger invariant; raise InvariantViolation naming the first that fails.

    The debt policy and the overdraft limit belong to the program, so those two checks need it.
    Without it, the ledger is its own witness: a negative balance is an overdraft that the ledger's
    entries recorded (only the overdraft policy posts one), which the balance check already covers.
    """

    def fail(name: str, value: object, reason: str) -> None:
        raise InvariantViolation(name, value, reason)

    lots = account.lots.values()
    if account.remaining != sum(lot.remaining for lot in lots):
        fail("remaining", account.remaining, "differs from the sum of the lots")
    if account.balance != sum(lot.remaining for lot in lots) - account.overdraft:
        fail("balance", account.balance, "is not the lots' remaining minus the overdraft")
    for lot in lots:
        if not 0 <= lot.remaining <= lot.issued:
            fail(f"lots[{lot.id}].remaining", lot.remaining, f"outside 0..{lot.issued}")
    if account.overdraft < 0 or account.clawback < 0:
        fail("debt", (account.overdraft, account.clawback), "debt cannot be negative")
    if account.balance < 0 and program is not None and program.debt_policy is not DebtPolicy.OVERDRAFT:
        fail("balance", account.balance, "negative without an overdraft policy")
    if program is not None and account.overdraft > program.overdraft_limit:
        fail("overdraft", account.overdraft, f"above the limit {program.overdraft_limit}")
    last = account.entries[-1].at if account.entries else account.enrolled_at
    for lot in lots:
        if lot.remaining and not lot.live(last):
            fail(f"lots[{lot.id}]", lot.expires_at, "expired points are still held")
    live = sum(lot.remaining for lot in lots if lot.live(last))
    if (account.overdraft or account.clawback) and live:
        fail("debt", (account.overdraft, account.clawback), f"owed while {live} live points are held")
    for seq, e in enumerate(account.entries, start=1):
        if e.seq != seq:
            fail("entries", e.seq, f"expected seq {seq}")
        if e.kind is EntryKind.EXPIRE and e.points >= 0:
            fail(f"entries[{seq}].points", e.points, "an expiry posts a positive amount")
        if e.kind is EntryKind.REDEEM and sum(m.points for m in e.movements) != e.points:
            fail(f"entries[{seq}].movements", e.movements, "do not add up to the redemption")
    if len(account.keys) != len(account.entries):
        fail("keys", len(account.keys), "every entry has its own idempotency key")
    if LoyaltyAccount.replay(account, account.entries) != account:
        fail("entries", account.id, "replaying the ledger does not rebuild the account")
