"""The contact policy: consent, cool-down, quiet hours and frequency caps, as properties over random
histories (a stateful machine) and as pinned examples."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from bizrel.core.errors import ValidationError
from bizrel.core.ids import TenantId
from bizrel.customer import (
    Allowed,
    Channel,
    ContactHistory,
    ContactLog,
    ContactPolicy,
    Customer,
    Deferred,
    FrequencyCap,
    QuietHours,
    Refused,
    SentTouch,
    Touch,
    decide,
    localize,
)

T = TenantId("t1")
CHANNELS = (Channel.EMAIL, Channel.CALL, Channel.MESSAGE)
# starts just before the 2026 daylight-saving changes of both zones
STARTS = (
    datetime(2026, 3, 27, 12, tzinfo=UTC),
    datetime(2026, 10, 23, 12, tzinfo=UTC),
    datetime(2026, 3, 6, 12, tzinfo=UTC),
    datetime(2026, 10, 30, 12, tzinfo=UTC),
)


def make_customer(tz: str, at: datetime, channels: tuple[Channel, ...] = CHANNELS) -> Customer:
    customer = Customer.create(
        tenant_id=T, id="c1", name="Acme", kind="organisation", owner_id="csm", timezone=tz, at=at
    )
    for channel in channels:
        customer.set_consent(channel, "care", granted=True, at=at)
    return customer


def touch(channel: Channel = Channel.EMAIL, purpose: str = "care") -> Touch:
    return Touch(channel=channel, purpose=purpose, source="test")


def windows_respected(days: list[date], cap: FrequencyCap) -> bool:
    """Brute force: every run of cap.days consecutive local days holds at most max_touches."""
    if not days:
        return True
    first, last = min(days), max(days)
    start = first - timedelta(days=cap.days)
    while start <= last:
        end = start + timedelta(days=cap.days)
        if sum(1 for d in days if start <= d < end) > cap.max_touches:
            return False
        start += timedelta(days=1)
    return True


class ContactPolicyMachine(RuleBasedStateMachine):
    """Random requests, clock moves, consent changes and detractor answers; the policy must hold."""

    @initialize(
        tz=st.sampled_from(["Europe/Berlin", "America/New_York"]),
        start=st.sampled_from(STARTS),
        all_cap=st.tuples(st.integers(1, 4), st.integers(1, 7)),
        call_cap=st.tuples(st.integers(1, 2), st.integers(1, 3)),
        quiet=st.sampled_from([(time(20), time(8)), (time(22), time(6)), (time(12), time(13, 30)), None]),
        cooldown=st.integers(0, 5),
    )
    def setup(
        self,
        tz: str,
        start: datetime,
        all_cap: tuple[int, int],
        call_cap: tuple[int, int],
        quiet: tuple[time, time] | None,
        cooldown: int,
    ) -> None:
        self.tz = ZoneInfo(tz)
        self.now = start
        self.customer = make_customer(tz, start - timedelta(days=1))
        self.log = ContactLog.start(tenant_id=T, customer_id="c1")
        self.policy = ContactPolicy(
            caps=(
                FrequencyCap(max_touches=all_cap[0], days=all_cap[1]),
                FrequencyCap(max_touches=call_cap[0], days=call_cap[1], channel=Channel.CALL),
            ),
            quiet_hours=None if quiet is None else QuietHours(start=quiet[0], end=quiet[1]),
            detractor_cooldown_days=cooldown,
        )
        self.allowed: list[tuple[Channel, datetime]] = []

    @rule(minutes=st.integers(0, 3 * 24 * 60))
    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(channel=st.sampled_from(CHANNELS), purpose=st.sampled_from(["care", "care", "service"]))
    def request(self, channel: Channel, purpose: str) -> None:
        history = self.log.history()
        asked = touch(channel, purpose)
        decision = decide(self.customer, asked, history, self.now, self.policy)
        consent = self.customer.consent_for(channel, purpose, self.now)
        if consent is None or not consent.granted:
            assert isinstance(decision, Refused)
            assert decision.reason
        if isinstance(decision, Deferred):
            assert decision.until > self.now
            assert decision.reason
            # nothing else happened meanwhile, so at `until` the same touch goes through
            assert isinstance(decide(self.customer, asked, history, decision.until, self.policy), Allowed)
        if isinstance(decision, Allowed):
            self.allowed.append((channel, self.now))
        self.log.record_decision(asked, decision, self.now)

    @rule(channel=st.sampled_from(CHANNELS), granted=st.booleans())
    def change_consent(self, channel: Channel, granted: bool) -> None:
        self.customer.set_consent(channel, "care", granted=granted, at=self.now)

    @precondition(lambda self: self.policy.detractor_cooldown_days > 0)
    @rule()
    def detractor(self) -> None:
        self.log.note_detractor(self.now)
        self.detractor_at = self.now

    @invariant()
    def caps_hold_in_every_window(self) -> None:
        for cap in self.policy.caps:
            days = [at.astimezone(self.tz).date() for ch, at in self.allowed if cap.channel in (None, ch)]
            assert windows_respected(days, cap), (cap, days)

    @invariant()
    def never_in_quiet_hours(self) -> None:
        quiet = self.policy.quiet_hours
        if quiet is not None:
            for _, at in self.allowed:
                assert not quiet.contains(at.astimezone(self.tz).time()), at.astimezone(self.tz)

    @invariant()
    def history_matches(self) -> None:
        assert len(self.log.history().sent) == len(self.allowed)


ContactPolicyMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestContactPolicyMachine = ContactPolicyMachine.TestCase


# -- pinned examples ----------------------------------------------------------------------------------

BERLIN = "Europe/Berlin"
NOON = datetime(2026, 6, 10, 10, tzinfo=UTC)  # 12:00 in Berlin


@pytest.mark.rule(
    "**Consent.** The latest grant or withdrawal for the touch's channel and purpose, as of now, must be a grant."
)
@pytest.mark.rule(
    "Otherwise the touch is refused, and the reason says whether consent was never given or was withdrawn (and when)."
)
def test_no_consent_and_withdrawn_consent_are_refused_with_reason() -> None:
    customer = make_customer(BERLIN, NOON - timedelta(days=3), channels=(Channel.EMAIL,))
    refused = decide(customer, touch(Channel.CALL), ContactHistory(), NOON)
    assert refused == Refused("no consent for call/care")
    customer.set_consent(Channel.EMAIL, "care", granted=False, at=NOON - timedelta(days=1))
    withdrawn = decide(customer, touch(Channel.EMAIL), ContactHistory(), NOON)
    assert isinstance(withdrawn, Refused)
    assert "withdrawn" in withdrawn.reason
    # consent is read as of the decision: a grant dated later does not count yet
    customer.set_consent(Channel.EMAIL, "care", granted=True, at=NOON + timedelta(hours=1))
    assert isinstance(decide(customer, touch(Channel.EMAIL), ContactHistory(), NOON), Refused)
    assert isinstance(decide(customer, touch(Channel.EMAIL), ContactHistory(), NOON + timedelta(hours=2)), Allowed)


def test_quiet_hours_defer_to_the_local_morning() -> None:
    customer = make_customer(BERLIN, NOON - timedelta(days=3))
    policy = ContactPolicy(quiet_hours=QuietHours(start=time(20), end=time(8)))
    late = datetime(2026, 6, 10, 20, 30, tzinfo=UTC)  # 22:30 in Berlin
    decision = decide(customer, touch(), ContactHistory(), late, policy)
    assert isinstance(decision, Deferred)
    assert decision.until == datetime(2026, 6, 11, 8, 0, tzinfo=ZoneInfo(BERLIN))
    assert "quiet hours 20:00-08:00" in decision.reason


def test_quiet_hours_follow_the_customers_zone_not_utc() -> None:
    customer = make_customer("America/New_York", NOON - timedelta(days=3))
    policy = ContactPolicy(quiet_hours=QuietHours(start=time(20), end=time(8)))
    at = datetime(2026, 6, 10, 3, tzinfo=UTC)  # 23:00 in New York the day before
    decision = decide(customer, touch(), ContactHistory(), at, policy)
    assert isinstance(decision, Deferred)
    assert decision.until.astimezone(ZoneInfo("America/New_York")).time() == time(8)


def test_frequency_cap_defers_to_the_next_local_day_that_has_room() -> None:
    customer = make_customer(BERLIN, NOON - timedelta(days=3))
    policy = ContactPolicy(caps=(FrequencyCap(max_touches=2, days=7),))
    sent = tuple(
        SentTouch(channel=Channel.EMAIL, purpose="care", source="t", at=NOON - timedelta(days=d)) for d in (5, 1)
    )
    decision = decide(customer, touch(), ContactHistory(sent=sent), NOON, policy)
    assert isinstance(decision, Deferred)
    # the touch 5 days ago (2026-06-05) leaves the 7-day window on 2026-06-12, local midnight
    assert decision.until == datetime(2026, 6, 12, 0, 0, tzinfo=ZoneInfo(BERLIN))
    assert decision.reason == "frequency cap at most 2 per 7 day(s) on all channels"


def test_channel_cap_does_not_limit_other_channels() -> None:
    customer = make_customer(BERLIN, NOON - timedelta(days=3))
    policy = ContactPolicy(caps=(FrequencyCap(max_touches=1, days=1, channel="call"),))
    sent = (SentTouch(channel=Channel.CALL, purpose="care", source="t", at=NOON - timedelta(hours=1)),)
    assert isinstance(decide(customer, touch(Channel.CALL), ContactHistory(sent=sent), NOON, policy), Deferred)
    assert isinstance(decide(customer, touch(Channel.EMAIL), ContactHistory(sent=sent), NOON, policy), Allowed)


def test_detractor_cool_down_spares_service_touches() -> None:
    customer = make_customer(BERLIN, NOON - timedelta(days=3))
    customer.set_consent(Channel.CALL, "service", granted=True, at=NOON - timedelta(days=3))
    policy = ContactPolicy(detractor_cooldown_days=14)
    history = ContactHistory(last_detractor_at=NOON - timedelta(days=2))
    care = decide(customer, touch(Channel.EMAIL), history, NOON, policy)
    assert isinstance(care, Deferred)
    assert care.until == NOON + timedelta(days=12)
    assert "cool-down after a detractor" in care.reason
    assert isinstance(decide(customer, touch(Channel.CALL, "service"), history, NOON, policy), Allowed)


def test_deferral_names_every_rule_that_pushed_it() -> None:
    customer = make_customer(BERLIN, NOON - timedelta(days=3))
    policy = ContactPolicy(
        caps=(FrequencyCap(max_touches=1, days=1),), quiet_hours=QuietHours(start=time(20), end=time(8))
    )
    sent = (SentTouch(channel=Channel.EMAIL, purpose="care", source="t", at=NOON - timedelta(hours=1)),)
    decision = decide(customer, touch(), ContactHistory(sent=sent), NOON, policy)
    assert isinstance(decision, Deferred)
    # the cap frees local midnight, which is inside quiet hours: 08:00 the next day
    assert decision.until == datetime(2026, 6, 11, 8, 0, tzinfo=ZoneInfo(BERLIN))
    assert "frequency cap" in decision.reason
    assert "quiet hours" in decision.reason


def test_bad_input_names_the_field() -> None:
    customer = make_customer(BERLIN, NOON - timedelta(days=3))
    with pytest.raises(ValidationError) as naive:
        decide(customer, touch(), ContactHistory(), datetime(2026, 6, 10, 12))
    assert naive.value.field == "now"
    with pytest.raises(ValidationError) as channel:
        Touch(channel="pigeon", purpose="care", source="x")
    assert channel.value.field == "channel"
    with pytest.raises(ValidationError):
        FrequencyCap(max_touches=0, days=1)
    with pytest.raises(ValidationError):
        QuietHours(start=time(8), end=time(8))


@settings(max_examples=200, deadline=None)
@given(
    wall=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
    tz=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
)
def test_localize_keeps_existing_wall_times_and_moves_skipped_ones_forward(wall: datetime, tz: str) -> None:
    zone = ZoneInfo(tz)
    at = localize(wall, zone)
    local = at.replace(tzinfo=None)
    roundtrip = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if roundtrip == wall:  # the wall time exists: kept exactly (first occurrence when repeated)
        assert local == wall
        assert at.fold == 0 or at.astimezone(UTC) <= wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    else:  # skipped by a spring-forward: moved forward by the gap, never backwards
        assert local > wall
        assert local - wall <= timedelta(hours=1)


@pytest.mark.rule(
    "Its answer is `Allowed(reason)`, `Deferred(until, reason)` or `Refused(reason)`, and it always carries a reason."
)
@given(
    minutes=st.lists(st.integers(0, 14 * 24 * 60), min_size=1, max_size=10),
    channels=st.lists(st.sampled_from(CHANNELS), max_size=3, unique=True),
    cooldown=st.integers(0, 3),
)
def test_every_decision_is_one_of_three_answers_and_carries_a_reason(
    minutes: list[int], channels: list[Channel], cooldown: int
) -> None:
    customer = make_customer(BERLIN, NOON - timedelta(days=1), channels=tuple(channels))
    policy = ContactPolicy(
        caps=(FrequencyCap(max_touches=1, days=2),),
        quiet_hours=QuietHours(start=time(20), end=time(8)),
        detractor_cooldown_days=cooldown,
    )
    log = ContactLog.start(tenant_id=T, customer_id="c1")
    log.note_detractor(NOON)
    for m in sorted(minutes):
        now = NOON + timedelta(minutes=m)
        decision = decide(customer, touch(Channel.EMAIL), log.history(), now, policy)
        assert isinstance(decision, Allowed | Deferred | Refused)
        assert isinstance(decision.reason, str) and decision.reason.strip()
        log.record_decision(touch(Channel.EMAIL), decision, now)
