"""The shared kernel: money, ids, time and periods, events, errors and persistence protocols.

It imports nothing else of bizrel; both contexts build on it.
"""

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import Clock, FixedClock, SystemClock, aware, local_date, utc, zone
from bizrel.core.errors import (
    AlreadyExists,
    BizrelError,
    ConcurrencyConflict,
    CurrencyMismatch,
    IdempotencyConflict,
    InvariantViolation,
    MissingExtra,
    NotFound,
    PolicyViolation,
    ValidationError,
)
from bizrel.core.events import DomainEvent, MessageBus
from bizrel.core.ids import TenantId, check_id, new_id, tenant
from bizrel.core.money import Currency, Money, to_decimal
from bizrel.core.periods import FiscalCalendar, Period, PeriodKind, add_months
from bizrel.core.primitives import JSON, Codec, Primitives, from_json, from_primitives, to_json, to_primitives
from bizrel.core.progress import Progress
from bizrel.core.results import Result
from bizrel.core.uow import Cmp, Repository, UnitOfWork, ge, gt, le, lt, ne, one_of

__all__ = [
    "JSON",
    "Aggregate",
    "AlreadyExists",
    "BizrelError",
    "Clock",
    "Cmp",
    "Codec",
    "ConcurrencyConflict",
    "Currency",
    "CurrencyMismatch",
    "DomainEvent",
    "FiscalCalendar",
    "FixedClock",
    "IdempotencyConflict",
    "InvariantViolation",
    "MessageBus",
    "MissingExtra",
    "Money",
    "NotFound",
    "Period",
    "PeriodKind",
    "PolicyViolation",
    "Primitives",
    "Progress",
    "Repository",
    "Result",
    "SystemClock",
    "TenantId",
    "UnitOfWork",
    "ValidationError",
    "add_months",
    "aware",
    "check_id",
    "from_json",
    "from_primitives",
    "ge",
    "gt",
    "le",
    "local_date",
    "lt",
    "ne",
    "new_id",
    "one_of",
    "tenant",
    "to_decimal",
    "to_json",
    "to_primitives",
    "utc",
    "zone",
]
