"""Caps hold across processes: two stores on one SQLite file (as two processes would open it) request
touches for the same customers in random interleavings; a writer that loses the race retries, and
the persisted contact logs never exceed a cap in any window of local days."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bizrel import customer as cm
from bizrel.adapters import Store, open_store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import ConcurrencyConflict
from bizrel.core.ids import TenantId

T = "two-writers"
CUSTOMERS = ("a", "b")
POLICY = cm.ContactPolicy(
    caps=(cm.FrequencyCap(max_touches=2, days=3), cm.FrequencyCap(max_touches=1, days=1, channel="call")),
    quiet_hours=cm.QuietHours(start=time(21), end=time(7)),
)
ZONE = {"a": "Europe/Berlin", "b": "America/New_York"}


class TwoWriters(RuleBasedStateMachine):
    @initialize()
    def open_two_stores(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        path = Path(self.tmp.name) / "log.db"
        self.clock = FixedClock(datetime(2026, 3, 27, 6, tzinfo=UTC))  # Berlin changes clocks on the 29th
        self.stores: list[Store] = [open_store(f"sqlite:///{path}", clock=self.clock) for _ in range(2)]
        with self.stores[0].unit_of_work(T) as uow:
            for cid in CUSTOMERS:
                cm.create_customer(uow, id=cid, name=cid, kind="person", owner_id="csm", timezone=ZONE[cid])
                for channel in ("email", "call"):
                    cm.set_consent(uow, cid, channel, "care", granted=True)
            cm.set_contact_policy(uow, POLICY)
            uow.commit()
        self.conflicts = 0
        self.races = 0

    def teardown(self) -> None:
        for store in getattr(self, "stores", []):
            store.close()
        if hasattr(self, "tmp"):
            self.tmp.cleanup()

    @rule(hours=st.integers(0, 30))
    def advance(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    @rule(cid=st.sampled_from(CUSTOMERS), channel=st.sampled_from(["email", "call"]))
    def race(self, cid: str, channel: str) -> None:
        """Both writers decide on the same state; only one commit may win, the other retries."""
        touch = cm.Touch(channel=channel, purpose="care", source="race")
        self.races += 1
        first, second = (store.unit_of_work(T) for store in self.stores)
        with first, second:
            cm.request_touch(first, cid, touch)
            cm.request_touch(second, cid, touch)
            first.commit()
            try:
                second.commit()
            except ConcurrencyConflict:
                self.conflicts += 1
        with self.stores[1].unit_of_work(T) as uow:  # the loser's retry sees the winner's touch
            cm.request_touch(uow, cid, touch)
            uow.commit()

    @invariant()
    def caps_hold_in_the_stored_logs(self) -> None:
        with self.stores[0].unit_of_work(T) as uow:
            for log in uow.contact_logs.list():
                tz = ZoneInfo(ZONE[log.customer_id])
                allowed = [a for a in log.attempts if a.outcome == "allowed"]
                for attempt in allowed:
                    assert not POLICY.quiet_hours.contains(attempt.at.astimezone(tz).time())  # type: ignore[union-attr]
                for cap in POLICY.caps:
                    days = [a.at.astimezone(tz).date() for a in allowed if cap.channel in (None, a.touch.channel)]
                    for first in {d - timedelta(days=k) for d in days for k in range(cap.days)}:
                        window = [d for d in days if first <= d < first + timedelta(days=cap.days)]
                        assert len(window) <= cap.max_touches, (cap, first, sorted(days))

    @invariant()
    def every_race_is_decided_for_one_writer_only(self) -> None:
        with self.stores[0].unit_of_work(T) as uow:
            attempts = sum(len(log.attempts) for log in uow.contact_logs.list())
        # the second racer always conflicts; the log keeps the winner's decision and the retry's
        assert self.conflicts == self.races
        assert attempts == 2 * self.races


TwoWriters.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
TestTwoWriters = TwoWriters.TestCase


def test_local_days_make_a_daily_cap_follow_the_customers_calendar() -> None:
    """A 23-hour day (spring forward) is still one day for a daily cap."""
    customer = cm.Customer.create(
        tenant_id=TenantId("t"),
        id="c",
        name="C",
        kind="person",
        owner_id="csm",
        timezone="Europe/Berlin",
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    customer.set_consent("email", "care", granted=True, at=datetime(2026, 3, 1, tzinfo=UTC))
    policy = cm.ContactPolicy(caps=(cm.FrequencyCap(max_touches=1, days=1),))
    sent = (
        cm.SentTouch(channel=cm.Channel.EMAIL, purpose="care", source="t", at=datetime(2026, 3, 28, 23, tzinfo=UTC)),
    )
    # 2026-03-29 00:00 CET is 23:00 UTC on the 28th: the touch above is on the 29th, local time
    decision = cm.decide(
        customer,
        cm.Touch(channel="email", purpose="care", source="t"),
        cm.ContactHistory(sent=sent),
        datetime(2026, 3, 29, 20, tzinfo=UTC),
        policy,
    )
    assert isinstance(decision, cm.Deferred)
    assert decision.until == datetime(2026, 3, 30, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert decision.until.date() == date(2026, 3, 30)
