"""Typed identifiers.

Ids are plain strings at run time (cheap to store, index and compare) and distinct types for the
type checker, so a CustomerId cannot be passed where an OpportunityId is expected.
"""

from __future__ import annotations

import uuid
from typing import NewType

from bizrel.core.errors import ValidationError

TenantId = NewType("TenantId", str)

_MAX_ID_LENGTH = 128


def new_id() -> str:
    """A fresh random identifier (UUID4, hex)."""
    return uuid.uuid4().hex


def check_id(field: str, value: object) -> str:
    """An identifier must be a non-empty str of at most 128 characters without control chars."""
    if not isinstance(value, str) or not value or len(value) > _MAX_ID_LENGTH:
        raise ValidationError(field, value, f"must be a non-empty str of at most {_MAX_ID_LENGTH} chars")
    if any(ord(ch) < 32 for ch in value):
        raise ValidationError(field, value, "must not contain control characters")
    return value


def tenant(value: str) -> TenantId:
    """Validate and type a tenant id: an id (`check_id`) that is also well-formed text.

    Surrogates are refused: stored JSON cannot tell the pair "\\ud800\\udc00" from the character
    U+10000, so a tenant id holding one would come back from the outbox as another tenant's id.
    """
    check_id("tenant_id", value)
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationError("tenant_id", value, "must not contain surrogates (not well-formed Unicode text)")
    return TenantId(value)
