"""The shared kernel: money, ids, time and periods, events, errors and persistence protocols.

It imports nothing else of bizrel; both contexts build on it.
"""

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import Clock, FixedClock, SystemClock, aware, local_date, utc, zone
from bizrel.core.company_names import NameCandidate, company_candidates, company_key
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
    SchemaTooNew,
    ValidationError,
)
from bizrel.core.events import DomainEvent, MessageBus
from bizrel.core.identity import (
    IdentityFacts,
    IdentityMatch,
    IdentityRules,
    configure_identity,
    email_key,
    find_identity_matches,
    identity_rules,
)
from bizrel.core.ids import TenantId, check_id, new_id, tenant
from bizrel.core.money import Currency, Money, to_decimal
from bizrel.core.periods import FiscalCalendar, Period, PeriodKind, add_months
from bizrel.core.phones import PhoneKey, phone_key, require_phone_key
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
    "IdentityFacts",
    "IdentityMatch",
    "IdentityRules",
    "InvariantViolation",
    "MessageBus",
    "MissingExtra",
    "Money",
    "NameCandidate",
    "NotFound",
    "Period",
    "PeriodKind",
    "PhoneKey",
    "PolicyViolation",
    "Primitives",
    "Progress",
    "Repository",
    "Result",
    "SchemaTooNew",
    "SystemClock",
    "TenantId",
    "UnitOfWork",
    "ValidationError",
    "add_months",
    "aware",
    "check_id",
    "company_candidates",
    "company_key",
    "configure_identity",
    "email_key",
    "find_identity_matches",
    "from_json",
    "from_primitives",
    "ge",
    "gt",
    "identity_rules",
    "le",
    "local_date",
    "lt",
    "ne",
    "new_id",
    "one_of",
    "phone_key",
    "require_phone_key",
    "tenant",
    "to_decimal",
    "to_json",
    "to_primitives",
    "utc",
    "zone",
]
