"""The customer: who they are, who looks after them, what they agreed to, and where they stand in
their lifecycle.

Lifecycle stages move only along an explicit transition table, which a tenant may replace with its
own (stored in CustomerSettings); every move is kept in the history and recorded as an event.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc, zone
from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.customer.health import HealthBand, HealthScore

__all__ = [
    "CUSTOMER_SETTINGS_ID",
    "DEFAULT_LIFECYCLE",
    "AttributeType",
    "AttributeValue",
    "Channel",
    "ConsentChanged",
    "ConsentRecord",
    "Contact",
    "Customer",
    "CustomerCreated",
    "CustomerKind",
    "CustomerOwnerChanged",
    "CustomerSettings",
    "HealthBandChanged",
    "HealthSnapshot",
    "Lifecycle",
    "LifecycleStageChanged",
    "StageChange",
]

CUSTOMER_SETTINGS_ID = "customer-settings"
"""The id of the one CustomerSettings aggregate per tenant."""


def _text(name: str, value: object, *, max_len: int = 500) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise ValidationError(name, value, f"must be a non-empty str of at most {max_len} chars")
    return value.strip()


def _optional_text(name: str, value: object) -> str | None:
    return None if value is None else _text(name, value)


E = TypeVar("E", bound=enum.StrEnum)


def member(cls: type[E], field: str, value: object) -> E:
    """An enum member given as itself or its value, or a ValidationError naming the field."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str) and value in cls.__members__.values():
        return cls(value)
    raise ValidationError(field, value, f"expected one of {', '.join(m.value for m in cls)}")


class CustomerKind(enum.StrEnum):
    """Whether a customer is an organisation or a person."""

    ORGANISATION = "organisation"
    PERSON = "person"


class Channel(enum.StrEnum):
    """How a customer is reached (interactions, consents and outbound touches share it)."""

    CALL = "call"
    VISIT = "visit"
    EMAIL = "email"
    MESSAGE = "message"
    MEETING = "meeting"
    TICKET = "ticket"

    @classmethod
    def of(cls, value: object) -> Channel:
        return member(cls, "channel", value)


def channel(value: object) -> Channel:
    """A Channel from itself or its name, or a ValidationError (an attrs converter)."""
    return Channel.of(value)


def optional_channel(value: object) -> Channel | None:
    return None if value is None else Channel.of(value)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,32}$")


