"""Segmentation and tiering: RFM summaries and scores, value tiers, rule-based segments and snapshots.

Transactions are plain records (mappings or objects) with `customer_id`, `occurred_at` (an aware
datetime) and `amount` (Money, one currency for the whole input).

RFM conventions
---------------
"classic"  recency = calendar days from the last purchase to `as_of`; frequency = number of
           purchases; monetary = total spend (or the mean purchase with monetary="mean").
"lifetimes" the definitions of lifetimes.utils.summary_data_from_transaction_data: purchases are
           summed per period (freq="D" days or "W" ISO weeks); frequency = number of periods with
           a purchase minus one (repeat periods); recency = periods from the first to the last
           purchase period; T = periods from the first purchase period to the period of `as_of`;
           monetary = mean of the repeat periods' sums (the first period excluded), 0 when
           frequency is 0.
Days are calendar dates in time zone `tz` (UTC by default). Means are exact fractions rounded
half-even to the currency's minor unit; scores rank these rounded values, the ones people see.

Scores 1-5 (quantiles with ties)
--------------------------------
For n customers, a value v scores 1 + floor(5 * below(v) / n), where below(v) counts customers
with a strictly worse value. Equal values always get equal scores, scores never decrease as the
value improves, and the result does not depend on input order or customer ids. Higher is better
for frequency and monetary; for recency fewer days since the last purchase is better (in the
lifetimes convention that is T - recency).

Named segments use R and FM = ceil((F + M) / 2) on the grid in SEGMENT_RULES (first match wins;
the rules cover all 25 cells, so every scored customer gets exactly one segment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import islice
from typing import Any, Final, Literal

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.ids import check_id
from bizrel.core.money import EXACT, Currency, Money
from bizrel.customer._analytics import Tabular, check_aware, fields_getter, read_field, read_fields

__all__ = [
    "SEGMENT_RULES",
    "AllOf",
    "AnyOf",
    "AttributeIn",
    "AttributeIs",
    "CustomerTransactions",
    "DateBetween",
    "HasTag",
    "InHealthBand",
    "InLifecycleStage",
    "Not",
    "Predicate",
    "RfmRow",
    "RfmScoreBetween",
    "RfmSummary",
    "SegmentChange",
    "SegmentDefinition",
    "SegmentSnapshot",
    "TierAssignment",
    "ValueTier",
    "quantile_scores",
    "read_transactions",
    "rfm_segment",
    "rfm_summary",
    "value_tiers",
]

Convention = Literal["classic", "lifetimes"]

# -- reading transactions ---------------------------------------------------------------------------


@frozen
class CustomerTransactions:
    """What one pass over the transactions keeps per customer (amounts in integer minor units).

    `by_period` maps a period index (day ordinal, ISO week or month number) to the exact Decimal
    sum spent in it; it is only filled when the caller asked for periods.
    """

    currency: Currency | None
    count: dict[str, int]
    total_minor: dict[str, int]
    first: dict[str, datetime]
    last: dict[str, datetime]
    by_period: dict[str, dict[int, Decimal]]


def _day(at: datetime, tz: tzinfo) -> int:
    return (at if at.tzinfo is tz else at.astimezone(tz)).toordinal()


def _week(at: datetime, tz: tzinfo) -> int:
    return (_day(at, tz) - 1) // 7  # ordinal 1 (0001-01-01) is a Monday: ISO weeks


def _month(at: datetime, tz: tzinfo) -> int:
    local = at if at.tzinfo is tz else at.astimezone(tz)
    return local.year * 12 + local.month - 1


PERIOD_INDEX: Final[dict[str, Callable[[datetime, tzinfo], int]]] = {"D": _day, "W": _week, "M": _month}
"""Period index of an instant in a time zone: day ordinal, ISO week number or month number."""


_UNCHECKED: Final = object()


def read_transactions(
    transactions: Iterable[object],
    *,
    as_of: datetime | None = None,
    tz: tzinfo = UTC,
    freq: str | None = None,
    currency: str | Currency | None = None,
    track_first: bool = True,
) -> CustomerTransactions:
    """One validating pass: per-customer counts, totals, first and last purchase (and period sums).

    Refuses non-Money amounts, mixed currencies (CurrencyMismatch), naive datetimes and purchases
    after `as_of` (ValidationError naming `occurred_at`). The loop does one dict lookup and no
    object creation per row (it appends the amount to its customer's small list), which is what
    lets it handle millions of rows; totals are summed in C and become integer minor units once
    per customer.
    With track_first=False the first purchase is not tracked (`first` holds the last one).
    """
    cur, state = _scan(
        transactions, as_of, tz, freq, Currency.of(currency) if currency is not None else None, track_first
    )
    return CustomerTransactions(
        cur,
        {c: s[0] for c, s in state.items()},
        {c: s[1] for c, s in state.items()},
        {c: s[3] for c, s in state.items()},
        {c: s[2] for c, s in state.items()},
        {c: s[4] for c, s in state.items()} if freq is not None else {},
    )


def _scan(
    transactions: Iterable[object],
    as_of: datetime | None,
    tz: tzinfo,
    freq: str | None,
    cur: Currency | None,
    track_first: bool,
) -> tuple[Currency | None, dict[str, list[Any]]]:
    """The hot loop behind read_transactions.

    Returns per customer [purchases, total in minor units, last, first, {period: Decimal sum}].
    """
    if freq is not None and freq not in PERIOD_INDEX:
        raise ValidationError("freq", freq, f"expected one of {sorted(PERIOD_INDEX)}")
    index = PERIOD_INDEX[freq] if freq is not None else None
    # per customer while scanning: [last, first, {period: sum} or None, amount, amount, ...]
    state: dict[str, list[Any]] = {}
    record_type: type | None = None
    get = fields_getter({}, _FIELDS)  # replaced by the first record's kind of reader
    zone_ok: object = _UNCHECKED  # the last time zone seen valid; None (naive) never is
    with localcontext(EXACT):  # Decimal sums of minor-unit amounts: exact, never the global context
        for record in transactions:
            if record.__class__ is not record_type:
                record_type = record.__class__
                get = fields_getter(record, _FIELDS)
            try:
                customer_id, at, money = get(record)
            except (KeyError, AttributeError):
                read_fields(record, _FIELDS)  # raises, naming the missing field
                raise
            if money.__class__ is not Money or money.currency is not cur:
                cur = _check_amount(money, cur)
            if at.__class__ is not datetime or at.tzinfo is not zone_ok:
                zone_ok = check_aware(at, "occurred_at").tzinfo
            s = state.get(customer_id)
            if s is None:
                if not (
                    customer_id.__class__ is str
                    and 0 < len(customer_id) <= 128
                    and customer_id.isascii()
                    and customer_id.isprintable()
                ):
                    check_id("customer_id", customer_id)  # the fast test above only passes ids it would accept
                state[customer_id] = [at, at, {index(at, tz): money.amount} if index else None, money.amount]
                continue
            s.append(money.amount)  # summed per customer in C after the loop: cheaper than adding here
            if at > s[0]:
                s[0] = at
            elif track_first and at < s[1]:
                s[1] = at
            if index is not None:
                sums = s[2]
                key = index(at, tz)
                sums[key] = sums[key] + money.amount if key in sums else money.amount
    if as_of is not None:
        limit = check_aware(as_of, "as_of")
        for customer_id, s in state.items():
            if s[0] > limit:
                raise ValidationError("occurred_at", s[0], f"customer {customer_id} purchased after as_of {limit}")
    places = cur.minor_units if cur is not None else 0
    with localcontext(EXACT):
        return cur, {
            c: [len(s) - 3, _minor(sum(islice(s, 3, None), _ZERO), places), s[0], s[1], s[2]] for c, s in state.items()
        }


_ZERO: Final = Decimal(0)


_FIELDS: Final = ("customer_id", "occurred_at", "amount")


def _minor(amount: Decimal, places: int) -> int:
    return int(amount.scaleb(places, context=EXACT))


def _check_amount(amount: object, cur: Currency | None) -> Currency:
    if not isinstance(amount, Money):
        raise ValidationError("amount", amount, "expected Money")
    if cur is None:
        return amount.currency
    if amount.currency is not cur:
        raise CurrencyMismatch("amount", cur.code, amount.currency.code)
    return cur


# -- scores and segments ----------------------------------------------------------------------------


def quantile_scores(values: Mapping[str, Any], *, higher_is_better: bool = True) -> dict[str, int]:
    """Scores 1-5: 1 + floor(5 * (customers with a strictly worse value) / n).

    Ties share a score; the score never drops when the value gets better.
    """
    return dict(zip(values, _scores(list(values.values()), higher_is_better), strict=True))


def _scores(values: list[Any], higher_is_better: bool = True) -> list[int]:
    n = len(values)
    order = sorted(range(n), key=values.__getitem__, reverse=not higher_is_better)
    scores = [0] * n
    previous: object = _UNCHECKED
    score = 0
    for rank, i in enumerate(order):
        value = values[i]
        if value != previous:  # a new value: count everything ranked before it as worse
            score = 1 + 5 * rank // n
            previous = value
        scores[i] = score
    return scores


SEGMENT_RULES: Final[tuple[tuple[str, tuple[int, int], tuple[int, int]], ...]] = (
    # (segment, R range, FM range): first match wins; the rows tile the 5 x 5 grid
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential loyalist", (4, 5), (2, 3)),
    ("new", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("need attention", (3, 3), (3, 3)),
    ("about to sleep", (3, 3), (1, 2)),
    ("cannot lose", (1, 2), (5, 5)),
    ("at risk", (1, 2), (3, 4)),
    ("hibernating", (2, 2), (1, 2)),
    ("lost", (1, 1), (1, 2)),
)


def rfm_segment(r_score: int, f_score: int, m_score: int) -> str:
    """The named segment of an RFM score triple (FM = ceil((F + M) / 2); see SEGMENT_RULES)."""
    for name, value in (("r_score", r_score), ("f_score", f_score), ("m_score", m_score)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationError(name, value, "RFM scores are whole numbers 1 to 5")
    fm = (f_score + m_score + 1) // 2
    return _SEGMENT_GRID[r_score][fm]


def _grid() -> dict[int, dict[int, str]]:
    grid: dict[int, dict[int, str]] = {r: {} for r in range(1, 6)}
    for r in range(1, 6):
        for fm in range(1, 6):
            grid[r][fm] = next(name for name, (rl, rh), (fl, fh) in SEGMENT_RULES if rl <= r <= rh and fl <= fm <= fh)
    return grid


_SEGMENT_GRID: Final = _grid()


# -- the RFM summary --------------------------------------------------------------------------------


@frozen
class RfmRow:
    """One customer's RFM figures; T only in the lifetimes convention, scores only when scored."""

    customer_id: str
    recency: int
    frequency: int
    monetary: Money
    T: int | None = None
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    segment: str | None = None

    def to_row(self) -> dict[str, object]:
        row: dict[str, object] = {
            "customer_id": self.customer_id,
            "recency": self.recency,
            "frequency": self.frequency,
            "monetary": self.monetary.amount,
        }
        if self.T is not None:
            row["T"] = self.T
        if self.r_score is not None:
            row.update(r_score=self.r_score, f_score=self.f_score, m_score=self.m_score, segment=self.segment)
        return row


_SHOWN: Final = 20


@frozen
class RfmSummary(Tabular):
    """One RfmRow per customer, sorted by customer id."""

    convention: Convention
    as_of: datetime
    currency: Currency | None
    rows: tuple[RfmRow, ...]
    _index: dict[str, int] = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", {r.customer_id: i for i, r in enumerate(self.rows)})

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[RfmRow]:
        return iter(self.rows)

    def __getitem__(self, customer_id: str) -> RfmRow:
        return self.rows[self._index[customer_id]]

    def get(self, customer_id: str) -> RfmRow | None:
        index = self._index.get(customer_id)
        return None if index is None else self.rows[index]

    def to_rows(self) -> list[dict[str, object]]:
        return [r.to_row() for r in self.rows]

    def segment_sizes(self) -> dict[str, int]:
        """Customers per named segment, in SEGMENT_RULES order (empty segments included)."""
        sizes = {name: 0 for name, _, _ in SEGMENT_RULES}
        for r in self.rows:
            if r.segment is not None:
                sizes[r.segment] += 1
        return sizes

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        shown = [r.to_row() for r in self.rows[:_SHOWN]]
        headers = list(shown[0]) if shown else ["customer_id", "recency", "frequency", "monetary"]
        more = f", first {_SHOWN} shown" if len(self.rows) > _SHOWN else ""
        title = f"RFM ({self.convention}) as of {self.as_of.isoformat()}: {len(self.rows)} customers{more}"
        return headers, [list(r.values()) for r in shown], title


def rfm_summary(
    transactions: Iterable[object],
    *,
    as_of: datetime,
    convention: Convention = "classic",
    monetary: Literal["total", "mean"] = "total",
    freq: Literal["D", "W"] = "D",
    tz: tzinfo = UTC,
    scored: bool = True,
) -> RfmSummary:
    """Recency, frequency and monetary value per customer, with 1-5 scores and named segments.

    See the module docstring for both conventions; `monetary` and `freq` apply to the classic and
    lifetimes convention respectively.
    """
    as_of = check_aware(as_of, "as_of")
    if convention not in ("classic", "lifetimes"):
        raise ValidationError("convention", convention, "expected 'classic' or 'lifetimes'")
    if monetary not in ("total", "mean"):
        raise ValidationError("monetary", monetary, "expected 'total' or 'mean'")
    if freq not in ("D", "W"):
        raise ValidationError("freq", freq, "expected 'D' (days) or 'W' (ISO weeks)")
    lifetimes = convention == "lifetimes"
    cur, state = _scan(transactions, as_of, tz, freq if lifetimes else None, None, False)
    if cur is None:  # no transactions at all
        return RfmSummary(convention, as_of, cur, ())
    items = sorted(state.items())  # by customer id; every later pass walks this list in order
    if lifetimes:
        figures = _lifetimes_figures(items, PERIOD_INDEX[freq](as_of, tz), cur.minor_units)
    else:
        figures = _classic_figures(items, _day(as_of, tz), tz, monetary == "mean")
    if not scored:
        rows = tuple(RfmRow(c, r, f, Money.from_minor(m, cur), t) for c, r, f, m, t, _ in figures)
        return RfmSummary(convention, as_of, cur, rows)
    r_scores = _scores([f[5] for f in figures], higher_is_better=False)
    f_scores = _scores([f[2] for f in figures])
    m_scores = _scores([f[3] for f in figures])
    grid = _SEGMENT_GRID
    rows = tuple(
        RfmRow(c, recency, frequency, Money.from_minor(value, cur), t, r, f, m, grid[r][(f + m + 1) // 2])
        for (c, recency, frequency, value, t, _), r, f, m in zip(figures, r_scores, f_scores, m_scores, strict=True)
    )
    return RfmSummary(convention, as_of, cur, rows)


Figures = list[tuple[str, int, int, int, int | None, int]]
"""(customer id, recency, frequency, monetary in minor units, T, periods since the last purchase)."""


def _classic_figures(items: list[tuple[str, list[Any]]], today: int, tz: tzinfo, mean: bool) -> Figures:
    figures: Figures = []
    for c, (n, total, last, _, _) in items:
        recency = today - _day(last, tz)
        figures.append((c, recency, n, round(Fraction(total, n)) if mean else total, None, recency))
    return figures


def _lifetimes_figures(items: list[tuple[str, list[Any]]], end: int, places: int) -> Figures:
    figures: Figures = []
    for c, (_, total, _, _, sums) in items:
        first, last = min(sums), max(sums)
        frequency = len(sums) - 1
        repeat_minor = total - _minor(sums[first], places)
        value = round(Fraction(repeat_minor, frequency)) if frequency else 0
        figures.append((c, last - first, frequency, value, end - first, end - last))
    return figures


# -- value tiers ------------------------------------------------------------------------------------


@frozen
class ValueTier:
    """A tier that customers reach with a value of at least `minimum`."""

    name: str
    minimum: Money


@frozen
class TierAssignment(Tabular):
    """(customer_id, tier, value) per customer, sorted by customer id."""

    tiers: tuple[ValueTier, ...]
    default: str
    assignments: tuple[tuple[str, str, Money], ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [{"customer_id": c, "tier": t, "value": v.amount} for c, t, v in self.assignments]

    def tier_of(self, customer_id: str) -> str:
        for c, t, _ in self.assignments:
            if c == customer_id:
                return t
        raise KeyError(customer_id)

    def sizes(self) -> dict[str, int]:
        """Customers per tier, highest tier first, the default last."""
        sizes = {t.name: 0 for t in self.tiers} | {self.default: 0}
        for _, t, _ in self.assignments:
            sizes[t] += 1
        return sizes

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        bounds = {t.name: f">= {t.minimum.format()}" for t in self.tiers}
        rows: list[list[object]] = [[name, bounds.get(name, "below"), n] for name, n in self.sizes().items()]
        return ["tier", "threshold", "customers"], rows, f"Value tiers ({len(self.assignments)} customers)"


def value_tiers(
    values: RfmSummary | Mapping[str, Money] | Iterable[tuple[str, Money]],
    tiers: Sequence[ValueTier | tuple[str, Money]],
    *,
    default: str = "C",
) -> TierAssignment:
    """Each customer gets the highest tier whose minimum its value reaches, else `default`.

    `values` is an RFM summary (its monetary value), a mapping or pairs of customer id and Money;
    e.g. tiers=[("key account", Money("50000", "USD")), ("A", ...), ("B", ...)], default "C".
    """
    ordered = sorted(
        (t if isinstance(t, ValueTier) else ValueTier(t[0], t[1]) for t in tiers),
        key=lambda t: t.minimum.amount,
        reverse=True,
    )
    names = [t.name for t in ordered] + [default]
    if len(set(names)) != len(names):
        raise ValidationError("tiers", names, "tier names must be distinct")
    if isinstance(values, RfmSummary):
        pairs: Iterable[tuple[str, Money]] = ((r.customer_id, r.monetary) for r in values.rows)
    elif isinstance(values, Mapping):
        pairs = values.items()
    else:
        pairs = values
    out = []
    for customer_id, value in pairs:
        if not isinstance(value, Money):
            raise ValidationError("value", value, f"customer {customer_id}: expected Money")
        tier = next((t.name for t in ordered if value >= t.minimum), default)  # >= checks the currency
        out.append((customer_id, tier, value))
    out.sort(key=lambda a: a[0])
    return TierAssignment(tuple(ordered), default, tuple(out))


# -- rule-based segments ----------------------------------------------------------------------------

Scalar = str | int | bool | Decimal | date | datetime
Op = Literal["==", "!=", "<", "<=", ">", ">="]

_OPS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


def _plain(value: object) -> object:
    """Enum members compare by their value, so records may hold enums or strings."""
    return getattr(value, "value", value)


class _Rule:
    """`&`, `|` and `~` build AllOf, AnyOf and Not, so rules read like the sentence they are."""

    def __and__(self, other: Predicate) -> AllOf:
        return AllOf((self, other))  # type: ignore[arg-type]

    def __or__(self, other: Predicate) -> AnyOf:
        return AnyOf((self, other))  # type: ignore[arg-type]

    def __invert__(self) -> Not:
        return Not(self)  # type: ignore[arg-type]


@frozen
class HasTag(_Rule):
    """The record's `tags` contain `tag`."""

    tag: str

    def matches(self, record: object) -> bool:
        return self.tag in read_field(record, "tags")

    def __str__(self) -> str:
        return f"tag {self.tag!r}"


@frozen
class AttributeIs(_Rule):
    """The record's `attributes[name]` compares to `value` with `op`; a missing attribute never matches."""

    name: str
    op: Op
    value: Scalar

    def __attrs_post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValidationError("op", self.op, f"expected one of {sorted(_OPS)}")

    def matches(self, record: object) -> bool:
        attributes = read_field(record, "attributes")
        if self.name not in attributes:
            return False
        try:
            return _OPS[self.op](_plain(attributes[self.name]), self.value)
        except TypeError:  # incomparable types do not match
            return False

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.value!r}"


@frozen
class AttributeIn(_Rule):
    """The record's `attributes[name]` is one of `values`."""

    name: str
    values: tuple[Scalar, ...]

    def matches(self, record: object) -> bool:
        attributes = read_field(record, "attributes")
        return self.name in attributes and _plain(attributes[self.name]) in self.values

    def __str__(self) -> str:
        return f"{self.name} in {list(self.values)!r}"


@frozen
class InLifecycleStage(_Rule):
    """The record's `lifecycle_stage` is one of `stages`."""

    stages: tuple[str, ...]

    def matches(self, record: object) -> bool:
        return _plain(read_field(record, "lifecycle_stage")) in self.stages

    def __str__(self) -> str:
        return f"lifecycle stage in {list(self.stages)!r}"


@frozen
class InHealthBand(_Rule):
    """The record's `health_band` is one of `bands` (healthy, watch, at risk)."""

    bands: tuple[str, ...]

    def matches(self, record: object) -> bool:
        return _plain(read_field(record, "health_band")) in self.bands

    def __str__(self) -> str:
        return f"health band in {list(self.bands)!r}"


@frozen
class RfmScoreBetween(_Rule):
    """The record's `r_score`, `f_score` or `m_score` lies in [low, high]."""

    score: Literal["r", "f", "m"]
    low: int = 1
    high: int = 5

    def __attrs_post_init__(self) -> None:
        if self.score not in ("r", "f", "m"):
            raise ValidationError("score", self.score, "expected 'r', 'f' or 'm'")
        if not 1 <= self.low <= self.high <= 5:
            raise ValidationError("low", (self.low, self.high), "need 1 <= low <= high <= 5")

    def matches(self, record: object) -> bool:
        value = read_field(record, f"{self.score}_score")
        return value is not None and self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.score}_score in {self.low}..{self.high}"


@frozen
class DateBetween(_Rule):
    """The record's date or aware datetime `field` (as a UTC date) lies in [start, end); either bound may be open."""

    field: str
    start: date | None = None
    end: date | None = None

    def matches(self, record: object) -> bool:
        value = read_field(record, self.field)
        if value is None:
            return False
        day = utc(value, self.field).date() if isinstance(value, datetime) else value
        if not isinstance(day, date):
            raise ValidationError(self.field, value, "expected a date or an aware datetime")
        return (self.start is None or day >= self.start) and (self.end is None or day < self.end)

    def __str__(self) -> str:
        return f"{self.start or '…'} <= {self.field} < {self.end or '…'}"


@frozen
class AllOf(_Rule):
    """A segment rule that holds when all of its rules hold."""

    parts: tuple[Predicate, ...]

    def matches(self, record: object) -> bool:
        return all(p.matches(record) for p in self.parts)

    def __str__(self) -> str:
        return "(" + " and ".join(map(str, self.parts)) + ")"


@frozen
class AnyOf(_Rule):
    """A segment rule that holds when any of its rules holds."""

    parts: tuple[Predicate, ...]

    def matches(self, record: object) -> bool:
        return any(p.matches(record) for p in self.parts)

    def __str__(self) -> str:
        return "(" + " or ".join(map(str, self.parts)) + ")"


@frozen
class Not(_Rule):
    """A segment rule that holds when its rule does not."""

    part: Predicate

    def matches(self, record: object) -> bool:
        return not self.part.matches(record)

    def __str__(self) -> str:
        return f"not {self.part}"


Predicate = (
    HasTag
    | AttributeIs
    | AttributeIn
    | InLifecycleStage
    | InHealthBand
    | RfmScoreBetween
    | DateBetween
    | AllOf
    | AnyOf
    | Not
)


class _WithRfm:
    """A record seen together with its customer's RFM row (scores and segment come from the row)."""

    __slots__ = ("_record", "_rfm")

    def __init__(self, record: object, rfm: RfmRow | None) -> None:
        self._record = record
        self._rfm = rfm

    def __getattr__(self, name: str) -> Any:
        if name in ("r_score", "f_score", "m_score", "segment", "recency", "frequency", "monetary"):
            return None if self._rfm is None else getattr(self._rfm, name)
        return read_field(self._record, name)


@define(kw_only=True)
class SegmentDefinition(Aggregate):
    """A named, stored rule; evaluate it over customer records whenever membership is needed."""

    name: str
    rule: Predicate
    description: str = ""
    created_at: datetime

    def __attrs_post_init__(self) -> None:
        self.created_at = utc(self.created_at, "created_at")
        if not self.name.strip():
            raise ValidationError("name", self.name, "a segment needs a name")

    def members(
        self, records: Iterable[object], *, rfm: RfmSummary | None = None, id_field: str = "id"
    ) -> tuple[str, ...]:
        """Sorted ids of the records matching the rule; with `rfm`, scores come from that summary."""
        out = []
        for record in records:
            customer_id = read_field(record, id_field)
            seen = record if rfm is None else _WithRfm(record, rfm.get(customer_id))
            if self.rule.matches(seen):
                out.append(customer_id)
        return tuple(sorted(out))

    def snapshot(
        self,
        records: Iterable[object],
        *,
        id: str,
        as_of: datetime,
        rfm: RfmSummary | None = None,
        id_field: str = "id",
    ) -> SegmentSnapshot:
        return SegmentSnapshot(
            tenant_id=self.tenant_id,
            id=check_id("id", id),
            segment_id=self.id,
            as_of=as_of,
            member_ids=self.members(records, rfm=rfm, id_field=id_field),
        )


@frozen
class SegmentChange:
    """Who entered and who left a segment between two snapshots."""

    joined: tuple[str, ...]
    left: tuple[str, ...]


@define(kw_only=True)
class SegmentSnapshot(Aggregate):
    """Who was in a segment at `as_of`; a series of snapshots shows membership over time."""

    segment_id: str
    as_of: datetime
    member_ids: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        self.as_of = utc(self.as_of, "as_of")
        self.member_ids = tuple(sorted(set(self.member_ids)))

    @property
    def size(self) -> int:
        return len(self.member_ids)

    def changes_since(self, earlier: SegmentSnapshot) -> SegmentChange:
        """Who joined and who left between an earlier snapshot of the same segment and this one."""
        if earlier.segment_id != self.segment_id:
            raise ValidationError("segment_id", earlier.segment_id, f"not a snapshot of {self.segment_id}")
        now, before = set(self.member_ids), set(earlier.member_ids)
        return SegmentChange(tuple(sorted(now - before)), tuple(sorted(before - now)))
