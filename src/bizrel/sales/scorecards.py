"""Performance review (业绩考核) and periodic review (定期复盘).

A scorecard turns several KPI attainments into one score out of 100: each KPI's attainment is
credited only from its threshold on (below it the KPI scores 0) and at most up to its cap, then
weighted. Scores are computed as exact fractions and rounded half-even once, to two places.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.errors import ValidationError
from bizrel.core.money import to_decimal
from bizrel.core.numbers import round_fraction
from bizrel.core.periods import Period
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.sales.attainment import AttainmentReport, pct

__all__ = [
    "KpiLine",
    "KpiSpec",
    "PeriodReview",
    "ReviewComparison",
    "ReviewComparisonRow",
    "ScoreResult",
    "Scorecard",
    "ScorecardReport",
    "compare_reviews",
    "kpi_attainments",
]


def _weight(value: object) -> Decimal:
    return to_decimal(value, "weight")


def _threshold(value: object) -> Decimal:
    return to_decimal(value, "threshold")


def _cap(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, "cap")


@frozen
class KpiSpec:
    """One KPI of a scorecard: its weight, the attainment below which it scores nothing, and a cap."""

    name: str
    weight: Decimal = field(converter=_weight)
    threshold: Decimal = field(default=Decimal(0), converter=_threshold)
    cap: Decimal | None = field(default=None, converter=_cap)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("kpi.name", self.name, "must be a non-empty str")
        if self.weight <= 0:
            raise ValidationError(f"kpis[{self.name}].weight", self.weight, "must be positive")
        if self.threshold < 0:
            raise ValidationError(f"kpis[{self.name}].threshold", self.threshold, "cannot be negative")
        if self.cap is not None and self.cap < self.threshold:
            raise ValidationError(f"kpis[{self.name}].cap", self.cap, f"is below the threshold {self.threshold}")

    def credited(self, attainment: Decimal | None) -> Fraction:
        if attainment is None or attainment < self.threshold:
            return Fraction(0)
        value = Fraction(attainment)
        return min(value, Fraction(self.cap)) if self.cap is not None else value


@frozen
class KpiLine:
    """One KPI of a scorecard: attainment, the credited part, its weight and the points."""

    kpi: str
    attainment: Decimal | None
    credited: Decimal
    weight: Decimal
    points: Decimal


@frozen
class ScoreResult:
    """One owner's scorecard: each KPI's points and the total."""

    owner_id: str
    lines: tuple[KpiLine, ...]
    score: Decimal


@frozen
class Scorecard:
    """KPIs with weights (any positive numbers: they are normalised to 100 points)."""

    name: str
    kpis: tuple[KpiSpec, ...]

    def __attrs_post_init__(self) -> None:
        if not self.kpis:
            raise ValidationError("kpis", self.kpis, "a scorecard needs at least one KPI")
        names = [k.name for k in self.kpis]
        if len(set(names)) != len(names):
            raise ValidationError("kpis", names, "KPI names must be unique")

    def score(self, owner_id: str, attainments: Mapping[str, Decimal | None]) -> ScoreResult:
        """Score one person; a KPI missing from `attainments` scores 0."""
        unknown = set(attainments) - {k.name for k in self.kpis}
        if unknown:
            raise ValidationError("attainments", sorted(unknown), f"not KPIs of scorecard {self.name!r}")
        total_weight = sum((Fraction(k.weight) for k in self.kpis), Fraction(0))
        exact = Fraction(0)
        lines = []
        for k in self.kpis:
            credited = k.credited(attainments.get(k.name))
            points = Fraction(100) * Fraction(k.weight) / total_weight * credited
            exact += points
            lines.append(
                KpiLine(k.name, attainments.get(k.name), round_fraction(credited), k.weight, round_fraction(points, 2))
            )
        return ScoreResult(owner_id, tuple(lines), round_fraction(exact, 2))

    def review(self, period: Period, attainments: Mapping[str, Mapping[str, Decimal | None]]) -> ScorecardReport:
        """Scores for everyone, ranked (equal scores share a rank; then by owner id)."""
        results = sorted(
            (self.score(owner, kpis) for owner, kpis in attainments.items()), key=lambda r: (-r.score, r.owner_id)
        )
        ranks: list[int] = []
        for i, r in enumerate(results):
            ranks.append(ranks[-1] if i and results[i - 1].score == r.score else i + 1)
        return ScorecardReport(self, period, tuple(results), tuple(ranks))


def kpi_attainments(reports: Mapping[str, AttainmentReport]) -> dict[str, dict[str, Decimal | None]]:
    """owner -> {kpi: attainment} from one attainment report per KPI name."""
    out: dict[str, dict[str, Decimal | None]] = {}
    for kpi, report in reports.items():
        for row in report.rows:
            out.setdefault(row.owner_id, {})[kpi] = row.attainment
    return dict(sorted(out.items()))


@frozen
class ScorecardReport(Result):
    """Scorecards of every owner for a period, ranked."""

    scorecard: Scorecard
    period: Period
    results: tuple[ScoreResult, ...]
    ranks: tuple[int, ...]

    def result(self, owner_id: str) -> ScoreResult:
        for r in self.results:
            if r.owner_id == owner_id:
                return r
        raise ValidationError("owner_id", owner_id, f"not reviewed in {self.period}")

    def rank(self, owner_id: str) -> int:
        return self.ranks[self.results.index(self.result(owner_id))]

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {"rank": rank, "owner_id": r.owner_id, "score": r.score, **{f"{line.kpi}": line.points for line in r.lines}}
            for rank, r in zip(self.ranks, self.results, strict=True)
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        kpis = [k.name for k in self.scorecard.kpis]
        headers = ["rank", "owner", *[f"{k} (att.)" for k in kpis], "score"]
        rows: list[list[object]] = [
            [rank, r.owner_id, *[pct(line.attainment) for line in r.lines], r.score]
            for rank, r in zip(self.ranks, self.results, strict=True)
        ]
        return headers, rows, f"Scorecard {self.scorecard.name}: {self.period}"

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


@define(kw_only=True)
class PeriodReview(Aggregate):
    """A period's review as it was computed and discussed, kept so that the next period compares
    with what was said then (attainments recomputed later may differ: deals get reopened, payments
    refunded). Its id is "<scorecard name>@<period label>": one review per scorecard and period."""

    report: ScorecardReport
    saved_at: datetime

    @staticmethod
    def id_for(scorecard: str, period: Period) -> str:
        return f"{scorecard}@{period.label}"


@frozen
class ReviewComparisonRow:
    """One owner's figures in two review periods, side by side."""

    owner_id: str
    previous_score: Decimal | None
    current_score: Decimal | None
    change: Decimal | None
    previous_rank: int | None
    current_rank: int | None


