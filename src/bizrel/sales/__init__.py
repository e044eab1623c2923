"""Sales management (销售管理): the deal, from pipeline to close, measured by bookings and conversion.

This context never imports bizrel.customer; the bridge maps accounts to customers.
"""

from bizrel.sales.funnel import FunnelReport, FunnelStage, funnel
from bizrel.sales.pipeline import (
    Opportunity,
    OpportunityLost,
    OpportunityOpened,
    OpportunityStageChanged,
    OpportunityStatus,
    OpportunityWon,
    Pipeline,
    Stage,
    StageChange,
)
from bizrel.sales.ports import SalesUnitOfWork
from bizrel.sales.services import (
    advance_opportunity,
    create_pipeline,
    lose_opportunity,
    open_opportunity,
    win_opportunity,
)

__all__ = [
    "FunnelReport",
    "FunnelStage",
    "Opportunity",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityStageChanged",
    "OpportunityStatus",
    "OpportunityWon",
    "Pipeline",
    "SalesUnitOfWork",
    "Stage",
    "StageChange",
    "advance_opportunity",
    "create_pipeline",
    "funnel",
    "lose_opportunity",
    "open_opportunity",
    "win_opportunity",
]
