"""A detractor's NPS answer starts the contact policy's cool-down however it was recorded: through the
survey API (`record_response`) with a plain store and no wiring, as through `note_nps_response`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bizrel import customer as cm
from bizrel.adapters import Store, open_store
from bizrel.core.clock import FixedClock

T0 = datetime(2026, 6, 30, 9, tzinfo=UTC)  # 11:00 in Berlin: outside the default quiet hours
CARE_EMAIL = cm.Touch(channel="email", purpose="care", source="csm:check-in")
SERVICE_EMAIL = cm.Touch(channel="email", purpose="service", source="support")


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = open_store(request.param, clock=FixedClock(T0))
    with s.unit_of_work("acme") as uow:
        cm.create_customer(uow, id="c1", name="Globex", kind="organisation", owner_id="csm", timezone="Europe/Berlin")
        for purpose in ("care", "service"):
            cm.set_consent(uow, "c1", "email", purpose, granted=True)
        for kind in ("nps", "csat"):
            cm.create_survey(uow, id=kind, name=kind, kind=kind, question="?")
        uow.commit()
    yield s
    s.close()


def _clock(store: Store) -> FixedClock:
    assert isinstance(store.clock, FixedClock)
    return store.clock


def _respond(store: Store, survey: str, score: int, at: datetime | None = None) -> None:
    with store.unit_of_work("acme") as uow:
        cm.record_response(uow, survey_id=survey, customer_id="c1", score=score, at=at)
        uow.commit()


def _touch(store: Store, touch: cm.Touch = CARE_EMAIL) -> cm.Decision:
    with store.unit_of_work("acme") as uow:
        decision = cm.request_touch(uow, "c1", touch)
        uow.commit()
    return decision


@pytest.mark.rule(
    "A stored NPS response of 0-6 starts the contact policy's cool-down for that customer from the "
    "moment it was given, whether recorded with `record_response` or noted with `note_nps_response`: "
    "the policy reads the recorded response itself, so a plain `open_store(...)` needs no wiring."
)
@pytest.mark.parametrize("score", [0, 6])
def test_a_detractor_recorded_through_the_survey_api_starts_the_cool_down(store: Store, score: int) -> None:
    _respond(store, "nps", score)
    _clock(store).advance(hours=1)
    decision = _touch(store)
    assert isinstance(decision, cm.Deferred), decision
    assert decision.until == T0 + timedelta(days=14)  # the default policy's 14-day cool-down, from the answer
    assert "cool-down after a detractor" in decision.reason
    assert isinstance(_touch(store, SERVICE_EMAIL), cm.Allowed)  # fixing the problem is exempt
    with store.unit_of_work("acme") as uow:
        [deferred, allowed] = uow.contact_logs.get("c1").attempts
        assert (deferred.outcome, allowed.outcome) == ("deferred", "allowed")
    _clock(store).set(T0 + timedelta(days=14))
    assert isinstance(_touch(store), cm.Allowed)  # the cool-down is over


def test_passives_promoters_and_other_survey_kinds_start_no_cool_down(store: Store) -> None:
    _respond(store, "nps", 7)
    _respond(store, "csat", 1)  # an unhappy CSAT answer is not an NPS detractor
    _clock(store).advance(hours=1)
    assert isinstance(_touch(store), cm.Allowed)


def test_the_cool_down_runs_from_when_the_answer_was_given(store: Store) -> None:
    _clock(store).advance(days=20)
    _respond(store, "nps", 2, at=T0)  # answered twenty days ago, entered today: the cool-down is over
    assert isinstance(_touch(store), cm.Allowed)
    _respond(store, "nps", 3, at=T0 + timedelta(days=19))
    decision = _touch(store)
    assert isinstance(decision, cm.Deferred) and decision.until == T0 + timedelta(days=33)


def test_the_survey_api_and_note_nps_response_agree(store: Store) -> None:
    with store.unit_of_work("acme") as uow:
        cm.note_nps_response(uow, "c1", 4)
        uow.commit()
    _clock(store).advance(days=2)
    _respond(store, "nps", 5)  # the later answer restarts the cool-down
    decision = _touch(store)
    assert isinstance(decision, cm.Deferred) and decision.until == T0 + timedelta(days=16)
