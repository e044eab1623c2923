"""Erasure: no copy of a customer's personal data survives anywhere, and no figure moves."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel.adapters.memory import MemoryBackend
from bizrel.adapters.sqlite import SqliteBackend
from bizrel.adapters.store import Store, open_store
from bizrel.bridge import (
    BridgeConfig,
    CsmCandidate,
    ErasureStatus,
    RetentionMode,
    RetentionRule,
    erase_customer,
    erasure_request_id,
    hand_over,
    pseudonym,
)
from bizrel.core import Money, Period
from bizrel.core.clock import FixedClock
from bizrel.core.errors import NotFound, PolicyViolation
from bizrel.customer import Contact, add_contact, change_stage, log_interaction, submit_referral
from bizrel.customer.analytics_services import create_survey, record_response
from bizrel.customer.loyalty.services import adjust_points, create_program, program_liability
from bizrel.customer.satisfaction import nps
from bizrel.sales import (
    Account,
    create_commission_plan,
    create_pipeline,
    issue_statement,
    open_opportunity,
    set_target,
    target_attainment,
    win_opportunity,
)
from bizrel.sales.accounts import Contact as SalesContact
from bizrel.sales.performance_services import create_contract, issue_invoice, receive_payment
from bizrel.sales.services import capture_lead

URLS = ["memory://", "sqlite://"]
TENANT = "acme"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Q1 = Period.quarter(2026, 1)
CONFIG = BridgeConfig(
    csm_candidates=(CsmCandidate(id="cs-ana", capacity=100),),
    collections_owner_id="ar-cleo",
    renewal_pipeline_id="renewals",
    term_days=365,
    renewal_lead_days=60,
    loyalty_program_id="club",
)
SEGMENTS = ("smb", "mid")


def _store(url: str) -> Store:
    store = open_store(url, clock=FixedClock(T0))
    with store.unit_of_work(TENANT) as uow:
        create_pipeline(uow, id="nb", name="new business", stages=[("qualify", "0.2"), ("propose", "0.6")])
        create_pipeline(uow, id="renewals", name="renewals", kind="renewal", stages=[("due", "0.5")])
        create_program(uow, id="club", name="Club", currency="EUR", point_value="0.05")
        create_survey(uow, id="nps", name="NPS", kind="nps", question="Would you recommend us?")
        create_commission_plan(uow, id="plan", name="Plan", currency="EUR", rate="0.1")
        for rep in ("rep-1", "rep-2"):
            set_target(uow, metric="bookings", owner_kind="rep", owner_id=rep, period=Q1, value=Money(50_000, "EUR"))
        uow.commit()
    return store


def _history(store: Store, i: int, token: str, digits: str, score: int) -> str:
    """A customer with every kind of record the token can end up in; returns the customer id."""
    rep, opp_id = f"rep-{1 + i % 2}", f"opp-{i}"
    email = f"{token.lower()}@example.com"
    with store.unit_of_work(TENANT) as uow:
        account = Account.create(tenant_id=uow.tenant_id, id=f"acc-{i}", name=f"{token} Ltd", at=T0)
        account.add_contact(SalesContact(id=f"ac-{i}", name=token, email=email, phone=f"+44 {digits}"))
        uow.accounts.add(account)
        lead = capture_lead(uow, id=f"lead-{i}", name=token, source="web", email=email, company=f"{token} Ltd")
        opp = open_opportunity(
            uow,
            id=opp_id,
            pipeline_id="nb",
            owner_id=rep,
            account_name=f"{token} Ltd",
            amount=Money(1000 * (i + 1), "EUR"),
            expected_close=date(2026, 3, 1),
            segment=SEGMENTS[i % 2],
            account_id=account.id,
        )
        opp.lead_id = lead.id
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        win_opportunity(uow, opp_id)
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        customer_id = hand_over(uow, opp_id, CONFIG).customer_id
        contract = create_contract(uow, opportunity_id=opp_id, shares=[1], anchor=date(2026, 2, 1), id=f"ct-{i}")
        issue_invoice(uow, contract.id, 1, invoice_id=f"inv-{i}")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        add_contact(uow, customer_id, Contact(name=token, email=email, phone=f"+1 {digits}", role=f"{token} boss"))
        change_stage(uow, customer_id, "active", reason=f"onboarded by {token}")
        log_interaction(
            uow,
            customer_id=customer_id,
            channel="call",
            direction="outbound",
            outcome="completed",
            summary=f"Called {token} about the renewal",
        )
        record_response(uow, survey_id="nps", customer_id=customer_id, score=score, comment=f"{token} likes it")
        submit_referral(uow, referrer_id=customer_id, referred_name=f"Friend of {token}", referred_email=f"f.{email}")
        adjust_points(uow, "club", customer_id, 100 + i, reason=f"goodwill for {token}", key=f"adj-{i}")
        uow.commit()
    return customer_id


def _figures(store: Store) -> dict[str, Any]:
    with store.unit_of_work(TENANT) as uow:
        won = uow.opportunities.list(status="won")
        revenue = {s: Money.total((o.amount for o in won if o.segment == s), "EUR") for s in SEGMENTS}
        return {
            "nps": nps(r.score for r in uow.survey_responses.list()),
            "revenue": revenue,
            "attainment": target_attainment(
                uow, metric="bookings", owner_kind="rep", period=Q1, as_of=date(2026, 4, 1)
            ).to_rows(),
            "liability": program_liability(uow, "club").to_rows(),
            "commissions": [
                issue_statement(uow, plan_id="plan", rep_id=rep, period=Q1).total for rep in ("rep-1", "rep-2")
            ],
        }


def _all_text(store: Store) -> str:
    """Every stored byte of the tenant's data: each table of the database, or every memory row and event."""
    backend = store.backend
    if isinstance(backend, SqliteBackend):
        conn = sqlite3.connect(backend.path)
        try:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return "\n".join(repr(row) for name in names for row in conn.execute(f'SELECT * FROM "{name}"'))
        finally:
            conn.close()
    assert isinstance(backend, MemoryBackend)
    rows = [repr(row) for shelf in backend.shelves.values() for row in shelf.values()]
    return "\n".join(rows + [repr(o.record) for o in backend.outbox])


