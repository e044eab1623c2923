"""The persistence contract of customer analytics: surveys, responses, segments and snapshots.

Subclass `CustomerAnalyticsContract` next to `StoreContract` in a test module and implement
`open` the same way:

    class TestMyAdapterAnalytics(CustomerAnalyticsContract):
        def open(self, clock):
            return open_store("myadapter://...", clock=clock)
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizrel.adapters.store import Store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import NotFound, ValidationError, safe_repr
from bizrel.core.ids import TenantId
from bizrel.customer import (
    AllOf,
    AnyOf,
    AttributeIn,
    AttributeIs,
    DateBetween,
    HasTag,
    InHealthBand,
    InLifecycleStage,
    Not,
    Predicate,
    RfmScoreBetween,
    SegmentDefinition,
    SegmentSnapshot,
    SurveyKind,
    SurveyResponse,
    SurveyResponseRecorded,
    create_survey,
    record_response,
    save_segment,
    snapshot_segment,
)
from bizrel.customer.satisfaction import SCALES
from bizrel.testing.contracts import AdapterContract, fresh_tenant
from bizrel.testing.fakes import EventSpy
from bizrel.testing.strategies import aware_datetimes, ids, texts

__all__ = ["CustomerAnalyticsContract", "predicates", "survey_responses"]

_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
)


def _scalars() -> st.SearchStrategy[str | int | bool | Decimal | date]:
    return st.one_of(
        texts(20),
        st.integers(-(10**9), 10**9),
        st.booleans(),
        st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**6), max_value=10**6),
        st.dates(),
    )


def predicates() -> st.SearchStrategy[Predicate]:
    """Random rule trees over every predicate kind, nested with and / or / not."""
    leaves = st.one_of(
        st.builds(HasTag, texts(20)),
        st.builds(AttributeIs, texts(20), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), _scalars()),
        st.builds(AttributeIn, texts(20), st.lists(_scalars(), max_size=4).map(tuple)),
        st.builds(InLifecycleStage, st.lists(texts(12), min_size=1, max_size=3).map(tuple)),
        st.builds(InHealthBand, st.lists(st.sampled_from(["healthy", "watch", "at risk"]), min_size=1).map(tuple)),
        st.tuples(st.sampled_from(["r", "f", "m"]), st.integers(1, 5), st.integers(1, 5)).map(
            lambda t: RfmScoreBetween(t[0], min(t[1:]), max(t[1:]))  # type: ignore[arg-type]
        ),
        st.builds(DateBetween, st.sampled_from(["created_at", "last_purchase_at"]), st.dates(), st.none()),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda ps: AllOf(tuple(ps))),
            st.lists(inner, min_size=1, max_size=3).map(lambda ps: AnyOf(tuple(ps))),
            inner.map(Not),
        ),
        max_leaves=8,
    )


@st.composite
def survey_responses(draw: st.DrawFn, tenant_id: str = "t1") -> SurveyResponse:
    kind = draw(st.sampled_from(list(SurveyKind)))
    low, high = SCALES[kind]
    return SurveyResponse(
        tenant_id=TenantId(tenant_id),
        id=draw(ids()),
        survey_id=draw(ids()),
        kind=kind,
        customer_id=draw(ids()),
        score=draw(st.integers(low, high)),
        responded_at=draw(aware_datetimes()),
        comment=draw(st.none() | texts(200)),
    )


class CustomerAnalyticsContract(AdapterContract):
    """Customer analytics' part of the adapter contract: surveys, responses, segments."""

    def _survey(self, store: Store, tenant: str, kind: str = "nps") -> None:
        with store.unit_of_work(tenant) as uow:
            create_survey(uow, id="s", name="Relationship survey", kind=kind, question="Would you recommend us?")
            uow.commit()

    # -- surveys and responses --------------------------------------------------------------------

    @_SETTINGS
    @given(data=st.data())
    def test_any_response_round_trips_exactly(self, store: Store, data: st.DataObject) -> None:
        tenant = fresh_tenant()
        response = data.draw(survey_responses(tenant))
        with store.unit_of_work(tenant) as uow:
            uow.survey_responses.add(response)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.survey_responses.get(response.id) == response

    def test_responses_are_queryable_by_survey_customer_and_score(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._survey(store, tenant)
        with store.unit_of_work(tenant) as uow:
            for i, score in enumerate([10, 9, 6, 3, 8]):
                clock.advance(hours=1)
                record_response(uow, id=f"r{i}", survey_id="s", customer_id=f"c{i % 2}", score=score)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.survey_responses.count(survey_id="s") == 5
            assert [r.id for r in uow.survey_responses.list(customer_id="c0", order_by="responded_at")] == [
                "r0",
                "r2",
                "r4",
            ]
            assert uow.survey_responses.count(score=6) == 1

    def test_response_event_is_published_after_commit(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._survey(store, tenant)
        spy = EventSpy(store.bus, SurveyResponseRecorded)
        with store.unit_of_work(tenant) as uow:
            record_response(uow, id="r", survey_id="s", customer_id="c", score=2, comment="slow support")
            assert spy.events == []
            uow.commit()
        [event] = spy.events
        assert isinstance(event, SurveyResponseRecorded)
        assert (event.customer_id, event.score, event.kind) == ("c", 2, SurveyKind.NPS)

    @pytest.mark.parametrize(("kind", "score"), [("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("ces", 8)])
    def test_out_of_range_score_is_refused_and_nothing_is_stored(self, store: Store, kind: str, score: int) -> None:
        tenant = fresh_tenant()
        self._survey(store, tenant, kind)
        with store.unit_of_work(tenant) as uow:
            with pytest.raises(ValidationError) as info:
                record_response(uow, id="r", survey_id="s", customer_id="c", score=score)
            assert (info.value.field, info.value.value) == ("score", safe_repr(score))
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.survey_responses.count() == 0

    def test_response_to_an_unknown_survey_is_not_found(self, store: Store) -> None:
        tenant = fresh_tenant()
        with store.unit_of_work(tenant) as uow:
            with pytest.raises(NotFound):
                record_response(uow, survey_id="nope", customer_id="c", score=9)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.survey_responses.count() == 0

    def test_response_dated_after_now_is_refused(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        self._survey(store, tenant)
        with store.unit_of_work(tenant) as uow, pytest.raises(ValidationError) as info:
            record_response(uow, survey_id="s", customer_id="c", score=9, at=clock.now() + timedelta(seconds=1))
        assert info.value.field == "at"

    # -- segments and snapshots -------------------------------------------------------------------

    @_SETTINGS
    @given(data=st.data())
    def test_any_rule_tree_round_trips_exactly(self, store: Store, data: st.DataObject) -> None:
        tenant = fresh_tenant()
        rule = data.draw(predicates())
        with store.unit_of_work(tenant) as uow:
            save_segment(uow, id="seg", name="generated", rule=rule)
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            stored = uow.segments.get("seg")
            assert isinstance(stored, SegmentDefinition)
            assert stored.rule == rule

    def test_snapshots_record_membership_over_time(self, store: Store, clock: FixedClock) -> None:
        tenant = fresh_tenant()
        customers = [
            {"id": "a", "tags": ["vip"], "lifecycle_stage": "active"},
            {"id": "b", "tags": ["vip"], "lifecycle_stage": "churned"},
            {"id": "c", "tags": [], "lifecycle_stage": "active"},
        ]
        with store.unit_of_work(tenant) as uow:
            save_segment(uow, id="vip", name="Active VIPs", rule=HasTag("vip") & ~InLifecycleStage(("churned",)))
            snapshot_segment(uow, "vip", customers, id="snap1")
            uow.commit()
        clock.advance(days=30)
        customers[2]["tags"] = ["vip"]
        customers[0]["lifecycle_stage"] = "churned"
        with store.unit_of_work(tenant) as uow:
            snapshot_segment(uow, "vip", customers, id="snap2")
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            first, second = uow.segment_snapshots.list(segment_id="vip", order_by="as_of")
            assert isinstance(first, SegmentSnapshot) and isinstance(second, SegmentSnapshot)
            assert (first.member_ids, second.member_ids) == (("a",), ("c",))
            assert second.as_of - first.as_of == timedelta(days=30)
            change = second.changes_since(first)
            assert (change.joined, change.left) == (("c",), ("a",))

    def test_snapshot_of_an_unknown_segment_is_not_found(self, store: Store) -> None:
        tenant = fresh_tenant()
        with store.unit_of_work(tenant) as uow:
            with pytest.raises(NotFound):
                snapshot_segment(uow, "nope", [])
            uow.commit()
        with store.unit_of_work(tenant) as uow:
            assert uow.segment_snapshots.count() == 0

    def test_another_tenants_segment_is_not_found(self, store: Store) -> None:
        mine, theirs = fresh_tenant(), fresh_tenant()
        with store.unit_of_work(mine) as uow:
            save_segment(uow, id="seg", name="Tagged", rule=HasTag("x"))
            uow.commit()
        with store.unit_of_work(theirs) as uow:
            assert uow.segments.find("seg") is None
            assert uow.segments.count() == 0
