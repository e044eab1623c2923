"""The forecast: weighted open pipeline per period of expected close, by category, rolled up.

- Only open deals are pipeline; won deals count as closed (`won`) in the period they closed; lost
  deals count nowhere. OMITTED deals are listed but left out of every total.
- A deal's category is the rep's override, else its stage's category (Stage.category).
- weighted = amount x probability (the stage's, or the one given by `probability`, e.g. from a
  WinProbabilityModel), rounded half-even to the currency's minor unit.
- Amounts in other currencies are converted through an explicit RateTable into its base currency,
  never added as they are; a snapshot records the rates it used.
- Roll-up: a manager's figures are their own plus every report's below them, given as a mapping
  rep -> manager or a callable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import InvariantViolation, ValidationError
from bizrel.core.ids import TenantId, check_id
from bizrel.core.money import EXACT, Currency, Money, to_decimal
from bizrel.core.numbers import ratio
from bizrel.core.periods import Period, PeriodKind
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.sales.pipeline import ForecastCategory, Opportunity, OpportunityStatus, Pipeline

__all__ = [
    "Forecast",
    "ForecastAccuracy",
    "ForecastLine",
    "ForecastSnapshot",
    "ForecastTotals",
    "RateTable",
    "TargetComparison",
    "build_forecast",
    "forecast_accuracy",
]

Hierarchy = Mapping[str, str] | Callable[[str], str | None]


def _currency(value: str | Currency) -> Currency:
    return Currency.of(value)


@frozen
class RateTable:
    """How many units of `base` one unit of each currency is worth (base itself is 1)."""

    base: Currency = field(converter=_currency)
    rates: dict[str, Decimal] = field(factory=dict)

    def __attrs_post_init__(self) -> None:
        for code, rate in self.rates.items():
            Currency.of(code)
            if to_decimal(rate, f"rates[{code}]") <= 0:
                raise ValidationError(f"rates[{code}]", rate, "a rate must be positive")

    def convert(self, money: Money) -> Money:
        if money.currency is self.base:
            return money
        rate = self.rates.get(money.currency.code)
        if rate is None:
            raise ValidationError("rates", money.currency.code, f"no rate to {self.base.code} in the rate table")
        # exact product, one rounding: the global context would round to 28 digits first
        return Money.of(EXACT.multiply(money.amount, to_decimal(rate, "rate")), self.base, rounding=ROUND_HALF_EVEN)


@frozen
class ForecastLine:
    """One deal's part in a forecast: its period, category, amount and probability-weighted amount."""

    opportunity_id: str
    owner_id: str
    period: Period
    category: ForecastCategory
    probability: Decimal
    amount: Money
    weighted: Money
    overridden: bool = False


@frozen
class ForecastTotals:
    """One owner's (or a roll-up's) figures for one period, in the base currency."""

    commit: Money
    best_case: Money
    pipeline: Money
    weighted: Money
    won: Money

    @classmethod
    def zero(cls, currency: Currency) -> ForecastTotals:
        z = Money.zero(currency)
        return cls(z, z, z, z, z)

    def __add__(self, other: ForecastTotals) -> ForecastTotals:
        return ForecastTotals(
            self.commit + other.commit,
            self.best_case + other.best_case,
            self.pipeline + other.pipeline,
            self.weighted + other.weighted,
            self.won + other.won,
        )

    def with_won(self, won: Money) -> ForecastTotals:
        return ForecastTotals(self.commit, self.best_case, self.pipeline, self.weighted, won)

    def category(self, category: ForecastCategory) -> Money:
        return {"commit": self.commit, "best_case": self.best_case, "pipeline": self.pipeline}[category.value]

    @property
    def best_case_total(self) -> Money:
        """Closed plus commit plus best case: the optimistic landing."""
        return self.won + self.commit + self.best_case


@frozen
class TargetComparison:
    """Forecast against one owner's target: what is won, the commit and best-case landings, the gap."""

    owner_id: str
    period: Period
    target: Money
    won: Money
    commit_landing: Money
    best_case_landing: Money
    gap: Money
    coverage: Decimal | None


