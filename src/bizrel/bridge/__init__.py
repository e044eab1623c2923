"""The bridge (桥): hands won deals over to customer success and feeds customer signals back to sales.

The only package that imports both bizrel.customer and bizrel.sales.
"""

from bizrel.bridge.closed_loop import ClosedLoopLine, ClosedLoopReport, DealOutcome, closed_loop_report, deal_outcomes
from bizrel.bridge.erasure import (
    ErasureRequest,
    ErasureStatus,
    ErasureUnitOfWork,
    Hold,
    RetentionMode,
    RetentionRule,
    erase_customer,
    erasure_request_id,
    pseudonym,
)
from bizrel.bridge.feedback import (
    on_health_band_changed,
    on_referral_submitted,
    on_subscription_churned,
    on_subscription_renewed,
)
from bizrel.bridge.handoff import hand_over, open_due_renewals, pick_csm, request_outreach
from bizrel.bridge.model import (
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
)
from bizrel.bridge.ports import BridgeStore, BridgeUnitOfWork
from bizrel.bridge.wiring import wire_bridge

__all__ = [
    "AccountRoles",
    "BridgeConfig",
    "BridgeStore",
    "BridgeUnitOfWork",
    "ClosedLoopLine",
    "ClosedLoopReport",
    "CsmCandidate",
    "DealOutcome",
    "ErasureRequest",
    "ErasureStatus",
    "ErasureUnitOfWork",
    "Handoff",
    "HandoffCompleted",
    "Hold",
    "OnboardingPlan",
    "OnboardingTask",
    "OnboardingTemplate",
    "OutreachRecord",
    "RetentionMode",
    "RetentionRule",
    "SalesSignal",
    "SignalKind",
    "SignalRaised",
    "TaskTemplate",
    "closed_loop_report",
    "deal_outcomes",
    "erase_customer",
    "erasure_request_id",
    "hand_over",
    "handoff_id",
    "on_health_band_changed",
    "on_referral_submitted",
    "on_subscription_churned",
    "on_subscription_renewed",
    "open_due_renewals",
    "pick_csm",
    "pseudonym",
    "request_outreach",
    "wire_bridge",
]
