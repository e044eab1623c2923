"""`bizrel export`: the records one user may see, as CSV or JSON on standard output or in a file."""

from __future__ import annotations

import sys
from pathlib import Path

from bizrel.cli.stores import open_for_reading
from bizrel.core.access import Actor, Role
from bizrel.core.errors import ValidationError
from bizrel.core.ids import check_id
from bizrel.schemas.export import EXPORTS, ExportFormat


def _key(text: str) -> str:
    return text.strip().lower().replace("-", " ").replace("_", " ")


_ROLES = {_key(r.value): r for r in Role} | {_key(r.name): r for r in Role}


def actor(spec: str, team: str = "") -> Actor:
    """`ROLE:USER_ID` (role by value or name, any case, '-' or '_' for spaces: sales_rep:ann)."""
    role_text, sep, user_id = spec.partition(":")
    role = _ROLES.get(_key(role_text))
    if not sep or role is None:
        raise ValidationError(
            "--as", spec, f"expected ROLE:USER_ID with ROLE one of {sorted(r.name.lower() for r in Role)}"
        )
    members = [check_id("--team", m.strip()) for m in team.split(",") if m.strip()]
    return Actor(check_id("user_id", user_id), role, team=members)


def run(kind: str, *, db: str, tenant: str, actor: Actor, out: str | None, format: ExportFormat = "csv") -> int:
    """Export from an existing store (never a new empty one); `out` is written only once the store is open."""
    export = EXPORTS[kind]
    with open_for_reading(db) as store, store.unit_of_work(tenant) as uow:
        if out is None:
            return export(uow, actor, sys.stdout, format)
        with Path(out).open("w", encoding="utf-8", newline="") as stream:
            return export(uow, actor, stream, format)
