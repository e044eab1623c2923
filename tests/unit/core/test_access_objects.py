"""Access beyond opportunities: customers, interactions, targets, commission lines and invoices,
their figures and exports for every role, and `bizrel export`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bizrel.adapters.store import Store
from bizrel.bridge.access import invoiced_total, visible_invoices
from bizrel.cli.main import main
from bizrel.core import Money
from bizrel.core.access import Action, Actor, ObjectKind, Role, allowed
from bizrel.core.errors import PolicyViolation
from bizrel.customer.access import visible_customers, visible_interactions
from bizrel.sales import issue_statement
from bizrel.sales.access import commission_total, pipeline_value, visible_statements, visible_targets
from bizrel.schemas import EXPORTS
from tests.unit.histories import Q1, TENANT, URLS, history, make_store

USERS = ("rep-1", "rep-2", "cs-ana", "cs-ben", "ar-cleo", "boss")
ACTORS = [Actor(user, role, frozenset({"rep-2", "cs-ben"})) for role in Role for user in USERS]


def _populate(store: Store) -> None:
    for i, name in enumerate(("ZqALPHA", "ZqBRAVO", "ZqCHARLIE", "ZqDELTA")):
        history(store, i, name, f"55500000{i}", 5 + i)
    with store.unit_of_work(TENANT) as uow:
        for rep in ("rep-1", "rep-2"):
            issue_statement(uow, plan_id="plan", rep_id=rep, period=Q1)
        uow.commit()


@pytest.fixture(params=URLS, scope="module")
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = make_store(request.param)
    _populate(s)
    yield s
    s.close()


def _rows(kind: str, store: Store, actor: Actor) -> list[dict[str, str]]:
    out = io.StringIO()
    with store.unit_of_work(TENANT) as uow:
        EXPORTS[kind](uow, actor, out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: f"{a.role.name}-{a.user_id}")
def test_every_role_sees_lists_exports_and_aggregates_exactly_what_the_policy_allows(
    store: Store, actor: Actor
) -> None:
    with store.unit_of_work(TENANT) as uow:
        customers, interactions = uow.customers.list(), uow.interactions.list()
        statements, contracts = uow.commission_statements.list(), uow.contracts.list()
        roles = {h.opportunity_id: h.roles for h in uow.handoffs.list()}
        owner_of = {c.id: c.owner_id for c in customers}
        for action in Action:
            want = {c.id for c in customers if allowed(actor, ObjectKind.CUSTOMER, action, c.owner_id)}
            assert {c.id for c in visible_customers(uow, actor, action)} == want
            want = {
                i.id
                for i in interactions
                if allowed(actor, ObjectKind.INTERACTION, action, i.owner_id)
                or allowed(actor, ObjectKind.INTERACTION, action, owner_of[i.customer_id])
            }
            assert {i.id for i in visible_interactions(uow, actor, action)} == want
            want = {s.id for s in statements if allowed(actor, ObjectKind.COMMISSION_STATEMENT, action, s.rep_id)}
            assert {s.id for s in visible_statements(uow, actor, action)} == want
            want = {
                c.id
                for c in contracts
                if any(
                    allowed(actor, ObjectKind.INVOICE, action, owner)
                    for owner in (
                        c.owner_id,
                        roles[c.opportunity_id].cs_owner_id,
                        roles[c.opportunity_id].collections_owner_id,
                    )
                )
            }
            assert {c.id for c in visible_invoices(uow, actor, action)} == want
            want = {t.id for t in uow.targets.list() if allowed(actor, ObjectKind.TARGET, action, t.owner_id)}
            assert {t.id for t in visible_targets(uow, actor, action)} == want
        # figures: over the records the actor may aggregate, or refused outright
        agg = {
            s.rep_id: s.total
            for s in statements
            if allowed(actor, ObjectKind.COMMISSION_STATEMENT, Action.AGGREGATE, s.rep_id)
        }
        if allowed(actor, ObjectKind.COMMISSION_STATEMENT, Action.AGGREGATE, actor.user_id):
            assert commission_total(uow, actor, Q1, "EUR") == Money.total(agg.values(), "EUR")
        else:
            with pytest.raises(PolicyViolation, match="aggregate commission statement"):
                commission_total(uow, actor, Q1, "EUR")
        if allowed(actor, ObjectKind.INVOICE, Action.AGGREGATE, actor.user_id):
            seen = visible_invoices(uow, actor, Action.AGGREGATE)
            assert invoiced_total(uow, actor, "EUR") == Money.total((i.amount for c in seen for i in c.invoices), "EUR")
        else:
            with pytest.raises(PolicyViolation):
                invoiced_total(uow, actor, "EUR")
        if allowed(actor, ObjectKind.OPPORTUNITY, Action.AGGREGATE, actor.user_id):
            open_deals = [
                o
                for o in uow.opportunities.list(status="open")
                if allowed(actor, ObjectKind.OPPORTUNITY, Action.AGGREGATE, o.owner_id or None)
            ]
            assert pipeline_value(uow, actor, "EUR") == Money.total((o.amount for o in open_deals), "EUR")
        exported = {
            "customers": {c.id for c in visible_customers(uow, actor, Action.EXPORT)},
            "statement-lines": {s.id for s in visible_statements(uow, actor, Action.EXPORT) if s.lines},
            "invoices": {c.id for c in visible_invoices(uow, actor, Action.EXPORT) if c.invoices},
        }
    assert {r["id"] for r in _rows("customers", store, actor)} == exported["customers"]
    assert {r["statement_id"] for r in _rows("statement-lines", store, actor)} == exported["statement-lines"]
    assert {r["contract_id"] for r in _rows("invoices", store, actor)} == exported["invoices"]


def test_the_defaults_for_the_other_objects(store: Store) -> None:
    with store.unit_of_work(TENANT) as uow:
        customers = uow.customers.list()
        owners = {c.owner_id for c in customers}
        assert owners == {"cs-ana", "cs-ben"}  # both customer-success managers own someone
        for cs in owners:
            mine = visible_customers(uow, Actor(cs, Role.CUSTOMER_SUCCESS))
            assert mine and {c.owner_id for c in mine} == {cs}
        rep = Actor("rep-1", Role.SALES_REP, frozenset({"rep-2"}))  # a team on a rep changes nothing
        assert {s.rep_id for s in visible_statements(uow, rep)} == {"rep-1"}
        own = uow.commission_statements.list(rep_id="rep-1")[0].total
        everyone = Money.total((s.total for s in uow.commission_statements.list()), "EUR")
        assert commission_total(uow, rep, Q1, "EUR") == own != everyone
        assert commission_total(uow, Actor("lea", Role.TEAM_LEAD, {"rep-1", "rep-2"}), Q1, "EUR") == everyone
        assert len(visible_invoices(uow, Actor("ar-cleo", Role.COLLECTIONS))) == len(uow.contracts.list()) == 4
        assert visible_customers(uow, Actor("rep-1", Role.SALES_REP)) == []


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "crm.db"
    s = make_store(f"sqlite:///{path}")
    _populate(s)
    s.close()
    return str(path)


def test_bizrel_export_writes_what_the_actor_may_see(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "customers.csv"
    assert (
        main(
            [
                "export",
                "customers",
                "--db",
                db,
                "--tenant",
                TENANT,
                "--as",
                "customer_success:cs-ana",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert rows and {r["owner_id"] for r in rows} == {"cs-ana"}
    assert "exported as customer-success manager cs-ana" in capsys.readouterr().err
    assert main(["export", "statement-lines", "--db", db, "--tenant", TENANT, "--as", "sales rep:rep-2"]) == 0
    lines = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert lines and {r["rep_id"] for r in lines} == {"rep-2"}
    assert main(["export", "invoices", "--db", db, "--tenant", TENANT, "--as", "team-lead:lea", "--team", "rep-1"]) == 0
    invoices = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert invoices and {r["owner_id"] for r in invoices} == {"rep-1"}
    assert all(r["account_name"].startswith("Zq") for r in invoices)
    assert main(["export", "customers", "--db", db, "--tenant", TENANT, "--as", "intern:joe"]) == 1
    assert "--as" in capsys.readouterr().err
