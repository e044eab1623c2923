"""The interaction log (跟进记录): every call, visit, email, message, meeting or ticket with a
customer, and the follow-up it promised.

A follow-up stays open until it is completed; an open follow-up whose time has passed is overdue.
The store indexes the follow-up time and an "open" flag so overdue follow-ups are one query.
"""

from __future__ import annotations

import enum
from datetime import datetime

from attrs import define, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.customer.customers import Channel, member

__all__ = [
    "Direction",
    "FollowUpCompleted",
    "Interaction",
    "InteractionLogged",
    "Outcome",
]

_MAX_SUMMARY = 4000


class Direction(enum.StrEnum):
    """Whether an interaction came from the customer or went to them."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Outcome(enum.StrEnum):
    """How an interaction ended."""

    COMPLETED = "completed"
    NO_RESPONSE = "no_response"
    FOLLOW_UP_NEEDED = "follow_up_needed"
    ESCALATED = "escalated"


@frozen(kw_only=True)
class InteractionLogged(DomainEvent):
    """Event: an interaction with a customer was logged."""

    interaction_id: str
    customer_id: str
    channel: Channel
    direction: Direction
    next_follow_up: datetime | None


@frozen(kw_only=True)
class FollowUpCompleted(DomainEvent):
    """Event: the follow-up an interaction asked for was done."""

    interaction_id: str
    customer_id: str


@define(kw_only=True)
class Interaction(Aggregate):
    """One contact with a customer, by whom, how it went, and what happens next."""

    customer_id: str
    owner_id: str
    channel: Channel
    direction: Direction
    outcome: Outcome
    summary: str
    occurred_at: datetime
    next_follow_up: datetime | None = None
    follow_up_done_at: datetime | None = None

    @classmethod
    def log(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        customer_id: str,
        owner_id: str,
        channel: Channel | str,
        direction: Direction | str,
        outcome: Outcome | str,
        summary: str,
        occurred_at: datetime,
        next_follow_up: datetime | None = None,
    ) -> Interaction:
        check_id("id", id)
        check_id("customer_id", customer_id)
        check_id("owner_id", owner_id)
        channel = Channel.of(channel)
        direction = member(Direction, "direction", direction)
        outcome = member(Outcome, "outcome", outcome)
        if not isinstance(summary, str) or not summary.strip() or len(summary) > _MAX_SUMMARY:
            raise ValidationError("summary", summary, f"must be a non-empty str of at most {_MAX_SUMMARY} chars")
        occurred_at = utc(occurred_at, "occurred_at")
        follow_up = None if next_follow_up is None else utc(next_follow_up, "next_follow_up")
        if follow_up is not None and follow_up < occurred_at:
            raise ValidationError("next_follow_up", next_follow_up, "is before the interaction itself")
        interaction = cls(
            tenant_id=tenant_id,
            id=id,
            customer_id=customer_id,
            owner_id=owner_id,
            channel=channel,
            direction=direction,
            outcome=outcome,
            summary=summary,
            occurred_at=occurred_at,
            next_follow_up=follow_up,
        )
        interaction.record(
            InteractionLogged(
                tenant_id=tenant_id,
                occurred_at=occurred_at,
                interaction_id=id,
                customer_id=customer_id,
                channel=channel,
                direction=direction,
                next_follow_up=follow_up,
            )
        )
        return interaction

    @property
    def follow_up_open(self) -> bool:
        return self.next_follow_up is not None and self.follow_up_done_at is None

    def is_overdue(self, as_of: datetime) -> bool:
        return self.follow_up_open and self.next_follow_up is not None and self.next_follow_up < utc(as_of, "as_of")

    def complete_follow_up(self, at: datetime) -> None:
        if not self.follow_up_open:
            raise InvariantViolation(
                "next_follow_up", self.next_follow_up, f"interaction {self.id} has no open follow-up"
            )
        at = utc(at, "at")
        if at < self.occurred_at:
            raise ValidationError("at", at, "is before the interaction itself")
        self.follow_up_done_at = at
        self.record(
            FollowUpCompleted(
                tenant_id=self.tenant_id, occurred_at=at, interaction_id=self.id, customer_id=self.customer_id
            )
        )

    def reschedule_follow_up(self, to: datetime) -> None:
        if not self.follow_up_open:
            raise InvariantViolation(
                "next_follow_up", self.next_follow_up, f"interaction {self.id} has no open follow-up"
            )
        to = utc(to, "next_follow_up")
        if to < self.occurred_at:
            raise ValidationError("next_follow_up", to, "is before the interaction itself")
        self.next_follow_up = to