@frozen
class Forecast(Result):
    """The forecast of open and won deals by owner and period, in one currency through a rate table."""

    currency: Currency
    rates: RateTable
    period_kind: PeriodKind
    lines: tuple[ForecastLine, ...]
    won_lines: tuple[tuple[str, Period, Money], ...]  # (owner, period closed, converted amount)
    as_of: datetime

    def totals(self, *, by_owner: bool = True) -> dict[tuple[str, Period], ForecastTotals]:
        """Per (owner, period); with by_owner False the owner is "*" (the whole team).

        Sums integer minor units and builds Money once per total: the lines may be millions."""
        slot = {ForecastCategory.COMMIT: 0, ForecastCategory.BEST_CASE: 1, ForecastCategory.PIPELINE: 2}
        sums: dict[tuple[str, Period], list[int]] = {}
        for line in self.lines:
            if line.category is ForecastCategory.OMITTED:
                continue
            key = (line.owner_id if by_owner else "*", line.period)
            figures = sums.get(key) or sums.setdefault(key, [0, 0, 0, 0, 0])
            figures[slot[line.category]] += line.amount.to_minor()
            figures[3] += line.weighted.to_minor()
        for owner, period, amount in self.won_lines:
            key = (owner if by_owner else "*", period)
            figures = sums.get(key) or sums.setdefault(key, [0, 0, 0, 0, 0])
            figures[4] += amount.to_minor()
        cur = self.currency
        return {key: ForecastTotals(*(Money.from_minor(v, cur) for v in figures)) for key, figures in sums.items()}

    def for_period(self, period: Period) -> ForecastTotals:
        return self.totals(by_owner=False).get(("*", period), ForecastTotals.zero(self.currency))

    def rollup(self, hierarchy: Hierarchy) -> dict[tuple[str, Period], ForecastTotals]:
        """Each owner's figures plus those of everyone who reports to them, directly or not."""
        manager_of = hierarchy if callable(hierarchy) else hierarchy.get
        out: dict[tuple[str, Period], ForecastTotals] = {}
        zero = ForecastTotals.zero(self.currency)
        for (owner, period), totals in self.totals().items():
            seen: set[str] = set()
            person: str | None = owner
            while person is not None:
                if person in seen:
                    raise InvariantViolation("hierarchy", person, "the team hierarchy has a cycle")
                seen.add(person)
                out[(person, period)] = out.get((person, period), zero) + totals
                person = manager_of(person)
        return out

    def versus_targets(
        self, targets: Mapping[tuple[str, Period], Money], hierarchy: Hierarchy | None = None
    ) -> list[TargetComparison]:
        """Forecast against each target (converted through the same rates); gap = target - commit landing."""
        figures = self.rollup(hierarchy) if hierarchy is not None else self.totals()
        rows = []
        for (owner, period), target in sorted(targets.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            t = self.rates.convert(target)
            f = figures.get((owner, period), ForecastTotals.zero(self.currency))
            landing = f.won + f.commit
            rows.append(
                TargetComparison(
                    owner_id=owner,
                    period=period,
                    target=t,
                    won=f.won,
                    commit_landing=landing,
                    best_case_landing=f.best_case_total,
                    gap=t - landing,
                    coverage=ratio(landing.to_minor(), t.to_minor()),
                )
            )
        return rows

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "owner_id": owner,
                "period": period.label,
                "commit": t.commit.amount,
                "best_case": t.best_case.amount,
                "pipeline": t.pipeline.amount,
                "weighted": t.weighted.amount,
                "won": t.won.amount,
                "currency": self.currency.code,
            }
            for (owner, period), t in sorted(self.totals().items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [r["owner_id"], r["period"], r["won"], r["commit"], r["best_case"], r["pipeline"], r["weighted"]]
            for r in self.to_rows()
        ]
        title = f"Forecast in {self.currency.code} as of {self.as_of:%Y-%m-%d}"
        return ["owner", "period", "won", "commit", "best case", "pipeline", "weighted"], rows, title

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def build_forecast(
    opportunities: Iterable[Opportunity],
    pipelines: Iterable[Pipeline] | Mapping[str, Pipeline],
    *,
    rates: RateTable,
    as_of: datetime,
    period_kind: PeriodKind | str = PeriodKind.QUARTER,
    start_month: int = 1,
    probability: Callable[[Opportunity], Decimal] | None = None,
) -> Forecast:
    """The forecast of every deal (see the module docstring)."""
    as_of = utc(as_of, "as_of")
    kind = PeriodKind(period_kind)
    by_id = dict(pipelines) if isinstance(pipelines, Mapping) else {p.id: p for p in pipelines}
    lines = []
    won_lines = []
    for opp in opportunities:
        if opp.status is OpportunityStatus.WON and opp.closed_at is not None:
            period = Period.containing(opp.closed_at, kind, start_month=start_month)
            won_lines.append((opp.owner_id, period, rates.convert(opp.amount)))
            continue
        if opp.status is not OpportunityStatus.OPEN:
            continue
        pipeline = by_id.get(opp.pipeline_id)
        if pipeline is None:
            raise ValidationError("pipeline_id", opp.pipeline_id, f"pipeline of opportunity {opp.id} not given")
        stage = pipeline.stage(opp.stage)
        p = stage.probability if probability is None else to_decimal(probability(opp), "probability")
        amount = rates.convert(opp.amount)
        lines.append(
            ForecastLine(
                opportunity_id=opp.id,
                owner_id=opp.owner_id,
                period=Period.containing(opp.expected_close, kind, start_month=start_month),
                category=opp.forecast_override or stage.category,
                probability=p,
                amount=amount,
                weighted=amount.multiply(p),
                overridden=opp.forecast_override is not None,
            )
        )
    return Forecast(rates.base, rates, kind, tuple(lines), tuple(won_lines), as_of)


