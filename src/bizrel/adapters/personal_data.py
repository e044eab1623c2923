"""The personal-data registry: every stored text field is declared personal or not.

Keys are "<Class>.<field>" for every str field of a persisted aggregate and of the attrs values
nested in it (found through the type hints, as the codec stores them). A field marked personal
holds, or may hold, data about a natural person (names, free text, contact details) and is what an
erasure must reach; ids and codes are not personal. `text_fields()` walks the registered
migrations so that a new field fails the registry test until it is classified here.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, Final

import attrs

from bizrel.adapters.registry import MIGRATIONS

__all__ = ["PERSONAL_DATA", "personal_fields", "text_fields"]

PERSONAL_DATA: Final[dict[str, bool]] = {
    # sales: pipelines and opportunities
    "Pipeline.tenant_id": False,
    "Pipeline.id": False,
    "Pipeline.name": False,
    "Stage.name": False,
    "Opportunity.tenant_id": False,
    "Opportunity.id": False,
    "Opportunity.pipeline_id": False,
    "Opportunity.owner_id": False,
    "Opportunity.account_name": True,  # a sole trader's account is a person's name
    "Opportunity.stage": False,
    "Opportunity.lost_reason": True,  # free text, may quote the buyer
    "StageChange.stage": False,
    # security: imported purchases
    "Purchase.tenant_id": False,
    "Purchase.id": False,
    "Purchase.customer_id": False,
    # core values stored inside aggregates
    "Currency.code": False,
}


def _is_text(hint: Any) -> bool:
    if hint is str:
        return True
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and str in typing.get_args(hint)


def _nested(hint: Any) -> Iterator[type]:
    if attrs.has(hint):
        yield hint
    for arg in typing.get_args(hint):
        yield from _nested(arg)


def text_fields() -> list[str]:
    """Every "<Class>.<field>" of type str (or str | None, or a NewType of str) that the store persists."""
    found: list[str] = []
    pending = [table.cls for migration in MIGRATIONS for table in migration.tables]
    done: set[type] = set()
    while pending:
        cls = pending.pop()
        if cls in done:
            continue
        done.add(cls)
        hints = typing.get_type_hints(cls)
        for f in attrs.fields(cls):
            if f.name.startswith("_"):
                continue
            hint = hints[f.name]
            base = getattr(hint, "__supertype__", hint)
            if _is_text(base):
                found.append(f"{cls.__name__}.{f.name}")
            pending.extend(_nested(hint))
    return sorted(found)


def personal_fields() -> list[str]:
    return sorted(name for name, personal in PERSONAL_DATA.items() if personal)
