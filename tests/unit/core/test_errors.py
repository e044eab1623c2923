"""Every error class carries machine-readable ``field``, ``value`` and ``reason`` (docs/errors.md)."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bizrel
from bizrel.cli.demo import DemoExists
from bizrel.core.errors import (
    VALUE_LIMIT,
    AlreadyExists,
    BizrelError,
    ConcurrencyConflict,
    CurrencyMismatch,
    IdempotencyConflict,
    InvariantViolation,
    MissingExtra,
    NotFound,
    PolicyViolation,
    SchemaTooNew,
    ValidationError,
    safe_repr,
)
from bizrel.customer.contact_policy import ContactNotAllowed, Refused, Touch
from bizrel.customer.loyalty.ledger import InsufficientPoints

# One instance of every class, with the field and value it must report.
EXAMPLES: dict[type[BizrelError], tuple[BizrelError, str, str]] = {
    ValidationError: (ValidationError("amount", "1.001", "too precise"), "amount", "1.001"),
    CurrencyMismatch: (CurrencyMismatch("amount", "USD", "EUR"), "amount", "EUR"),
    NotFound: (NotFound("customer", "c-1"), "customer", "c-1"),
    AlreadyExists: (AlreadyExists("customer", "c-1"), "customer", "c-1"),
    ConcurrencyConflict: (ConcurrencyConflict("opportunity", "o-1", 3), "opportunity", "o-1"),
    InvariantViolation: (InvariantViolation("stage", "Won", "not reachable"), "stage", "Won"),
    IdempotencyConflict: (IdempotencyConflict("k-1"), "idempotency_key", "k-1"),
    InsufficientPoints: (InsufficientPoints(50, 20), "points", "50"),
    PolicyViolation: (PolicyViolation("pool.max_held", "ann", "holds 5 leads"), "pool.max_held", "ann"),
    MissingExtra: (MissingExtra("the PostgreSQL adapter", "postgres"), "the PostgreSQL adapter", "postgres"),
    DemoExists: (DemoExists("demo.db"), "db", "demo.db"),
    ContactNotAllowed: (
        ContactNotAllowed("c-1", Touch(channel="call", purpose="care", source="csm"), Refused("no consent")),
        "contact_policy",
        "call to customer c-1",
    ),
    SchemaTooNew: (SchemaTooNew(67, 60), "schema_version", "67"),
}


def every_error_class() -> Iterator[type[BizrelError]]:
    for module in pkgutil.walk_packages(bizrel.__path__, "bizrel."):
        importlib.import_module(module.name)
    pending = [BizrelError]
    while pending:
        cls = pending.pop()
        yield cls
        pending += cls.__subclasses__()


@pytest.mark.rule(
    "bizrel refuses bad input with one family of exceptions, so that an application needs one `except` "
    "and an API layer can answer without parsing messages."
)
def test_every_error_class_has_an_example() -> None:
    """A new error class fails here until it is shown to carry field, value and reason."""
    classes = {cls for cls in every_error_class() if cls.__module__.startswith("bizrel.")} - {BizrelError}
    assert classes == set(EXAMPLES)


@pytest.mark.rule(
    "Every error bizrel raises on purpose is a `BizrelError`, and every `BizrelError` carries `field`, "
    "`value` and `reason`."
)
@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_field_value_and_reason_are_machine_readable(cls: type[BizrelError]) -> None:
    error, field, value = EXAMPLES[cls]
    assert isinstance(error, cls)
    assert (error.field, error.value) == (field, value)
    assert isinstance(error.reason, str) and error.reason
    assert json.loads(json.dumps({"field": error.field, "value": error.value, "reason": error.reason}))


@pytest.mark.rule(
    "`value` is text that is safe to log and to put in a JSON body: a string is itself, anything else its "
    "`repr`, every non-printable character (NUL, direction marks, lone surrogates) is written as a backslash "
    "escape, and it is at most 200 characters long."
)
@given(st.one_of(st.text(), st.integers(), st.floats(), st.binary(), st.lists(st.text()), st.datetimes()))
def test_value_is_printable_bounded_text(value: object) -> None:
    text = ValidationError("x", value, "refused").value
    assert text.isprintable() and len(text) <= VALUE_LIMIT == 200
    text.encode("utf-8")  # no lone surrogate survives
    if isinstance(value, str) and value.isprintable() and len(value) <= VALUE_LIMIT:
        assert text == value
    elif not isinstance(value, str) and repr(value).isprintable() and len(repr(value)) <= VALUE_LIMIT:
        assert text == repr(value)


def test_hostile_values_are_escaped_and_truncated() -> None:
    assert safe_repr("a\x00b\u200fc\ud800") == "a\\x00b\\u200fc\\ud800"
    assert safe_repr("x" * 10_000) == "x" * 199 + "…"

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    assert safe_repr(Broken()) == "<Broken object>"
