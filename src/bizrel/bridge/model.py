"""What the bridge records: the handoff of a won deal, the onboarding plan it starts, and the
signals it sends back to sales. Ids derive from the deal or the triggering event, so a second
delivery finds the first one's work instead of repeating it."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from attrs import define, evolve, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.errors import PolicyViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId
from bizrel.core.money import Money
from bizrel.customer import DEFAULT_CONTACT_POLICY, StageRule

__all__ = [
    "BRIDGE_CONTACT_POLICY",
    "DEFAULT_TEMPLATE",
    "ONBOARDING_RULE",
    "AccountRoles",
    "BridgeConfig",
    "CsmCandidate",
    "Handoff",
    "HandoffCompleted",
    "OnboardingPlan",
    "OnboardingTask",
    "OnboardingTemplate",
    "OutreachRecord",
    "SalesSignal",
    "SignalKind",
    "SignalRaised",
    "TaskTemplate",
    "handoff_id",
    "retry_due",
]


def handoff_id(opportunity_id: str) -> str:
    """The one handoff (and the prefix of everything it creates) for a won deal."""
    return f"handoff:{opportunity_id}"


@frozen(kw_only=True)
class TaskTemplate:
    """One onboarding step: done by whom (a role on the account) and when (days after the close)."""

    title: str
    role: str
    due_days: int

    def __attrs_post_init__(self) -> None:
        if self.role not in ("sales", "cs", "collections"):
            raise ValidationError("role", self.role, "one of sales, cs, collections")
        if self.due_days < 0:
            raise ValidationError("due_days", self.due_days, "must be >= 0")


@frozen(kw_only=True)
class OnboardingTemplate:
    """The onboarding tasks every handed-over customer gets, with their due days after the win."""

    name: str
    tasks: tuple[TaskTemplate, ...]


@frozen(kw_only=True)
class CsmCandidate:
    """A customer-success manager the rule may pick: which segments and regions, how many customers."""

    id: str
    capacity: int
    segments: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def serves(self, segment: str | None, region: str | None) -> bool:
        return (not self.segments or segment in self.segments) and (not self.regions or region in self.regions)


DEFAULT_TEMPLATE = OnboardingTemplate(
    name="standard",
    tasks=(
        TaskTemplate(title="internal handover call", role="sales", due_days=2),
        TaskTemplate(title="welcome and kickoff", role="cs", due_days=5),
        TaskTemplate(title="first invoice sent", role="collections", due_days=7),
        TaskTemplate(title="go-live review", role="cs", due_days=30),
    ),
)


ONBOARDING_RULE = StageRule(stage="onboarding", sources=frozenset({"care:", "cs:"}))
"""During onboarding only customer success (and its care plans) contacts the customer."""

BRIDGE_CONTACT_POLICY = evolve(DEFAULT_CONTACT_POLICY, stage_rules=(ONBOARDING_RULE,))
"""The default caps, quiet hours and cool-down, plus the division of labour during onboarding: the
policy to store once per tenant (`customer.set_contact_policy`) for the bridge's touches to keep it."""

ROLES = ("sales", "cs")


@frozen(kw_only=True)
class BridgeConfig:
    """How won deals are handed over and what flows back to sales."""

    csm_candidates: tuple[CsmCandidate, ...]
    collections_owner_id: str
    renewal_pipeline_id: str
    upsell_pipeline_id: str | None = None
    template: OnboardingTemplate = DEFAULT_TEMPLATE
    timezone: str = "UTC"
    term_days: int = 365
    renewal_lead_days: int = 90
    clawback_days: int = 90
    promoter_score: int = 9
    upsell_opened_by: str = "sales"
    renewal_owned_by: str = "cs"
    allow_sales_as_csm: bool = False
    start_care_plan: bool = True
    loyalty_program_id: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.csm_candidates:
            raise ValidationError("csm_candidates", self.csm_candidates, "at least one customer-success manager")
        for name in ("upsell_opened_by", "renewal_owned_by"):
            if getattr(self, name) not in ROLES:
                raise ValidationError(name, getattr(self, name), "either 'sales' or 'cs'")
        for name in ("term_days", "renewal_lead_days", "clawback_days"):
            if getattr(self, name) < 0:
                raise ValidationError(name, getattr(self, name), "must be >= 0")


@frozen(kw_only=True)
class AccountRoles:
    """Who does what for the account; the sales owner keeps the credit, CS owns the relationship."""

    sales_owner_id: str
    cs_owner_id: str
    collections_owner_id: str

    def check(self, *, allow_sales_as_csm: bool) -> None:
        if self.cs_owner_id == self.sales_owner_id and not allow_sales_as_csm:
            raise PolicyViolation(
                "account roles", self.sales_owner_id, "the sales owner may not be the customer-success manager"
            )


@frozen(kw_only=True)
class OutreachRecord:
    """A touch the bridge asked for and what the contact policy said (allowed, deferred or refused).

    `source` says which side asked ("sales:..." or "cs:..."); a deferred touch carries `until`, and
    `retried` once the retry job has asked again.
    """

    purpose: str
    channel: str
    outcome: str
    at: datetime
    detail: str = ""
    source: str = ""
    until: datetime | None = None
    retried: bool = False

    @property
    def awaiting_retry(self) -> bool:
        return self.outcome == "deferred" and not self.retried and self.until is not None


