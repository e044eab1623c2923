"""Leads: normalization, duplicates and merge, scoring, assignment, conversion."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bizrel import sales
from bizrel.adapters import Store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import PolicyViolation, ValidationError
from bizrel.core.money import Money
from bizrel.sales import LeadConverted, LeadScoring, LeadStatus, Qualification
from bizrel.testing.fakes import EventSpy


def test_duplicates_and_merge_keep_history(store: Store, clock: FixedClock) -> None:
    with store.unit_of_work("t") as uow:
        sales.capture_lead(uow, id="a", name="Ann", source="web", email="ann@acme.com", company="Acme Inc")
        clock.advance(hours=1)
        sales.capture_lead(uow, id="b", name="Ann L", source="fair", email="ANN@acme.com ", phone="+1 212 555 0111")
        sales.capture_lead(uow, id="c", name="Bob", source="fair", company="ACME")
        sales.capture_lead(uow, id="d", name="Zed", source="web", email="zed@zed.io")
        uow.commit()
    with store.unit_of_work("t") as uow:
        dups = sales.lead_duplicates(uow, "a")
        assert [(d.id, d.on) for d in dups] == [("b", ("email",)), ("c", ("company",))]
        clock.advance(hours=1)
        survivor = sales.merge_leads(uow, "a", "b")
        uow.commit()
    assert survivor.phone == "+1 212 555 0111" and survivor.merged_from == ["b"]
    with store.unit_of_work("t") as uow:
        a, b = uow.leads.get("a"), uow.leads.get("b")
        assert [(n.lead_id, n.action) for n in a.history] == [("a", "captured"), ("b", "captured"), ("a", "merged")]
        assert b.status is LeadStatus.MERGED and b.merged_into == "a"
        assert [d.id for d in sales.lead_duplicates(uow, "a")] == ["c"]


def test_scoring_rules_are_documented_and_configurable(store: Store) -> None:
    scoring = LeadScoring(source_points={"referral": 15, "cold": -10}, qualify_at=70)
    with store.unit_of_work("t") as uow:
        sales.capture_lead(uow, id="a", name="A", source="referral", email="a@x.io")
        card = sales.qualify_lead(
            uow,
            "a",
            Qualification(budget=Money(100, "USD"), authority=True, need="crm", timeline=date(2026, 2, 1)),
            scoring,
        )
        assert card.total == 95 and dict(card.parts)["source:referral"] == 15
        assert uow.leads.get("a").status is LeadStatus.QUALIFIED
        sales.capture_lead(uow, id="b", name="B", source="cold", email="b@x.io")
        card = sales.qualify_lead(uow, "b", Qualification(need="maybe", timeline=date(2027, 1, 1)), scoring)
        assert card.total == 15 and uow.leads.get("b").status is LeadStatus.NEW


def test_assignment_round_robin_territory_capacity(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        sales.create_assignment_rule(uow, id="rr", name="rr", strategy="round_robin", reps=["ana", "bo"])
        sales.create_assignment_rule(
            uow, id="geo", name="geo", strategy="territory", reps=["ana"], territories={"EU": ["eve", "emil"]}
        )
        sales.create_assignment_rule(
            uow, id="cap", name="cap", strategy="capacity", reps=["ana", "bo"], capacities={"ana": 2, "bo": 1}
        )
        for i in range(9):
            sales.capture_lead(uow, id=f"l{i}", name=f"L{i}", source="web", territory="EU" if i in (3, 4) else "US")
        uow.commit()
    with store.unit_of_work("t") as uow:
        owners = [sales.assign_lead(uow, f"l{i}", "rr").holding.owner_id for i in range(3)]
        owners += [sales.assign_lead(uow, f"l{i}", "geo").holding.owner_id for i in (3, 4, 5)]
        uow.commit()
    assert owners == ["ana", "bo", "ana", "eve", "emil", "ana"]
    # ana holds 3 already (over her capacity 2), bo holds 1 (his capacity): nobody is free
    with store.unit_of_work("t") as uow, pytest.raises(PolicyViolation, match="capacity"):
        sales.assign_lead(uow, "l6", "cap")
    with store.unit_of_work("t") as uow:
        sales.create_assignment_rule(
            uow,
            id="cap2",
            name="cap2",
            strategy="capacity",
            reps=["ana", "bo", "cy"],
            capacities={"ana": 10, "bo": 10, "cy": 4},
        )
        got = [sales.assign_lead(uow, f"l{i}", "cap2").holding.owner_id for i in (6, 7, 8)]
        assert got == ["cy", "bo", "bo"]  # shares held: ana 3/10, bo 1/10 -> 2/10, cy 0/4 -> 1/4


def test_conversion_creates_account_contact_and_opportunity(store: Store, clock: FixedClock) -> None:
    spy = EventSpy(store.bus)
    with store.unit_of_work("t") as uow:
        sales.create_pipeline(uow, id="p", name="New", stages=[("A", "0.2"), ("B", "0.6")])
        sales.create_assignment_rule(uow, id="rr", name="rr", strategy="round_robin", reps=["ana"])
        sales.capture_lead(uow, id="a", name="Ann", source="web", company="Acme Inc", email="ann@acme.com")
        sales.capture_lead(uow, id="b", name="Bob", source="event", company="ACME")
        uow.commit()
    with store.unit_of_work("t") as uow:
        with pytest.raises(PolicyViolation, match="claim or assign"):
            sales.convert_lead(uow, "a", pipeline_id="p", amount=Money(10, "USD"), expected_close=date(2026, 3, 1))
        sales.assign_lead(uow, "a", "rr")
        sales.assign_lead(uow, "b", "rr")
        with pytest.raises(ValidationError, match="before the creation date"):
            sales.convert_lead(
                uow,
                "a",
                pipeline_id="p",
                amount=Money(10, "USD"),
                expected_close=clock.now().date() - timedelta(days=1),
            )
        first = sales.convert_lead(
            uow,
            "a",
            pipeline_id="p",
            amount=Money(10, "USD"),
            expected_close=date(2026, 3, 1),
            domain="https://www.acme.com/about",
        )
        second = sales.convert_lead(uow, "b", pipeline_id="p", amount=Money(20, "USD"), expected_close=date(2026, 3, 1))
        uow.commit()
    assert second.account.id == first.account.id  # same normalized company name
    with store.unit_of_work("t") as uow:
        account = uow.accounts.get(first.account.id)
        assert account.domain == "acme.com" and [c.name for c in account.contacts] == ["Ann", "Bob"]
        opp = uow.opportunities.get(first.opportunity.id)
        assert (opp.account_id, opp.contact_id, opp.source, opp.lead_id) == (account.id, first.contact.id, "web", "a")
        assert uow.leads.get("a").status is LeadStatus.CONVERTED
        assert uow.accounts.count() == 1 and uow.opportunities.count() == 2
    assert [e.lead_id for e in spy.of_type(LeadConverted)] == ["a", "b"]  # type: ignore[attr-defined]


def test_bad_lead_input(store: Store) -> None:
    with store.unit_of_work("t") as uow:
        with pytest.raises(ValidationError, match="email"):
            sales.capture_lead(uow, name="x", source="web", email="not-an-email")
        with pytest.raises(ValidationError, match="phone"):
            sales.capture_lead(uow, name="x", source="web", phone="12")
        with pytest.raises(ValidationError, match="source"):
            sales.capture_lead(uow, name="x", source=" ")
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert uow.leads.count() == 0
