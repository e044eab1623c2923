"""Subscribing the bridge on a store's bus: each handler runs in its own unit of work and commits.

Every handler is idempotent (see handoff.py and feedback.py), so the outbox may deliver an event
again after a crash or a failed handler without duplicating anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bizrel.bridge.feedback import (
    on_health_band_changed,
    on_referral_submitted,
    on_subscription_churned,
    on_subscription_renewed,
)
from bizrel.bridge.handoff import on_opportunity_won
from bizrel.bridge.model import BridgeConfig
from bizrel.bridge.ports import BridgeStore, BridgeUnitOfWork
from bizrel.core.events import DomainEvent
from bizrel.customer import HealthBandChanged, ReferralSubmitted, SubscriptionChurned, SubscriptionRenewed
from bizrel.sales import ClawbackRequested, OpportunityWon, request_clawback

__all__ = ["wire_bridge"]

E = TypeVar("E", bound=DomainEvent)


def _in_unit_of_work(store: BridgeStore, work: Callable[[BridgeUnitOfWork, E], object]) -> Callable[[E], None]:
    def handle(event: E) -> None:
        with store.unit_of_work(event.tenant_id) as uow:
            work(uow, event)
            uow.commit()

    return handle


def wire_bridge(store: BridgeStore, config: BridgeConfig) -> None:
    """Hand over won deals and feed customer signals back to sales, on every commit of `store`."""
    bus = store.bus
    bus.subscribe(
        OpportunityWon, _in_unit_of_work(store, lambda uow, e: on_opportunity_won(uow, e.opportunity_id, config))
    )
    bus.subscribe(
        HealthBandChanged,
        _in_unit_of_work(
            store,
            lambda uow, e: on_health_band_changed(
                uow, event_id=e.event_id, customer_id=e.customer_id, from_band=e.from_band, to_band=e.to_band
            ),
        ),
    )
    bus.subscribe(
        ReferralSubmitted, _in_unit_of_work(store, lambda uow, e: on_referral_submitted(uow, referral_id=e.referral_id))
    )
    bus.subscribe(
        SubscriptionChurned,
        _in_unit_of_work(store, lambda uow, e: on_subscription_churned(uow, config, subscription_id=e.subscription_id)),
    )
    bus.subscribe(
        SubscriptionRenewed,
        _in_unit_of_work(
            store,
            lambda uow, e: on_subscription_renewed(
                uow, config, subscription_id=e.next_subscription_id, customer_id=e.customer_id
            ),
        ),
    )
    bus.subscribe(ClawbackRequested, _in_unit_of_work(store, request_clawback))
