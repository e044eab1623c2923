"""An explainable win probability learned from closed deals (naive Bayes, as in Odoo's lead scoring).

    prior odds = won / lost over closed deals
    for each factor (the stage reached, and each attribute such as source or segment):
        likelihood ratio = ((won with value + s) / (won + s)) / ((lost with value + s) / (lost + s))
    odds = prior odds x product of likelihood ratios;  P = odds / (1 + odds), clamped to [0.0001, 0.9999]

Attributes may be custom fields of the deal too: the bridge writes "after_win" and "churn_reason"
on a won deal whose customer churned, so a model learned with those attributes sees it.
`s` is the smoothing count (Odoo uses 0.1). An attribute value seen on fewer than `min_samples`
closed deals is ignored and shown as such. A deal's stage factor counts every stage it reached, so
a won deal counts for every stage. Each factor's contribution is its natural log of the likelihood
ratio: the amount it moves the log-odds, which is what the explanation lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import Any

from attrs import frozen

from bizrel.core.errors import ValidationError
from bizrel.core.numbers import round_fraction
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.sales.pipeline import Pipeline

__all__ = ["Factor", "WinExplanation", "WinProbabilityModel"]

_LN = Context(prec=28)
_LOW, _HIGH = Fraction(1, 10000), Fraction(9999, 10000)


def _get(record: Any, name: str) -> Any:
    """An attribute of a deal (a dict key, an attribute, or a key of its custom `fields`)."""
    if isinstance(record, dict):
        return record.get(name)
    value = getattr(record, name, None)
    if value is None and isinstance(getattr(record, "fields", None), dict):
        value = record.fields.get(name)
    return value


@frozen
class Factor:
    """One attribute value's pull on a deal's win probability: the deals won and lost that had it."""

    name: str
    value: str
    won: int
    lost: int
    likelihood_ratio: Decimal | None
    contribution: Decimal | None
    used: bool
    note: str = ""


@frozen
class WinExplanation(Result):
    """Why the model gives a deal its win probability: the base rate and each factor."""

    probability: Decimal
    prior: Decimal
    factors: tuple[Factor, ...]

    def to_rows(self) -> list[dict[str, object]]:
        return [
            {
                "factor": f.name,
                "value": f.value,
                "won": f.won,
                "lost": f.lost,
                "likelihood_ratio": f.likelihood_ratio,
                "contribution": f.contribution,
                "used": f.used,
                "note": f.note,
            }
            for f in self.factors
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [f.name, f.value, f.won, f.lost, f.likelihood_ratio, f.contribution, f.note] for f in self.factors
        ]
        title = f"Win probability {self.probability * 100:.2f}% (prior {self.prior * 100:.2f}%)"
        return ["factor", "value", "won", "lost", "LR", "log-odds", "note"], rows, title

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


@frozen
class WinProbabilityModel:
    """Counts learned from closed deals; `explain` gives a probability with every factor's share."""

    pipeline: Pipeline
    attributes: tuple[str, ...]
    won: int
    lost: int
    counts: dict[tuple[str, str], tuple[int, int]]
    smoothing: Fraction
    min_samples: int

    @classmethod
    def learn(
        cls,
        pipeline: Pipeline,
        opportunities: Iterable[Any],
        *,
        attributes: Sequence[str] = ("source", "segment"),
        smoothing: Decimal | str = Decimal("0.1"),
        min_samples: int = 50,
    ) -> WinProbabilityModel:
        smooth = Fraction(Decimal(smoothing))
        if smooth <= 0:
            raise ValidationError("smoothing", smoothing, "must be positive")
        index = {s.name: i for i, s in enumerate(pipeline.stages)}
        won = lost = 0
        counts: Counter[tuple[str, str, bool]] = Counter()
        for opp in opportunities:
            status = str(_get(opp, "status"))
            if status not in ("won", "lost"):
                continue
            is_won = status == "won"
            won, lost = won + is_won, lost + (not is_won)
            history = _get(opp, "history") or ()
            stages = [h[0] if isinstance(h, tuple | list) else h.stage for h in history]
            furthest = len(pipeline.stages) - 1 if is_won else max((index[s] for s in stages), default=0)
            for k in range(furthest + 1):
                counts[("stage", pipeline.stages[k].name, is_won)] += 1
            for attribute in attributes:
                value = _get(opp, attribute)
                if value is not None:
                    counts[(attribute, str(value), is_won)] += 1
        merged: dict[tuple[str, str], tuple[int, int]] = {}
        for (name, value, is_won), c in counts.items():
            w, lo = merged.get((name, value), (0, 0))
            merged[(name, value)] = (w + c, lo) if is_won else (w, lo + c)
        return cls(pipeline, tuple(attributes), won, lost, merged, smooth, min_samples)

    def explain(self, opportunity: Any) -> WinExplanation:
        """P(won) for an open deal with each factor's contribution to the log-odds."""
        s = self.smoothing
        prior = Fraction(self.won) + s, Fraction(self.lost) + s
        odds = prior[0] / prior[1]
        values = [("stage", str(_get(opportunity, "stage")))]
        values += [(a, str(_get(opportunity, a))) for a in self.attributes if _get(opportunity, a) is not None]
        factors = []
        for name, value in values:
            w, lo = self.counts.get((name, value), (0, 0))
            if name != "stage" and w + lo < self.min_samples:
                factors.append(
                    Factor(name, value, w, lo, None, None, False, f"ignored: {w + lo} < {self.min_samples} samples")
                )
                continue
            lr = ((w + s) / (self.won + s)) / ((lo + s) / (self.lost + s))
            odds *= lr
            ln = _LN.ln(Decimal(lr.numerator)) - _LN.ln(Decimal(lr.denominator))
            factors.append(
                Factor(
                    name,
                    value,
                    w,
                    lo,
                    round_fraction(lr, 4),
                    ln.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN, context=_LN),
                    True,
                )
            )
        p = min(max(odds / (1 + odds), _LOW), _HIGH)
        return WinExplanation(round_fraction(p, 4), round_fraction(prior[0] / (prior[0] + prior[1]), 4), tuple(factors))
