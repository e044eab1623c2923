"""Leads: capture, duplicates and merge, qualification and score, assignment, conversion.

A lead is someone who might buy, captured with its source and campaign. Duplicates are found on
normalized email, phone and company name (bizrel.sales.normalize). A merge keeps both histories.

Lead score (0-100), the documented default rules of `LeadScoring` (every weight configurable):
  email present 10, phone present 10, company present 10,
  budget stated 20, authority (talking to a decision maker) 20, need stated 15,
  timeline within `timeline_days` (90) of scoring 15,
  plus the source's bonus from `source_points` (may be negative); the total is clamped to 0..100.
A lead whose score reaches `qualify_at` (60) may be qualified.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.company_names import DEFAULT_NAME_THRESHOLD, company_key
from bizrel.core.errors import InvariantViolation, PolicyViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.identity import IdentityFacts, IdentityMatch, email_key, find_identity_matches
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import Money
from bizrel.core.phones import require_phone_key
from bizrel.sales.holding import Holding

__all__ = [
    "AssignmentRule",
    "AssignmentStrategy",
    "Lead",
    "LeadConverted",
    "LeadNote",
    "LeadScoring",
    "LeadStatus",
    "Qualification",
    "ScoreCard",
    "find_duplicates",
    "lead_identity",
]


class LeadStatus(enum.StrEnum):
    """Where a lead stands: new, qualified, disqualified, converted, or merged into another."""

    NEW = "new"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"
    MERGED = "merged"


ACTIVE = (LeadStatus.NEW, LeadStatus.QUALIFIED)


@frozen
class Qualification:
    """BANT: budget, authority, need, timeline."""

    budget: Money | None = None
    authority: bool = False
    need: str | None = None
    timeline: date | None = None


@frozen
class LeadNote:
    """One line of a lead's history (captured, qualified, merged, converted, ...)."""

    at: datetime
    action: str
    detail: str = ""
    lead_id: str | None = None


@frozen(kw_only=True)
class LeadConverted(DomainEvent):
    """Event: a lead was converted into an account and a deal."""

    lead_id: str
    opportunity_id: str
    account_id: str
    contact_id: str
    owner_id: str


@frozen
class ScoreCard:
    """A lead's score: the total and the points each part gave."""

    total: int
    parts: tuple[tuple[str, int], ...]


@frozen
class LeadScoring:
    """How leads are scored: points per attribute value, and the score a qualified lead needs."""

    email: int = 10
    phone: int = 10
    company: int = 10
    budget: int = 20
    authority: int = 20
    need: int = 15
    timeline: int = 15
    timeline_days: int = 90
    source_points: Mapping[str, int] = field(factory=dict)
    qualify_at: int = 60

    def score(self, lead: Lead, today: date) -> ScoreCard:
        q = lead.qualification
        checks = (
            ("email", self.email, lead.email_key is not None),
            ("phone", self.phone, lead.phone_key is not None),
            ("company", self.company, lead.company_key is not None),
            ("budget", self.budget, q.budget is not None and not q.budget.is_zero()),
            ("authority", self.authority, q.authority),
            ("need", self.need, bool(q.need and q.need.strip())),
            (
                "timeline",
                self.timeline,
                q.timeline is not None and q.timeline <= today + timedelta(days=self.timeline_days),
            ),
        )
        parts = [(name, points) for name, points, ok in checks if ok]
        bonus = self.source_points.get(lead.source, 0)
        if bonus:
            parts.append((f"source:{lead.source}", bonus))
        return ScoreCard(max(0, min(100, sum(p for _, p in parts))), tuple(parts))


