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
from bizrel.core.progress import Progress
from bizrel.core.uow import Cmp, Repository, UnitOfWork, ge, gt, le, lt, ne, one_of

__all__ = [
    "Aggregate",
    "AlreadyExists",
    "BizrelError",
    "Clock",
    "Cmp",
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
    "Progress",
    "Repository",
    "SystemClock",
    "TenantId",
    "UnitOfWork",
    "ValidationError",
    "add_months",
    "aware",
    "check_id",
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
    "utc",
    "zone",
]
