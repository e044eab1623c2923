"""Where the loyalty program stores its programs and accounts.

An account row holds its ledger in the JSON body (the source of truth, replayed on load) and
projects each entry into `loyalty_ledger` so finance can query movements in SQL.
"""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, ChildTable, Column
from bizrel.customer.loyalty import LoyaltyAccount, LoyaltyProgram

LOYALTY_PROGRAMS = AggregateTable(
    name="loyalty_programs",
    cls=LoyaltyProgram,
    kind="loyalty program",
    columns=(Column("name", "text", lambda p: p.name),),
)

LOYALTY_ACCOUNTS = AggregateTable(
    name="loyalty_accounts",
    cls=LoyaltyAccount,
    kind="loyalty account",
    columns=(
        Column("program_id", "text", lambda a: a.program_id),
        Column("customer_id", "text", lambda a: a.customer_id),
        Column("tier", "text", lambda a: a.tier),
        Column("balance", "int", lambda a: a.balance),
        Column("next_expiry_at", "timestamp", lambda a: a.next_expiry_at),
        Column("enrolled_at", "timestamp", lambda a: a.enrolled_at),
        Column("reviews", "int", lambda a: a.reviews),
    ),
    children=(
        ChildTable(
            name="loyalty_ledger",
            columns=(
                ("kind", "text"),
                ("points", "int"),
                ("at", "timestamp"),
                ("idempotency_key", "text"),
                ("reason", "text"),
                ("source", "text"),
            ),
            rows=lambda a: [(e.kind, e.points, e.at, e.key, e.reason, e.source) for e in a.entries],
        ),
    ),
)