@define(kw_only=True)
class ForecastSnapshot(Aggregate):
    """The forecast of one period as it stood at `taken_at`, with the rates it used."""

    taken_at: datetime
    period: Period
    currency: Currency
    rates: dict[str, Decimal]
    lines: tuple[ForecastLine, ...]
    won: Money

    @classmethod
    def take(cls, *, tenant_id: TenantId, id: str, forecast: Forecast, period: Period) -> ForecastSnapshot:
        check_id("id", id)
        won = Money.total((a for _, p, a in forecast.won_lines if p == period), forecast.currency)
        return cls(
            tenant_id=tenant_id,
            id=id,
            taken_at=forecast.as_of,
            period=period,
            currency=forecast.currency,
            rates=dict(forecast.rates.rates),
            lines=tuple(line for line in forecast.lines if line.period == period),
            won=won,
        )

    @property
    def rate_table(self) -> RateTable:
        return RateTable(self.currency, self.rates)

    def total(self, *categories: ForecastCategory) -> Money:
        return Money.total((x.amount for x in self.lines if x.category in categories), self.currency)

    @property
    def weighted(self) -> Money:
        return Money.total(
            (x.weighted for x in self.lines if x.category is not ForecastCategory.OMITTED), self.currency
        )


@frozen
class ForecastAccuracy(Result):
    """How close a forecast snapshot came to what was then booked."""

    period: Period
    taken_at: datetime
    forecast_commit: Money
    forecast_best_case: Money
    forecast_weighted: Money
    actual: Money
    commit_accuracy: Decimal | None
    weighted_accuracy: Decimal | None

    def to_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "period": self.period.label,
                "taken_at": self.taken_at,
                "forecast_commit": self.forecast_commit.amount,
                "forecast_weighted": self.forecast_weighted.amount,
                "actual": self.actual.amount,
                "commit_accuracy": self.commit_accuracy,
                "weighted_accuracy": self.weighted_accuracy,
            }
        ]


def _accuracy(forecast: Money, actual: Money) -> Decimal | None:
    """1 - |forecast - actual| / actual: 1 is perfect, 0 is off by the whole actual (or more, below 0)."""
    a = actual.to_minor()
    if a == 0:
        return None
    err = ratio(abs(forecast.to_minor() - a), a)
    return None if err is None else Decimal(1) - err


def forecast_accuracy(snapshot: ForecastSnapshot, opportunities: Iterable[Opportunity]) -> ForecastAccuracy:
    """The snapshot against what was actually won in its period, converted with the snapshot's rates."""
    rates = snapshot.rate_table
    actual = Money.total(
        (
            rates.convert(o.amount)
            for o in opportunities
            if o.status is OpportunityStatus.WON and o.closed_at is not None and snapshot.period.contains(o.closed_at)
        ),
        snapshot.currency,
    )
    commit = snapshot.won + snapshot.total(ForecastCategory.COMMIT)
    best = commit + snapshot.total(ForecastCategory.BEST_CASE)
    weighted = snapshot.won + snapshot.weighted
    return ForecastAccuracy(
        period=snapshot.period,
        taken_at=snapshot.taken_at,
        forecast_commit=commit,
        forecast_best_case=best,
        forecast_weighted=weighted,
        actual=actual,
        commit_accuracy=_accuracy(commit, actual),
        weighted_accuracy=_accuracy(weighted, actual),
    )
