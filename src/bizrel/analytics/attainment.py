"""Attainment actuals over any input: the pure-Python reference (bizrel.sales.attainment) for
iterables of records, DuckDB for columnar records, and SQL push-down over the won opportunities or
the contract payments a SQLite or PostgreSQL store holds. All paths return the reference's figures.

Columnar input (a DataFrame, Arrow table or Parquet/CSV path) names its columns as the records do:
  opportunities: status, closed_at, owner_id, currency, amount_minor (integer minor units) or
                 amount (DECIMAL), and id when splits refer to the deals
  payments:      received_at, owner_id, currency, amount_minor or amount, and deal_id when splits
                 refer to the deals
Timestamps must be timezone-aware (a DATE column is taken as the day itself).

Split credit (`splits`) is a mapping {deal id: {rep: share}} on every path, or on the engine path a
relation (opportunity_id, owner_id, share[, seq]) with integer or DECIMAL shares; without seq, ties
go to the reps in owner_id order (the reference's order when each mapping lists its reps sorted).
Team credit (`credit`) must be an organisation's team_of (or the SalesOrganisation itself): its
membership history becomes a relation, since no other callable can run in SQL.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, NoReturn, TypeAlias

from attrs import frozen

from bizrel.adapters import Store
from bizrel.analytics.attainment_sql import credits_query
from bizrel.analytics.columnar import _amount_minor, _single_currency, _source, connect, is_columnar
from bizrel.analytics.dialect import DUCKDB, SQLITE, Dialect
from bizrel.analytics.funnel import _columns, _currency
from bizrel.analytics.progress import Phases, counted
from bizrel.analytics.pushdown import pushdown
from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.errors import ValidationError
from bizrel.core.money import Currency, Money, to_decimal
from bizrel.core.periods import Period
from bizrel.core.progress import Progress
from bizrel.sales import attainment as reference
from bizrel.sales.attainment import AttainmentReport, attainment_report, field_of
from bizrel.sales.targets import Metric, SeasonalDistribution, TargetValue, check_weights, choice
from bizrel.sales.teams import Role, SalesOrganisation

__all__ = ["attainment", "bookings", "collections_received"]

Credit: TypeAlias = Callable[[str, date], str | None] | SalesOrganisation | None
Shares: TypeAlias = Mapping[str, Decimal | int | str]

_EPOCH = date(1970, 1, 1)
_DAY_US = 86_400_000_000
_OPEN_END = 2**62  # after any date's microseconds: a membership that has not ended


def bookings(
    opportunities: object,
    period: Period,
    *,
    credit: Credit = None,
    currency: str | Currency | None = None,
    splits: object = None,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> dict[str, Money]:
    """bizrel.sales.attainment.bookings for any input: won amount per owner for deals closed in
    the period, split between reps by `splits`, credited to teams through `credit`."""
    return _credits(
        _BOOKINGS, opportunities, period, credit, currency, splits, tenant_id, allow_float_amounts, progress
    )


def collections_received(
    payments: object,
    period: Period,
    *,
    credit: Credit = None,
    currency: str | Currency | None = None,
    splits: object = None,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> dict[str, Money]:
    """bizrel.sales.attainment.collections_received for any input: cash received per owner in the
    period; in a store, the payments recorded on contracts (split by the contract's deal id)."""
    return _credits(_PAYMENTS, payments, period, credit, currency, splits, tenant_id, allow_float_amounts, progress)


def attainment(
    targets: Mapping[str, TargetValue],
    data: object,
    period: Period,
    as_of: date,
    *,
    metric: Metric | str = Metric.BOOKINGS,
    credit: Credit = None,
    splits: object = None,
    distribution: SeasonalDistribution | None = None,
    title: str = "Attainment",
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> AttainmentReport:
    """attainment_report of `targets` against the actuals of `data` (bookings or collections) that
    happened in the period before `as_of`, in the targets' currency, as sales.target_attainment
    counts them."""
    chosen = choice(Metric, metric, "metric")
    if chosen not in (Metric.BOOKINGS, Metric.COLLECTIONS):
        raise ValidationError("metric", chosen.value, "actuals are derived for bookings and collections only")
    if not isinstance(as_of, date) or isinstance(as_of, datetime):
        raise ValidationError("as_of", as_of, "expected a date")
    actuals: dict[str, Money] = {}
    if as_of > period.start:
        so_far = Period(period.start, min(as_of, period.end), period.kind)
        actuals = _credits(
            _BOOKINGS if chosen is Metric.BOOKINGS else _PAYMENTS,
            data,
            so_far,
            credit,
            next((v.currency for v in targets.values() if isinstance(v, Money)), None),
            splits,
            tenant_id,
            allow_float_amounts,
            progress,
        )
    return attainment_report(targets, dict(actuals), period, as_of, distribution=distribution, title=title)


@frozen
class _Kind:
    """What differs between bookings and collections."""

    reference: Callable[..., dict[str, Money]]
    when: str  # the timestamp that places a record in the period
    key: str  # the field splits refer to
    status: bool  # only won records count


_BOOKINGS = _Kind(reference.bookings, "closed_at", "id", True)
_PAYMENTS = _Kind(reference.collections_received, "received_at", "deal_id", False)


def _credits(
    kind: _Kind,
    data: object,
    period: Period,
    credit: Credit,
    currency: str | Currency | None,
    splits: object,
    tenant_id: str | None,
    allow_float_amounts: bool,
    progress: Progress | None,
) -> dict[str, Money]:
    if isinstance(splits, Mapping) and not splits:
        splits = None  # nothing is split: no relation, and no deal id needed
    if isinstance(data, Store):
        if tenant_id is None:
            raise ValidationError("tenant_id", None, "push-down over a store needs the tenant")
        return _pushed_down(kind, data, tenant_id, period, credit, currency, splits, progress)
    if is_columnar(data):
        return _engine(kind, data, period, credit, currency, splits, allow_float_amounts, progress)
    if splits is not None and not isinstance(splits, Mapping):
        raise ValidationError("splits", type(splits).__name__, "records take splits as {deal id: {rep: share}}")
    records: Iterable[Any] = counted(data, progress)  # type: ignore[arg-type]
    if splits is not None:
        records = _with_splits(records, splits, kind.key)
    team_of = credit.team_of if isinstance(credit, SalesOrganisation) else credit
    result: dict[str, Money] = kind.reference(records, period, credit=team_of, currency=currency)
    return result


@frozen
class _Split:
    """A record seen with the splits the caller gave for its deal."""

    record: Any
    splits: Shares | None

    def __getattr__(self, name: str) -> Any:
        return field_of(self.record, name)


def _with_splits(records: Iterable[Any], splits: Mapping[str, Shares], key: str) -> Iterator[_Split]:
    for record in records:
        shares = splits.get(field_of(record, key, None))
        yield _Split(record, shares if shares is not None else field_of(record, "splits", None))


# -- the SQL paths -----------------------------------------------------------------------------


def _micros(day: date) -> int:
    return (day - _EPOCH).days * _DAY_US


def _organisation(credit: Credit) -> SalesOrganisation | None:
    """The organisation whose memberships credit teams; any other callable cannot run in SQL."""
    if credit is None or isinstance(credit, SalesOrganisation):
        return credit
    owner = getattr(credit, "__self__", None)
    if isinstance(owner, SalesOrganisation) and getattr(credit, "__func__", None) is SalesOrganisation.team_of:
        return owner
    raise ValidationError(
        "credit",
        getattr(credit, "__qualname__", type(credit).__name__),
        "only an organisation's team_of (or the SalesOrganisation) runs in SQL; use the records path for others",
    )


def _team_spans(credit: Credit) -> list[tuple[str, str, int, int]] | None:
    """(rep, team, from_us, to_us) spans, in (rep, from) order, that never overlap per rep: where
    memberships overlap, the earlier one in the list wins, as team_of reads them (None: no teams)."""
    org = _organisation(credit)
    if org is None:
        return None
    taken: dict[str, list[tuple[int, int]]] = {}
    spans = []
    for m in org.memberships:
        if m.role is not Role.REP:
            continue
        lo, hi = _micros(m.start), _OPEN_END if m.end is None else _micros(m.end)
        pieces = [(lo, hi)]
        for t_lo, t_hi in taken.get(m.person_id, []):
            pieces = [p for a, b in pieces for p in ((a, min(b, t_lo)), (max(a, t_hi), b)) if p[0] < p[1]]
        taken.setdefault(m.person_id, []).append((lo, hi))
        spans += [(m.person_id, m.team_id, a, b) for a, b in pieces]
    return sorted(spans, key=lambda s: (s[0], s[2]))


def _relation(d: Dialect, name: str, columns: tuple[tuple[str, str], ...], rows: list[Any]) -> tuple[str, str]:
    """A CTE over rows from Python, bound as one JSON parameter; its definition and the parameter."""
    names = ", ".join(column for column, _ in columns)
    return f"{name}({names}) AS MATERIALIZED ({d.json_rows(columns)})", json.dumps(rows)


def _teams_cte(d: Dialect, spans: list[tuple[str, str, int, int]] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if spans is None:
        return (), ()
    rows = [(rep, n, lo, hi) for n, (rep, _, lo, hi) in enumerate(spans)]
    cte, param = _relation(d, "tm", _TM_COLUMNS, rows)
    return (cte,), (param,)


_TM_COLUMNS = (("person_id", "TEXT"), ("span", "BIGINT"), ("lo_us", "BIGINT"), ("hi_us", "BIGINT"))
_SP_COLUMNS = (("id", "TEXT"), ("seq", "BIGINT"), ("owner_id", "TEXT"), ("w", "BIGINT"))


Refuse: TypeAlias = Callable[[str, str, str, int], NoReturn]


def _split_relation(con: Any, d: Dialect, splits: object) -> tuple[tuple[str, ...], tuple[str, ...], Refuse | None]:
    """The CTEs that define `sp`, their parameters, and how to refuse a bad share the SQL found
    (None: no splits)."""
    if splits is None:
        return (), (), None
    if isinstance(splits, Mapping):
        cte, param = _relation(d, "sp", _SP_COLUMNS, _split_rows(d, splits))
        return (cte,), (param,), _mapping_refusal(splits)
    if con is None or not is_columnar(splits):
        raise ValidationError(
            "splits", type(splits).__name__, "expected {deal id: {rep: share}} (or, for columnar data, a relation)"
        )
    _source(con, splits, "sp_src")
    types = _columns(con, "sp_src", ("opportunity_id", "owner_id", "share"), ())
    share = types["share"]
    if share in _INTEGER or share == '"NULL"':  # an empty pandas column has no type
        scale = 0
    elif share.startswith("DECIMAL(") and share.endswith(")"):
        scale = int(share[8:-1].split(",")[1])
    else:
        raise ValidationError("share", share, "shares must be an integer or DECIMAL column (floats are not exact)")
    seq = (
        "CAST(seq AS BIGINT)" if "seq" in types else "ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY owner_id)"
    )
    con.execute(
        f"CREATE TEMP VIEW sp AS SELECT CAST(opportunity_id AS VARCHAR) AS id, {seq} AS seq, "
        f"CAST(owner_id AS VARCHAR) AS owner_id, CAST(share * {10**scale} AS HUGEINT) AS w FROM sp_src"
    )

    def refuse(kind: str, owner: str, deal: str, weight: int) -> NoReturn:
        if kind == "negative":
            value = None if weight is None else Decimal(weight).scaleb(-scale)
            raise ValidationError(f"shares[{owner}]", value, "weights cannot be negative")
        if kind == "zero":
            raise ValidationError("shares", deal, "weights cannot all be zero")
        raise ValidationError("splits", f"{deal}: {owner}", "one share per rep and deal")

    return (), (), refuse


_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}


def _split_rows(d: Dialect, splits: Mapping[Any, Shares]) -> list[tuple[str | int | None, ...]]:
    """(deal, seq, rep, weight), each deal's weights the smallest integers in the same proportions
    (Money.allocate's split does not change under a common factor); a share the reference would
    refuse becomes NULL, refused only if its deal counts, as the reference does."""
    rows: list[tuple[str | int | None, ...]] = []
    for deal, shares in splits.items():
        ints = _smallest_weights(tuple(shares.values()))
        total = sum(w or 0 for w in ints)
        if total >= 2**63 or (d is SQLITE and total * total >= 2**63):
            raise ValidationError(f"splits[{deal}]", dict(shares), "shares too fine for 64-bit integer weights")
        rows += [(str(deal), seq, str(rep), w) for seq, (rep, w) in enumerate(zip(shares, ints, strict=True))]
    return rows


@functools.lru_cache(maxsize=1024)  # deals are mostly split in a few patterns (halves, thirds, ...)
def _smallest_weights(shares: tuple[object, ...]) -> tuple[int | None, ...]:
    weights = [_weight(share) for share in shares]
    known = [w for w in weights if w is not None]
    scale = math.lcm(*(w.denominator for w in known))
    common = math.gcd(*(int(w * scale) for w in known)) or 1
    return tuple(None if w is None else int(w * scale) // common for w in weights)


def _weight(share: object) -> Fraction | None:
    try:
        value = Fraction(to_decimal(share, "share"))
    except ValidationError:
        return None
    return value if value >= 0 else None


def _mapping_refusal(splits: Mapping[Any, Shares]) -> Refuse:
    by_deal = {str(deal): shares for deal, shares in splits.items()}

    def refuse(kind: str, owner: str, deal: str, weight: int) -> NoReturn:
        check_weights(by_deal[deal], "shares")  # the reference's own error
        raise AssertionError(f"the SQL refused a share of {deal} that the reference accepts")

    return refuse


def _instant_us(types: dict[str, str], name: str) -> str:
    """Microseconds since 1970 UTC of a timestamp column, or of a DATE column's midnight."""
    kind = types[name]
    if kind == "TIMESTAMP WITH TIME ZONE":
        return f"epoch_us({name})"
    if kind == "DATE":
        return f"epoch_us(CAST({name} AS TIMESTAMP))"
    raise ValidationError(name, kind, "needs timezone-aware timestamps (e.g. pandas tz_localize('UTC')) or dates")


def _engine(
    kind: _Kind,
    data: object,
    period: Period,
    credit: Credit,
    currency: str | Currency | None,
    splits: object,
    allow_float_amounts: bool,
    progress: Progress | None,
) -> dict[str, Money]:
    spans = _team_spans(credit)
    phases = Phases(progress, 3)
    con = connect()
    _source(con, data)
    required = ("owner_id", kind.when, "currency", *(("status",) if kind.status else ()))
    types = _columns(con, "src", (*required, *((kind.key,) if splits is not None else ())), ())
    exponent = 2 if "amount_minor" in types else MINOR_UNITS.get(_single_currency(con, "src") or "", 2)
    key = f"CAST({kind.key} AS VARCHAR)" if kind.key in types else "CAST(NULL AS VARCHAR)"
    won = "WHERE CAST(status AS VARCHAR) = 'won'" if kind.status else ""
    con.execute(
        f"CREATE TEMP VIEW cr AS SELECT {key} AS id, CAST(owner_id AS VARCHAR) AS owner_id, "
        f"{_instant_us(types, kind.when)} AS at_us, "
        f"{_amount_minor(con, types, exponent, allow_float_amounts)} AS amount_minor, "
        f"CAST(currency AS VARCHAR) AS currency FROM src {won}"
    )
    split_ctes, split_params, refuse = _split_relation(con, DUCKDB, splits)
    team_ctes, team_params = _teams_cte(DUCKDB, spans)
    phases.advance()
    sql = _sql(DUCKDB, period, split_ctes + team_ctes, refuse is not None, spans is not None)
    rows = con.execute(sql, split_params + team_params).fetchall()
    phases.advance()
    result = _finish(rows, currency, refuse, spans)
    phases.advance()
    return result


def _pushed_down(
    kind: _Kind,
    store: Store,
    tenant_id: str,
    period: Period,
    credit: Credit,
    currency: str | Currency | None,
    splits: object,
    progress: Progress | None,
) -> dict[str, Money]:
    spans = _team_spans(credit)
    phases = Phases(progress, 3)
    with pushdown(store, tenant_id) as session:
        d = session.dialect
        views: dict[str, tuple[str, str, str, tuple[object, ...]]]
        if kind.status:
            views = {
                "cr": (
                    f"id, owner_id, {d.epoch_us('closed_at')} AS at_us, amount_minor, currency",
                    "opportunities",
                    f"status = {d.param}",
                    ("won",),
                )
            }
            records: tuple[str, ...] = ()
        else:  # payments are child rows of their contract, which holds the owner, currency and deal
            views = {
                "pay": ("parent_id, received_at, amount_minor", "contract_payments", "", ()),
                "con": ("id, owner_id, currency, opportunity_id", "contracts", "", ()),
            }
            records = (
                f"cr AS (SELECT con.opportunity_id AS id, con.owner_id, {d.epoch_us('pay.received_at')} AS at_us, "
                "pay.amount_minor, con.currency FROM pay JOIN con ON con.id = pay.parent_id)",
            )
        split_ctes, split_params, refuse = _split_relation(None, d, splits)
        team_ctes, team_params = _teams_cte(d, spans)
        phases.advance()
        sql = _sql(d, period, records + split_ctes + team_ctes, refuse is not None, spans is not None)
        rows = session.query_tables(views, sql, split_params + team_params)
        phases.advance()
    result = _finish(rows, currency, refuse, spans)
    phases.advance()
    return result


def _sql(d: Dialect, period: Period, prelude: tuple[str, ...], split: bool, teams: bool) -> str:
    return credits_query(
        d, prelude=prelude, start_us=_micros(period.start), end_us=_micros(period.end), split=split, teams=teams
    )


def _finish(
    rows: list[tuple[Any, ...]],
    currency: str | Currency | None,
    refuse: Refuse | None,
    spans: list[tuple[str, str, int, int]] | None,
) -> dict[str, Money]:
    """The reference's mapping from the SQL rows: refusals first, then one currency, then credits
    (per membership span when crediting teams: each span's team gets its total)."""
    for kind, owner, label, a in rows:
        if kind not in ("credit", "currency") and refuse is not None:
            refuse(kind, owner, label, a)
    cur = _currency(rows, currency)
    totals: dict[str, int] = {}
    for kind, owner, _, a in rows:
        if kind == "credit":
            key = str(owner) if spans is None else spans[int(owner)][1]
            totals[key] = totals.get(key, 0) + int(a)
    return {key: Money.from_minor(minor, cur) for key, minor in sorted(totals.items())}
