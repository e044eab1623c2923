"""The access matrix (every role x object x action cell), visibility-filtered figures and exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizrel import open_store
from bizrel.core.access import POLICY, Action, Actor, ObjectKind, Role, Scope, allowed, check
from bizrel.core.clock import FixedClock
from bizrel.core.errors import PolicyViolation
from bizrel.core.money import Money
from bizrel.sales import create_pipeline, open_opportunity
from bizrel.sales.access import reassign_opportunity, visible_opportunities
from bizrel.schemas import export_opportunities, neutralize

CELLS = list(product(Role, ObjectKind, Action))
OWNERS = {"self": "u1", "teammate": "u2", "stranger": "u9", "pool": None}
ME = {role: Actor("u1", role, frozenset({"u2"})) for role in Role}


def expected(granted: Scope, kind: ObjectKind, whose: str) -> bool:
    if granted is Scope.ALL:
        return True
    if granted is Scope.NONE:
        return False
    if whose == "pool":
        return kind in (ObjectKind.LEAD, ObjectKind.OPPORTUNITY)
    return whose == "self" or (whose == "teammate" and granted is Scope.TEAM)


def test_the_policy_covers_every_cell() -> None:
    assert len(CELLS) == 252 and set(POLICY) == set(CELLS)


@pytest.mark.parametrize(("role", "kind", "action"), CELLS, ids=lambda v: str(v).replace(" ", "_"))
def test_access_matrix_cell(role: Role, kind: ObjectKind, action: Action) -> None:
    actor = ME[role]
    granted = POLICY[role, kind, action]
    for whose, owner in OWNERS.items():
        want = expected(granted, kind, whose)
        assert allowed(actor, kind, action, owner) is want, (whose, granted)
        if want:
            check(actor, kind, action, owner)
        else:
            with pytest.raises(PolicyViolation) as raised:
                check(actor, kind, action, owner)
            assert f"{role.value} {action.value} {kind.value}" in str(raised.value)


def test_the_defaults_a_sales_organisation_expects() -> None:
    rep, lead, manager = ME[Role.SALES_REP], ME[Role.TEAM_LEAD], ME[Role.SALES_MANAGER]
    assert allowed(rep, ObjectKind.OPPORTUNITY, Action.READ, None)  # the pool
    assert not allowed(rep, ObjectKind.OPPORTUNITY, Action.READ, "u2")
    assert not allowed(rep, ObjectKind.OPPORTUNITY, Action.REASSIGN, "u1")
    assert allowed(lead, ObjectKind.OPPORTUNITY, Action.REASSIGN, "u2")
    assert allowed(manager, ObjectKind.OPPORTUNITY, Action.UPDATE, "u9")
    for action in Action:  # not even through a team total
        assert not allowed(rep, ObjectKind.COMMISSION_STATEMENT, action, "u2")
    assert allowed(ME[Role.CUSTOMER_SUCCESS], ObjectKind.CUSTOMER, Action.READ, "u1")
    assert not allowed(ME[Role.CUSTOMER_SUCCESS], ObjectKind.CUSTOMER, Action.READ, "u9")
    assert not allowed(ME[Role.CUSTOMER_SUCCESS], ObjectKind.OPPORTUNITY, Action.READ, "u1")


@pytest.mark.parametrize("url", ["memory://", "sqlite://"])
@settings(max_examples=25, deadline=None)
@given(
    owners=st.lists(st.sampled_from(["u1", "u2", "u9"]), max_size=12),
    role=st.sampled_from(list(Role)),
    account=st.sampled_from(["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain"]),
)
@pytest.mark.rule(
    "Figures are computed over `visible(...)` (for opportunities: "
    "`bizrel.sales.access.visible_opportunities`), never over the whole table."
)
@pytest.mark.rule(
    "`bizrel.schemas.export_opportunities(uow, actor, out)` writes the opportunities the actor may `export` as CSV."
)
@pytest.mark.rule(
    "Every cell beginning with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with `'` "
    "(`neutralize`), so a spreadsheet never evaluates it."
)
def test_figures_and_exports_cover_exactly_what_the_actor_may_see(
    url: str, owners: list[str], role: Role, account: str
) -> None:
    actor = ME[role]
    with open_store(url, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC))) as store, store.unit_of_work("t") as uow:
        create_pipeline(uow, name="p", stages=[("Open", "0.5")], id="p")
        for i, owner in enumerate(owners):
            open_opportunity(
                uow,
                pipeline_id="p",
                owner_id=owner,
                account_name=account,
                amount=Money(i + 1, "USD"),
                expected_close=date(2026, 3, 1),
                id=f"o{i}",
            )
        uow.commit()
        seen = visible_opportunities(uow, actor)
        want = [f"o{i}" for i, o in enumerate(owners) if allowed(actor, ObjectKind.OPPORTUNITY, Action.LIST, o)]
        assert sorted(o.id for o in seen) == sorted(want)
        value = Money.total((o.amount for o in seen), "USD")
        assert value == Money(sum(int(i[1:]) + 1 for i in want), "USD")
        out = io.StringIO()
        exported = export_opportunities(uow, actor, out)
        rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
        assert exported == len(rows)
        assert sorted(r[0] for r in rows) == sorted(
            f"o{i}" for i, o in enumerate(owners) if allowed(actor, ObjectKind.OPPORTUNITY, Action.EXPORT, o)
        )
        for row in rows:
            assert row[3] == neutralize(account) and not row[3].startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("url", ["memory://", "sqlite://"])
def test_reassignment_moves_access_in_the_same_unit_of_work(url: str) -> None:
    a, b = Actor("a", Role.SALES_REP), Actor("b", Role.SALES_REP)
    lead = Actor("l", Role.TEAM_LEAD, frozenset({"a", "b"}))
    with open_store(url, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC))) as store, store.unit_of_work("t") as uow:
        create_pipeline(uow, name="p", stages=[("Open", "0.5")], id="p")
        open_opportunity(
            uow,
            pipeline_id="p",
            owner_id="a",
            account_name="X",
            amount=Money(5, "USD"),
            expected_close=date(2026, 3, 1),
            id="o",
        )
        uow.commit()
        with pytest.raises(PolicyViolation, match="sales rep reassign opportunity"):
            reassign_opportunity(uow, a, "o", "b")
        reassign_opportunity(uow, lead, "o", "b")
        assert [o.id for o in visible_opportunities(uow, a)] == []
        assert [o.id for o in visible_opportunities(uow, b)] == ["o"]
        uow.commit()
        with store.unit_of_work("t") as fresh:
            assert fresh.opportunities.get("o").owner_id == "b"
