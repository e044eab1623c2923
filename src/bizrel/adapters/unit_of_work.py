"""The one unit of work every adapter shares; backends differ only in their transactions.

It keeps an identity map of the aggregates it loaded or added, writes what changed on flush
(before a query, so queries see this unit's own changes, and on commit), checks versions, writes
recorded events to the outbox in the same transaction, and hands them to the bus after commit.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from bizrel.adapters import (
    tables,
    tables_bridge,
    tables_customer,
    tables_customer_analytics,
    tables_loyalty,
    tables_performance,
    tables_purchases,
    tables_security,
)
from bizrel.adapters.backend import Backend, OutboxRecord, Row, Transaction
from bizrel.adapters.codec import decode, encode, encode_event
from bizrel.adapters.personal_data import PERSONAL_DATA
from bizrel.adapters.schema import AggregateTable, portable_value, tenant_key
from bizrel.bridge import Handoff, OnboardingPlan, SalesSignal
from bizrel.bridge.erasure import ErasureRequest
from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import Clock
from bizrel.core.errors import InvariantViolation, NotFound, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.identity import IdentityRules
from bizrel.core.ids import TenantId, tenant
from bizrel.core.uow import Cmp
from bizrel.customer import (
    CarePlan,
    ContactLog,
    Customer,
    CustomerSettings,
    Interaction,
    Referral,
    SegmentDefinition,
    SegmentSnapshot,
    Subscription,
    Survey,
    SurveyResponse,
    TenantContactPolicy,
)
from bizrel.customer.loyalty import LoyaltyAccount, LoyaltyProgram
from bizrel.customer.purchases import Purchase
from bizrel.sales import (
    Account,
    Activity,
    AssignmentRule,
    CommissionAdjustment,
    CommissionPlan,
    CommissionStatement,
    Contract,
    ForecastSnapshot,
    Lead,
    Opportunity,
    PeriodReview,
    Pipeline,
    PoolMove,
    PoolPolicy,
    SalesOrganisation,
    Target,
)

if TYPE_CHECKING:
    from bizrel.adapters.store import Store

A = TypeVar("A", bound=Aggregate)


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def encode_body(aggregate: Aggregate) -> str:
    """The stored JSON body of an aggregate: ASCII only (NUL and lone surrogates as escapes), no version."""
    data = encode(aggregate)
    del data["version"]
    return _dumps(data)


def outbox_record(event: DomainEvent, *, dispatched: bool) -> OutboxRecord:
    """An event as the outbox stores it (`dispatched` when no handler needs to see it)."""
    type_name, payload = encode_event(event)
    return OutboxRecord(
        event_id=event.event_id,
        type_name=type_name,
        payload=_dumps(payload),
        occurred_at=portable_value(event.occurred_at),
        dispatched=dispatched,
    )


class _Tracked:
    __slots__ = ("aggregate", "body", "table")

    def __init__(self, table: AggregateTable, aggregate: Aggregate, body: str | None) -> None:
        self.table = table
        self.aggregate = aggregate
        self.body = body  # as last written or loaded; None while not yet inserted


class TableRepository(Generic[A]):
    """A Repository (bizrel.core.uow) over one aggregate table, inside one unit of work."""

    def __init__(self, uow: StoreUnitOfWork, table: AggregateTable) -> None:
        self._uow = uow
        self._table = table

    def get(self, id: str) -> A:
        found = self.find(id)
        if found is None:
            raise NotFound(self._table.kind, id)
        return found

    def find(self, id: str) -> A | None:
        uow = self._uow
        tracked = uow._seen.get((self._table.name, id))
        if tracked is not None:
            return tracked.aggregate  # type: ignore[return-value]
        loaded = uow._txn().load(self._table, uow._key, id)
        if loaded is None:
            return None
        version, body = loaded
        return self._track(id, version, body)

    def add(self, aggregate: A) -> None:
        self.add_many([aggregate])

    def add_many(self, aggregates: Sequence[A]) -> None:
        uow = self._uow
        for aggregate in aggregates:
            if not isinstance(aggregate, self._table.cls):
                raise ValidationError("aggregate", type(aggregate).__name__, f"expected {self._table.cls.__name__}")
            if aggregate.tenant_id != uow.tenant_id:
                raise ValidationError("tenant_id", aggregate.tenant_id, f"this unit of work is for {uow.tenant_id}")
            key = (self._table.name, aggregate.id)
            if key in uow._seen:
                raise ValidationError("id", aggregate.id, f"{self._table.kind} already in this unit of work")
            uow._seen[key] = _Tracked(self._table, aggregate, None)

    def list(self, *, order_by: str | None = None, limit: int | None = None, **filters: Any) -> builtins.list[A]:
        uow = self._uow
        uow.flush()
        rows = uow._txn().select(self._table, uow._key, self._filters(filters, order_by), order_by, limit)
        result: list[A] = []
        for id, version, body in rows:
            tracked = uow._seen.get((self._table.name, id))
            result.append(tracked.aggregate if tracked else self._track(id, version, body))  # type: ignore[arg-type]
        return result

    def count(self, **filters: Any) -> int:
        uow = self._uow
        uow.flush()
        return uow._txn().count(self._table, uow._key, self._filters(filters, None))

    def _filters(self, filters: dict[str, Any], order_by: str | None) -> builtins.list[tuple[str, Any]]:
        known = self._table.column_names
        for name in [*filters, *([order_by.lstrip("-")] if order_by else [])]:
            if name not in known:
                raise ValidationError("filter", name, f"not an indexed field of {self._table.kind}: {sorted(known)}")
        return [(name, self._normalized(value)) for name, value in filters.items()]

    def _normalized(self, condition: Any) -> Any:
        normalize = self._uow._normalize
        if isinstance(condition, Cmp):
            if condition.op == "in":
                return Cmp("in", tuple(normalize(v) for v in condition.value))
            return Cmp(condition.op, normalize(condition.value))
        return normalize(condition)

    def _track(self, id: str, version: int, body: str) -> A:
        data = json.loads(body)
        data["version"] = version
        aggregate: A = decode(self._table.cls, data)
        self._uow._seen[(self._table.name, id)] = _Tracked(self._table, aggregate, body)
        return aggregate


class StoreUnitOfWork:
    """Satisfies every context's unit-of-work protocol (see the repository properties below)."""

    def __init__(self, store: Store, tenant_id: str) -> None:
        self.tenant_id: TenantId = tenant(tenant_id)
        self._key = tenant_key(tenant_id)  # what the backend stores and binds
        self._store = store
        self._backend: Backend = store.backend
        self._transaction: Transaction | None = None
        self._seen: dict[tuple[str, str], _Tracked] = {}
        self._repos: dict[str, TableRepository[Any]] = {}
        self._normalize: Callable[[Any], Any] = store.normalize

    @property
    def clock(self) -> Clock:
        return self._store.clock

    # -- context manager --------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def _txn(self) -> Transaction:
        if self._transaction is None:
            self._transaction = self._backend.begin()
        return self._transaction

    def repository(self, table: AggregateTable) -> TableRepository[Any]:
        repo = self._repos.get(table.name)
        if repo is None:
            repo = self._repos[table.name] = TableRepository(self, table)
        return repo

    # -- writing ----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write pending inserts and changes into the open transaction."""
        inserts: dict[str, tuple[AggregateTable, list[tuple[_Tracked, Row]]]] = {}
        updates: dict[str, tuple[AggregateTable, list[tuple[_Tracked, Row]]]] = {}
        for tracked in self._seen.values():
            aggregate = tracked.aggregate
            body = encode_body(aggregate)
            if body == tracked.body:
                continue
            table = tracked.table
            new = tracked.body is None
            row = Row(
                id=aggregate.id,
                version=1 if new else aggregate.version + 1,
                body=body,
                columns=tuple(self._normalize(c.get(aggregate)) for c in table.columns),
                children=tuple(
                    tuple(tuple(self._normalize(v) for v in r) for r in child.rows(aggregate))
                    for child in table.children
                ),
            )
            target = inserts if new else updates
            target.setdefault(table.name, (table, []))[1].append((tracked, row))
        if not inserts and not updates:
            return
        txn = self._txn()
        for table, items in inserts.values():
            txn.insert(table, self._key, [row for _, row in items])
        for table, items in updates.values():
            txn.update(table, self._key, [row for _, row in items])
        for group in (*inserts.values(), *updates.values()):
            for tracked, row in group[1]:
                tracked.body = row.body
                tracked.aggregate.version = row.version

    def commit(self) -> None:
        try:
            self.flush()
            events: list[DomainEvent] = []
            for tracked in self._seen.values():
                events.extend(tracked.aggregate.collect_events())
            if events:
                self._txn().append_outbox(self._key, self._outbox(events))
            if self._transaction is not None:
                self._transaction.commit()
                self._transaction = None
        except BaseException:
            self.rollback()
            raise
        if events:
            self._store.deliver(self.tenant_id, events)

    def _outbox(self, events: list[DomainEvent]) -> list[OutboxRecord]:
        records = []
        for event in events:
            if event.tenant_id != self.tenant_id:
                raise InvariantViolation(
                    "event.tenant_id", event.tenant_id, f"event {type(event).__name__} belongs to another tenant"
                )
            records.append(outbox_record(event, dispatched=not self._store.bus.handlers_for(event)))
        return records

    def rewrite_outbox(
        self,
        rewrite: Callable[[str, dict[str, Any]], dict[str, Any] | None],
        *,
        mentioning: Collection[str] | None = None,
    ) -> int:
        """Rewrite stored event payloads of this tenant in this transaction (erasure); the number rewritten.

        With `mentioning`, only events whose payload contains one of those strings are decoded and
        passed on (a text search on the stored JSON, which escapes non-ASCII the same way).
        """
        self.flush()
        needles = None if mentioning is None else [json.dumps(m, ensure_ascii=True)[1:-1] for m in mentioning]

        def on_text(type_name: str, payload: str) -> str | None:
            if needles is not None and not any(n in payload for n in needles):
                return None
            new = rewrite(type_name, json.loads(payload))
            return None if new is None else _dumps(new)

        return self._txn().rewrite_outbox(self._key, on_text)

    def rollback(self) -> None:
        """Discard everything not committed; loaded aggregates are forgotten (they may be stale)."""
        if self._transaction is not None:
            transaction, self._transaction = self._transaction, None
            transaction.rollback()
        self._seen.clear()

    # -- repositories -----------------------------------------------------------------------------
    # One property per aggregate, so the class satisfies each context's protocol structurally.
    # Grouped by area; keep each area's properties under its own heading.

    # -- sales: pipeline and opportunities --

    @property
    def pipelines(self) -> TableRepository[Pipeline]:
        return self.repository(tables.PIPELINES)

    @property
    def opportunities(self) -> TableRepository[Opportunity]:
        return self.repository(tables.OPPORTUNITIES)

    # -- purchases --

    @property
    def purchases(self) -> TableRepository[Purchase]:
        return self.repository(tables_purchases.PURCHASES)

    # -- identity rules (both contexts) --

    @property
    def identity_rules(self) -> TableRepository[IdentityRules]:
        return self.repository(tables.IDENTITY_RULES)

    # -- customer management --

    @property
    def customers(self) -> TableRepository[Customer]:
        return self.repository(tables_customer.CUSTOMERS)

    @property
    def customer_settings(self) -> TableRepository[CustomerSettings]:
        return self.repository(tables_customer.CUSTOMER_SETTINGS)

    @property
    def interactions(self) -> TableRepository[Interaction]:
        return self.repository(tables_customer.INTERACTIONS)

    @property
    def care_plans(self) -> TableRepository[CarePlan]:
        return self.repository(tables_customer.CARE_PLANS)

    @property
    def contact_logs(self) -> TableRepository[ContactLog]:
        return self.repository(tables_customer.CONTACT_LOGS)

    @property
    def contact_policies(self) -> TableRepository[TenantContactPolicy]:
        return self.repository(tables_customer.CONTACT_POLICIES)

    @property
    def subscriptions(self) -> TableRepository[Subscription]:
        return self.repository(tables_customer.SUBSCRIPTIONS)

    @property
    def referrals(self) -> TableRepository[Referral]:
        return self.repository(tables_customer.REFERRALS)

    # customer analytics

    @property
    def surveys(self) -> TableRepository[Survey]:
        return self.repository(tables_customer_analytics.SURVEYS)

    @property
    def survey_responses(self) -> TableRepository[SurveyResponse]:
        return self.repository(tables_customer_analytics.SURVEY_RESPONSES)

    @property
    def segments(self) -> TableRepository[SegmentDefinition]:
        return self.repository(tables_customer_analytics.SEGMENT_DEFINITIONS)

    @property
    def segment_snapshots(self) -> TableRepository[SegmentSnapshot]:
        return self.repository(tables_customer_analytics.SEGMENT_SNAPSHOTS)

    # -- loyalty --

    @property
    def loyalty_programs(self) -> TableRepository[LoyaltyProgram]:
        return self.repository(tables_loyalty.LOYALTY_PROGRAMS)

    @property
    def loyalty_accounts(self) -> TableRepository[LoyaltyAccount]:
        return self.repository(tables_loyalty.LOYALTY_ACCOUNTS)

    # -- sales process --

    @property
    def leads(self) -> TableRepository[Lead]:
        return self.repository(tables.LEADS)

    @property
    def accounts(self) -> TableRepository[Account]:
        return self.repository(tables.ACCOUNTS)

    @property
    def activities(self) -> TableRepository[Activity]:
        return self.repository(tables.ACTIVITIES)

    @property
    def pools(self) -> TableRepository[PoolPolicy]:
        return self.repository(tables.POOLS)

    @property
    def pool_moves(self) -> TableRepository[PoolMove]:
        return self.repository(tables.POOL_MOVES)

    @property
    def assignment_rules(self) -> TableRepository[AssignmentRule]:
        return self.repository(tables.ASSIGNMENT_RULES)

    @property
    def forecast_snapshots(self) -> TableRepository[ForecastSnapshot]:
        return self.repository(tables.FORECAST_SNAPSHOTS)

    # -- sales performance --

    @property
    def organisations(self) -> TableRepository[SalesOrganisation]:
        return self.repository(tables_performance.ORGANISATIONS)

    @property
    def targets(self) -> TableRepository[Target]:
        return self.repository(tables_performance.TARGETS)

    @property
    def commission_plans(self) -> TableRepository[CommissionPlan]:
        return self.repository(tables_performance.COMMISSION_PLANS)

    @property
    def commission_statements(self) -> TableRepository[CommissionStatement]:
        return self.repository(tables_performance.COMMISSION_STATEMENTS)

    @property
    def commission_adjustments(self) -> TableRepository[CommissionAdjustment]:
        return self.repository(tables_performance.COMMISSION_ADJUSTMENTS)

    @property
    def period_reviews(self) -> TableRepository[PeriodReview]:
        return self.repository(tables_performance.PERIOD_REVIEWS)

    @property
    def contracts(self) -> TableRepository[Contract]:
        return self.repository(tables_performance.CONTRACTS)

    # -- bridge --

    @property
    def handoffs(self) -> TableRepository[Handoff]:
        return self.repository(tables_bridge.HANDOFFS)

    @property
    def onboarding_plans(self) -> TableRepository[OnboardingPlan]:
        return self.repository(tables_bridge.ONBOARDING_PLANS)

    @property
    def sales_signals(self) -> TableRepository[SalesSignal]:
        return self.repository(tables_bridge.SALES_SIGNALS)

    # -- security --

    @property
    def personal_fields(self) -> frozenset[str]:
        return _PERSONAL

    @property
    def erasure_requests(self) -> TableRepository[ErasureRequest]:
        return self.repository(tables_security.ERASURE_REQUESTS)


_PERSONAL = frozenset(name for name, personal in PERSONAL_DATA.items() if personal)
