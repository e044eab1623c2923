"""Customer health: a weighted, explainable score from a handful of signals, banded for action.

Every component uses one documented formula, a clamped straight line between a "best" and a
"worst" signal value::

    score = 100 * (value - worst) / (best - worst), clamped to [0, 100]

so a signal at `best` (or beyond) scores 100 and one at `worst` (or beyond) scores 0. A missing
signal (no interaction yet, no NPS answer, no usage data) scores the component's `missing` value
(50 by default: neither good nor bad news). The total is the weighted mean of the component scores,
and each component's contribution (weight share times score) is reported so a CSM can see *why*
a customer is at risk. All arithmetic is exact (fractions), rounded half-even to two places once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from attrs import field, frozen

from bizrel.core.errors import ValidationError
from bizrel.core.money import to_decimal
from bizrel.core.numbers import round_fraction
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result

__all__ = [
    "DEFAULT_HEALTH_MODEL",
    "ComponentScore",
    "HealthBand",
    "HealthComponent",
    "HealthModel",
    "HealthScore",
    "HealthSignal",
    "HealthSignals",
    "score_health",
]


class HealthBand(enum.StrEnum):
    """The reading of a health score: healthy, watch or at risk."""

    HEALTHY = "healthy"
    WATCH = "watch"
    AT_RISK = "at_risk"


class HealthSignal(enum.StrEnum):
    """The signals a health model can weigh (see HealthSignals for their units)."""

    DAYS_SINCE_LAST_INTERACTION = "days_since_last_interaction"
    LATEST_NPS = "latest_nps"
    USAGE_TREND = "usage_trend"
    OPEN_ISSUES = "open_issues"
    LATE_PAYMENTS = "late_payments"


def _usage_trend(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, "usage_trend")


def _weight(value: object) -> Decimal:
    return to_decimal(value, "weight")


def _best(value: object) -> Decimal:
    return to_decimal(value, "best")


def _worst(value: object) -> Decimal:
    return to_decimal(value, "worst")


def _missing(value: object) -> Decimal:
    return to_decimal(value, "missing")


def _healthy_from(value: object) -> Decimal:
    return to_decimal(value, "healthy_from")


def _watch_from(value: object) -> Decimal:
    return to_decimal(value, "watch_from")


def _signal(value: object) -> HealthSignal:
    if isinstance(value, HealthSignal):
        return value
    if isinstance(value, str) and value in HealthSignal.__members__.values():
        return HealthSignal(value)
    raise ValidationError("signal", value, f"expected one of {', '.join(s.value for s in HealthSignal)}")


def _non_negative_int(name: str, value: object) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValidationError(name, value, "must be a non-negative int")


@frozen(kw_only=True)
class HealthSignals:
    """What is known about one customer right now.

    `usage_trend` is the relative change of purchases or usage over the last period against the one
    before (Decimal: "-0.2" means down 20 %). `latest_nps` is the last 0-10 answer.
    """

    days_since_last_interaction: int | None = None
    latest_nps: int | None = None
    usage_trend: Decimal | None = field(default=None, converter=_usage_trend)
    open_issues: int = 0
    late_payments: int = 0

    def __attrs_post_init__(self) -> None:
        _non_negative_int("days_since_last_interaction", self.days_since_last_interaction)
        _non_negative_int("open_issues", self.open_issues)
        _non_negative_int("late_payments", self.late_payments)
        if self.latest_nps is not None:
            _non_negative_int("latest_nps", self.latest_nps)
            if self.latest_nps > 10:
                raise ValidationError("latest_nps", self.latest_nps, "an NPS answer is 0-10")

    def value(self, signal: HealthSignal) -> Decimal | None:
        raw = getattr(self, signal.value)
        return None if raw is None else Decimal(raw)


@frozen(kw_only=True)
class HealthComponent:
    """One weighted part of the score: a signal mapped linearly from `worst` (0) to `best` (100)."""

    signal: HealthSignal = field(converter=_signal)
    weight: Decimal = field(converter=_weight)
    best: Decimal = field(converter=_best)
    worst: Decimal = field(converter=_worst)
    missing: Decimal = field(default=Decimal(50), converter=_missing)

    def __attrs_post_init__(self) -> None:
        if self.weight <= 0:
            raise ValidationError("weight", self.weight, "must be positive")
        if self.best == self.worst:
            raise ValidationError("best", self.best, "must differ from worst")
        if not Decimal(0) <= self.missing <= Decimal(100):
            raise ValidationError("missing", self.missing, "must be between 0 and 100")

    def score(self, value: Decimal | None) -> Fraction:
        if value is None:
            return Fraction(self.missing)
        raw = 100 * (Fraction(value) - Fraction(self.worst)) / (Fraction(self.best) - Fraction(self.worst))
        return min(Fraction(100), max(Fraction(0), raw))


@frozen(kw_only=True)
class HealthModel:
    """Weighted components and the band thresholds: total >= healthy_from is healthy,
    total >= watch_from is watch, anything lower is at risk."""

    components: tuple[HealthComponent, ...]
    healthy_from: Decimal = field(default=Decimal(70), converter=_healthy_from)
    watch_from: Decimal = field(default=Decimal(40), converter=_watch_from)

    def __attrs_post_init__(self) -> None:
        if not self.components:
            raise ValidationError("components", self.components, "a health model needs at least one component")
        signals = [c.signal for c in self.components]
        if len(set(signals)) != len(signals):
            raise ValidationError("components", [s.value for s in signals], "each signal may be weighed once")
        if not Decimal(0) <= self.watch_from <= self.healthy_from <= Decimal(100):
            raise ValidationError(
                "healthy_from",
                self.healthy_from,
                f"thresholds must satisfy 0 <= watch_from ({self.watch_from}) <= healthy_from <= 100",
            )

    def band(self, total: Decimal) -> HealthBand:
        if total >= self.healthy_from:
            return HealthBand.HEALTHY
        if total >= self.watch_from:
            return HealthBand.WATCH
        return HealthBand.AT_RISK

    def with_weights(self, weights: Mapping[str, Decimal | int | str]) -> HealthModel:
        """The same model with some weights replaced (keys are signal names)."""
        unknown = set(weights) - {c.signal.value for c in self.components}
        if unknown:
            raise ValidationError("weights", sorted(unknown), "not a component of this model")
        return HealthModel(
            components=tuple(
                HealthComponent(
                    signal=c.signal,
                    weight=weights.get(c.signal.value, c.weight),
                    best=c.best,
                    worst=c.worst,
                    missing=c.missing,
                )
                for c in self.components
            ),
            healthy_from=self.healthy_from,
            watch_from=self.watch_from,
        )


DEFAULT_HEALTH_MODEL = HealthModel(
    components=(
        # in touch within a week is best; three months of silence is worst
        HealthComponent(signal=HealthSignal.DAYS_SINCE_LAST_INTERACTION, weight=25, best=7, worst=90),
        # NPS 10 scores 100, NPS 0 scores 0 (score = 10 x answer)
        HealthComponent(signal=HealthSignal.LATEST_NPS, weight=25, best=10, worst=0),
        # usage up 25 % or more is best, down 25 % or more is worst, flat scores 50
        HealthComponent(signal=HealthSignal.USAGE_TREND, weight=20, best="0.25", worst="-0.25"),
        # no open issue is best, four or more is worst (-25 per issue)
        HealthComponent(signal=HealthSignal.OPEN_ISSUES, weight=15, best=0, worst=4),
        # no late payment is best, two or more is worst (-50 per late payment)
        HealthComponent(signal=HealthSignal.LATE_PAYMENTS, weight=15, best=0, worst=2),
    )
)


@frozen
class ComponentScore:
    """One signal's part of a health score: its value, weight and points."""

    signal: HealthSignal
    value: Decimal | None
    score: Decimal
    weight: Decimal
    contribution: Decimal