@define(kw_only=True)
class Lead(Aggregate):
    """A prospect not yet qualified: source, contact, holding in the pool, status."""

    name: str
    source: str
    created_at: datetime
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    campaign: str | None = None
    territory: str | None = None
    email_key: str | None = None
    phone_key: str | None = None
    phone_extension: str | None = None
    company_key: str | None = None
    status: LeadStatus = LeadStatus.NEW
    qualification: Qualification = Qualification()
    score: int = 0
    score_parts: tuple[tuple[str, int], ...] = ()
    holding: Holding = field(factory=Holding)
    history: list[LeadNote] = field(factory=list)
    merged_into: str | None = None
    merged_from: list[str] = field(factory=list)
    opportunity_id: str | None = None
    account_id: str | None = None
    contact_id: str | None = None

    @classmethod
    def capture(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        name: str,
        source: str,
        at: datetime,
        email: str | None = None,
        phone: str | None = None,
        company: str | None = None,
        campaign: str | None = None,
        territory: str | None = None,
        level: str | None = None,
        region: str | None = None,
    ) -> Lead:
        """A new lead, its phone read as a national number of `region` when it has no '+'."""
        check_id("id", id)
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("name", name, "a lead needs a name")
        if not isinstance(source, str) or not source.strip():
            raise ValidationError("source", source, "a lead needs a source")
        if email is not None and email_key(email) is None:
            raise ValidationError("email", email, "not an email address")
        phone_key = require_phone_key("phone", phone, region) if phone is not None else None
        at = utc(at, "at")
        lead = cls(
            tenant_id=tenant_id,
            id=id,
            name=name.strip(),
            source=source,
            created_at=at,
            email=email,
            phone=phone,
            company=company,
            campaign=campaign,
            territory=territory,
            email_key=email_key(email),
            phone_key=None if phone_key is None else phone_key.key,
            phone_extension=None if phone_key is None else phone_key.extension,
            company_key=company_key(company),
            holding=Holding(level=level),
        )
        lead.note(at, "captured", f"source={source}" + (f" campaign={campaign}" if campaign else ""))
        return lead

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def note(self, at: datetime, action: str, detail: str = "") -> None:
        self.history.append(LeadNote(utc(at, "at"), action, detail, self.id))

    def ensure_active(self) -> None:
        if not self.is_active:
            raise InvariantViolation("status", self.status.value, f"lead {self.id} is {self.status.value}")

    def qualify(self, qualification: Qualification, scoring: LeadScoring, at: datetime) -> ScoreCard:
        """Record the qualification and its score; the lead is QUALIFIED when the score reaches the bar."""
        self.ensure_active()
        at = utc(at, "at")
        self.qualification = qualification
        card = scoring.score(self, at.date())
        self.score, self.score_parts = card.total, card.parts
        self.status = LeadStatus.QUALIFIED if card.total >= scoring.qualify_at else LeadStatus.NEW
        self.note(at, "qualified" if self.status is LeadStatus.QUALIFIED else "scored", f"score={card.total}")
        return card

    def disqualify(self, reason: str, at: datetime) -> None:
        self.ensure_active()
        if not reason or not reason.strip():
            raise ValidationError("reason", reason, "say why the lead is disqualified")
        self.status = LeadStatus.DISQUALIFIED
        self.note(at, "disqualified", reason)

    def absorb(self, other: Lead, at: datetime) -> None:
        """Merge `other` into this lead: fill what is missing here, keep both histories."""
        self.ensure_active()
        other.ensure_active()
        if other.id == self.id:
            raise ValidationError("duplicate_id", other.id, "cannot merge a lead into itself")
        at = utc(at, "at")
        for name in ("email", "company", "campaign", "territory", "email_key", "company_key"):
            if getattr(self, name) is None and getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
        if self.phone is None and other.phone is not None:  # the number and its keys travel together
            self.phone, self.phone_key, self.phone_extension = other.phone, other.phone_key, other.phone_extension
        self.history = sorted([*self.history, *other.history], key=lambda n: n.at)
        self.merged_from.extend([other.id, *other.merged_from])
        self.note(at, "merged", f"absorbed {other.id}")
        other.status = LeadStatus.MERGED
        other.merged_into = self.id
        other.note(at, "merged", f"into {self.id}")

    def converting_owner(self) -> str:
        """The owner a conversion hands the deal to; an unowned or closed lead cannot convert."""
        self.ensure_active()
        if self.holding.owner_id is None:
            raise PolicyViolation("lead.conversion", f"lead {self.id}", "claim or assign the lead before converting it")
        return self.holding.owner_id

    def convert(self, *, opportunity_id: str, account_id: str, contact_id: str, at: datetime) -> None:
        owner = self.converting_owner()
        at = utc(at, "at")
        self.status = LeadStatus.CONVERTED
        self.opportunity_id, self.account_id, self.contact_id = opportunity_id, account_id, contact_id
        self.note(at, "converted", f"opportunity={opportunity_id} account={account_id}")
        self.record(
            LeadConverted(
                tenant_id=self.tenant_id,
                occurred_at=at,
                lead_id=self.id,
                opportunity_id=opportunity_id,
                account_id=account_id,
                contact_id=contact_id,
                owner_id=owner,
            )
        )


