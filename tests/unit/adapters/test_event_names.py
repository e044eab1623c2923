"""Events already waiting in an outbox decode after their class moved to another module.

An outbox row names its event class as `module:qualname`. `data/outbox-rows-0.1.json` holds one
row of every event type, as bizrel 0.1 wrote them to SQLite (the demo's database before the
modules were reorganised); each is put back in an outbox as pending, dispatched, and must come
out as the event class of today with the same payload.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from bizrel.adapters import open_store
from bizrel.adapters.codec import encode
from bizrel.adapters.event_names import EVENT_ALIASES, current_type_name
from bizrel.core.events import DomainEvent

ROWS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "outbox-rows-0.1.json").read_text())


def test_every_stored_event_of_version_0_1_still_decodes_from_a_pending_outbox_row(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    open_store(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO outbox (tenant_id, event_id, type_name, payload, occurred_at, dispatched_at, attempts) "
            "VALUES (:tenant_id, :event_id, :type_name, :payload, :occurred_at, NULL, 0)",
            ROWS,
        )
    seen: list[DomainEvent] = []
    with open_store(f"sqlite:///{db}") as store:
        store.bus.subscribe(DomainEvent, seen.append)
        assert store.dispatch_pending() == len(ROWS)
    assert len(seen) == len(ROWS) == len({row["type_name"] for row in ROWS})
    for row, event in zip(
        sorted(ROWS, key=lambda r: r["event_id"]), sorted(seen, key=lambda e: e.event_id), strict=True
    ):
        assert event.type_name() == current_type_name(row["type_name"])
        assert encode(event) == json.loads(row["payload"])


def test_aliases_name_only_classes_that_exist_under_their_new_name_and_never_chain() -> None:
    for old, new in EVENT_ALIASES.items():
        assert old != new
        assert new not in EVENT_ALIASES  # one hop: an alias points at a current name
        module, _, qualname = new.partition(":")
        cls = importlib.import_module(module)
        assert issubclass(getattr(cls, qualname), DomainEvent)


def test_a_current_name_is_its_own_current_name() -> None:
    assert current_type_name("bizrel.sales.pipeline:OpportunityWon") == "bizrel.sales.pipeline:OpportunityWon"