@frozen
class HealthScore(Result):
    """A total in [0, 100], its band and the contribution of every component (they sum to the total
    up to the rounding of each to two places)."""

    total: Decimal
    band: HealthBand
    components: tuple[ComponentScore, ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "signal": c.signal.value,
                "value": c.value,
                "score": c.score,
                "weight": c.weight,
                "contribution": c.contribution,
            }
            for c in self.components
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        headers = ["signal", "value", "score", "weight", "contribution"]
        rows = [[r[h] for h in headers] for r in self.to_rows()]
        return headers, rows, f"health {self.total} ({self.band.value})"

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def score_health(signals: HealthSignals, model: HealthModel = DEFAULT_HEALTH_MODEL) -> HealthScore:
    """Score one customer's signals with a model; pure and exact."""
    if not isinstance(signals, HealthSignals):
        raise ValidationError("signals", signals, "expected HealthSignals")
    weight_sum = sum((Fraction(c.weight) for c in model.components), Fraction(0))
    parts = []
    total = Fraction(0)
    for component in model.components:
        value = signals.value(component.signal)
        score = component.score(value)
        contribution = Fraction(component.weight) / weight_sum * score
        total += contribution
        parts.append(
            ComponentScore(
                component.signal, value, round_fraction(score, 2), component.weight, round_fraction(contribution, 2)
            )
        )
    rounded = round_fraction(total, 2)
    return HealthScore(rounded, model.band(rounded), tuple(parts))
