"""The funnel report, computed from stage history over any date range and as of any past instant.

Input: Opportunity objects or plain records (mappings or objects) with these fields:
  id; status ("open" | "won" | "lost"); amount (Money, or a number with a `currency` field);
  created_at; closed_at (None while open); lost_reason; history: a sequence of StageChange or of
  (stage, entered_at) pairs in time order; pipeline_id (optional: checked when present).

Definitions (range = [start, end), as_of = what was known at that instant):
- reached[k]: of the deals created in the range, how many reached stage k. A deal has reached a
  stage when its history holds that stage or a later one (skipped stages count as passed); a won
  deal has reached every stage and the final "won" row. reached never increases along the funnel.
- entered[k]: deals that were in stage k, their first entry into it in the range. A deal that
  skipped a stage did not enter it (it passed it: reached counts it, entered does not).
- cohort conversion of stage k: of the deals that entered stage k, the share that went further
  (reached a later stage, by as_of).
- opportunities and open: the deals created in the range (all deals without a range), and of
  those the ones still open (as of as_of): the same deals `reached` counts.
- win rate: won / (won + lost) over deals closed in the range, by count and by amount.
- sales cycle: days from creation to won, average and median, over deals won in the range.
- time in stage: completed stays (ending in the range), average and median days.
- velocity per day: open deals (of the range) x win rate x average won amount / average cycle days.
- lost reasons: deals lost in the range per reason, most frequent first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from attrs import frozen

from bizrel.core.clock import utc
from bizrel.core.errors import CurrencyMismatch, ValidationError
from bizrel.core.money import EXACT, Currency, Money
from bizrel.core.numbers import ratio, round_fraction
from bizrel.core.periods import Period
from bizrel.core.report import html_table, text_table
from bizrel.core.results import Result
from bizrel.sales.pipeline import Pipeline

__all__ = ["FunnelReport", "FunnelStage", "funnel", "truncate_record"]

_DAY = 86_400_000_000  # microseconds
_US = timedelta(microseconds=1)


@frozen
class FunnelStage:
    """One stage of a funnel: deals that reached it, their amount, and the conversion to the next stage."""

    stage: str
    reached: int
    amount: Money
    conversion_to_next: Decimal | None
    entered: int = 0
    advanced: int = 0
    cohort_conversion: Decimal | None = None
    average_days_in_stage: Decimal | None = None
    median_days_in_stage: Decimal | None = None


@frozen
class FunnelReport(Result):
    """A pipeline's funnel: stage by stage, win rates, cycle times, velocity and lost reasons."""

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
    average_cycle_days: Decimal | None = None
    median_cycle_days: Decimal | None = None
    average_won_amount: Money | None = None
    velocity_per_day: Money | None = None
    lost_reasons: tuple[tuple[str, int], ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    as_of: datetime | None = None

    def to_rows(self) -> list[dict[str, object]]:
        """One row per stage: reached, amount and conversion (see `detail_rows` for cohorts and times)."""
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

    def detail_rows(self) -> list[dict[str, object]]:
        """`to_rows` plus the cohort conversion and the time spent in each stage."""
        return [
            {
                **row,
                "entered": s.entered,
                "advanced": s.advanced,
                "cohort_conversion": s.cohort_conversion,
                "average_days_in_stage": s.average_days_in_stage,
                "median_days_in_stage": s.median_days_in_stage,
            }
            for row, s in zip(self.to_rows(), self.stages, strict=True)
        ]

    def _table(self) -> tuple[list[str], list[list[object]], str]:
        rows: list[list[object]] = [
            [
                s.stage,
                s.reached,
                s.amount.format(),
                _pct(s.conversion_to_next),
                s.entered,
                _pct(s.cohort_conversion),
                s.average_days_in_stage,
            ]
            for s in self.stages
        ]
        velocity = self.velocity_per_day.format() if self.velocity_per_day is not None else "n/a"
        title = (
            f"Funnel: {self.pipeline}  ({self.opportunities} opportunities, {self.open} open, "
            f"{self.won} won, {self.lost} lost; win rate {_pct(self.win_rate)} by count, "
            f"{_pct(self.win_rate_by_amount)} by amount; cycle avg {self.average_cycle_days} / median "
            f"{self.median_cycle_days} days; velocity {velocity}/day)"
        )
        headers = ["stage", "reached", "amount", "to next", "entered", "cohort conv.", "avg days"]
        return headers, rows, title

    def lost_reasons_table(self) -> str:
        return text_table(["lost reason", "deals"], [list(r) for r in self.lost_reasons], "Lost reasons")

    def __str__(self) -> str:
        return text_table(*self._table())

    def _repr_html_(self) -> str:
        return html_table(*self._table())


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _instant(value: date | datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value, name)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    raise ValidationError(name, value, "expected a date or an aware datetime")


def _get(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _fields(record: Any) -> tuple[Any, ...]:
    """(pipeline_id, created_at, closed_at, status, history, amount, currency) of any record kind."""
    if type(record) is dict or isinstance(record, Mapping):
        g = record.get
        return (
            g("pipeline_id"),
            g("created_at"),
            g("closed_at"),
            g("status"),
            g("history", ()),
            g("amount"),
            g("currency"),
        )
    return (
        getattr(record, "pipeline_id", None),
        record.created_at,
        record.closed_at,
        record.status,
        record.history,
        record.amount,
        getattr(record, "currency", None),
    )


def _money(amount: Any, currency: Any) -> Money:
    return amount if type(amount) is Money else Money(amount, currency)


def _minor(amount: Any, currency: Any) -> tuple[int, Currency]:
    money = _money(amount, currency)
    return money.to_minor(), money.currency


def _amount(record: Any) -> tuple[int, Currency]:
    return _minor(_get(record, "amount"), _get(record, "currency"))


def _entry(entry: Any) -> tuple[str, datetime]:
    return (entry[0], entry[1]) if isinstance(entry, tuple | list) else (entry.stage, entry.entered_at)


def _entries(history: Iterable[Any]) -> list[tuple[str, datetime]]:
    return [_entry(e) for e in history]


_ZERO = Decimal(0)


def truncate_record(record: Any, at: datetime) -> dict[str, Any] | None:
    """The record as it was known at `at` (None if it did not exist yet): the as-of view as data."""
    created = _get(record, "created_at")
    if created > at:
        return None
    closed = _get(record, "closed_at")
    known_closed = closed is not None and closed <= at
    minor, currency = _amount(record)
    return {
        "id": _get(record, "id"),
        "pipeline_id": _get(record, "pipeline_id"),
        "status": str(_get(record, "status")) if known_closed else "open",
        "amount": Money.from_minor(minor, currency),
        "created_at": created,
        "closed_at": closed if known_closed else None,
        "lost_reason": _get(record, "lost_reason") if known_closed else None,
        "history": [(s, t) for s, t in _entries(_get(record, "history", ())) if t <= at],
    }


def _days(micros: Fraction) -> Decimal:
    return round_fraction(micros / _DAY, 2)


def _mean(values: list[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def _median(values: list[int]) -> Fraction:
    values.sort()
    mid = len(values) // 2
    if len(values) % 2:
        return Fraction(values[mid])
    return Fraction(values[mid - 1] + values[mid], 2)


def funnel(
    pipeline: Pipeline,
    opportunities: Iterable[Any],
    currency: str | Currency | None = None,
    *,
    start: date | datetime | Period | None = None,
    end: date | datetime | None = None,
    as_of: datetime | None = None,
) -> FunnelReport:
    """The funnel of one pipeline (see the module docstring); amounts must share one currency."""
    if isinstance(start, Period):
        lo, hi = _instant(start.start, "start"), _instant(start.end, "end")
    else:
        lo, hi = _instant(start, "start"), _instant(end, "end")
    at = _instant(as_of, "as_of")
    if lo is not None and hi is not None and hi <= lo:
        raise ValidationError("end", end, f"must be after start {start}")
    n = len(pipeline.stages)
    index = {s.name: i for i, s in enumerate(pipeline.stages)}
    reached = [0] * (n + 1)  # last slot: won
    reached_sum = [_ZERO] * (n + 1)  # exact Decimal sums (EXACT context), turned into Money at the end
    entered = [0] * n
    advanced = [0] * n
    stays: list[list[int]] = [[] for _ in range(n)]  # microseconds
    cycles: list[int] = []
    cur = Currency.of(currency) if currency is not None else None
    total = open_count = won = lost = 0
    won_sum = lost_sum = _ZERO
    add = EXACT.add
    reasons: Counter[str] = Counter()

    bounded = lo is not None or hi is not None
    simple = not bounded and at is None
    furthest_count = [0] * (n + 1)  # unbounded ranges count by the furthest stage reached
    furthest_sum = [_ZERO] * (n + 1)
    bits = [(k, 1 << k) for k in range(n)]

    def in_range(t: datetime) -> bool:
        return (lo is None or t >= lo) and (hi is None or t < hi)

    for record in opportunities:
        pid, created, closed, status, raw_history, amount, currency_code = _fields(record)
        if pid is not None and pid != pipeline.id:
            raise ValidationError("pipeline_id", pid, f"opportunity {_get(record, 'id')} is not in {pipeline.id}")
        if at is not None:
            if created > at:
                continue
            if closed is not None and closed > at:
                closed, status = None, "open"
        # the stages the deal was in (bit k), and those first entered in the range: ints, not
        # per-record containers, which would wake the GC on large inputs
        visited = entered_here = 0
        furthest = prev_k = -1
        prev_t = created
        if simple and type(raw_history) is list and raw_history and type(raw_history[0]) is tuple:
            # the common case (all time, plain (stage, time) pairs), kept tight for large inputs
            try:
                for stage, t in raw_history:
                    k = index[stage]
                    if prev_k >= 0:
                        stays[prev_k].append((t - prev_t) // _US)
                    if k > furthest:
                        furthest = k
                    visited |= 1 << k
                    prev_k, prev_t = k, t
            except KeyError:
                raise ValidationError("stage", stage, f"not a stage of pipeline {pipeline.name!r}") from None
            raw_history = ()
            entered_here = visited
        for entry in raw_history:
            stage, t = entry if type(entry) is tuple else _entry(entry)
            if at is not None and t > at:
                break  # history is in time order
            k = index.get(stage, -1)
            if k < 0:
                raise ValidationError("stage", stage, f"not a stage of pipeline {pipeline.name!r}")
            if prev_k >= 0 and (not bounded or in_range(t)):
                stays[prev_k].append((t - prev_t) // _US)
            if k > furthest:
                furthest = k
            bit = 1 << k
            if not visited & bit:
                visited |= bit
                if not bounded or in_range(t):
                    entered_here |= bit
            prev_k, prev_t = k, t
        if prev_k < 0:
            continue  # nothing known yet
        money = _money(amount, currency_code)
        value, cur_here = money.amount, money.currency
        if cur is None:
            cur = cur_here
        elif cur_here is not cur:
            raise CurrencyMismatch("amount", cur.code, cur_here.code)
        if status == "won" and closed is not None:
            furthest = n
        if closed is not None and (not bounded or in_range(closed)):
            stays[prev_k].append((closed - prev_t) // _US)
        counted = not bounded or in_range(created)  # the deals of the range: header, open, velocity
        total += counted
        for k, bit in bits:
            if entered_here & bit:
                entered[k] += 1
                advanced[k] += k < furthest
        if not bounded:
            furthest_count[furthest] += 1
            furthest_sum[furthest] = add(furthest_sum[furthest], value)
        else:
            if counted:
                for k in range(furthest + 1):
                    reached[k] += 1
                    reached_sum[k] = add(reached_sum[k], value)
        if status == "open":
            open_count += counted
        elif closed is not None and (not bounded or in_range(closed)):
            if status == "won":
                won += 1
                won_sum = add(won_sum, value)
                cycles.append((closed - created) // _US)
            else:
                lost += 1
                lost_sum = add(lost_sum, value)
                reasons[str(_get(record, "lost_reason") or "unknown")] += 1
    if not bounded:
        count, running = 0, _ZERO
        for k in range(n, -1, -1):
            count += furthest_count[k]
            running = add(running, furthest_sum[k])
            reached[k], reached_sum[k] = count, running
    cur = cur or Currency.of("USD")
    names = [s.name for s in pipeline.stages] + ["won"]
    stages = tuple(
        FunnelStage(
            stage=names[k],
            reached=reached[k],
            amount=Money(reached_sum[k], cur),
            conversion_to_next=ratio(reached[k + 1], reached[k]) if k < n else None,
            entered=entered[k] if k < n else reached[n],
            advanced=advanced[k] if k < n else 0,
            cohort_conversion=ratio(advanced[k], entered[k]) if k < n else None,
            average_days_in_stage=_days(_mean(stays[k])) if k < n and stays[k] else None,
            median_days_in_stage=_days(_median(stays[k])) if k < n and stays[k] else None,
        )
        for k in range(n + 1)
    )
    won_minor, lost_minor = Money(won_sum, cur).to_minor(), Money(lost_sum, cur).to_minor()
    return report_from_figures(
        pipeline,
        stages,
        cur,
        counts=(total, open_count, won, lost),
        won_minor=won_minor,
        lost_minor=lost_minor,
        cycle=(_mean(cycles), _median(cycles)) if cycles else None,
        reasons=reasons.items(),
        bounds=(lo, hi, at),
    )


def report_from_figures(
    pipeline: Pipeline,
    stages: tuple[FunnelStage, ...],
    cur: Currency,
    *,
    counts: tuple[int, int, int, int],
    won_minor: int,
    lost_minor: int,
    cycle: tuple[Fraction, Fraction] | None,
    reasons: Iterable[tuple[str, int]],
    bounds: tuple[datetime | None, datetime | None, datetime | None],
) -> FunnelReport:
    """The report from its counted figures: (total, open, won, lost), won and lost amounts in minor
    units, the cycle's exact mean and median in microseconds. Shared with the SQL paths
    (bizrel.analytics), so rates, rounding and velocity are defined once."""
    total, open_count, won, lost = counts
    velocity = None
    if won and cycle is not None and cycle[0]:
        per_day = Fraction(open_count) * Fraction(won, won + lost) * Fraction(won_minor, won) / (cycle[0] / _DAY)
        velocity = Money.from_minor(round(per_day), cur)
    return FunnelReport(
        pipeline=pipeline.name,
        stages=stages,
        opportunities=total,
        open=open_count,
        won=won,
        lost=lost,
        won_amount=Money.from_minor(won_minor, cur),
        lost_amount=Money.from_minor(lost_minor, cur),
        win_rate=ratio(won, won + lost),
        win_rate_by_amount=ratio(won_minor, won_minor + lost_minor),
        average_cycle_days=_days(cycle[0]) if cycle is not None else None,
        median_cycle_days=_days(cycle[1]) if cycle is not None else None,
        average_won_amount=Money.from_minor(round(Fraction(won_minor, won)), cur) if won else None,
        velocity_per_day=velocity,
        lost_reasons=tuple(sorted(reasons, key=lambda kv: (-kv[1], kv[0]))),
        start=bounds[0],
        end=bounds[1],
        as_of=bounds[2],
    )
