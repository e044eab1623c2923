"""Receivables analytics over any input: aging, DSO and collection performance as the pure-Python
reference computes them from Contracts, DuckDB over columnar contracts, and SQL push-down over the
contracts a SQLite or PostgreSQL store holds. Every path returns the reference's result.

Columnar input is one relation per part of a contract (DataFrames, Arrow tables or Parquet/CSV
paths), named after the reference's fields:

  contracts:    id, currency, and the column the report groups by (owner_id by default; id,
                opportunity_id or account_name)
  instalments:  contract_id, number, due (DATE), amount_minor (integer minor units) or amount
                (DECIMAL), and optionally voided_at (timezone-aware; null while live) or void
                (BOOLEAN)
  applications: contract_id, instalment (its number), amount_minor or amount, at (timezone-aware):
                how much of a payment (or of held credit) went to an instalment, and when
  invoices:     optional; contract_id, instalment, issued_on (DATE)

As of a day, an instalment's open amount is its amount less the applications made up to the end of
that day (UTC), when it is live and billed by then: invoiced, or due without an invoice.
Sums come back from SQL as exact integers; rates and DSO are finished here as the reference does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from bizrel.adapters import Store
from bizrel.analytics.columnar import _amount_minor, _single_currency, _source, connect, is_columnar
from bizrel.analytics.dialect import DUCKDB, Dialect
from bizrel.analytics.funnel import _columns
from bizrel.analytics.progress import Phases, counted
from bizrel.analytics.pushdown import pushdown
from bizrel.analytics.receivables_sql import CYCLE_QUERY, aging_query, dso_query, performance_query
from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.money import Currency, Money
from bizrel.core.numbers import ratio
from bizrel.core.periods import Period
from bizrel.core.progress import Progress
from bizrel.sales import collections as reference
from bizrel.sales.collections import (
    AGING_BUCKETS,
    AgingReport,
    AgingRow,
    CollectionCycleReport,
    CollectionPerformance,
    CollectionPerformanceRow,
    dso_count_back,
    dso_standard,
)

__all__ = ["aging", "collection_cycle", "collection_performance", "dso"]

_KEYS = ("owner_id", "id", "opportunity_id", "account_name")  # the text fields a report can group by
_HISTORY = 12  # months the count-back DSO walks back


def aging(
    contracts: object,
    as_of: date,
    *,
    by: str = "owner_id",
    currency: str | Currency | None = None,
    instalments: object = None,
    applications: object = None,
    invoices: object = None,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> AgingReport:
    """bizrel.sales.aging for any input: Contracts (the reference), columnar contracts with their
    instalments and applications beside them (DuckDB), or a Store with `tenant_id` (push-down)."""
    columnar = (instalments, applications, invoices)
    if not _engine(contracts, columnar, tenant_id):
        return reference.aging(counted(_contracts(contracts), progress), as_of, by=by, currency=currency)
    day = _date(as_of, "as_of")
    phases = Phases(progress, 3)
    rows = _run(contracts, columnar, tenant_id, by, allow_float_amounts, lambda d: aging_query(d, day))
    phases.advance()
    cur = _currency(rows, currency)
    grid = {str(r[1]): [0] * len(AGING_BUCKETS) for r in rows if r[0] == "key"}
    for r in rows:
        if r[0] == "aging":
            grid[str(r[1])][int(r[2])] = int(r[3])
    phases.advance()
    money = partial(Money.from_minor, currency=cur)
    report = AgingReport(
        day,
        tuple(AgingRow(k, tuple(money(v) for v in grid[k])) for k in sorted(grid)),
        AgingRow("total", tuple(money(sum(grid[k][b] for k in grid)) for b in range(len(AGING_BUCKETS)))),
    )
    phases.advance()
    return report


def dso(
    contracts: object,
    period: Period,
    *,
    method: str = "standard",
    currency: str | Currency | None = None,
    instalments: object = None,
    applications: object = None,
    invoices: object = None,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> Decimal | None:
    """bizrel.sales.dso for any input (see `aging`): receivables on the period's last day against
    what was billed in the period (`standard`) or month by month backwards (`count-back`)."""
    columnar = (instalments, applications, invoices)
    if not _engine(contracts, columnar, tenant_id):
        return reference.dso(counted(_contracts(contracts), progress), period, method=method, currency=currency)
    if not isinstance(period, Period):
        raise ValidationError("period", period, "expected a Period")
    last = period.end - timedelta(days=1)
    months = [Period.containing(last, "month")]
    while len(months) < _HISTORY:
        months.append(months[-1].previous())
    lo, hi = (months[-1].start, months[0].end) if method == "count-back" else (period.start, period.end)
    phases = Phases(progress, 3)
    rows = _run(contracts, columnar, tenant_id, "id", allow_float_amounts, lambda d: dso_query(d, last, lo, hi))
    phases.advance()
    cur = _currency(rows, currency)
    receivable = Money.from_minor(int(next(r[2] for r in rows if r[0] == "open") or 0), cur)
    billed = {date.fromisoformat(str(r[1])[:10]): int(r[2]) for r in rows if r[0] == "billed"}

    def billed_in(p: Period) -> Money:
        return Money.from_minor(sum(v for day, v in billed.items() if p.contains(day)), cur)

    phases.advance()
    if method == "standard":
        result = dso_standard(receivable, billed_in(period), period.days)
    elif method == "count-back":
        result = dso_count_back(receivable, [(m.days, billed_in(m)) for m in months])
    else:
        raise ValidationError("method", method, "standard or count-back")
    phases.advance()
    return result


def collection_performance(
    contracts: object,
    period: Period,
    *,
    currency: str | Currency | None = None,
    instalments: object = None,
    applications: object = None,
    invoices: object = None,
    tenant_id: str | None = None,
    allow_float_amounts: bool = False,
    progress: Progress | None = None,
) -> CollectionPerformance:
    """bizrel.sales.collection_performance for any input (see `aging`): collection rate and CEI
    per owner for one period."""
    columnar = (instalments, applications, invoices)
    if not _engine(contracts, columnar, tenant_id):
        return reference.collection_performance(counted(_contracts(contracts), progress), period, currency=currency)
    if not isinstance(period, Period):
        raise ValidationError("period", period, "expected a Period")
    phases = Phases(progress, 3)
    query = lambda d: performance_query(d, period.start, period.end)  # noqa: E731
    rows = _run(contracts, columnar, tenant_id, "owner_id", allow_float_amounts, query)
    phases.advance()
    cur = _currency(rows, currency)
    figures = {str(r[1]): (0, 0, 0, 0, 0, 0) for r in rows if r[0] == "key"}
    figures.update({str(r[1]): tuple(int(x) for x in r[2:8]) for r in rows if r[0] == "owner"})  # type: ignore[misc]
    phases.advance()
    money = partial(Money.from_minor, currency=cur)
    out = []
    for owner in sorted(figures):
        due, paid, begin, sales, end, current = figures[owner]
        out.append(
            CollectionPerformanceRow(
                owner_id=owner,
                due=money(due),
                collected_on_due=money(paid),
                collection_rate=ratio(paid, due),
                beginning_receivables=money(begin),
                billed=money(sales),
                ending_receivables=money(end),
                ending_current=money(current),
                cei=ratio(begin + sales - end, begin + sales - current),
            )
        )
    result = CollectionPerformance(period, tuple(out))
    phases.advance()
    return result


def collection_cycle(
    contracts: object, *, tenant_id: str | None = None, progress: Progress | None = None
) -> CollectionCycleReport:
    """bizrel.sales.collection_cycle for any input: days from won to fully paid per contract.

    Columnar contracts need `won_at` and `fully_paid_at` (timezone-aware; null while unpaid) beside
    `id` and `owner_id`; a store's contracts are read where they are, only the fully paid ones
    come back."""
    if not _engine(contracts, (None, None, None), tenant_id, needs=()):
        return reference.collection_cycle(counted(_contracts(contracts), progress))
    phases = Phases(progress, 3)
    if isinstance(contracts, Store):
        assert tenant_id is not None
        with pushdown(contracts, tenant_id) as session:
            d = session.dialect
            won, paid = (d.iso_date(_stored_day(d, "body", key)) for key in ("won_at", "fully_paid_at"))
            view = (f"id, owner_id, {won} AS won_on, {paid} AS paid_on", "contracts", "fully_paid", ())
            rows = session.query_tables({"cyc": view}, CYCLE_QUERY)
    else:
        con = connect()
        _source(con, contracts, "ct_src")
        _columns(con, "ct_src", ("id", "owner_id", "won_at", "fully_paid_at"), ("won_at", "fully_paid_at"))
        won, paid = (DUCKDB.local_date(key, "UTC") for key in ("won_at", "fully_paid_at"))
        con.execute(
            "CREATE TEMP VIEW cyc AS SELECT CAST(id AS VARCHAR) AS id, CAST(owner_id AS VARCHAR) AS owner_id, "
            f"{won} AS won_on, {paid} AS paid_on FROM ct_src"
        )
        rows = con.execute(CYCLE_QUERY).fetchall()
    phases.advance()
    cycles = []
    for id_, owner, won_text, paid_text in rows:
        won_on, paid_on = date.fromisoformat(str(won_text)[:10]), date.fromisoformat(str(paid_text)[:10])
        cycles.append((str(id_), str(owner), won_on, paid_on, (paid_on - won_on).days))
    phases.advance()
    report = CollectionCycleReport(tuple(sorted(cycles)), ratio(sum(c[4] for c in cycles), len(cycles), 1))
    phases.advance()
    return report


# -- dispatch -----------------------------------------------------------------------------------


def _engine(
    contracts: object,
    columnar: tuple[object, ...],
    tenant_id: str | None,
    needs: tuple[str, ...] = ("instalments", "applications"),
) -> bool:
    """Whether the input goes to SQL (a store or columnar contracts) rather than the reference;
    columnar contracts need the relations named in `needs` beside them."""
    if isinstance(contracts, Store):
        if tenant_id is None:
            raise ValidationError("tenant_id", None, "push-down over a store needs the tenant")
        return True
    if is_columnar(contracts):
        for name, value in zip(needs, columnar, strict=False):
            if value is None:
                raise ValidationError(name, None, f"columnar contracts need their {name} beside them")
        return True
    for name, value in zip(("instalments", "applications", "invoices"), columnar, strict=True):
        if value is not None:
            raise ValidationError(name, type(value).__name__, "only columnar contracts take them")
    return False


def _contracts(contracts: object) -> Iterable[reference.Contract]:
    if not isinstance(contracts, Iterable):
        raise ValidationError("contracts", type(contracts).__name__, "expected Contracts, columnar input or a Store")
    return contracts


def _date(value: object, field: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(field, value, "expected a date")
    return value


def _key(by: str) -> str:
    if by not in _KEYS:
        raise ValidationError("by", by, f"SQL paths group by one of {', '.join(_KEYS)}")
    return by


def _run(
    contracts: object,
    columnar: tuple[object, ...],
    tenant_id: str | None,
    by: str,
    allow_float_amounts: bool,
    query: Callable[[Dialect], str],
) -> list[tuple[Any, ...]]:
    """Bind the four relations (columnar inputs in DuckDB, or the store's tables) and run the query."""
    key = _key(by)
    if isinstance(contracts, Store):
        assert tenant_id is not None
        with pushdown(contracts, tenant_id) as session:
            d = session.dialect
            group_key = d.json_text("body", key) if key == "account_name" else key
            views = {
                "ct": (f"id, {group_key} AS group_key, currency", "contracts", "", ()),
                "ins": (
                    "parent_id AS contract_id, number, due, amount_minor, void AS voided",
                    "contract_instalments",
                    "",
                    (),
                ),
                "app": (
                    f"contracts.id AS contract_id, {_element_number(d)} AS instalment, "
                    f"CAST(replace({d.json_text('el.value', 'amount.amount')}, '.', '') AS BIGINT) AS amount_minor, "
                    f"{d.iso_date(_stored_day(d, 'el.value', 'at'))} AS applied_on",
                    d.json_elements("contracts", "applications"),
                    "",
                    (),
                ),
                "inv": (
                    f"contracts.id AS contract_id, {_element_number(d)} AS instalment, "
                    f"{d.iso_date(_stored_day(d, 'el.value', 'issued_on'))} AS issued_on",
                    d.json_elements("contracts", "invoices"),
                    "",
                    (),
                ),
            }
            return session.query_tables(views, query(d))
    con = connect()
    _load(con, contracts, columnar, key, allow_float_amounts)
    rows: list[tuple[Any, ...]] = con.execute(query(DUCKDB)).fetchall()
    return rows


def _element_number(d: Dialect) -> str:
    return f"CAST({d.json_text('el.value', 'instalment')} AS INTEGER)"


def _stored_day(d: Dialect, column: str, key: str) -> str:
    """The UTC day of a stored date or instant (ISO text: the day is its first ten characters)."""
    return f"substr({d.json_text(column, key)}, 1, 10)"


# the UTC day of `at` (quoted: AT is a keyword) through a plain timestamp from epoch microseconds,
# many times faster than a time-zone conversion
_UTC_DAY = 'CAST(make_timestamp(epoch_us("at")) AS DATE)'


def _load(con: Any, contracts: object, columnar: tuple[object, ...], key: str, allow_float: bool) -> None:
    """Create the views `ct`, `ins`, `app` and `inv` the SQL expects over the columnar inputs."""
    instalments, applications, invoices = columnar
    _source(con, contracts, "ct_src")
    _columns(con, "ct_src", ("id", "currency", key), ())
    con.execute(
        f"CREATE TEMP VIEW ct AS SELECT CAST(id AS VARCHAR) AS id, CAST({key} AS VARCHAR) AS group_key, "
        "CAST(currency AS VARCHAR) AS currency FROM ct_src"
    )
    exponent: int | None = None

    def amount(relation: str, types: dict[str, str]) -> str:
        nonlocal exponent
        if exponent is None:
            exponent = 2 if "amount_minor" in types else MINOR_UNITS.get(_single_currency(con, "ct") or "", 2)
        return str(_amount_minor(con, types, exponent, allow_float, relation))

    _source(con, instalments, "ins_src")
    types = _columns(con, "ins_src", ("contract_id", "number", "due"), ("voided_at",))
    _dates(types, "due")
    if "voided_at" in types:
        voided = "voided_at IS NOT NULL"
    elif "void" in types:
        if types["void"] != "BOOLEAN":
            raise ValidationError("void", types["void"], "void must be a BOOLEAN column (or give voided_at)")
        voided = "COALESCE(void, FALSE)"
    else:
        voided = "FALSE"
    con.execute(
        "CREATE TEMP VIEW ins AS SELECT CAST(contract_id AS VARCHAR) AS contract_id, CAST(number AS BIGINT) AS number, "
        f"CAST(due AS DATE) AS due, {amount('ins_src', types)} AS amount_minor, {voided} AS voided FROM ins_src"
    )
    _source(con, applications, "app_src")
    types = _columns(con, "app_src", ("contract_id", "instalment", "at"), ("at",))
    con.execute(
        "CREATE TEMP VIEW app AS SELECT CAST(contract_id AS VARCHAR) AS contract_id, "
        f"CAST(instalment AS BIGINT) AS instalment, {amount('app_src', types)} AS amount_minor, "
        f"{_UTC_DAY} AS applied_on FROM app_src"
    )
    if invoices is None:
        con.execute(
            "CREATE TEMP VIEW inv AS SELECT CAST(NULL AS VARCHAR) AS contract_id, CAST(NULL AS BIGINT) AS instalment, "
            "CAST(NULL AS DATE) AS issued_on WHERE FALSE"
        )
        return
    _source(con, invoices, "inv_src")
    types = _columns(con, "inv_src", ("contract_id", "instalment", "issued_on"), ())
    _dates(types, "issued_on")
    con.execute(
        "CREATE TEMP VIEW inv AS SELECT CAST(contract_id AS VARCHAR) AS contract_id, "
        "CAST(instalment AS BIGINT) AS instalment, CAST(issued_on AS DATE) AS issued_on FROM inv_src"
    )


def _dates(types: dict[str, str], name: str) -> None:
    """Calendar days; a column of no values (an empty DataFrame's has no type) is taken as one."""
    if types[name] not in ("DATE", '"NULL"'):
        raise ValidationError(name, types[name], "needs a DATE column (calendar days, no time of day)")


def _currency(rows: list[tuple[Any, ...]], currency: str | Currency | None) -> Currency:
    """The one currency of the contracts, refused as the reference refuses a mix."""
    found = sorted(str(r[1]) for r in rows if r[0] == "currency")
    wanted = Currency.of(currency) if currency is not None else None
    if wanted is not None and any(code != wanted.code for code in found):
        raise CurrencyMismatch("currency", wanted.code, next(code for code in found if code != wanted.code))
    if len(found) > 1:
        raise CurrencyMismatch("currency", found[0], found[1])
    if found:
        return Currency.of(found[0])
    return wanted or Currency.of("USD")
