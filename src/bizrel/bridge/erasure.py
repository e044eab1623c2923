"""Erasure: a customer asks to be forgotten; every copy of their personal data is overwritten.

The customer's personal data is spread over both contexts: the customer record and its contacts,
interactions, survey comments, referrals, subscriptions and the loyalty account on one side; the
opportunities the bridge handed over, their leads, sales accounts, activities, contracts and
commission adjustments on the other (linked through the handoffs and the customer's external id,
which is the sales account id); and the outbox payloads of events about any of them.

Which fields are personal is not listed here: the unit of work names them (`personal_fields`, the
adapters' personal-data registry), and every such str field of every linked record and of the
values nested in it is replaced by one stable pseudonym, `erased:<hash of tenant and customer id>`
(or emptied, when the field's own validation refuses the pseudonym, as an email field does). Ids,
amounts, dates, stages, scores, points and segments are left alone, so every figure computed from
them is unchanged. A second erasure finds nothing left to replace and changes nothing.

A retention rule may hold records that must be kept (a contract with invoices inside the legal
retention period, or one not yet paid): it either refuses the whole erasure (`PolicyViolation`,
nothing staged) or defers those records; the `ErasureRequest` records what was held and why, and
a later erasure finishes the job once the holds have lapsed.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date, datetime
from typing import Any, Protocol

import attrs
from attrs import define, frozen
from dateutil.relativedelta import relativedelta

from bizrel.bridge.ports import BridgeUnitOfWork
from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import BizrelError, InvariantViolation, PolicyViolation, ValidationError
from bizrel.core.ids import check_id
from bizrel.core.uow import Repository, one_of
from bizrel.customer.analytics_ports import CustomerAnalyticsUnitOfWork
from bizrel.sales.collections import Contract

__all__ = [
    "ErasureRequest",
    "ErasureStatus",
    "ErasureUnitOfWork",
    "Hold",
    "RetentionMode",
    "RetentionRule",
    "erase_customer",
    "erasure_request_id",
    "pseudonym",
]

PREFIX = "erased:"


def pseudonym(tenant_id: str, customer_id: str) -> str:
    """The stable replacement text for one customer: a one-way hash, never the id itself."""
    digest = hashlib.sha256(f"bizrel-erasure\x1f{tenant_id}\x1f{customer_id}".encode()).hexdigest()
    return PREFIX + digest[:20]


def erasure_request_id(tenant_id: str, customer_id: str) -> str:
    """The id of the erasure request for a customer: derived from the pseudonym, so it names nobody."""
    return "erasure-" + pseudonym(tenant_id, customer_id).removeprefix(PREFIX)


class RetentionMode(enum.StrEnum):
    """What a record that must be kept (an open contract) does to an erasure: refuse it, or defer the record."""

    REFUSE = "refuse"  # a held record refuses the whole erasure
    DEFER = "defer"  # held records are kept as they are; everything else is erased now


class ErasureStatus(enum.StrEnum):
    """Where an erasure request stands: completed, or deferred until held records may go."""

    DEFERRED = "deferred"
    COMPLETED = "completed"


@frozen
class Hold:
    """A record kept back from erasure, why, and until when (None: until it is settled)."""

    kind: str
    record_id: str
    reason: str
    until: date | None


@frozen
class RetentionRule:
    """Contracts are business records with a legal retention period; `None` years keeps none."""

    invoice_years: int | None = 10
    keep_open_contracts: bool = True
    mode: RetentionMode = RetentionMode.DEFER

    def __attrs_post_init__(self) -> None:
        if self.invoice_years is not None and (isinstance(self.invoice_years, bool) or self.invoice_years < 0):
            raise ValidationError("invoice_years", self.invoice_years, "expected a non-negative number of years")

    def hold(self, record: Aggregate, today: date) -> Hold | None:
        if not isinstance(record, Contract):
            return None
        if self.keep_open_contracts and record.fully_paid_at is None:
            return Hold(kind="contract", record_id=record.id, reason="contract not fully paid", until=None)
        if self.invoice_years is not None and record.invoices:
            until = max(i.issued_on for i in record.invoices) + relativedelta(years=self.invoice_years)
            if today < until:
                reason = f"invoices are kept {self.invoice_years} years after issue"
                return Hold(kind="contract", record_id=record.id, reason=reason, until=until)
        return None


@define(kw_only=True)
class ErasureRequest(Aggregate):
    """What an erasure did for one customer: when, how much, and what it had to hold back."""

    customer_id: str
    requested_at: datetime
    status: ErasureStatus
    holds: list[Hold]
    fields_erased: int = 0
    events_rewritten: int = 0
    completed_at: datetime | None = None


class ErasureUnitOfWork(BridgeUnitOfWork, CustomerAnalyticsUnitOfWork, Protocol):
    """Both contexts, the registry's personal fields, and a way to rewrite outbox payloads."""

    @property
    def personal_fields(self) -> frozenset[str]:
        """ "<module>.<Class>.<field>" (module without bizrel.) of every str field holding personal data."""
        ...

    @property
    def erasure_requests(self) -> Repository[ErasureRequest]: ...

    def rewrite_outbox(
        self,
        rewrite: Callable[[str, dict[str, Any]], dict[str, Any] | None],
        *,
        mentioning: Collection[str] | None = None,
    ) -> int:
        """Pass the outbox events of the tenant (those whose payload contains one of `mentioning`,
        when given) to `rewrite` (type name, payload); store what it returns."""
        ...


