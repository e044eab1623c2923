"""What the customer context needs from persistence."""

from __future__ import annotations

from typing import Protocol

from bizrel.core.clock import Clock
from bizrel.core.identity import IdentityUnitOfWork
from bizrel.core.uow import Repository
from bizrel.customer.care import CarePlan
from bizrel.customer.contact_policy import ContactLog, TenantContactPolicy
from bizrel.customer.customers import Customer, CustomerSettings
from bizrel.customer.interactions import Interaction
from bizrel.customer.renewals import Referral, Subscription
from bizrel.customer.satisfaction import SurveyResponse

__all__ = ["CustomerUnitOfWork"]


class CustomerUnitOfWork(IdentityUnitOfWork, Protocol):
    """The unit of work of customer management: customers, interactions, care plans, subscriptions, referrals."""

    @property
    def clock(self) -> Clock: ...

    @property
    def customers(self) -> Repository[Customer]: ...

    @property
    def customer_settings(self) -> Repository[CustomerSettings]: ...

    @property
    def interactions(self) -> Repository[Interaction]: ...

    @property
    def care_plans(self) -> Repository[CarePlan]: ...

    @property
    def contact_logs(self) -> Repository[ContactLog]: ...

    @property
    def contact_policies(self) -> Repository[TenantContactPolicy]:
        """The tenant's one stored contact policy (id CONTACT_POLICY_ID)."""
        ...

    @property
    def subscriptions(self) -> Repository[Subscription]: ...

    @property
    def referrals(self) -> Repository[Referral]: ...

    @property
    def survey_responses(self) -> Repository[SurveyResponse]:
        """Read by the contact policy: a detractor's NPS answer starts its cool-down."""
        ...
