"""NPS, CSAT and CES: ranges, exact margins of error, breakdowns by period and segment, bad scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core.errors import ValidationError, safe_repr
from bizrel.core.ids import TenantId
from bizrel.customer import (
    SMALL_SAMPLE,
    Survey,
    SurveyKind,
    SurveyResponseRecorded,
    ces,
    csat,
    csat_by_segment,
    nps,
    nps_by_period,
    nps_by_segment,
)

WIDE = Context(prec=80)
T0 = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)


def _reference_moe(scores: list[int]) -> Decimal:
    """1.96 * sqrt(var / n) * 100 with 80 significant digits, then rounded half-even to 2 places."""
    n = len(scores)
    p = Decimal(sum(s >= 9 for s in scores)) / n
    d = Decimal(sum(s <= 6 for s in scores)) / n
    var = WIDE.subtract(WIDE.add(p, d), WIDE.power(WIDE.subtract(p, d), 2))
    moe = WIDE.multiply(Decimal("196"), WIDE.sqrt(WIDE.divide(var, Decimal(n))))
    return moe.quantize(Decimal("0.01"), ROUND_HALF_EVEN)


@settings(max_examples=300, deadline=None)
@given(scores=st.lists(st.integers(0, 10), max_size=300))
def test_nps_stays_in_range_and_counts_add_up(scores: list[int]) -> None:
    result = nps(scores)
    assert result.responses == len(scores) == result.promoters + result.passives + result.detractors
    if not scores:
        assert result.score is None and result.margin_of_error is None
        return
    assert result.score is not None and result.margin_of_error is not None
    assert Decimal(-100) <= result.score <= Decimal(100)
    exact = Decimal(100 * (result.promoters - result.detractors)) / len(scores)
    assert abs(result.score - exact) <= Decimal("0.005")
    assert result.margin_of_error == _reference_moe(scores)
    assert Decimal(0) <= result.margin_of_error <= Decimal(196)
    assert result.small_sample == (len(scores) < SMALL_SAMPLE)


@settings(max_examples=200, deadline=None)
@given(scores=st.lists(st.integers(1, 5), min_size=1, max_size=200))
def test_csat_is_the_share_of_four_and_five(scores: list[int]) -> None:
    result = csat(scores)
    assert result.satisfied == sum(s >= 4 for s in scores)
    assert result.score is not None and Decimal(0) <= result.score <= Decimal(100)
    assert abs(result.score - Decimal(100 * result.satisfied) / len(scores)) <= Decimal("0.005")


def test_worked_numbers() -> None:
    result = nps([10, 10, 9, 8, 7, 6, 0, 3, 10, 9])  # 5 promoters, 2 passives, 3 detractors
    assert (result.score, result.promoters, result.passives, result.detractors) == (Decimal("20.00"), 5, 2, 3)
    # var = 0.5 + 0.3 - 0.04 = 0.76; MoE = 196 * sqrt(0.076) = 54.0336...
    assert result.margin_of_error == Decimal("54.03")
    assert nps([9] * 40).margin_of_error == Decimal("0.00") and nps([9] * 40).score == Decimal("100.00")
    assert csat([5, 4, 3]).score == Decimal("66.67")
    assert ces([1, 2, 7]).score == Decimal("3.33")
    assert "NPS 20.00 ± 54.03" in str(result) and "(small sample)" in str(result)
    assert result.to_rows()[0]["margin_of_error"] == Decimal("54.03")
    assert "<table>" in result._repr_html_()


def test_records_with_a_score_field_are_accepted() -> None:
    assert nps([{"score": 10}, {"score": 0}]).score == Decimal("0.00")


@pytest.mark.parametrize(
    ("metric", "bad"),
    [(nps, 11), (nps, -1), (nps, True), (nps, "9"), (nps, 9.0), (csat, 0), (csat, 6), (ces, 0), (ces, 8)],
)
def test_out_of_range_scores_name_field_and_value(metric: object, bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        metric([5, bad])  # type: ignore[operator]
    assert (info.value.field, info.value.value) == ("score", safe_repr(bad))


def _responses() -> list[dict[str, object]]:
    berlin = ZoneInfo("Europe/Berlin")
    return [
        {"score": 10, "responded_at": T0, "plan": "pro"},  # Feb 1 in Berlin
        {"score": 3, "responded_at": T0 - timedelta(hours=2), "plan": "basic"},
        {"score": 9, "responded_at": (T0 + timedelta(days=1)).astimezone(berlin), "plan": "pro"},
        {"score": 8, "responded_at": T0 + timedelta(days=40), "plan": "basic"},
    ]


def test_nps_by_period_follows_the_time_zone() -> None:
    by_month = nps_by_period(_responses())
    assert [g.group for g in by_month.groups] == ["2026-01", "2026-02", "2026-03"]
    assert by_month["2026-01"].responses == 2
    in_berlin = nps_by_period(_responses(), "month", tz=ZoneInfo("Europe/Berlin"))
    assert in_berlin["2026-01"].responses == 1 and in_berlin["2026-02"].responses == 2
    quarterly = nps_by_period(_responses(), "quarter")
    assert [g.group for g in quarterly.groups] == ["2026-Q1"]
    rows = by_month.to_rows()
    assert rows[0]["period"] == "2026-01" and rows[0]["score"] == Decimal("0.00")


def test_breakdown_by_segment_field_or_function() -> None:
    by_plan = nps_by_segment(_responses(), "plan")
    assert [g.group for g in by_plan.groups] == ["basic", "pro"]
    assert by_plan["pro"].score == Decimal("100.00")
    by_function = nps_by_segment(_responses(), lambda r: "high" if r["score"] >= 9 else "low")
    assert by_function["low"].responses == 2
    assert "NPS by segment" in str(by_plan)
    satisfied = csat_by_segment([{"score": 5, "plan": "a"}, {"score": 2, "plan": "a"}], "plan")
    assert satisfied["a"].score == Decimal("50.00")
    with pytest.raises(ValidationError) as info:
        nps_by_segment([{"score": 5}], "plan")
    assert info.value.field == "plan"


def test_breakdown_refuses_naive_timestamps_and_bad_scores() -> None:
    with pytest.raises(ValidationError) as info:
        nps_by_period([{"score": 5, "responded_at": datetime(2026, 1, 1)}])
    assert info.value.field == "responded_at"
    with pytest.raises(ValidationError) as info:
        nps_by_period([{"score": 12, "responded_at": T0}])
    assert (info.value.field, info.value.value) == ("score", "12")


def test_survey_response_validates_and_records_an_event() -> None:
    survey = Survey(tenant_id=TenantId("t"), id="s", name="CES", kind="ces", question="Easy?", created_at=T0)
    response = survey.respond(id="r", customer_id="c", score=7, at=T0, comment="")
    assert response.kind is SurveyKind.CES and response.category is None
    [event] = response.pending_events
    assert isinstance(event, SurveyResponseRecorded) and event.score == 7
    with pytest.raises(ValidationError):
        survey.respond(id="r2", customer_id="c", score=8, at=T0)
    with pytest.raises(ValidationError) as info:
        survey.respond(id="r3", customer_id="c", score=3, at=datetime(2026, 1, 1))
    assert info.value.field == "responded_at"
    with pytest.raises(ValidationError):
        Survey(tenant_id=TenantId("t"), id="s", name=" ", kind="nps", question="?", created_at=T0)