@frozen
class ReviewComparison(Result):
    """Period-over-period review: each person's score and rank then and now."""

    previous: Period
    current: Period
    rows: tuple[ReviewComparisonRow, ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "owner_id": r.owner_id,
                "previous_score": r.previous_score,
                "current_score": r.current_score,
                "change": r.change,
                "previous_rank": r.previous_rank,
                "current_rank": r.current_rank,
            }
            for r in self.rows
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [r.owner_id, r.previous_score, r.current_score, r.change, r.previous_rank, r.current_rank]
            for r in self.rows
        ]
        headers = ["owner", str(self.previous), str(self.current), "change", "rank before", "rank now"]
        return headers, rows, f"Periodic review: {self.previous} -> {self.current}"

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def compare_reviews(previous: ScorecardReport, current: ScorecardReport) -> ReviewComparison:
    """Join two reviews by person (someone in only one of them has None on the other side)."""
    owners = sorted({r.owner_id for r in previous.results} | {r.owner_id for r in current.results})
    before = {r.owner_id: r for r in previous.results}
    now = {r.owner_id: r for r in current.results}
    rows = []
    for owner in owners:
        p, c = before.get(owner), now.get(owner)
        rows.append(
            ReviewComparisonRow(
                owner_id=owner,
                previous_score=p.score if p else None,
                current_score=c.score if c else None,
                change=c.score - p.score if p and c else None,
                previous_rank=previous.rank(owner) if p else None,
                current_rank=current.rank(owner) if c else None,
            )
        )
    rows.sort(key=lambda r: (r.current_rank is None, r.current_rank or 0, r.owner_id))
    return ReviewComparison(previous.period, current.period, tuple(rows))
