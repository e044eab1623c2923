"""Value extension (价值延伸): subscriptions and contracts that renew or churn, and referrals.

A subscription covers [start, end] (inclusive dates). Renewing it creates the next term, which starts
the day after the current one ends, and links the two; churning records the reason. A referral
follows submitted -> qualified -> converted, and may be rejected until it converts.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from attrs import define, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import CurrencyMismatch, InvariantViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import Money
from bizrel.customer.customers import _email, _text, member

__all__ = [
    "Referral",
    "ReferralChange",
    "ReferralStatus",
    "ReferralStatusChanged",
    "ReferralSubmitted",
    "RenewalStatus",
    "Subscription",
    "SubscriptionChurned",
    "SubscriptionRenewed",
    "SubscriptionStarted",
]


class RenewalStatus(enum.StrEnum):
    """Where a subscription term stands: active, renewal pending, renewed or churned."""

    ACTIVE = "active"
    PENDING = "pending"
    RENEWED = "renewed"
    CHURNED = "churned"


class ReferralStatus(enum.StrEnum):
    """Where a referral stands, from submitted to converted or rejected."""

    SUBMITTED = "submitted"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    REJECTED = "rejected"


_REFERRAL_MOVES: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.SUBMITTED: frozenset({ReferralStatus.QUALIFIED, ReferralStatus.REJECTED}),
    ReferralStatus.QUALIFIED: frozenset({ReferralStatus.CONVERTED, ReferralStatus.REJECTED}),
    ReferralStatus.CONVERTED: frozenset(),
    ReferralStatus.REJECTED: frozenset(),
}


def _date(name: str, value: object) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(name, value, "expected a date")
    return value


def _amount(value: object) -> Money:
    if not isinstance(value, Money):
        raise ValidationError("amount", value, "expected Money")
    if value.is_negative():
        raise ValidationError("amount", value, "cannot be negative")
    return value


@frozen(kw_only=True)
class SubscriptionStarted(DomainEvent):
    """Event: a subscription term started."""

    subscription_id: str
    customer_id: str
    plan: str
    amount: Money
    start: date
    end: date


@frozen(kw_only=True)
class SubscriptionRenewed(DomainEvent):
    """Event: a subscription was renewed into its next term."""

    subscription_id: str
    customer_id: str
    next_subscription_id: str
    amount: Money


@frozen(kw_only=True)
class SubscriptionChurned(DomainEvent):
    """Event: a subscription churned, with the reason."""

    subscription_id: str
    customer_id: str
    reason: str


@define(kw_only=True)
class Subscription(Aggregate):
    """One term of a contract: what, for how much, from when to when, and how it ended."""

    customer_id: str
    plan: str
    amount: Money
    start: date
    end: date
    status: RenewalStatus
    created_at: datetime
    previous_id: str | None = None
    next_id: str | None = None
    churn_reason: str | None = None
    closed_at: datetime | None = None

    @classmethod
    def begin(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        customer_id: str,
        plan: str,
        amount: Money,
        start: date,
        end: date,
        at: datetime,
        previous_id: str | None = None,
    ) -> Subscription:
        check_id("id", id)
        check_id("customer_id", customer_id)
        plan = _text("plan", plan, max_len=200)
        amount = _amount(amount)
        start, end = _date("start", start), _date("end", end)
        if end < start:
            raise ValidationError("end", end, f"is before the start {start}")
        at = utc(at, "at")
        subscription = cls(
            tenant_id=tenant_id,
            id=id,
            customer_id=customer_id,
            plan=plan,
            amount=amount,
            start=start,
            end=end,
            status=RenewalStatus.ACTIVE,
            created_at=at,
            previous_id=previous_id,
        )
        subscription.record(
            SubscriptionStarted(
                tenant_id=tenant_id,
                occurred_at=at,
                subscription_id=id,
                customer_id=customer_id,
                plan=plan,
                amount=amount,
                start=start,
                end=end,
            )
        )
        return subscription

    def _ensure_open(self) -> None:
        if self.status in (RenewalStatus.RENEWED, RenewalStatus.CHURNED):
            raise InvariantViolation("status", self.status.value, f"subscription {self.id} is closed")

    def mark_pending(self) -> None:
        """The renewal is under discussion (typically within the notice window before `end`)."""
        self._ensure_open()
        self.status = RenewalStatus.PENDING

    def renew(self, *, next_id: str, at: datetime, end: date, amount: Money | None = None) -> Subscription:
        """Close this term as renewed and return the next one (start = the day after this end)."""
        self._ensure_open()
        check_id("next_id", next_id)
        if next_id == self.id:
            raise ValidationError("next_id", next_id, "the next term needs its own id")
        if amount is not None and amount.currency != self.amount.currency:
            raise CurrencyMismatch("amount", self.amount.currency.code, amount.currency.code)
        next_term = Subscription.begin(
            tenant_id=self.tenant_id,
            id=next_id,
            customer_id=self.customer_id,
            plan=self.plan,
            amount=self.amount if amount is None else amount,
            start=self.end + timedelta(days=1),
            end=end,
            at=at,
            previous_id=self.id,
        )
        self.status = RenewalStatus.RENEWED
        self.next_id = next_id
        self.closed_at = next_term.created_at
        self.record(
            SubscriptionRenewed(
                tenant_id=self.tenant_id,
                occurred_at=next_term.created_at,
                subscription_id=self.id,
                customer_id=self.customer_id,
                next_subscription_id=next_id,
                amount=next_term.amount,
            )
        )
        return next_term

    def churn(self, reason: str, at: datetime) -> None:
        self._ensure_open()
        reason = _text("reason", reason)
        at = utc(at, "at")
        self.status = RenewalStatus.CHURNED
        self.churn_reason = reason
        self.closed_at = at
        self.record(
            SubscriptionChurned(
                tenant_id=self.tenant_id,
                occurred_at=at,
                subscription_id=self.id,
                customer_id=self.customer_id,
                reason=reason,
            )
        )


@frozen(kw_only=True)
class ReferralSubmitted(DomainEvent):
    """Event: a customer referred someone."""

    referral_id: str
    referrer_id: str
    referred_name: str
    referred_email: str | None


@frozen(kw_only=True)
class ReferralStatusChanged(DomainEvent):
    """Event: a referral moved to another status."""

    referral_id: str
    referrer_id: str
    from_status: ReferralStatus
    to_status: ReferralStatus


@frozen(kw_only=True)
class ReferralChange:
    """One status change of a referral, with when and an optional note."""

    status: ReferralStatus
    at: datetime
    note: str | None = None


@define(kw_only=True)
class Referral(Aggregate):
    """A customer (the referrer) recommended someone; the bridge may turn it into a lead."""

    referrer_id: str
    referred_name: str
    referred_email: str | None
    status: ReferralStatus
    submitted_at: datetime
    history: list[ReferralChange]

    @classmethod
    def submit(
        cls,
        *,
        tenant_id: TenantId,
        id: str,
        referrer_id: str,
        referred_name: str,
        referred_email: str | None,
        at: datetime,
    ) -> Referral:
        check_id("id", id)
        check_id("referrer_id", referrer_id)
        name = _text("referred_name", referred_name, max_len=200)
        email = _email(referred_email)
        at = utc(at, "at")
        referral = cls(
            tenant_id=tenant_id,
            id=id,
            referrer_id=referrer_id,
            referred_name=name,
            referred_email=email,
            status=ReferralStatus.SUBMITTED,
            submitted_at=at,
            history=[ReferralChange(status=ReferralStatus.SUBMITTED, at=at)],
        )
        referral.record(
            ReferralSubmitted(
                tenant_id=tenant_id,
                occurred_at=at,
                referral_id=id,
                referrer_id=referrer_id,
                referred_name=name,
                referred_email=email,
            )
        )
        return referral

    def move_to(self, status: ReferralStatus | str, at: datetime, note: str | None = None) -> None:
        target = member(ReferralStatus, "status", status)
        if target not in _REFERRAL_MOVES[self.status]:
            raise InvariantViolation(
                "status", target.value, f"a {self.status.value} referral cannot become {target.value}"
            )
        at = utc(at, "at")
        if at < self.history[-1].at:
            raise ValidationError("at", at, "is before the referral's last change")
        self.history.append(ReferralChange(status=target, at=at, note=None if note is None else _text("note", note)))
        self.record(
            ReferralStatusChanged(
                tenant_id=self.tenant_id,
                occurred_at=at,
                referral_id=self.id,
                referrer_id=self.referrer_id,
                from_status=self.status,
                to_status=target,
            )
        )
        self.status = target