def erase_customer(
    uow: ErasureUnitOfWork,
    customer_id: str,
    *,
    retention: RetentionRule | None = None,
    at: datetime | None = None,
) -> ErasureRequest:
    """Erase a customer's personal data in this unit of work (the caller commits); idempotent."""
    check_id("customer_id", customer_id)
    now = uow.clock.now() if at is None else utc(at, "at")
    customer = uow.customers.get(customer_id)
    records = _linked(uow, customer_id, customer.external_id)
    holds = [h for h in (retention.hold(r, now.date()) for r in records) if h is not None] if retention else []
    if holds and retention is not None and retention.mode is RetentionMode.REFUSE:
        first = holds[0]
        raise PolicyViolation(
            "retention", f"erasure of customer {customer_id}", f"{first.kind} {first.record_id}: {first.reason}"
        )
    held = {h.record_id for h in holds}
    alias = pseudonym(uow.tenant_id, customer_id)
    scrubber = _Scrubber(uow.personal_fields, alias)
    for record in records:
        if record.id not in held:
            scrubber.scrub(record)
    linked_ids = {customer_id, *(r.id for r in records)} - held
    if customer.external_id:
        linked_ids.add(customer.external_id)
    rewritten = (
        uow.rewrite_outbox(scrubber.outbox_rewriter(linked_ids), mentioning=linked_ids) if scrubber.tokens else 0
    )
    return _record(uow, customer_id, now, holds, scrubber.replaced, rewritten)


def _record(
    uow: ErasureUnitOfWork, customer_id: str, now: datetime, holds: list[Hold], replaced: int, rewritten: int
) -> ErasureRequest:
    status = ErasureStatus.DEFERRED if holds else ErasureStatus.COMPLETED
    rid = erasure_request_id(uow.tenant_id, customer_id)
    request = uow.erasure_requests.find(rid)
    if request is None:
        request = ErasureRequest(
            tenant_id=uow.tenant_id, id=rid, customer_id=customer_id, requested_at=now, status=status, holds=holds
        )
        uow.erasure_requests.add(request)
    elif not replaced and not rewritten and request.status is status and request.holds == holds:
        return request  # nothing left to do: an erasure repeated changes nothing
    request.status = status
    request.holds = holds
    request.fields_erased += replaced
    request.events_rewritten += rewritten
    request.completed_at = now if status is ErasureStatus.COMPLETED else None
    return request