def _email(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _EMAIL.match(value) or len(value) > 254:
        raise ValidationError("email", value, "not an email address")
    return value


def _phone(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _PHONE.match(value) or sum(ch.isdigit() for ch in value) < 3:
        raise ValidationError("phone", value, "not a phone number (digits, spaces, + ( ) . / -)")
    return value


def _contact_name(value: object) -> str:
    return _text("contact.name", value)


def _contact_role(value: object) -> str | None:
    return _optional_text("contact.role", value)


def purpose(value: object) -> str:
    """A contact purpose ("care", "marketing", "sales", "service"...): a short non-empty label."""
    return _text("purpose", value, max_len=64)


def _at(value: object) -> datetime:
    return utc(value, "at")


@frozen(kw_only=True)
class Contact:
    """A person at the customer (or the customer themself) and how to reach them."""

    name: str = field(converter=_contact_name)
    email: str | None = field(default=None, converter=_email)
    phone: str | None = field(default=None, converter=_phone)
    role: str | None = field(default=None, converter=_contact_role)


AttributeValue = str | int | Decimal | bool | date
"""What a custom attribute may hold; the type of each key is fixed tenant-wide on first use."""


class AttributeType(enum.StrEnum):
    """The type a custom attribute's values must have."""

    STR = "str"
    INT = "int"
    DECIMAL = "decimal"
    BOOL = "bool"
    DATE = "date"

    @classmethod
    def of(cls, key: str, value: object) -> AttributeType:
        # bool before int (bool is an int); datetime is refused (a date attribute holds a date)
        if isinstance(value, bool):
            return cls.BOOL
        if isinstance(value, int):
            return cls.INT
        if isinstance(value, Decimal) and value.is_finite():
            return cls.DECIMAL
        if isinstance(value, str):
            return cls.STR
        if isinstance(value, date) and not isinstance(value, datetime):
            return cls.DATE
        raise ValidationError(f"attributes.{key}", value, "expected str, int, finite Decimal, bool or date")


@frozen(kw_only=True)
class ConsentRecord:
    """A grant or withdrawal of consent to be contacted on one channel for one purpose."""

    channel: Channel = field(converter=channel)
    purpose: str = field(converter=purpose)
    granted: bool
    at: datetime = field(converter=_at)


@frozen(kw_only=True)
class StageChange:
    """One move of a customer through the lifecycle: from, to, when and why."""

    from_stage: str | None
    to_stage: str
    at: datetime
    reason: str | None = None


@frozen(kw_only=True)
class HealthSnapshot:
    """A customer's latest health score and band, with when it was computed."""

    score: Decimal
    band: HealthBand
    at: datetime


@frozen(kw_only=True)
class Lifecycle:
    """Stages, the stage a new customer starts in, and the allowed (from, to) moves."""

    stages: tuple[str, ...]
    initial: str
    transitions: tuple[tuple[str, str], ...]

    def __attrs_post_init__(self) -> None:
        if not self.stages or len(set(self.stages)) != len(self.stages):
            raise ValidationError("stages", self.stages, "need at least one stage and unique names")
        for stage in self.stages:
            _text("stages", stage, max_len=64)
        if self.initial not in self.stages:
            raise ValidationError("initial", self.initial, "not one of the stages")
        for source, target in self.transitions:
            for name in (source, target):
                if name not in self.stages:
                    raise ValidationError("transitions", (source, target), f"{name!r} is not one of the stages")
            if source == target:
                raise ValidationError("transitions", (source, target), "a stage cannot move to itself")

    @classmethod
    def from_table(cls, table: Mapping[str, Iterable[str]], *, initial: str) -> Lifecycle:
        """Build from {stage: [stages it may move to]}; the mapping's keys are the stages, in order."""
        return cls(
            stages=tuple(table),
            initial=initial,
            transitions=tuple((source, target) for source, targets in table.items() for target in targets),
        )

    def targets(self, stage: str) -> tuple[str, ...]:
        return tuple(t for s, t in self.transitions if s == stage)

    def check(self, from_stage: str, to_stage: str) -> None:
        """Raise InvariantViolation naming the stage when the move is not in the table."""
        if to_stage not in self.stages:
            raise InvariantViolation("stage", to_stage, f"unknown lifecycle stage (known: {', '.join(self.stages)})")
        if (from_stage, to_stage) not in self.transitions:
            allowed = ", ".join(self.targets(from_stage)) or "none"
            raise InvariantViolation(
                "stage", to_stage, f"no transition from {from_stage!r} to {to_stage!r} (allowed: {allowed})"
            )


DEFAULT_LIFECYCLE = Lifecycle.from_table(
    {
        "prospect": ("onboarding", "churned"),
        "onboarding": ("active", "at_risk", "churned"),
        "active": ("expanding", "at_risk", "churned"),
        "expanding": ("active", "at_risk", "churned"),
        "at_risk": ("active", "churned"),
        "churned": ("won_back",),
        "won_back": ("onboarding", "active", "at_risk", "churned"),
    },
    initial="prospect",
)


@define(kw_only=True)
class CustomerSettings(Aggregate):
    """Per-tenant configuration of customer management: the lifecycle and custom attribute types."""

    lifecycle: Lifecycle = DEFAULT_LIFECYCLE
    attribute_types: dict[str, AttributeType] = field(factory=dict)

    def attribute_type(self, key: str, value: object) -> AttributeType:
        """The type `value` gives `key`; refused when the key already holds another type."""
        _text("attribute key", key, max_len=64)
        actual = AttributeType.of(key, value)
        expected = self.attribute_types.get(key, actual)
        if expected is not actual:
            raise ValidationError(f"attributes.{key}", value, f"attribute {key!r} holds {expected.value} values")
        return actual


# -- events -----------------------------------------------------------------------------------------


@frozen(kw_only=True)
class CustomerCreated(DomainEvent):
    """Event: a customer was created."""

    customer_id: str
    name: str
    kind: CustomerKind
    owner_id: str
    stage: str


@frozen(kw_only=True)
class LifecycleStageChanged(DomainEvent):
    """Event: a customer moved to another lifecycle stage."""

    customer_id: str
    from_stage: str
    to_stage: str
    reason: str | None


@frozen(kw_only=True)
class HealthBandChanged(DomainEvent):
    """Event: a customer's health band changed (a risk for customer success to act on)."""

    customer_id: str
    from_band: HealthBand | None
    to_band: HealthBand
    score: Decimal


@frozen(kw_only=True)
class CustomerOwnerChanged(DomainEvent):
    """Event: a customer got another owner in customer success."""

    customer_id: str
    from_owner: str
    to_owner: str


@frozen(kw_only=True)
class ConsentChanged(DomainEvent):
    """Event: a customer granted or withdrew consent for a channel and purpose."""

    customer_id: str
    channel: Channel
    purpose: str
    granted: bool


# -- the aggregate ----------------------------------------------------------------------------------


def _domain(value: object) -> str | None:
    if value is None:
        return None
    text = _text("domain", value, max_len=253).lower().removeprefix("www.")
    if "." not in text or any(ch.isspace() or ch in "/@" for ch in text):
        raise ValidationError("domain", value, "not a domain name (example.com)")
    return text


@define(kw_only=True)
class Customer(Aggregate):
    """An organisation or a person that customer success looks after."""

    name: str
    kind: CustomerKind
    owner_id: str
    timezone: str
    created_at: datetime
    stage: str
    history: list[StageChange]
    contacts: list[Contact] = field(factory=list)
    tags: list[str] = field(factory=list)
    attributes: dict[str, AttributeValue] = field(factory=dict)
    consents: list[ConsentRecord] = field(factory=list)
    external_id: str | None = None
    domain: str | None = None
    birthday: date | None = None
    health: HealthSnapshot | None = None

    @classmethod
    def create(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        name: str,
        kind: CustomerKind | str,
        owner_id: str,
        timezone: str,
        at: datetime,
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        stage: str | None = None,
        contacts: Iterable[Contact] = (),
        tags: Iterable[str] = (),
        external_id: str | None = None,
        domain: str | None = None,
        birthday: date | None = None,
    ) -> Customer:
        """Validate everything first, so a refused customer leaves no trace."""
        check_id("id", id)
        check_id("owner_id", owner_id)
        name = _text("name", name)
        kind = member(CustomerKind, "kind", kind)
        zone(timezone, "timezone")
        at = utc(at, "at")
        first = lifecycle.initial if stage is None else stage
        if first not in lifecycle.stages:
            raise InvariantViolation("stage", first, f"unknown lifecycle stage (known: {', '.join(lifecycle.stages)})")
        contact_list = list(contacts)
        for contact in contact_list:
            if not isinstance(contact, Contact):
                raise ValidationError("contacts", contact, "expected Contact")
        if external_id is not None:
            check_id("external_id", external_id)
        if birthday is not None and (not isinstance(birthday, date) or isinstance(birthday, datetime)):
            raise ValidationError("birthday", birthday, "expected a date")
        customer = cls(
            tenant_id=tenant_id,
            id=id,
            name=name,
            kind=kind,
            owner_id=owner_id,
            timezone=timezone,
            created_at=at,
            stage=first,
            history=[StageChange(from_stage=None, to_stage=first, at=at)],
            contacts=contact_list,
            tags=sorted({_text("tag", t, max_len=64) for t in tags}),
            external_id=external_id,
            domain=_domain(domain),
            birthday=birthday,
        )
        customer.record(
            CustomerCreated(
                tenant_id=tenant_id,
                occurred_at=at,
                customer_id=id,
                name=name,
                kind=kind,
                owner_id=owner_id,
                stage=first,
            )
        )
        return customer

    @staticmethod
    def normalize_domain(domain: str) -> str | None:
        """How domains are stored and matched: lower case, without a leading "www."."""
        return _domain(domain)

    # -- lifecycle --

    def _check_time(self, at: datetime) -> datetime:
        at = utc(at, "at")
        if at < self.history[-1].at:
            raise ValidationError("at", at, f"is before the customer's last stage change ({self.history[-1].at})")
        return at

    def move_to(self, stage: str, *, lifecycle: Lifecycle, at: datetime, reason: str | None = None) -> None:
        lifecycle.check(self.stage, stage)
        at = self._check_time(at)
        reason = _optional_text("reason", reason)
        self.history.append(StageChange(from_stage=self.stage, to_stage=stage, at=at, reason=reason))
        self.record(
            LifecycleStageChanged(
                tenant_id=self.tenant_id,
                occurred_at=at,
                customer_id=self.id,
                from_stage=self.stage,
                to_stage=stage,
                reason=reason,
            )
        )
        self.stage = stage

    @property
    def lifecycle_stage(self) -> str:
        """The current stage under the name segment rules and rows use."""
        return self.stage

    @property
    def health_band(self) -> HealthBand | None:
        return None if self.health is None else self.health.band

    def to_row(self) -> dict[str, object]:
        """One flat row for a notebook or a DataFrame (attributes prefixed with "attr.")."""
        row: dict[str, object] = {
            "customer_id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "owner_id": self.owner_id,
            "timezone": self.timezone,
            "lifecycle_stage": self.stage,
            "health_score": None if self.health is None else self.health.score,
            "health_band": None if self.health is None else self.health.band.value,
            "tags": list(self.tags),
            "external_id": self.external_id,
            "domain": self.domain,
            "created_at": self.created_at,
        }
        row.update({f"attr.{key}": value for key, value in sorted(self.attributes.items())})
        return row

    def entered(self, stage: str) -> datetime | None:
        """When the customer first entered a stage (None if never)."""
        return next((c.at for c in self.history if c.to_stage == stage), None)

    # -- relationship data --

    def assign_owner(self, owner_id: str, at: datetime) -> None:
        check_id("owner_id", owner_id)
        at = utc(at, "at")
        if owner_id == self.owner_id:
            return
        self.record(
            CustomerOwnerChanged(
                tenant_id=self.tenant_id,
                occurred_at=at,
                customer_id=self.id,
                from_owner=self.owner_id,
                to_owner=owner_id,
            )
        )
        self.owner_id = owner_id

    def add_contact(self, contact: Contact) -> None:
        if not isinstance(contact, Contact):
            raise ValidationError("contact", contact, "expected Contact")
        if contact in self.contacts:
            raise InvariantViolation("contact", contact.name, "already a contact of this customer")
        self.contacts.append(contact)

    def tag(self, *tags: str) -> None:
        self.tags = sorted(set(self.tags) | {_text("tag", t, max_len=64) for t in tags})

    def untag(self, *tags: str) -> None:
        self.tags = [t for t in self.tags if t not in tags]

    def set_attribute(self, key: str, value: AttributeValue, settings: CustomerSettings) -> None:
        """Set a custom attribute; the first value of a key fixes its type in `settings`."""
        settings.attribute_types[key] = settings.attribute_type(key, value)
        self.attributes[key] = value

    # -- consent --

    def set_consent(self, channel: Channel | str, purpose: str, *, granted: bool, at: datetime) -> None:
        if not isinstance(granted, bool):
            raise ValidationError("granted", granted, "expected a bool")
        record = ConsentRecord(channel=channel, purpose=purpose, granted=granted, at=at)
        self.consents.append(record)
        self.record(
            ConsentChanged(
                tenant_id=self.tenant_id,
                occurred_at=record.at,
                customer_id=self.id,
                channel=record.channel,
                purpose=record.purpose,
                granted=granted,
            )
        )

    def consent_for(self, channel: Channel, purpose: str, as_of: datetime | None = None) -> ConsentRecord | None:
        """The latest grant or withdrawal for this channel and purpose, as of an instant (None: never asked)."""
        limit = None if as_of is None else utc(as_of, "as_of")
        latest = None
        for record in self.consents:
            if record.channel is not channel or record.purpose != purpose or (limit is not None and record.at > limit):
                continue
            if latest is None or record.at >= latest.at:
                latest = record
        return latest

    # -- health --

    def record_health(self, score: HealthScore, at: datetime) -> None:
        """Keep the latest score; a change of band is an event (the first score counts as a change)."""
        at = utc(at, "at")
        previous = self.health.band if self.health is not None else None
        self.health = HealthSnapshot(score=score.total, band=score.band, at=at)
        if previous is not score.band:
            self.record(
                HealthBandChanged(
                    tenant_id=self.tenant_id,
                    occurred_at=at,
                    customer_id=self.id,
                    from_band=previous,
                    to_band=score.band,
                    score=score.total,
                )
            )
