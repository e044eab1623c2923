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
_EPOCH_ORDINAL = 719_163  # date(1970, 1, 1).toordinal()
_DAY_US = 86_400_000_000


@frozen
class Dialect:
    name: str
    param: str

    def local_date(self, timestamp: str, tz: str) -> str:
        """The calendar date of a timestamp in zone `tz`."""
        if self.name == "duckdb":
            return f"CAST(timezone('{_zone(tz)}', {timestamp}) AS DATE)"
        if self.name == "postgres":
            return f"CAST({timestamp} AT TIME ZONE '{_zone(tz)}' AS DATE)"
        if tz != "UTC":
            raise ValidationError("tz", tz, "SQLite push-down computes days in UTC only; use the engine or tz=UTC")
        return f"substr({timestamp}, 1, 10)"  # stored as fixed-width UTC text

    def ordinal(self, day: str) -> str:
        """date.toordinal() of a date expression, as an integer expression."""
        if self.name == "duckdb":
            return f"(date_diff('day', DATE '{ORDINAL_EPOCH}', {day}) + 1)"
        if self.name == "postgres":
            return f"(({day} - DATE '{ORDINAL_EPOCH}') + 1)"
        return f"CAST(julianday({day}) - 1721424.5 AS INTEGER)"  # julianday of a date is x.5: exact

    def day_ordinal(self, timestamp: str, tz: str) -> str:
        """date.toordinal() of the timestamp's local day; in UTC on DuckDB, integer arithmetic on
        epoch microseconds (floor division), about 3x faster than a time-zone conversion."""
        if self.name == "duckdb" and tz == "UTC":
            us = f"epoch_us({timestamp})"
            floor = f"(({us} - CASE WHEN {us} < 0 THEN {_DAY_US - 1} ELSE 0 END) // {_DAY_US})"
            return f"({floor} + {_EPOCH_ORDINAL})"
        return self.ordinal(self.local_date(timestamp, tz))

    def idiv(self, a: str, b: str) -> str:
        if self.name == "duckdb":
            return f"(({a}) // ({b}))"
        if self.name == "postgres":
            return f"div(({a}), ({b}))"
        return f"(({a}) / ({b}))"

    def mod(self, a: str, b: str) -> str:
        """a modulo b for non-negative integers (psycopg reads % as a parameter marker)."""
        return f"mod({a}, {b})" if self.name == "postgres" else f"(({a}) % ({b}))"

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
        rounded = (
            f"(CASE WHEN 2 * {r} > ({b}) THEN {q} + 1 WHEN 2 * {r} = ({b}) THEN {q} + {self.mod(q, '2')} ELSE {q} END)"
        )
        return f"(CASE WHEN ({a}) < 0 THEN -{rounded} ELSE {rounded} END)"

    # customer analytics

    def month_index(self, timestamp: str, tz: str) -> str:
        """year * 12 + month - 1 of the timestamp's local calendar month (bizrel's month index)."""
        if self.name == "duckdb" and tz == "UTC":  # a plain TIMESTAMP from epoch microseconds: no ICU
            at = f"make_timestamp(epoch_us({timestamp}))"
            return f"(year({at}) * 12 + month({at}) - 1)"
        return self.date_month_index(self.local_date(timestamp, tz))

    def date_month_index(self, day: str) -> str:
        """year * 12 + month - 1 of a date expression."""
        if self.name == "sqlite":  # day is 'YYYY-MM-DD' text
            return f"(CAST(substr({day}, 1, 4) AS INTEGER) * 12 + CAST(substr({day}, 6, 2) AS INTEGER) - 1)"
        return f"(CAST(EXTRACT(YEAR FROM {day}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {day}) AS INTEGER) - 1)"

    def instant_out(self, timestamp: str) -> str:
        """A timestamp as returned to Python: DuckDB's epoch microseconds (an int, many times faster
        to fetch than a zoned datetime); the others' own values (SQLite's UTC text)."""
        return f"epoch_us({timestamp})" if self.name == "duckdb" else timestamp

    # funnel

    def epoch_us(self, timestamp: str) -> str:
        """Microseconds since 1970-01-01 UTC of a timestamp, exactly (on SQLite, from its fixed-width
        UTC text: whole seconds by unixepoch(), SQLite 3.38+, then the six fraction digits)."""
        if self.name == "duckdb":
            return f"epoch_us({timestamp})"
        if self.name == "postgres":
            return f"CAST(EXTRACT(EPOCH FROM {timestamp}) * 1000000 AS BIGINT)"
        return f"(unixepoch(substr({timestamp}, 1, 19)) * 1000000 + CAST(substr({timestamp}, 21, 6) AS INTEGER))"

    def json_text(self, column: str, key: str) -> str:
        """The text member `key` (a dotted path for nested objects: "roles.sales_owner_id") of a
        JSON object stored in `column` (an aggregate's body)."""
        parts = key.split(".")
        if not all(part.isidentifier() for part in parts):
            raise ValidationError("key", key, "not a JSON member name")
        if self.name == "duckdb":
            return f"json_extract_string({column}, '$.{key}')"
        if self.name == "postgres":
            return f"(CAST({column} AS JSONB) #>> '{{{','.join(parts)}}}')"
        return f"json_extract({column}, '$.{key}')"

    def json_instant(self, column: str, key: str) -> str:
        """A timestamp member of a stored body (the codec's fixed-width UTC text) as a timestamp
        expression `epoch_us` reads."""
        text = self.json_text(column, key)
        return f"CAST({text} AS TIMESTAMPTZ)" if self.name == "postgres" else text

    def json_tagged_entry(self, column: str, key: str, entry: str, tag: str) -> str:
        """The integer value stored under `entry` in the dict member `key` of a body (the codec
        writes a dict as [name, value] pairs, a value of a union type as [type name, value]), or
        NULL unless the value is of type `tag`; a scalar subquery."""
        for name in (key, entry, tag):
            if not name.isidentifier():
                raise ValidationError("key", name, "not a JSON member name")
        if self.name == "postgres":
            return (
                "(SELECT CAST(x.value -> 1 ->> 1 AS BIGINT) "
                f"FROM jsonb_array_elements(CAST({column} AS JSONB) -> '{key}') x "
                f"WHERE x.value ->> 0 = '{entry}' AND x.value -> 1 ->> 0 = '{tag}')"
            )
        if self.name == "sqlite":
            return (
                f"(SELECT json_extract(value, '$[1][1]') FROM json_each({column}, '$.{key}') "
                f"WHERE json_extract(value, '$[0]') = '{entry}' AND json_extract(value, '$[1][0]') = '{tag}')"
            )
        raise ValidationError("dialect", self.name, "stored bodies are read by the SQLite and PostgreSQL push-down")

    # attainment

    def json_rows(self, columns: tuple[tuple[str, str], ...]) -> str:
        """A SELECT of the rows of one bound JSON parameter, an array of arrays: column i is element
        i of each row, cast to its SQL type (rows from Python without compiling a VALUES row each)."""
        if self.name == "postgres":
            picked = ", ".join(f"CAST(value ->> {i} AS {kind}) AS {name}" for i, (name, kind) in enumerate(columns))
            return f"SELECT {picked} FROM jsonb_array_elements(CAST({self.param} AS JSONB)) AS j(value)"
        element = "value ->> '$[{}]'" if self.name == "duckdb" else "json_extract(value, '$[{}]')"
        picked = ", ".join(f"CAST({element.format(i)} AS {kind}) AS {name}" for i, (name, kind) in enumerate(columns))
        source = f"CAST({self.param} AS JSON)" if self.name == "duckdb" else self.param
        return f"SELECT {picked} FROM json_each({source})"

    def json_elements(self, table: str, key: str) -> str:
        """A FROM clause: each row of a stored `table` with each element `el.value` of the array
        member `key` of its body (children the store keeps in the body only, such as a contract's
        payment applications)."""
        if not key.isidentifier():
            raise ValidationError("key", key, "not a JSON member name")
        if self.name == "postgres":
            elements = f"jsonb_array_elements(CAST({table}.body AS JSONB) -> '{key}')"
            return f"{table} CROSS JOIN LATERAL {elements} AS el(value)"
        if self.name == "sqlite":
            return f"{table} JOIN json_each({table}.body, '$.{key}') AS el"
        raise ValidationError("dialect", self.name, "stored bodies are read by the SQLite and PostgreSQL push-down")

    def iso_date(self, text: str) -> str:
        """A date from ISO 'YYYY-MM-DD' text (SQLite keeps dates as that text)."""
        return text if self.name == "sqlite" else f"CAST({text} AS DATE)"


def _zone(tz: str) -> str:
    if not tz.replace("/", "").replace("_", "").replace("-", "").replace("+", "").isalnum():
        raise ValidationError("tz", tz, "not an IANA time zone name")
    return tz


DUCKDB = Dialect("duckdb", "?")
SQLITE = Dialect("sqlite", "?")
POSTGRES = Dialect("postgres", "%s")
