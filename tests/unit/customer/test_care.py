"""Care schedules keep their local wall-clock time across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.core.errors import ValidationError
from bizrel.core.ids import TenantId
from bizrel.customer import CareOccasion, CarePlan, CareRule, Channel

T = TenantId("t1")
ZONES = ("Europe/Berlin", "America/New_York")
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2028, 1, 1, tzinfo=UTC)


def plan(*rules: CareRule) -> CarePlan:
    return CarePlan.create(
        tenant_id=T, id="p1", customer_id="c1", rules=list(rules), at=START, timezone="Europe/Berlin"
    )


@settings(max_examples=120, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    anchor=st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
    hour=st.sampled_from([0, 1, 4, 9, 10, 17, 23]),
    occasion=st.sampled_from(
        [CareOccasion.QUARTERLY_BUSINESS_REVIEW, CareOccasion.CONTRACT_ANNIVERSARY, CareOccasion.BIRTHDAY]
    ),
)
def test_every_occurrence_is_at_the_same_local_time(tz: str, anchor: date, hour: int, occasion: CareOccasion) -> None:
    """Hours that always exist (not 02:xx) stay exactly on the wall clock over three years."""
    rule = CareRule(occasion=occasion, anchor=anchor, local_time=time(hour, 30))
    occurrences = rule.occurrences(ZoneInfo(tz), START, END)
    assert occurrences == sorted(occurrences)
    assert occurrences
    for at in occurrences:
        local = at.astimezone(ZoneInfo(tz))
        assert local.time() == time(hour, 30)
        assert local.day == anchor.day or local.day == _month_end(local.year, local.month) < anchor.day


def _month_end(year: int, month: int) -> int:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return (first_next - timedelta(days=1)).day


@pytest.mark.parametrize("tz", ZONES)
def test_quarterly_reviews_straddle_dst_and_keep_wall_time(tz: str) -> None:
    rule = CareRule(occasion="quarterly_business_review", anchor=date(2026, 1, 15), local_time=time(9, 0))
    occurrences = rule.occurrences(ZoneInfo(tz), datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert [o.date() for o in occurrences] == [
        date(2026, 1, 15),
        date(2026, 4, 15),
        date(2026, 7, 15),
        date(2026, 10, 15),
    ]
    assert all(o.astimezone(ZoneInfo(tz)).time() == time(9) for o in occurrences)
    # the UTC instants differ by the DST offset: winter and summer are not the same UTC hour
    utc_hours = {o.astimezone(UTC).hour for o in occurrences}
    assert utc_hours == ({8, 7} if tz == "Europe/Berlin" else {14, 13})


def test_nonexistent_hour_moves_forward_by_the_gap() -> None:
    # Berlin springs forward on 2026-03-29 at 02:00 -> 03:00; 02:30 does not exist that day
    rule = CareRule(occasion="after_onboarding", anchor=date(2026, 3, 19), days_after=10, local_time=time(2, 30))
    [at] = rule.occurrences(ZoneInfo("Europe/Berlin"), START, END)
    assert at.replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)
    assert at.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_ambiguous_hour_fires_once_at_its_first_occurrence() -> None:
    # New York falls back on 2026-11-01 at 02:00 -> 01:00; 01:30 happens twice that night
    rule = CareRule(occasion="after_onboarding", anchor=date(2026, 10, 2), days_after=30, local_time=time(1, 30))
    occurrences = rule.occurrences(ZoneInfo("America/New_York"), START, END)
    assert len(occurrences) == 1
    assert occurrences[0].astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT (UTC-4)


def test_yearly_rules_on_the_nonexistent_hour_are_shifted_only_on_that_day() -> None:
    # 2027-03-28 is Berlin's spring-forward day; the anniversary of 2026-03-28 at 02:30 falls on it
    rule = CareRule(occasion="contract_anniversary", anchor=date(2026, 3, 28), local_time=time(2, 30))
    occurrences = rule.occurrences(ZoneInfo("Europe/Berlin"), START, datetime(2030, 1, 1, tzinfo=UTC))
    walls = [o.replace(tzinfo=None) for o in occurrences]
    assert walls == [
        datetime(2027, 3, 28, 3, 30),
        datetime(2028, 3, 28, 2, 30),
        datetime(2029, 3, 28, 2, 30),
    ]


def test_month_end_anchors_clamp_and_leap_day_anniversaries_fall_on_28_february() -> None:
    qbr = CareRule(occasion="quarterly_business_review", anchor=date(2025, 8, 31))
    days = [o.date() for o in qbr.occurrences(ZoneInfo("Europe/Berlin"), START, datetime(2026, 9, 1, tzinfo=UTC))]
    assert days == [date(2025, 8, 31), date(2025, 11, 30), date(2026, 2, 28), date(2026, 5, 31), date(2026, 8, 31)]
    leap = CareRule(occasion="birthday", anchor=date(2024, 2, 29))
    days = [o.date() for o in leap.occurrences(ZoneInfo("Europe/Berlin"), START, END)]
    assert days == [date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28)]


def test_anniversary_skips_the_contract_start_itself() -> None:
    rule = CareRule(occasion="contract_anniversary", anchor=date(2025, 6, 1))
    days = [o.date() for o in rule.occurrences(ZoneInfo("Europe/Berlin"), START, END)]
    assert days == [date(2026, 6, 1), date(2027, 6, 1)]


def test_plan_hands_out_each_touch_once_and_keeps_deferred_ones() -> None:
    care = plan(
        CareRule(occasion="quarterly_business_review", anchor=date(2025, 1, 10), channel="meeting"),
        CareRule(occasion="birthday", anchor=date(1980, 2, 3)),
    )
    assert care.next_due == datetime(2025, 1, 10, 9, tzinfo=UTC)  # 10:00 in Berlin
    first = care.due("Europe/Berlin", datetime(2025, 3, 1, tzinfo=UTC))
    assert [p.occasion for p in first] == [CareOccasion.QUARTERLY_BUSINESS_REVIEW, CareOccasion.BIRTHDAY]
    assert first[0].touch.channel is Channel.MEETING
    assert care.due("Europe/Berlin", datetime(2025, 3, 2, tzinfo=UTC)) == []
    assert care.next_due == datetime(2025, 4, 10, 8, tzinfo=UTC)  # next review, 10:00 summer time
    care.defer(first[1], datetime(2025, 3, 5, tzinfo=UTC))
    assert care.next_due == datetime(2025, 3, 5, tzinfo=UTC)
    assert care.due("Europe/Berlin", datetime(2025, 3, 4, tzinfo=UTC)) == []
    [again] = care.due("Europe/Berlin", datetime(2025, 3, 5, tzinfo=UTC))
    assert again.occasion is CareOccasion.BIRTHDAY
    assert again.at == datetime(2025, 3, 5, tzinfo=UTC)


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValidationError) as anchor:
        CareRule(occasion="birthday", anchor=datetime(2025, 1, 1, tzinfo=UTC))
    assert anchor.value.field == "anchor"
    with pytest.raises(ValidationError) as wall:
        CareRule(occasion="birthday", anchor=date(2025, 1, 1), local_time=time(9, tzinfo=UTC))
    assert wall.value.field == "local_time"
    with pytest.raises(ValidationError) as occasion:
        CareRule(occasion="pester", anchor=date(2025, 1, 1))
    assert occasion.value.field == "occasion"
    with pytest.raises(ValidationError):
        plan()
    with pytest.raises(ValidationError) as tz:
        plan(CareRule(occasion="birthday", anchor=date(2025, 1, 1))).schedule("Mars/Olympus", START, END)
    assert tz.value.field == "timezone"
    with pytest.raises(ValidationError):
        CarePlan.create(tenant_id=T, id="p", customer_id="c", rules=[], at=START, timezone="Europe/Berlin")


@settings(max_examples=150, deadline=None)
@given(
    tz=st.sampled_from((*ZONES, "Australia/Sydney")),
    anchor=st.dates(min_value=date(1950, 1, 1), max_value=date(2029, 12, 31)),
    occasion=st.sampled_from(
        [CareOccasion.QUARTERLY_BUSINESS_REVIEW, CareOccasion.CONTRACT_ANNIVERSARY, CareOccasion.BIRTHDAY]
    ),
    window_start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1)),
    window_days=st.integers(1, 800),
)
def test_expansion_matches_month_arithmetic_from_the_anchor(
    tz: str, anchor: date, occasion: CareOccasion, window_start: datetime, window_days: int
) -> None:
    """Reference: anchor + k periods by relativedelta (which clamps to the month end), at 10:00 local."""
    from dateutil.relativedelta import relativedelta

    zone = ZoneInfo(tz)
    start = window_start.replace(tzinfo=UTC)
    end = start + timedelta(days=window_days)
    step = 3 if occasion is CareOccasion.QUARTERLY_BUSINESS_REVIEW else 12
    first_k = 1 if occasion is CareOccasion.CONTRACT_ANNIVERSARY else 0
    expected = []
    for k in range(first_k, (2032 - anchor.year) * 12 // step + 2):
        at = datetime.combine(anchor + relativedelta(months=k * step), time(10)).replace(tzinfo=zone)
        if start <= at < end:
            expected.append(at)
    rule = CareRule(occasion=occasion, anchor=anchor, local_time=time(10))
    assert rule.occurrences(zone, start, end) == expected
    if expected:
        assert rule.next_occurrence(zone, start) == expected[0]
