"""The error hierarchy every bizrel caller can catch.

Each error carries structured fields (not only a message) so that an API layer can turn it into a
precise response: which field, which value, which rule.
"""

from __future__ import annotations

from typing import Any


class BizrelError(Exception):
    """Root of every error bizrel raises on purpose."""


class ValidationError(BizrelError, ValueError):
    """A value was refused at a boundary: names the field, the offending value and why."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")


class CurrencyMismatch(ValidationError):
    """Two amounts in different currencies met in one operation."""

    def __init__(self, field: str, expected: str, got: str) -> None:
        self.expected = expected
        self.got = got
        super().__init__(field, got, f"currency {got} does not match {expected}")


class NotFound(BizrelError, LookupError):
    """No such record in this tenant (another tenant's record is reported the same way)."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class ConcurrencyConflict(BizrelError):
    """A write was based on a stale version: someone else committed first."""

    def __init__(self, kind: str, key: object, expected_version: int) -> None:
        self.kind = kind
        self.key = key
        self.expected_version = expected_version
        super().__init__(f"{kind} {key!r} changed since version {expected_version} was loaded")


class InvariantViolation(BizrelError):
    """An operation would break a rule of the domain model (an illegal transition, an overdraft)."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")


class IdempotencyConflict(InvariantViolation):
    """An idempotency key was reused with a different payload."""

    def __init__(self, key: str) -> None:
        super().__init__("idempotency_key", key, "already used with a different payload")


class PolicyViolation(BizrelError):
    """A configured policy (exit criterion, contact policy, access rule) refused the action."""

    def __init__(self, policy: str, subject: str, reason: str) -> None:
        self.policy = policy
        self.subject = subject
        self.reason = reason
        super().__init__(f"{policy} refused {subject}: {reason}")


class MissingExtra(BizrelError, ImportError):
    """An optional feature needs a package extra that is not installed."""

    def __init__(self, feature: str, extra: str) -> None:
        self.feature = feature
        self.extra = extra
        super().__init__(f"{feature} needs an optional dependency: pip install 'bizrel[{extra}]'")
