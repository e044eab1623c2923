"""The ordered schema migrations every SQL adapter applies on open (recorded in schema_version).

Version ranges are reserved per area so that work on different contexts never collides:
1-9 foundation and sales process, 10-19 customer, 20-29 loyalty, 30-39 sales process,
40-49 sales performance, 50-59 bridge, 60-69 security.
"""

from __future__ import annotations

from bizrel.adapters import tables
from bizrel.adapters.schema import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "outbox, pipelines and opportunities", tables=(tables.PIPELINES, tables.OPPORTUNITIES)),
)
