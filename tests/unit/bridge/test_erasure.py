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
from bizrel.adapters.store import Store
from bizrel.bridge import (
    ErasureStatus,
    RetentionMode,
    RetentionRule,
    erase_customer,
    erasure_request_id,
    pseudonym,
)
from bizrel.core import Money
from bizrel.core.errors import NotFound, PolicyViolation
from bizrel.customer.loyalty.services import program_liability
from bizrel.customer.satisfaction import nps
from bizrel.sales import issue_statement, target_attainment
from bizrel.sales.performance_services import receive_payment
from tests.unit.histories import Q1, SEGMENTS, TENANT, URLS, history, make_store


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


@pytest.mark.rule(
    "with what: one pseudonym per customer, `erased:` and 20 hex digits of a SHA-256 of tenant and "
    "customer id (`pseudonym(tenant, customer_id)`): stable, not reversible to the data."
)
@pytest.mark.rule("A field whose own validation refuses it (an email, a phone) is emptied instead.")
@pytest.mark.parametrize("url", URLS)
@settings(max_examples=25, deadline=None)
@given(names=tokens, digits=digit_strings, scores=st.lists(st.integers(0, 10), min_size=3, max_size=3))
def test_erasure_leaves_no_token_anywhere_and_every_figure_unchanged(
    url: str, names: list[str], digits: list[str], scores: list[int]
) -> None:
    store = make_store(url)
    try:
        ids = [history(store, i, token, digits[i], scores[i]) for i, token in enumerate(names)]
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
        with store.unit_of_work(TENANT) as uow:  # an email or phone cannot hold a pseudonym: emptied
            assert [(c.email, c.phone) for c in uow.customers.get(ids[0]).contacts] == [(None, None)]
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
    s = make_store(request.param)
    yield s
    s.close()


def test_outbox_events_about_the_customer_are_rewritten_in_the_same_transaction(store: Store) -> None:
    cid = history(store, 0, "ZqOUTBOXNAME", "123456789", 9)
    pending = [e.payload for e in store.backend.pending_events(TENANT, 10_000)]
    with store.unit_of_work(TENANT) as uow:
        request = erase_customer(uow, cid)
        assert request.events_rewritten > 0
        uow.rollback()  # not committed: the outbox is as it was
    assert [e.payload for e in store.backend.pending_events(TENANT, 10_000)] == pending


@pytest.mark.rule(
    "A `RetentionRule` keeps records that must be kept: a contract not fully paid (`keep_open_contracts`) "
    "and a contract whose last invoice is younger than `invoice_years` (default 10)."
)
def test_retention_defers_open_contracts_and_refuses_when_told(store: Store) -> None:
    cid = history(store, 0, "ZqKEPTNAME", "123456789", 7)
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


class _WithMorePersonalFields:
    """A unit of work whose registry marks one more field personal (as a newly registered one would be)."""

    def __init__(self, uow: Any, extra: str) -> None:
        self._uow = uow
        self.personal_fields = uow.personal_fields | {extra}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)


def test_a_newly_registered_personal_field_is_erased_without_touching_the_service(store: Store) -> None:
    cid = history(store, 0, "ZqNEWFIELD", "123456789", 8)
    with store.unit_of_work(TENANT) as uow:
        assert uow.opportunities.get("opp-0").source == "web"  # a code today, not personal
        erase_customer(_WithMorePersonalFields(uow, "sales.pipeline.Opportunity.source"), cid)
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        assert uow.opportunities.get("opp-0").source == pseudonym(TENANT, cid)
