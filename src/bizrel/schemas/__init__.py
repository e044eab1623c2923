"""Boundary models (pydantic v2): untrusted input is parsed strictly here, then mapped to the domain
by explicit functions. Money amounts travel as strings; a float is refused, never rounded."""

from bizrel.schemas.common import MoneyIn, parse
from bizrel.schemas.sales import OpportunityIn, PipelineIn, StageIn, open_opportunity_from

__all__ = ["MoneyIn", "OpportunityIn", "PipelineIn", "StageIn", "open_opportunity_from", "parse"]
