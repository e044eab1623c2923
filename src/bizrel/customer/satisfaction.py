"""Satisfaction: surveys, their responses, and NPS, CSAT and CES with breakdowns by period and segment.

Scales: NPS 0-10 (promoters 9-10, passives 7-8, detractors 0-6), CSAT 1-5 (satisfied = 4 or 5),
CES 1-7 (reported as the mean). Every figure is computed from integer counts with fractions and
rounded half-even once, at two decimals.

NPS margin of error at 95 % confidence, in NPS points (the normal approximation for a difference
of two proportions of one multinomial sample):

    var = p_pro + p_det - (p_pro - p_det)^2
    MoE = 1.96 * sqrt(var / n) * 100

computed exactly: 100 * MoE is the square root of a fraction, rounded half-even to an integer by
integer square roots, so the reported MoE is exact to its two decimals (no float anywhere).
Fewer than SMALL_SAMPLE responses sets `small_sample`: the approximation is poor there.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from fractions import Fraction
from math import floor, isqrt
from typing import Any, Final

from attrs import define, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import check_id
from bizrel.core.numbers import round_fraction
from bizrel.core.periods import Period, PeriodKind
from bizrel.customer._analytics import Tabular, read_field

__all__ = [
    "DETRACTOR_MAX",
    "SMALL_SAMPLE",
    "CesResult",
    "CsatResult",
    "NpsResult",
    "SatisfactionBreakdown",
    "SatisfactionGroup",
    "Survey",
    "SurveyKind",
    "SurveyResponse",
    "SurveyResponseRecorded",
    "breakdown_from_counts",
    "ces",
    "check_score",
    "csat",
    "csat_by_period",
    "csat_by_segment",
    "nps",
    "nps_by_period",
    "nps_by_segment",
    "result_from_counts",
]

DETRACTOR_MAX: Final = 6
"""An NPS answer of 0 to this is a detractor's (and starts the contact policy's cool-down)."""

SMALL_SAMPLE: Final = 30
"""Below this many responses a result is flagged `small_sample`."""


class SurveyKind(enum.StrEnum):
    """The kind of survey: NPS (0-10), CSAT or CES."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


SCALES: Final = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5), SurveyKind.CES: (1, 7)}


def check_score(kind: SurveyKind | str, score: object, field: str = "score") -> int:
    """The score as an int on the kind's scale, or a ValidationError naming field and value."""
    low, high = SCALES[SurveyKind(kind)]
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ValidationError(
            field, score, f"{SurveyKind(kind).value.upper()} scores are whole numbers {low} to {high}"
        )
    return score


# -- model ----------------------------------------------------------------------------------------


@frozen(kw_only=True)
class SurveyResponseRecorded(DomainEvent):
    """A customer answered a survey (published after commit for whoever listens)."""

    response_id: str
    survey_id: str
    customer_id: str
    kind: SurveyKind
    score: int


@define(kw_only=True)
class Survey(Aggregate):
    """A question asked on one scale: "How likely are you to recommend us?" for NPS."""

    name: str
    kind: SurveyKind
    question: str
    created_at: datetime

    def __attrs_post_init__(self) -> None:
        self.kind = SurveyKind(self.kind)
        self.created_at = utc(self.created_at, "created_at")
        if not self.name.strip():
            raise ValidationError("name", self.name, "a survey needs a name")

    def respond(
        self, *, id: str, customer_id: str, score: int, at: datetime, comment: str | None = None
    ) -> SurveyResponse:
        """A validated response to this survey, with its SurveyResponseRecorded event."""
        response = SurveyResponse(
            tenant_id=self.tenant_id,
            id=check_id("id", id),
            survey_id=self.id,
            kind=self.kind,
            customer_id=check_id("customer_id", customer_id),
            score=check_score(self.kind, score),
            responded_at=utc(at, "responded_at"),
            comment=comment,
        )
        response.record(
            SurveyResponseRecorded(
                tenant_id=self.tenant_id,
                occurred_at=response.responded_at,
                response_id=response.id,
                survey_id=self.id,
                customer_id=response.customer_id,
                kind=self.kind,
                score=response.score,
            )
        )
        return response


@define(kw_only=True)
class SurveyResponse(Aggregate):
    """One answer, stored on its own so responses accumulate without rewriting the survey."""

    survey_id: str
    kind: SurveyKind
    customer_id: str
    score: int
    responded_at: datetime
    comment: str | None = None

    def __attrs_post_init__(self) -> None:
        self.kind = SurveyKind(self.kind)
        check_score(self.kind, self.score)
        self.responded_at = utc(self.responded_at, "responded_at")

    @property
    def category(self) -> str | None:
        """promoter / passive / detractor for NPS responses, None for the other kinds."""
        return _nps_category(self.score) if self.kind is SurveyKind.NPS else None


