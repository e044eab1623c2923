"""Where DuckDB, SQLite and PostgreSQL differ, in one place.

Every analytic is written once as SQL over a relation `tx(customer_id, occurred_at, amount_minor,
currency)` (or the funnel's relations); a Dialect supplies the few expressions that differ: the
local calendar day of a timestamp, integer division (all three truncate toward zero), a bound
parameter, and how a timestamp column is stored.
"""

from __future__ import annotations

from attrs import frozen

from bizrel.core.errors import ValidationError

__all__ = ["DUCKDB", "POSTGRES", "SQLITE", "Dialect"]

ORDINAL_EPOCH = "0001-01-01"  # date.toordinal() counts from here (ordinal 1), a Monday


@frozen
class Dialect:
    name: str
    param: str

    def day(self, timestamp: str, tz: str) -> str:
        """date.toordinal() of the timestamp's calendar day in zone `tz`, as an integer expression."""
        if self.name == "duckdb":
            return f"(date_diff('day', DATE '{ORDINAL_EPOCH}', CAST(timezone('{_zone(tz)}', {timestamp}) AS DATE)) + 1)"
        if self.name == "postgres":
            return f"((CAST({timestamp} AT TIME ZONE '{_zone(tz)}' AS DATE) - DATE '{ORDINAL_EPOCH}') + 1)"
        if tz != "UTC":
            raise ValidationError("tz", tz, "SQLite push-down computes days in UTC only; use the engine or tz=UTC")
        # stored as fixed-width UTC text; julianday of a date is x.5, so the difference is exact
        return f"CAST(julianday(substr({timestamp}, 1, 10)) - 1721424.5 AS INTEGER)"

    def idiv(self, a: str, b: str) -> str:
        if self.name == "duckdb":
            return f"(({a}) // ({b}))"
        if self.name == "postgres":
            return f"div(({a}), ({b}))"
        return f"(({a}) / ({b}))"

    def wide(self, expr: str) -> str:
        """expr as an integer wide enough for products of sums (SQLite has 64 bits only)."""
        if self.name == "duckdb":
            return f"CAST({expr} AS HUGEINT)"
        if self.name == "postgres":
            return f"CAST({expr} AS NUMERIC)"
        return expr

    def half_even_div(self, a: str, b: str) -> str:
        """a / b rounded half-even to an integer (b > 0), with integer arithmetic only."""
        q = self.idiv(f"abs({a})", b)
        r = f"(abs({a}) - {q} * ({b}))"
        rounded = f"(CASE WHEN 2 * {r} > ({b}) THEN {q} + 1 WHEN 2 * {r} = ({b}) THEN {q} + ({q} % 2) ELSE {q} END)"
        return f"(CASE WHEN ({a}) < 0 THEN -{rounded} ELSE {rounded} END)"


def _zone(tz: str) -> str:
    if not tz.replace("/", "").replace("_", "").replace("-", "").replace("+", "").isalnum():
        raise ValidationError("tz", tz, "not an IANA time zone name")
    return tz


DUCKDB = Dialect("duckdb", "?")
SQLITE = Dialect("sqlite", "?")
POSTGRES = Dialect("postgres", "%s")
