"""Every outbound touch a service records goes through the tenant's one stored contact policy: an
outbound interaction too (refused or deferred with a reason, recorded in the contact log, counted
towards the caps when allowed); inbound contacts are never refused; no caller can pass a policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel import customer as cm
from bizrel.adapters import Store, open_store
from bizrel.core.clock import FixedClock

T = "acme"
NOON_BERLIN = datetime(2026, 6, 30, 10, tzinfo=UTC)
HALF_PAST_MIDNIGHT_BERLIN = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)


def _store(url: str) -> Store:
    s = open_store(url, clock=FixedClock(NOON_BERLIN))
    with s.unit_of_work(T) as uow:
        cm.create_customer(uow, id="c1", name="Globex", kind="organisation", owner_id="csm", timezone="Europe/Berlin")
        cm.set_consent(uow, "c1", "email", "care", granted=True)
        uow.commit()
    return s


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = _store(request.param)
    yield s
    s.close()


def _clock(store: Store) -> FixedClock:
    assert isinstance(store.clock, FixedClock)
    return store.clock


def _email(uow: cm.CustomerUnitOfWork, direction: str = "outbound", **kw: object) -> cm.Interaction:
    return cm.log_interaction(
        uow, customer_id="c1", channel="email", direction=direction, outcome="completed", summary="news", **kw
    )  # type: ignore[arg-type]


def _attempts(store: Store) -> list[tuple[str, str]]:
    with store.unit_of_work(T) as uow:
        log = uow.contact_logs.find("c1")
        return [] if log is None else [(a.outcome, a.touch.source) for a in log.attempts]


@pytest.mark.rule(
    "A refused or deferred one raises `ContactNotAllowed`, with the policy's decision and its reason, and "
    "logs no interaction; its decision is recorded in the contact log."
)
def test_an_outbound_email_after_consent_was_withdrawn_is_refused_and_recorded(store: Store) -> None:
    with store.unit_of_work(T) as uow:
        cm.set_consent(uow, "c1", "email", "care", granted=False)
        uow.commit()
    with store.unit_of_work(T) as uow:
        with pytest.raises(cm.ContactNotAllowed, match="withdrawn") as refused:
            _email(uow)
        assert isinstance(refused.value.decision, cm.Refused)
        assert refused.value.policy == "contact_policy"
        uow.commit()
    assert _attempts(store) == [("refused", "care:interaction")]
    with store.unit_of_work(T) as uow:
        assert uow.interactions.count() == 0


def test_an_outbound_email_at_half_past_midnight_local_time_is_deferred(store: Store) -> None:
    _clock(store).set(HALF_PAST_MIDNIGHT_BERLIN)
    with store.unit_of_work(T) as uow:
        with pytest.raises(cm.ContactNotAllowed, match="quiet hours") as deferred:
            _email(uow)
        assert isinstance(deferred.value.decision, cm.Deferred)
        assert deferred.value.decision.until == datetime(2026, 7, 1, 6, tzinfo=UTC)  # 08:00 in Berlin
        uow.commit()
    assert _attempts(store) == [("deferred", "care:interaction")]


@pytest.mark.rule(
    "An allowed one is logged and counts towards the caps.",
)
def test_allowed_outbound_interactions_count_towards_the_caps(store: Store) -> None:
    with store.unit_of_work(T) as uow:  # the default policy: two touches a week
        _email(uow)
        _clock(store).advance(hours=1)
        _email(uow, occurred_at=NOON_BERLIN + timedelta(minutes=30))
        uow.commit()
    _clock(store).advance(days=1)
    with store.unit_of_work(T) as uow:
        decision = cm.request_touch(uow, "c1", cm.Touch(channel="email", purpose="care", source="care:qbr"))
        assert isinstance(decision, cm.Deferred) and "at most 2" in decision.reason
        with pytest.raises(cm.ContactNotAllowed, match="at most 2"):
            _email(uow)
        assert uow.interactions.count() == 2


@pytest.mark.rule(
    "The policy is configured once per tenant and stored: `set_contact_policy(uow, policy)` saves it and "
    "`tenant_contact_policy(uow)` reads it (`DEFAULT_CONTACT_POLICY` until a tenant sets one)."
)
@pytest.mark.rule("No service takes a policy from its caller, so no call can open a hole in it.")
def test_the_stored_policy_governs_and_no_caller_can_pass_an_empty_one(store: Store) -> None:
    strict = cm.ContactPolicy(caps=(cm.FrequencyCap(max_touches=1, days=30),))
    touch = cm.Touch(channel="email", purpose="care", source="csm")
    with store.unit_of_work(T) as uow:
        assert cm.tenant_contact_policy(uow) == cm.DEFAULT_CONTACT_POLICY
        cm.set_contact_policy(uow, strict)
        uow.commit()
    with store.unit_of_work(T) as uow:
        assert isinstance(cm.request_touch(uow, "c1", touch), cm.Allowed)
        for ask in (
            lambda: cm.request_touch(uow, "c1", touch, cm.ContactPolicy()),  # type: ignore[call-arg]
            lambda: cm.run_due_care(uow, cm.ContactPolicy()),  # type: ignore[call-arg]
            lambda: cm.log_interaction(uow, customer_id="c1", channel="email", direction="outbound",  # type: ignore[call-arg]
                                       outcome="completed", summary="x", policy=cm.ContactPolicy()),
        ):  # fmt: skip
            with pytest.raises(TypeError):
                ask()
        assert isinstance(cm.request_touch(uow, "c1", touch), cm.Deferred)  # the stored cap of one a month
        with pytest.raises(cm.ContactNotAllowed):
            _email(uow)
        uow.commit()
    assert [outcome for outcome, _ in _attempts(store)] == ["allowed", "deferred", "deferred"]


@pytest.mark.rule("Inbound contacts are never refused.")
@settings(max_examples=30, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 60 * 24 * 10), min_size=1, max_size=8),
    consent=st.sampled_from([None, True, False]),
    detractor=st.booleans(),
)
def test_inbound_contacts_are_never_refused(minutes: list[int], consent: bool | None, detractor: bool) -> None:
    store = _store("memory://")
    with store.unit_of_work(T) as uow:
        if consent is not None:
            cm.set_consent(uow, "c1", "call", "care", granted=consent)
        if detractor:
            cm.note_nps_response(uow, "c1", 0)
        uow.commit()
    for m in sorted(minutes):
        _clock(store).set(NOON_BERLIN + timedelta(minutes=m))  # quiet hours, caps, cool-down: none applies
        with store.unit_of_work(T) as uow:
            cm.log_interaction(
                uow, customer_id="c1", channel="call", direction="inbound", outcome="completed", summary="they called"
            )
            uow.commit()
    with store.unit_of_work(T) as uow:
        assert uow.interactions.count() == len(minutes)
        log = uow.contact_logs.find("c1")
        assert log is None or log.attempts == []  # inbound contacts are not touches: nothing counts them