def _nps_category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score > DETRACTOR_MAX else "detractor"


# -- results --------------------------------------------------------------------------------------


def _fmt(value: Decimal | None) -> str:
    return "n/a" if value is None else str(value)


@frozen
class NpsResult(Tabular):
    """score = %promoters - %detractors in [-100, 100]; None when there are no responses."""

    score: Decimal | None
    promoters: int
    passives: int
    detractors: int
    responses: int
    margin_of_error: Decimal | None
    small_sample: bool

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "score": self.score,
                "margin_of_error": self.margin_of_error,
                "promoters": self.promoters,
                "passives": self.passives,
                "detractors": self.detractors,
                "responses": self.responses,
                "small_sample": self.small_sample,
            }
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        flag = "  (small sample)" if self.small_sample else ""
        title = f"NPS {_fmt(self.score)} ± {_fmt(self.margin_of_error)} (95%){flag}"
        return list(self.to_rows()[0]), [list(self.to_rows()[0].values())], title


@frozen
class CsatResult(Tabular):
    """score = % of responses that are 4 or 5, in [0, 100]; None when there are no responses."""

    score: Decimal | None
    satisfied: int
    responses: int
    small_sample: bool

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "score": self.score,
                "satisfied": self.satisfied,
                "responses": self.responses,
                "small_sample": self.small_sample,
            }
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        return list(self.to_rows()[0]), [list(self.to_rows()[0].values())], f"CSAT {_fmt(self.score)}%"


@frozen
class CesResult(Tabular):
    """score = mean effort score on 1-7 (two decimals); None when there are no responses."""

    score: Decimal | None
    responses: int
    small_sample: bool

    def to_rows(self) -> list[dict[str, object]]:
        return [{"score": self.score, "responses": self.responses, "small_sample": self.small_sample}]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        return list(self.to_rows()[0]), [list(self.to_rows()[0].values())], f"CES {_fmt(self.score)}"


SatisfactionResult = NpsResult | CsatResult | CesResult


@frozen
class SatisfactionGroup:
    """One group of a satisfaction breakdown (a period or a segment) and its result."""

    group: str
    result: SatisfactionResult


