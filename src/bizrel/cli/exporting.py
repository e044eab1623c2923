"""`bizrel export`: the records one user may see, as CSV on standard output or in a file."""

from __future__ import annotations

import sys
from pathlib import Path

from bizrel.adapters import open_store
from bizrel.cli.importing import store_url
from bizrel.core.access import Actor, Role
from bizrel.core.errors import ValidationError
from bizrel.core.ids import check_id
from bizrel.schemas.export import EXPORTS


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


def run(kind: str, *, db: str, tenant: str, actor: Actor, out: str | None) -> int:
    export = EXPORTS[kind]
    with open_store(store_url(db)) as store, store.unit_of_work(tenant) as uow:
        if out is None:
            return export(uow, actor, sys.stdout)
        with Path(out).open("w", encoding="utf-8", newline="") as stream:
            return export(uow, actor, stream)