def lead_identity(lead: Lead) -> IdentityFacts:
    """What identifies a lead, for the matcher customer duplicate detection uses too."""
    return IdentityFacts(
        id=lead.id,
        email_keys=(lead.email_key,) if lead.email_key else (),
        phone_keys=(lead.phone_key,) if lead.phone_key else (),
        company=lead.company,
    )


def find_duplicates(
    lead: Lead, candidates: Iterable[Lead], *, threshold: int = DEFAULT_NAME_THRESHOLD
) -> list[IdentityMatch]:
    """Other active leads sharing the email or phone key, or whose company name scores at least
    `threshold`; each with its score and reasons, most facts first."""
    others = [lead_identity(o) for o in candidates if o.is_active]
    return find_identity_matches(lead_identity(lead), others, threshold=threshold)


class AssignmentStrategy(enum.StrEnum):
    """How new leads are assigned: round robin, by territory or by capacity."""

    ROUND_ROBIN = "round_robin"
    TERRITORY = "territory"
    CAPACITY = "capacity"


@define(kw_only=True)
class AssignmentRule(Aggregate):
    """How new leads find an owner.

    ROUND_ROBIN cycles through `reps`; TERRITORY cycles through the reps of the lead's territory
    (`territories`, falling back to `reps`); CAPACITY picks the rep with the lowest share of their
    `capacities` currently held (ties in `reps` order) and never fills anyone beyond capacity.
    """

    name: str
    strategy: AssignmentStrategy
    reps: tuple[str, ...]
    territories: dict[str, tuple[str, ...]] = field(factory=dict)
    capacities: dict[str, int] = field(factory=dict)
    cursor: int = 0

    def __attrs_post_init__(self) -> None:
        if not self.reps:
            raise ValidationError("reps", self.reps, "an assignment rule needs at least one rep")
        if self.strategy is AssignmentStrategy.CAPACITY:
            for rep in self.reps:
                if self.capacities.get(rep, 0) <= 0:
                    raise ValidationError("capacities", rep, "every rep needs a positive capacity")

    def choose(self, lead: Lead, held: Mapping[str, int]) -> str:
        if self.strategy is AssignmentStrategy.CAPACITY:
            open_reps = [r for r in self.reps if held.get(r, 0) < self.capacities[r]]
            if not open_reps:
                raise PolicyViolation("assignment.capacity", f"lead {lead.id}", "every rep is at capacity")
            return min(open_reps, key=lambda r: (Fraction(held.get(r, 0), self.capacities[r]), self.reps.index(r)))
        group: Sequence[str] = self.reps
        if self.strategy is AssignmentStrategy.TERRITORY and lead.territory in self.territories:
            group = self.territories[lead.territory]
        rep = group[self.cursor % len(group)]
        self.cursor += 1
        return rep
