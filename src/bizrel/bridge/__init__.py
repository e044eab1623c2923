"""The bridge (桥): hands won deals over to customer success and feeds customer signals back to sales.

The only package that imports both bizrel.customer and bizrel.sales.
"""

from bizrel.bridge.closed_loop import ClosedLoopLine, ClosedLoopReport, DealOutcome, closed_loop_report, deal_outcomes
from bizrel.bridge.feedback import (
    AFTER_WIN,
    CHURN_REASON,
    on_health_band_changed,
    on_referral_submitted,
    on_subscription_churned,
    on_subscription_renewed,
)
from bizrel.bridge.handoff import (
    hand_over,
    on_opportunity_won,
    open_due_renewals,
    pick_csm,
    request_outreach,
    retry_deferred_outreach,
)
from bizrel.bridge.model import (
    BRIDGE_CONTACT_POLICY,
    ONBOARDING_RULE,
    AccountRoles,
    BridgeConfig,
    CsmCandidate,
    Handoff,
    HandoffCompleted,
    OnboardingPlan,
    OnboardingTask,
    OnboardingTemplate,
    OutreachRecord,
    SalesSignal,
    SignalKind,
    SignalRaised,
    TaskTemplate,
    handoff_id,
    retry_due,
)
from bizrel.bridge.ports import BridgeStore, BridgeUnitOfWork
from bizrel.bridge.wiring import wire_bridge

__all__ = [
    "AFTER_WIN",
    "BRIDGE_CONTACT_POLICY",
    "CHURN_REASON",
    "ONBOARDING_RULE",
    "AccountRoles",
    "BridgeConfig",
    "BridgeStore",
    "BridgeUnitOfWork",
    "ClosedLoopLine",
    "ClosedLoopReport",
    "CsmCandidate",
    "DealOutcome",
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
    "closed_loop_report",
    "deal_outcomes",
    "hand_over",
    "handoff_id",
    "on_health_band_changed",
    "on_opportunity_won",
    "on_referral_submitted",
    "on_subscription_churned",
    "on_subscription_renewed",
    "open_due_renewals",
    "pick_csm",
    "request_outreach",
    "retry_deferred_outreach",
    "retry_due",
    "wire_bridge",
]
