"""Receivables (aging, DSO, collection performance) as SQL, the same definitions as
bizrel.sales.collections.

Input: four relations.
  ct(id, group_key, currency)                           -- one row per contract; group_key is what
                                                        -- the report groups by (owner_id, id, ...)
  ins(contract_id, number, due, amount_minor, voided)   -- the payment plan
  app(contract_id, instalment, amount_minor, applied_on) -- payment applications, by UTC day
  inv(contract_id, instalment, issued_on)               -- invoices

An instalment is billed on its earliest invoice date or its due date, whichever comes first. As of
a day, its open amount is its amount less every application made up to the end of that day, when
it is live (not voided), billed by then and that difference is positive (Contract.receivables).
Days are compared as ISO date literals, which DuckDB and PostgreSQL read as DATE and SQLite
compares as its stored 'YYYY-MM-DD' text.

The collection cycle reads one relation, cyc(id, owner_id, won_on, paid_on), and answers with the
fully paid contracts' (id, owner_id, won_on, paid_on) as text, the days counted in Python.

Every other query answers in one layout (kind, label, a, b, c, d, e, f), only integer sums:
  key       label = a group key (every contract's key has a row, receivables or not)
  currency  label = a currency, a = its contracts (more than one row is a currency mismatch)
and per analytic:
  aging     label = group key, a = bucket (0 current .. 4 over 90 days), b = open amount
  open      a = open amount on the day
  billed    label = a billing day, a = amount billed on it
  owner     label = group key, a = due in the period, b = paid by its last day on what was due,
            c = open the day before it, d = billed in it, e = open on its last day,
            f = of that, not yet due
"""

from __future__ import annotations

from datetime import date

from bizrel.analytics.dialect import Dialect

__all__ = ["CYCLE_QUERY", "aging_query", "dso_query", "performance_query"]

_NULLS = "CAST(NULL AS BIGINT)"


def _day(day: date) -> str:
    return f"'{day.isoformat()}'"


def _receivables(d: Dialect, days: tuple[date, ...]) -> str:
    """CTEs ending in `live`: every live instalment of a known contract with its group key, due,
    amount, billing day, paid_i (applied up to the end of days[i]) and open_i (open on days[i])."""
    paid = ", ".join(
        f"SUM(CASE WHEN applied_on <= {_day(day)} THEN amount_minor ELSE 0 END) AS paid_{i}"
        for i, day in enumerate(days)
    )
    joined = ", ".join(f"ins.amount_minor - COALESCE(paid.paid_{i}, 0) AS left_{i}" for i in range(len(days)))
    carried = ", ".join(f"COALESCE(paid.paid_{i}, 0) AS paid_{i}" for i in range(len(days)))
    opened = ", ".join(
        f"CASE WHEN billed_on <= {_day(day)} AND left_{i} > 0 THEN left_{i} ELSE 0 END AS open_{i}"
        for i, day in enumerate(days)
    )
    return f"""
    paid AS (SELECT contract_id, instalment, {paid} FROM app GROUP BY contract_id, instalment),
    invoiced AS (SELECT contract_id, instalment, MIN(issued_on) AS issued_on FROM inv GROUP BY contract_id, instalment),
    plan AS (
        SELECT ct.group_key, ins.due, ins.amount_minor,
               CASE WHEN invoiced.issued_on < ins.due THEN invoiced.issued_on ELSE ins.due END AS billed_on,
               {d.ordinal("ins.due")} AS due_ordinal, {carried}, {joined}
        FROM ins
        JOIN ct ON ct.id = ins.contract_id
        LEFT JOIN invoiced ON invoiced.contract_id = ins.contract_id AND invoiced.instalment = ins.number
        LEFT JOIN paid ON paid.contract_id = ins.contract_id AND paid.instalment = ins.number
        WHERE NOT ins.voided
    ),
    live AS (SELECT *, {opened} FROM plan)
    """


def _tail() -> str:
    """The key and currency rows every query ends with."""
    return """
    UNION ALL
    SELECT 'key', group_key, NULL, NULL, NULL, NULL, NULL, NULL FROM ct GROUP BY group_key
    UNION ALL
    SELECT 'currency', currency, COUNT(*), NULL, NULL, NULL, NULL, NULL FROM ct GROUP BY currency
    """


def aging_query(d: Dialect, as_of: date) -> str:
    age = f"({as_of.toordinal()} - due_ordinal)"
    bounds = " ".join(f"WHEN {age} <= {days} THEN {b}" for b, days in enumerate((0, 30, 60, 90)))
    bucket = f"CASE {bounds} ELSE 4 END"  # sales.collections._bucket
    return f"""
    WITH {_receivables(d, (as_of,))}
    SELECT 'aging' AS kind, group_key AS label, {bucket} AS a, SUM(open_0) AS b, {_NULLS} AS c, {_NULLS} AS d,
           {_NULLS} AS e, {_NULLS} AS f
    FROM live WHERE open_0 > 0 GROUP BY group_key, {bucket}
    {_tail()}
    """


def dso_query(d: Dialect, last: date, billed_from: date, billed_until: date) -> str:
    """Open receivables on `last` and what was billed per day in [billed_from, billed_until)."""
    return f"""
    WITH {_receivables(d, (last,))}
    SELECT 'open' AS kind, CAST(NULL AS TEXT) AS label, SUM(open_0) AS a, {_NULLS} AS b, {_NULLS} AS c,
           {_NULLS} AS d, {_NULLS} AS e, {_NULLS} AS f
    FROM live
    UNION ALL
    SELECT 'billed', CAST(billed_on AS TEXT), SUM(amount_minor), NULL, NULL, NULL, NULL, NULL
    FROM live WHERE billed_on >= {_day(billed_from)} AND billed_on < {_day(billed_until)} GROUP BY billed_on
    {_tail()}
    """


def performance_query(d: Dialect, start: date, end: date) -> str:
    """Per group key, the figures of collection performance for the period [start, end)."""
    before, last = date.fromordinal(start.toordinal() - 1), date.fromordinal(end.toordinal() - 1)
    due_in = f"due >= {_day(start)} AND due < {_day(end)}"
    return f"""
    WITH {_receivables(d, (before, last))}
    SELECT 'owner' AS kind, group_key AS label,
           SUM(CASE WHEN {due_in} THEN amount_minor ELSE 0 END) AS a,
           SUM(CASE WHEN {due_in} THEN paid_1 ELSE 0 END) AS b,
           SUM(open_0) AS c,
           SUM(CASE WHEN billed_on >= {_day(start)} AND billed_on < {_day(end)} THEN amount_minor ELSE 0 END) AS d,
           SUM(open_1) AS e,
           SUM(CASE WHEN due >= {_day(last)} THEN open_1 ELSE 0 END) AS f
    FROM live GROUP BY group_key
    {_tail()}
    """


CYCLE_QUERY = """
WITH done AS (SELECT id, owner_id, won_on, paid_on FROM cyc WHERE paid_on IS NOT NULL)
SELECT id, owner_id, CAST(won_on AS TEXT), CAST(paid_on AS TEXT) FROM done
"""
