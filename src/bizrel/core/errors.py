"""The error hierarchy every bizrel caller can catch.

Every error carries the same three machine-readable attributes, whatever its class, so that an API
layer can turn it into a precise response without parsing the message:

- ``field``: the parameter, attribute or record kind the error is about;
- ``value``: the offending value as text, safe to log or to put in a JSON body (a ``repr`` with every
  non-printable character escaped, truncated to ``VALUE_LIMIT`` characters);
- ``reason``: why it was refused, in words.
"""

from __future__ import annotations

from typing import Any

VALUE_LIMIT = 200
"""The longest ``value`` an error carries: a megabyte of hostile input must not come back in a response."""


def safe_repr(value: object, limit: int = VALUE_LIMIT) -> str:
    """The text of ``value`` for an error: never raises, only printable characters, at most ``limit`` long.

    A string is itself (so ``"Signed"`` reads ``Signed``), anything else its ``repr``; NUL, direction
    marks, lone surrogates and every other non-printable character are written as backslash escapes;
    an object whose ``repr`` raises is named by its type.
    """
    if isinstance(value, str):
        text = value
    else:
        try:
            text = repr(value)
        except Exception:
            text = f"<{type(value).__name__} object>"
    if not text.isprintable():
        text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class BizrelError(Exception):
    """Root of every error bizrel raises on purpose: names the field, the offending value and why."""

    def __init__(self, field: str, value: Any, reason: str, message: str | None = None) -> None:
        self.field = field
        self.value = safe_repr(value)
        self.reason = reason
        super().__init__(message or f"{field}={self.value}: {reason}")


class ValidationError(BizrelError, ValueError):
    """A value was refused at a boundary: names the field, the offending value and why."""


class CurrencyMismatch(ValidationError):
    """Two amounts in different currencies met in one operation."""

    def __init__(self, field: str, expected: str, got: str) -> None:
        self.expected = expected
        self.got = got
        super().__init__(field, got, f"currency {got} does not match {expected}")


class NotFound(BizrelError, LookupError):
    """No such record in this tenant (another tenant's record is reported the same way).

    ``field`` is the record kind (``"customer"``), ``value`` the id asked for.
    """

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(kind, key, "not found", f"{kind} {safe_repr(key)} not found")


class AlreadyExists(BizrelError):
    """A create named an id that this tenant already holds (refused at the call, before anything is staged).

    ``field`` is the record kind, ``value`` the id.
    """

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(kind, key, "already exists", f"{kind} {safe_repr(key)} already exists")


class ConcurrencyConflict(BizrelError):
    """A write was based on a stale version: someone else committed first."""

    def __init__(self, kind: str, key: object, expected_version: int) -> None:
        self.kind = kind
        self.key = key
        self.expected_version = expected_version
        reason = f"changed since version {expected_version} was loaded"
        super().__init__(kind, key, reason, f"{kind} {safe_repr(key)} {reason}")


class InvariantViolation(BizrelError):
    """An operation would break a rule of the domain model (an illegal transition, an overdraft)."""


class IdempotencyConflict(InvariantViolation):
    """An idempotency key was reused with a different payload."""

    def __init__(self, key: str) -> None:
        super().__init__("idempotency_key", key, "already used with a different payload")


class PolicyViolation(BizrelError):
    """A configured policy (exit criterion, contact policy, access rule) refused the action.

    ``field`` is the policy, ``value`` the subject it refused.
    """

    def __init__(self, policy: str, subject: str, reason: str) -> None:
        self.policy = policy
        self.subject = subject
        super().__init__(policy, subject, reason, f"{policy} refused {subject}: {reason}")


class MissingExtra(BizrelError, ImportError):
    """An optional feature needs a package extra that is not installed.

    ``field`` is the feature, ``value`` the extra to install.
    """

    def __init__(self, feature: str, extra: str) -> None:
        self.feature = feature
        self.extra = extra
        reason = f"needs an optional dependency: pip install 'bizrel[{extra}]'"
        super().__init__(feature, extra, reason, f"{feature} {reason}")


class SchemaTooNew(ValidationError):
    """A database was written by a newer bizrel: its schema version is above every one this code
    knows. It is refused before anything is read or written, so the newer version can still open it."""

    def __init__(self, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(
            "schema_version", found, f"the database is at schema version {found}; this bizrel knows up to {known}"
        )