def retry_due(outreach: Sequence[OutreachRecord]) -> datetime | None:
    """When the earliest deferred, not yet retried touch may be asked for again."""
    return min((o.until for o in outreach if o.awaiting_retry and o.until is not None), default=None)


@frozen(kw_only=True)
class HandoffCompleted(DomainEvent):
    """Event: a won deal was handed over to customer success (customer, owners and onboarding set)."""

    handoff_id: str
    opportunity_id: str
    customer_id: str
    cs_owner_id: str
    created_customer: bool


@define(kw_only=True)
class Handoff(Aggregate):
    """What one won deal created on the customer side, and by which rule."""

    opportunity_id: str
    customer_id: str
    customer_rule: str
    created_customer: bool
    roles: AccountRoles
    csm_rule: str
    onboarding_plan_id: str
    subscription_id: str
    care_plan_id: str | None
    amount: Money
    source: str | None
    pipeline_id: str
    segment: str | None
    opened_at: datetime
    closed_at: datetime
    contract_end: date
    renewal_due_on: date
    renewal_opportunity_id: str | None = None
    loyalty_account_id: str | None = None
    outreach: list[OutreachRecord] = field(factory=list)
    notes: list[str] = field(factory=list)

    @property
    def cycle_days(self) -> int:
        return (self.closed_at - self.opened_at) // timedelta(days=1)

    def complete(self) -> None:
        self.record(
            HandoffCompleted(
                tenant_id=self.tenant_id,
                occurred_at=self.closed_at,
                handoff_id=self.id,
                opportunity_id=self.opportunity_id,
                customer_id=self.customer_id,
                cs_owner_id=self.roles.cs_owner_id,
                created_customer=self.created_customer,
            )
        )


@frozen(kw_only=True)
class OnboardingTask:
    """One onboarding task of a handoff, due on a day, done or not."""

    title: str
    role: str
    owner_id: str
    due: date
    done_at: datetime | None = None


@define(kw_only=True)
class OnboardingPlan(Aggregate):
    """The first weeks after the close: tasks with owners and due dates relative to the close date."""

    customer_id: str
    opportunity_id: str
    template: str
    started_on: date
    tasks: list[OnboardingTask]

    @classmethod
    def start(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        customer_id: str,
        opportunity_id: str,
        template: OnboardingTemplate,
        roles: AccountRoles,
        close_date: date,
    ) -> OnboardingPlan:
        owners = {"sales": roles.sales_owner_id, "cs": roles.cs_owner_id, "collections": roles.collections_owner_id}
        return cls(
            tenant_id=tenant_id,
            id=id,
            customer_id=customer_id,
            opportunity_id=opportunity_id,
            template=template.name,
            started_on=close_date,
            tasks=[
                OnboardingTask(
                    title=t.title, role=t.role, owner_id=owners[t.role], due=close_date + timedelta(days=t.due_days)
                )
                for t in template.tasks
            ],
        )

    def complete_task(self, title: str, at: datetime) -> None:
        for i, task in enumerate(self.tasks):
            if task.title == title:
                self.tasks[i] = OnboardingTask(
                    title=task.title, role=task.role, owner_id=task.owner_id, due=task.due, done_at=at
                )
                return
        raise ValidationError("title", title, f"not a task of onboarding plan {self.id}")

    @property
    def is_done(self) -> bool:
        return all(t.done_at is not None for t in self.tasks)

    def overdue(self, today: date) -> Sequence[OnboardingTask]:
        return [t for t in self.tasks if t.done_at is None and t.due < today]


class SignalKind(enum.StrEnum):
    """What a customer signal tells sales: a risk, an upsell, a clawback or a referral."""

    RISK = "risk"
    UPSELL = "upsell"
    CLAWBACK = "clawback"
    REFERRAL = "referral"


@frozen(kw_only=True)
class SignalRaised(DomainEvent):
    """Event: the bridge raised a customer signal for sales."""

    signal_id: str
    kind: SignalKind
    customer_id: str
    sales_owner_id: str
    detail: str


@define(kw_only=True)
class SalesSignal(Aggregate):
    """Something customer success tells sales (risk, upsell, clawback, referral), keyed by its cause."""

    kind: SignalKind
    customer_id: str
    sales_owner_id: str
    raised_at: datetime
    detail: str
    opportunity_id: str | None = None
    lead_id: str | None = None
    outreach: list[OutreachRecord] = field(factory=list)

    @classmethod
    def raise_(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        kind: SignalKind,
        customer_id: str,
        sales_owner_id: str,
        at: datetime,
        detail: str,
    ) -> SalesSignal:
        signal = cls(
            tenant_id=tenant_id,
            id=id,
            kind=kind,
            customer_id=customer_id,
            sales_owner_id=sales_owner_id,
            raised_at=at,
            detail=detail,
        )
        signal.record(
            SignalRaised(
                tenant_id=tenant_id,
                occurred_at=at,
                signal_id=id,
                kind=kind,
                customer_id=customer_id,
                sales_owner_id=sales_owner_id,
                detail=detail,
            )
        )
        return signal
