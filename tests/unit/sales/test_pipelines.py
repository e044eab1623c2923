"""Standardized pipelines: exit criteria, transitions, rollback, lost reasons, and refused input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bizrel import sales
from bizrel.adapters import Store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import InvariantViolation, NotFound, PolicyViolation, ValidationError
from bizrel.core.money import Money
from bizrel.sales import ExitCriteria, Stage

STAGES = [
    Stage("Qualify", "0.1", ExitCriteria(fields=("budget_owner",), activities=("call",))),
    Stage("Propose", "0.5", ExitCriteria(approval=True)),
    Stage("Negotiate", "0.8", ExitCriteria(fields=("contact_id",))),
]


def _setup(store: Store, **pipeline_kw: object) -> None:
    with store.unit_of_work("t") as uow:
        sales.create_pipeline(uow, id="p", name="New", stages=STAGES, lost_reasons=["price", "timing"], **pipeline_kw)  # type: ignore[arg-type]
        sales.open_opportunity(
            uow,
            id="o",
            pipeline_id="p",
            owner_id="ana",
            account_name="Acme",
            amount=Money(1000, "USD"),
            expected_close=date(2026, 3, 1),
        )
        uow.commit()


def test_exit_criteria_are_enforced_in_order_and_name_what_is_missing(store: Store, clock: FixedClock) -> None:
    _setup(store)
    with store.unit_of_work("t") as uow:
        with pytest.raises(PolicyViolation, match="budget_owner") as err:
            sales.advance_opportunity(uow, "o", "Propose")
        assert err.value.policy == "exit_criteria.field"
    with store.unit_of_work("t") as uow:
        uow.opportunities.get("o").fields["budget_owner"] = "CFO"
        uow.commit()
    with store.unit_of_work("t") as uow:
        with pytest.raises(PolicyViolation, match="'call'"):
            sales.advance_opportunity(uow, "o", "Propose")
        sales.log_activity(uow, kind="email", subject="intro", owner_id="ana", opportunity_id="o")
        with pytest.raises(PolicyViolation, match="'call'"):
            sales.advance_opportunity(uow, "o", "Propose")
        sales.log_activity(uow, kind="call", subject="discovery", owner_id="ana", opportunity_id="o")
        clock.advance(days=2)
        sales.advance_opportunity(uow, "o", "Propose", by="ana")
        uow.commit()
    with store.unit_of_work("t") as uow:
        with pytest.raises(PolicyViolation, match="approval"):
            sales.win_opportunity(uow, "o")
        # skipping Negotiate still needs the criteria of every stage left behind
        sales.approve_stage(uow, "o", "Propose", approved_by="boss")
        with pytest.raises(PolicyViolation, match="contact_id"):
            sales.win_opportunity(uow, "o")
    with store.unit_of_work("t") as uow:
        opp = uow.opportunities.get("o")
        assert [c.stage for c in opp.history] == ["Qualify", "Propose"]
        assert opp.approvals == []  # the approval above was never committed
        assert uow.activities.count(opportunity_id="o") == 2


def test_refused_advance_persists_nothing(store: Store) -> None:
    _setup(store)
    with store.unit_of_work("t") as uow:
        with pytest.raises(PolicyViolation):
            sales.advance_opportunity(uow, "o", "Negotiate")
        uow.commit()
    with store.unit_of_work("t") as uow:
        opp = uow.opportunities.get("o")
        assert opp.stage == "Qualify" and len(opp.history) == 1 and opp.version == 1


def test_transition_graph_and_rollback_policy(store: Store, clock: FixedClock) -> None:
    plain = [("A", "0.1"), ("B", "0.4"), ("C", "0.7")]
    with store.unit_of_work("t") as uow:
        sales.create_pipeline(uow, id="g", name="G", stages=plain, transitions={"A": ["B"]}, rollback="forbidden")
        sales.create_pipeline(uow, id="r", name="R", stages=plain, rollback="reason")
        for pid in ("g", "r"):
            sales.open_opportunity(
                uow,
                id=pid + "1",
                pipeline_id=pid,
                owner_id="a",
                account_name="X",
                amount=Money(5, "USD"),
                expected_close=date(2026, 2, 1),
            )
        uow.commit()
    with store.unit_of_work("t") as uow:
        with pytest.raises(PolicyViolation, match="allowed"):
            sales.advance_opportunity(uow, "g1", "C")
        sales.advance_opportunity(uow, "g1", "B")
        with pytest.raises(PolicyViolation, match="forbidden"):
            sales.move_opportunity(uow, "g1", "A", reason="oops")
        sales.advance_opportunity(uow, "r1", "C")
        with pytest.raises(PolicyViolation, match="needs a reason"):
            sales.move_opportunity(uow, "r1", "A")
        clock.advance(hours=1)
        sales.move_opportunity(uow, "r1", "A", reason="budget frozen", by="mgr")
        uow.commit()
    with store.unit_of_work("t") as uow:
        history = uow.opportunities.get("r1").history
        assert [(c.stage, c.reason) for c in history] == [("A", None), ("C", None), ("A", "budget frozen")]


def test_lost_reasons_come_from_the_list(store: Store) -> None:
    _setup(store)
    with store.unit_of_work("t") as uow:
        with pytest.raises(ValidationError, match="lost reasons"):
            sales.lose_opportunity(uow, "o", "aliens")
        sales.lose_opportunity(uow, "o", "price")
        uow.commit()
    with store.unit_of_work("t") as uow:
        opp = uow.opportunities.get("o")
        assert opp.lost_reason == "price"
        with pytest.raises(InvariantViolation):
            sales.win_opportunity(uow, "o")


def _open(uow: sales.SalesUnitOfWork, **overrides: object) -> None:
    fields: dict[str, object] = {
        "pipeline_id": "p",
        "owner_id": "a",
        "account_name": "X",
        "amount": Money(1, "USD"),
        "expected_close": date(2026, 3, 1),
    }
    sales.open_opportunity(uow, **(fields | overrides))  # type: ignore[arg-type]


@pytest.mark.rule(
    "Refused input raises a specific error (`ValidationError`, `PolicyViolation`, `NotFound`, ...) before "
    "anything is staged."
)
def test_bad_input_is_refused_and_nothing_is_persisted(store: Store, clock: FixedClock) -> None:
    _setup(store)
    with store.unit_of_work("t") as uow:
        with pytest.raises(NotFound):
            _open(uow, pipeline_id="nope")
        with pytest.raises(ValidationError, match="not a stage"):
            _open(uow, stage="Nope")
        with pytest.raises(ValidationError, match="before the creation date"):
            _open(uow, expected_close=clock.now().date() - timedelta(days=1))
        with pytest.raises(ValidationError, match="not a stage"):
            sales.advance_opportunity(uow, "o", "Nope")
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert uow.opportunities.count() == 1


def test_forecast_override_and_kind(store: Store) -> None:
    _setup(store, kind="renewal")
    with store.unit_of_work("t") as uow:
        opp = sales.override_forecast_category(uow, "o", "commit")
        assert opp.kind is sales.PipelineKind.RENEWAL
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert uow.opportunities.get("o").forecast_override is sales.ForecastCategory.COMMIT


DOC_STAGES = [("Qualify", "0.1"), ("Propose", "0.5"), ("Negotiate", "0.8")]


@pytest.mark.rule(
    "Every move back obeys the rollback policy, whether or not `transitions` lists it: with "
    '`rollback="reason"` it needs a written reason, with `"forbidden"` it is refused.'
)
@pytest.mark.parametrize("listed", [True, False], ids=["listed-in-transitions", "not-listed"])
def test_every_move_back_obeys_the_rollback_policy_even_when_the_graph_lists_it(
    store: Store, clock: FixedClock, listed: bool
) -> None:
    """The docs' own pipeline: transitions={"Negotiate": ["Propose"]}, rollback="reason"."""
    transitions = {"Negotiate": ["Propose"]} if listed else {}
    with store.unit_of_work("t") as uow:
        for pid, policy in (("r", "reason"), ("f", "forbidden"), ("a", "allowed")):
            sales.create_pipeline(uow, id=pid, name=pid, stages=DOC_STAGES, transitions=transitions, rollback=policy)
            sales.open_opportunity(
                uow,
                id=pid + "1",
                pipeline_id=pid,
                owner_id="a",
                account_name="X",
                amount=Money(5, "USD"),
                expected_close=date(2026, 2, 1),
                stage="Negotiate",
            )
        uow.commit()
    clock.advance(hours=1)
    with store.unit_of_work("t") as uow:
        for blank in (None, "", "   "):
            with pytest.raises(PolicyViolation, match="needs a reason") as refused:
                sales.move_opportunity(uow, "r1", "Propose", reason=blank)
            assert refused.value.policy == "pipeline.rollback"
        with pytest.raises(PolicyViolation, match="forbidden") as refused:
            sales.move_opportunity(uow, "f1", "Propose", reason="the customer asked")
        assert refused.value.policy == "pipeline.rollback"
        sales.move_opportunity(uow, "a1", "Propose")
        sales.move_opportunity(uow, "r1", "Propose", reason="budget frozen", by="mgr")
        uow.commit()
    with store.unit_of_work("t") as uow:
        assert [(c.stage, c.reason) for c in uow.opportunities.get("r1").history] == [
            ("Negotiate", None),
            ("Propose", "budget frozen"),
        ]
        assert uow.opportunities.get("f1").stage == "Negotiate"
        assert uow.opportunities.get("a1").stage == "Propose"