@frozen
class SatisfactionBreakdown(Tabular):
    """One metric per group (a period label or a segment), in period order or sorted by group."""

    metric: SurveyKind
    by: str
    groups: tuple[SatisfactionGroup, ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [{self.by: g.group, **g.result.to_rows()[0]} for g in self.groups]

    def __getitem__(self, group: str) -> SatisfactionResult:
        for g in self.groups:
            if g.group == group:
                return g.result
        raise KeyError(group)

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows = self.to_rows()
        headers = list(rows[0]) if rows else [self.by, "score", "responses"]
        return headers, [list(r.values()) for r in rows], f"{self.metric.value.upper()} by {self.by}"


# -- metrics --------------------------------------------------------------------------------------


def _score_of(item: object) -> object:
    """A plain int is a score; anything else is a record with a `score` field."""
    return item if isinstance(item, int) else read_field(item, "score")


def _counts(scores: Iterable[object], kind: SurveyKind) -> list[int]:
    """How many responses gave each score of the kind's scale (index = score)."""
    high = SCALES[kind][1]
    counts = [0] * (high + 1)
    for item in scores:
        counts[check_score(kind, _score_of(item))] += 1
    return counts


def _round_sqrt(x: Fraction) -> int:
    """sqrt(x) rounded half-even to an integer, exactly (x >= 0)."""
    root = isqrt(floor(x))  # floor(sqrt(x)) == isqrt(floor(x)) for x >= 0
    midpoint = Fraction(root * root + root) + Fraction(1, 4)  # (root + 1/2) ** 2
    if x > midpoint or (x == midpoint and root % 2 == 1):
        return root + 1
    return root


def _nps_from_counts(counts: Sequence[int]) -> NpsResult:
    detractors, passives, promoters = sum(counts[:7]), sum(counts[7:9]), sum(counts[9:])
    n = detractors + passives + promoters
    if n == 0:
        return NpsResult(None, 0, 0, 0, 0, None, True)
    p_pro, p_det = Fraction(promoters, n), Fraction(detractors, n)
    variance = p_pro + p_det - (p_pro - p_det) ** 2
    moe_hundredths = _round_sqrt(Fraction(19600**2) * variance / n)  # 100 * 1.96 * sqrt(var/n) * 100
    return NpsResult(
        score=round_fraction(100 * (p_pro - p_det), 2),
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        responses=n,
        margin_of_error=Decimal(moe_hundredths).scaleb(-2),
        small_sample=n < SMALL_SAMPLE,
    )


def _csat_from_counts(counts: Sequence[int]) -> CsatResult:
    n, satisfied = sum(counts), counts[4] + counts[5]
    score = round_fraction(Fraction(100 * satisfied, n), 2) if n else None
    return CsatResult(score, satisfied, n, n < SMALL_SAMPLE)


def _ces_from_counts(counts: Sequence[int]) -> CesResult:
    n = sum(counts)
    score = round_fraction(Fraction(sum(s * c for s, c in enumerate(counts)), n), 2) if n else None
    return CesResult(score, n, n < SMALL_SAMPLE)


_FROM_COUNTS: Final[dict[SurveyKind, Callable[[Sequence[int]], Any]]] = {
    SurveyKind.NPS: _nps_from_counts,
    SurveyKind.CSAT: _csat_from_counts,
    SurveyKind.CES: _ces_from_counts,
}


def nps(scores: Iterable[object]) -> NpsResult:
    """Net promoter score of 0-10 scores (ints, or records with a `score` field)."""
    return _nps_from_counts(_counts(scores, SurveyKind.NPS))


def csat(scores: Iterable[object]) -> CsatResult:
    """Share of satisfied (4-5) answers among 1-5 scores, in percent."""
    return _csat_from_counts(_counts(scores, SurveyKind.CSAT))


def ces(scores: Iterable[object]) -> CesResult:
    """Mean customer effort score of 1-7 scores."""
    return _ces_from_counts(_counts(scores, SurveyKind.CES))


# -- breakdowns -----------------------------------------------------------------------------------

GroupKey = Callable[[object], tuple[Any, str]]  # record -> (sort key, label)


def _breakdown(responses: Iterable[object], kind: SurveyKind, by: str, group_of: GroupKey) -> SatisfactionBreakdown:
    high = SCALES[kind][1]
    counts: dict[tuple[Any, str], list[int]] = {}
    for record in responses:
        score = check_score(kind, read_field(record, "score"))
        key = group_of(record)
        slot = counts.get(key)
        if slot is None:
            slot = counts[key] = [0] * (high + 1)
        slot[score] += 1
    return breakdown_from_counts(kind, by, counts)


def result_from_counts(kind: SurveyKind | str, counts: Sequence[int]) -> SatisfactionResult:
    """The kind's result from how many responses gave each score (index = score)."""
    result: SatisfactionResult = _FROM_COUNTS[SurveyKind(kind)](counts)
    return result


def breakdown_from_counts(
    kind: SurveyKind | str, by: str, counts: Mapping[tuple[Any, str], Sequence[int]]
) -> SatisfactionBreakdown:
    """A breakdown from score counts per (sort key, label) group: the SQL paths count in the database."""
    groups = tuple(SatisfactionGroup(key[1], result_from_counts(kind, counts[key])) for key in sorted(counts))
    return SatisfactionBreakdown(SurveyKind(kind), by, groups)


def _period_key(kind: PeriodKind | str, tz: tzinfo) -> GroupKey:
    period_kind = PeriodKind(kind)

    def key(record: object) -> tuple[Any, str]:
        at = utc(read_field(record, "responded_at"), "responded_at").astimezone(tz)
        period = Period.containing(at, period_kind)
        return period.start, period.label

    return key


def _segment_key(segment: str | Callable[[Any], object]) -> GroupKey:
    def key(record: object) -> tuple[Any, str]:
        value = read_field(record, segment) if isinstance(segment, str) else segment(record)
        label = "" if value is None else str(getattr(value, "value", value))
        return label, label

    return key


def nps_by_period(
    responses: Iterable[object], kind: PeriodKind | str = PeriodKind.MONTH, *, tz: tzinfo = UTC
) -> SatisfactionBreakdown:
    """NPS per calendar period of `responded_at` (seen in time zone `tz`), in period order."""
    return _breakdown(responses, SurveyKind.NPS, "period", _period_key(kind, tz))


def nps_by_segment(responses: Iterable[object], segment: str | Callable[[Any], object]) -> SatisfactionBreakdown:
    """NPS per segment: `segment` names a field of each response or is a function of it."""
    return _breakdown(responses, SurveyKind.NPS, "segment", _segment_key(segment))


def csat_by_period(
    responses: Iterable[object], kind: PeriodKind | str = PeriodKind.MONTH, *, tz: tzinfo = UTC
) -> SatisfactionBreakdown:
    """CSAT per calendar period of `responded_at` (seen in time zone `tz`), in period order."""
    return _breakdown(responses, SurveyKind.CSAT, "period", _period_key(kind, tz))


def csat_by_segment(responses: Iterable[object], segment: str | Callable[[Any], object]) -> SatisfactionBreakdown:
    """CSAT per segment: `segment` names a field of each response or is a function of it."""
    return _breakdown(responses, SurveyKind.CSAT, "segment", _segment_key(segment))