def _linked(uow: ErasureUnitOfWork, customer_id: str, account_id: str | None) -> list[Aggregate]:
    """Every record holding a copy of the customer's data, in both contexts.

    Indexed lookups come first and the full scans (opportunities, leads, activities) last: every
    query flushes the unit of work, which re-encodes what it tracks.
    """
    handoffs = uow.handoffs.list(customer_id=customer_id)
    records: list[Aggregate] = [
        uow.customers.get(customer_id),
        *uow.interactions.list(customer_id=customer_id),
        *uow.survey_responses.list(customer_id=customer_id),
        *uow.subscriptions.list(customer_id=customer_id),
        *uow.referrals.list(referrer_id=customer_id),
        *uow.loyalty_accounts.list(customer_id=customer_id),
        *uow.sales_signals.list(customer_id=customer_id),
        *uow.onboarding_plans.list(customer_id=customer_id),
        *handoffs,
    ]
    opp_ids = {h.opportunity_id for h in handoffs} | {
        h.renewal_opportunity_id for h in handoffs if h.renewal_opportunity_id
    }
    account_ids = {account_id} if account_id else set()
    accounts = [a for a in (uow.accounts.find(i) for i in sorted(account_ids)) if a is not None]
    opportunities = [o for o in uow.opportunities.list() if o.id in opp_ids or o.account_id in account_ids]
    opp_ids |= {o.id for o in opportunities}
    new_accounts = {o.account_id for o in opportunities if o.account_id} - account_ids
    accounts += [a for a in (uow.accounts.find(i) for i in sorted(new_accounts)) if a is not None]
    account_ids |= new_accounts
    lead_ids = {o.lead_id for o in opportunities if o.lead_id}
    every_lead = uow.leads.list()
    leads = [
        lead
        for lead in every_lead
        if lead.id in lead_ids or lead.account_id in account_ids or lead.opportunity_id in opp_ids
    ]
    lead_ids |= {lead.id for lead in leads}
    merged = [lead for lead in every_lead if lead.merged_into in lead_ids and lead.id not in lead_ids]
    leads += merged
    lead_ids |= {lead.id for lead in merged}
    sales_ids = opp_ids | lead_ids | account_ids
    activities = [a for a in uow.activities.list() if {a.opportunity_id, a.lead_id, a.account_id} & sales_ids]
    deals = one_of(*sorted(opp_ids))
    tail: list[Iterable[Aggregate]] = [
        opportunities,
        leads,
        accounts,
        activities,
        uow.pool_moves.list(record_id=one_of(*sorted(sales_ids))) if sales_ids else [],
        uow.contracts.list(opportunity_id=deals) if opp_ids else [],
        uow.commission_adjustments.list(deal_id=deals) if opp_ids else [],
    ]
    return records + [record for group in tail for record in group]


@functools.cache
def _personal_names(cls_name: str, personal: frozenset[str]) -> frozenset[str]:
    prefix = cls_name + "."
    return frozenset(name.removeprefix(prefix) for name in personal if name.startswith(prefix))


class _Scrubber:
    """Replaces personal str fields in place (mutable entities) or by copy (frozen values)."""

    def __init__(self, personal: frozenset[str], alias: str) -> None:
        self.personal = personal
        self.alias = alias
        self.tokens: set[str] = set()  # the values replaced, to find their copies in the outbox
        self.replaced = 0

    def scrub(self, record: Aggregate) -> None:
        if self._value(record) is not record:
            raise InvariantViolation("record", record.id, "an aggregate must be erased in place")

    def _value(self, value: Any) -> Any:
        if attrs.has(type(value)):
            return self._instance(value)
        if isinstance(value, list):
            value[:] = [self._value(v) for v in value]
            return value
        if isinstance(value, tuple):
            items = tuple(self._value(v) for v in value)
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        if isinstance(value, dict):
            for key, item in value.items():
                value[key] = self._value(item)
        return value

    def _instance(self, obj: Any) -> Any:
        cls = type(obj)
        personal = _personal_names(f"{cls.__module__.removeprefix('bizrel.')}.{cls.__name__}", self.personal)
        for f in attrs.fields(type(obj)):
            if f.name.startswith("_"):
                continue
            current = getattr(obj, f.name)
            if f.name in personal and isinstance(current, str):
                if current.startswith(PREFIX) or not current:
                    continue
                obj = self._replace(obj, f.name, current)
            else:
                new = self._value(current)
                if new is not current:
                    obj = _assign(obj, f.name, new)
        return obj

    def _replace(self, obj: Any, name: str, current: str) -> Any:
        for candidate in (self.alias, None, ""):
            try:
                obj = _assign(obj, name, candidate)
            except (BizrelError, TypeError, ValueError):
                continue
            self.tokens.add(current)
            self.replaced += 1
            return obj
        raise InvariantViolation(name, type(obj).__name__, "no pseudonym passes this field's validation")

    def outbox_rewriter(self, linked_ids: set[str]) -> Callable[[str, dict[str, Any]], dict[str, Any] | None]:
        """Events naming a linked record get every string holding an erased value replaced."""
        tokens = sorted(self.tokens, key=len, reverse=True)

        def rewrite(type_name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
            if linked_ids.isdisjoint(_strings(payload)):
                return None
            changed = False

            def replace(text: str) -> str:
                nonlocal changed
                if any(token in text for token in tokens):
                    changed = True
                    return self.alias
                return text

            new = _map_strings(payload, replace)
            return new if changed else None

        return rewrite


def _assign(obj: Any, name: str, value: Any) -> Any:
    """Set through the class's own converters and validators; frozen values are copied."""
    try:
        setattr(obj, name, value)
    except attrs.exceptions.FrozenError:
        return attrs.evolve(obj, **{name: value})
    return obj


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {key: _map_strings(item, fn) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, fn) for item in value]
    return value
