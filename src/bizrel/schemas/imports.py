"""Row models of the import formats: one strict model per kind, shared by CSV and JSON Lines.

Every text cell is checked for what a spreadsheet would execute (a leading =, +, -, @, tab or CR),
for control characters and for bytes that were not valid UTF-8 (the reader decodes with
surrogateescape, so such bytes arrive as lone surrogates and are refused here, per cell).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StrictStr

from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.money import Money
from bizrel.schemas.common import Strict

__all__ = ["FORMULA_PREFIXES", "KINDS", "ContactRow", "CustomerRow", "OpportunityRow", "StageRow", "TransactionRow"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value: str) -> str:
    if value.startswith(FORMULA_PREFIXES):
        raise ValueError("looks like a spreadsheet formula (starts with =, +, -, @, tab or CR)")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("is not valid UTF-8")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("contains control characters")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise ValueError("is not an ISO 4217 currency code")
    return value


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


Id = Annotated[StrictStr, Field(min_length=1, max_length=128), AfterValidator(_safe_text)]
Text = Annotated[StrictStr, Field(min_length=1, max_length=500), AfterValidator(_safe_text)]
Amount = Annotated[StrictStr, Field(pattern=r"^-?\d{1,30}(\.\d{1,4})?$")]
Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]


class StageRow(Strict):
    stage: Text
    entered_at: AwareDatetime


def _history(value: Any) -> Any:
    """CSV carries the history in one cell: `Qualify@2026-01-05T09:00:00Z|Propose@2026-01-20T10:00:00Z`."""
    if isinstance(value, str):
        steps = []
        for part in value.split("|"):
            stage, sep, at = part.rpartition("@")
            if not sep:
                raise ValueError("expected stage@timestamp entries separated by |")
            steps.append({"stage": stage, "entered_at": at})
        return steps
    return value


class OpportunityRow(Strict):
    """An opportunity with its stage history; the first entry is when it was opened."""

    id: Id
    pipeline_id: Id
    owner_id: Id
    account_name: Text
    amount: Amount
    currency: Currency
    expected_close: date
    history: Annotated[list[StageRow], BeforeValidator(_history), Field(min_length=1, max_length=100)]
    status: Literal["open", "won", "lost"] = "open"
    closed_at: Annotated[AwareDatetime | None, BeforeValidator(_empty_is_none)] = None
    lost_reason: Annotated[Text | None, BeforeValidator(_empty_is_none)] = None

    def money(self) -> Money:
        return Money(self.amount, self.currency)


class TransactionRow(Strict):
    """A purchase (or, with a negative amount, a refund) of a customer."""

    id: Id
    customer_id: Id
    occurred_at: AwareDatetime
    amount: Amount
    currency: Currency

    def money(self) -> Money:
        return Money(self.amount, self.currency)


Optional = BeforeValidator(_empty_is_none)


class CustomerRow(Strict):
    """A customer (organisation or person); contacts come in their own file."""

    id: Id
    name: Text
    kind: Literal["organisation", "person"]
    owner_id: Id
    timezone: Annotated[StrictStr, Field(min_length=1, max_length=64), AfterValidator(_safe_text)]
    external_id: Annotated[Id | None, Optional] = None
    domain: Annotated[Text | None, Optional] = None
    stage: Annotated[Text | None, Optional] = None


class ContactRow(Strict):
    """A person at a customer; phone numbers may start with + (the domain checks their shape)."""

    customer_id: Id
    name: Text
    email: Annotated[Text | None, Optional] = None
    phone: Annotated[StrictStr | None, Optional, Field(max_length=40)] = None
    role: Annotated[Text | None, Optional] = None

    @property
    def id(self) -> str:
        """What makes a contact a duplicate within a file: the same customer and email (or name)."""
        return f"{self.customer_id}/{self.email or self.name}"


KINDS: dict[str, type[Strict]] = {
    "contacts": ContactRow,
    "customers": CustomerRow,
    "opportunities": OpportunityRow,
    "transactions": TransactionRow,
}
