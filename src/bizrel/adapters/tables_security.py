"""Tables of the security area: erasure requests (what was erased for whom, and what was held)."""

from __future__ import annotations

from bizrel.adapters.schema import AggregateTable, Column
from bizrel.bridge.erasure import ErasureRequest

__all__ = ["ERASURE_REQUESTS", "SECURITY"]

ERASURE_REQUESTS = AggregateTable(
    name="erasure_requests",
    cls=ErasureRequest,
    kind="erasure request",
    columns=(
        Column("customer_id", "text", lambda r: r.customer_id),
        Column("status", "text", lambda r: r.status),
        Column("requested_at", "timestamp", lambda r: r.requested_at),
    ),
)

SECURITY = (ERASURE_REQUESTS,)
