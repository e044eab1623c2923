"""Storage of purchases: the indexed columns are the transaction fields analytics push down to SQL."""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, Column
from bizrel.customer.purchases import Purchase

PURCHASES = AggregateTable(
    name="purchases",
    cls=Purchase,
    kind="purchase",
    columns=(
        Column("customer_id", "text", lambda p: p.customer_id),
        Column("occurred_at", "timestamp", lambda p: p.occurred_at),
        Column("amount_minor", "int", lambda p: p.amount.to_minor()),
        Column("currency", "text", lambda p: p.amount.currency.code),
    ),
)
