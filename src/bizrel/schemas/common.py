"""Strict base models and the translation of pydantic's errors into bizrel's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from bizrel.core.errors import ValidationError
from bizrel.core.money import Money

__all__ = ["MoneyIn", "Strict", "parse"]

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Unknown fields are errors. Text such as "2026-02-01" still parses as a date (import rows are
    text), but pydantic never turns a number into a string, so a float amount is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MoneyIn(Strict):
    """Money as JSON: {"amount": "12.30", "currency": "USD"}; the amount must be a string."""

    amount: StrictStr = Field(pattern=r"^-?\d{1,38}(\.\d{1,4})?$", examples=["12.30"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["USD"])

    def to_domain(self) -> Money:
        return Money(self.amount, self.currency)


def parse(model: type[M], data: Mapping[str, Any] | str | bytes) -> M:
    """Validate a mapping or a JSON document; the first problem becomes a bizrel ValidationError
    naming the field (dotted path) and the offending value."""
    try:
        if isinstance(data, str | bytes):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise ValidationError(field, first.get("input"), first["msg"]) from None