tokens = st.lists(
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=8, max_size=12).map(lambda s: f"Zq{s}"),
    min_size=2,
    max_size=3,
    unique=True,
)
digit_strings = st.lists(st.integers(10**8, 10**9 - 1).map(str), min_size=3, max_size=3, unique=True)


@pytest.mark.parametrize("url", URLS)
@settings(max_examples=25, deadline=None)
@given(names=tokens, digits=digit_strings, scores=st.lists(st.integers(0, 10), min_size=3, max_size=3))
def test_erasure_leaves_no_token_anywhere_and_every_figure_unchanged(
    url: str, names: list[str], digits: list[str], scores: list[int]
) -> None:
    store = _store(url)
    try:
        ids = [_history(store, i, token, digits[i], scores[i]) for i, token in enumerate(names)]
        before = _figures(store)
        text = _all_text(store)
        assert all(token in text for token in names) and digits[0] in text
        with store.unit_of_work(TENANT) as uow:
            request = erase_customer(uow, ids[0])
            uow.commit()
        assert request.status is ErasureStatus.COMPLETED and request.fields_erased > 0
        text = _all_text(store)
        assert names[0] not in text and names[0].lower() not in text and digits[0] not in text
        assert all(token in text for token in names[1:])  # only that customer is erased
        assert pseudonym(TENANT, ids[0]) in text
        assert _figures(store) == before
        snapshot = text
        with store.unit_of_work(TENANT) as uow:
            again = erase_customer(uow, ids[0])
            uow.commit()
        assert again.version == request.version and again.fields_erased == request.fields_erased
        assert _all_text(store) == snapshot  # the second erasure changes nothing
    finally:
        store.close()


@pytest.fixture(params=URLS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = _store(request.param)
    yield s
    s.close()


def test_outbox_events_about_the_customer_are_rewritten_in_the_same_transaction(store: Store) -> None:
    cid = _history(store, 0, "ZqOUTBOXNAME", "123456789", 9)
    pending = [e.payload for e in store.backend.pending_events(TENANT, 10_000)]
    with store.unit_of_work(TENANT) as uow:
        request = erase_customer(uow, cid)
        assert request.events_rewritten > 0
        uow.rollback()  # not committed: the outbox is as it was
    assert [e.payload for e in store.backend.pending_events(TENANT, 10_000)] == pending


def test_retention_defers_open_contracts_and_refuses_when_told(store: Store) -> None:
    cid = _history(store, 0, "ZqKEPTNAME", "123456789", 7)
    refuse = RetentionRule(mode=RetentionMode.REFUSE)
    with store.unit_of_work(TENANT) as uow, pytest.raises(PolicyViolation, match="contract ct-0"):
        erase_customer(uow, cid, retention=refuse)
    with store.unit_of_work(TENANT) as uow:
        assert uow.erasure_requests.find(erasure_request_id(TENANT, cid)) is None  # nothing staged
        assert uow.customers.get(cid).name == "ZqKEPTNAME Ltd"
        request = erase_customer(uow, cid, retention=RetentionRule())
        uow.commit()
    assert request.status is ErasureStatus.DEFERRED
    assert [(h.record_id, h.reason) for h in request.holds] == [("ct-0", "contract not fully paid")]
    with store.unit_of_work(TENANT) as uow:
        assert uow.contracts.get("ct-0").account_name == "ZqKEPTNAME Ltd"
        assert uow.customers.get(cid).name == pseudonym(TENANT, cid)
        contract = uow.contracts.get("ct-0")
        receive_payment(uow, "ct-0", contract.amount, payment_id="pay-1", reference="paid by ZqKEPTNAME")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        request = erase_customer(uow, cid, retention=RetentionRule())
        uow.commit()
    assert request.status is ErasureStatus.DEFERRED
    assert request.holds[0].until == date(2036, 1, 5) and "10 years" in request.holds[0].reason
    with store.unit_of_work(TENANT) as uow:
        request = erase_customer(uow, cid, retention=RetentionRule(), at=datetime(2036, 1, 5, tzinfo=UTC))
        uow.commit()
    assert request.status is ErasureStatus.COMPLETED and request.holds == []
    assert "ZqKEPTNAME" not in _all_text(store)


def test_an_unknown_customer_is_not_found(store: Store) -> None:
    with store.unit_of_work(TENANT) as uow, pytest.raises(NotFound):
        erase_customer(uow, "nobody")


def test_retention_years_must_be_non_negative() -> None:
    with pytest.raises(ValueError, match="invoice_years"):
        RetentionRule(invoice_years=-1)
    assert RetentionRule(invoice_years=0).invoice_years == Decimal(0)
