"""The funnel report: how many deals reach each stage, how many convert, and the win rate.

An opportunity has reached a stage when its history contains that stage or a later one (skipped
stages count as passed); a won opportunity has reached every stage. Conversion from one stage to
the next is reached(next) / reached(this). Win rate is over closed deals only.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from attrs import frozen

from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.money import Currency, Money
from bizrel.core.numbers import ratio
from bizrel.core.report import html_table, text_table
from bizrel.sales.pipeline import Opportunity, OpportunityStatus, Pipeline

__all__ = ["FunnelReport", "FunnelStage", "funnel"]


@frozen
class FunnelStage:
    stage: str
    reached: int
    amount: Money
    conversion_to_next: Decimal | None


@frozen
class FunnelReport:
    pipeline: str
    stages: tuple[FunnelStage, ...]
    opportunities: int
    open: int
    won: int
    lost: int
    won_amount: Money
    lost_amount: Money
    win_rate: Decimal | None
    win_rate_by_amount: Decimal | None

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "stage": s.stage,
                "reached": s.reached,
                "amount": s.amount.amount,
                "currency": s.amount.currency.code,
                "conversion_to_next": s.conversion_to_next,
            }
            for s in self.stages
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [s.stage, s.reached, s.amount.format(), _pct(s.conversion_to_next)] for s in self.stages
        ]
        title = (
            f"Funnel: {self.pipeline}  ({self.opportunities} opportunities, {self.open} open, "
            f"{self.won} won, {self.lost} lost; win rate {_pct(self.win_rate)} by count, "
            f"{_pct(self.win_rate_by_amount)} by amount)"
        )
        return ["stage", "reached", "amount", "to next"], rows, title

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def funnel(
    pipeline: Pipeline, opportunities: Iterable[Opportunity], currency: str | Currency | None = None
) -> FunnelReport:
    """The funnel of one pipeline; every amount must be in one currency (the first seen, or `currency`)."""
    n = len(pipeline.stages)
    reached = [0] * (n + 1)  # last slot: won
    reached_minor = [0] * (n + 1)
    cur = Currency.of(currency) if currency is not None else None
    counts = dict.fromkeys(OpportunityStatus, 0)
    closed_minor = {OpportunityStatus.WON: 0, OpportunityStatus.LOST: 0}
    total = 0
    for opp in opportunities:
        if opp.pipeline_id != pipeline.id:
            raise ValidationError("pipeline_id", opp.pipeline_id, f"opportunity {opp.id} is not in {pipeline.id}")
        if cur is None:
            cur = opp.amount.currency
        elif opp.amount.currency is not cur:
            raise CurrencyMismatch("amount", cur.code, opp.amount.currency.code)
        total += 1
        minor = opp.amount.to_minor()
        furthest = n if opp.status is OpportunityStatus.WON else max(pipeline.index(c.stage) for c in opp.history)
        for k in range(furthest + 1):
            reached[k] += 1
            reached_minor[k] += minor
        counts[opp.status] += 1
        if opp.status in closed_minor:
            closed_minor[opp.status] += minor
    cur = cur or Currency.of("USD")
    names = [s.name for s in pipeline.stages] + ["won"]
    stages = tuple(
        FunnelStage(
            stage=names[k],
            reached=reached[k],
            amount=Money.from_minor(reached_minor[k], cur),
            conversion_to_next=ratio(reached[k + 1], reached[k]) if k < n else None,
        )
        for k in range(n + 1)
    )
    won, lost = counts[OpportunityStatus.WON], counts[OpportunityStatus.LOST]
    won_minor, lost_minor = closed_minor[OpportunityStatus.WON], closed_minor[OpportunityStatus.LOST]
    return FunnelReport(
        pipeline=pipeline.name,
        stages=stages,
        opportunities=total,
        open=counts[OpportunityStatus.OPEN],
        won=won,
        lost=lost,
        won_amount=Money.from_minor(won_minor, cur),
        lost_amount=Money.from_minor(lost_minor, cur),
        win_rate=ratio(won, won + lost),
        win_rate_by_amount=ratio(won_minor, won_minor + lost_minor),
    )
