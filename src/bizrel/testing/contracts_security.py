"""The erasure contract for adapters: outbox payloads rewritten inside the transaction, per tenant.

class TestMyAdapterOutbox(OutboxRewriteContract):
    def open(self, clock):
        return open_store("myadapter://...", clock=clock)
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bizrel.adapters.store import Store
from bizrel.core.money import Money
from bizrel.sales import create_pipeline, open_opportunity
from bizrel.testing.contracts import AdapterContract, fresh_tenant

__all__ = ["OutboxRewriteContract"]


class OutboxRewriteContract(AdapterContract):
    """Erasure rewrites outbox payloads inside its transaction, for one tenant only."""

    def _opened(self, store: Store, tenant: str, owner_id: str) -> None:
        with store.unit_of_work(tenant) as uow:
            create_pipeline(uow, id="p", name="New", stages=[("Qualify", "0.1")])
            open_opportunity(
                uow,
                id="o1",
                pipeline_id="p",
                owner_id=owner_id,
                account_name="Acme",
                amount=Money(100, "EUR"),
                expected_close=date(2026, 3, 1),
            )
            uow.commit()

    def _payloads(self, store: Store, tenant: str) -> list[str]:
        """Every outbox payload of the tenant, dispatched or not (read through rewrite_outbox itself)."""
        seen: list[str] = []

        def collect(type_name: str, payload: dict[str, Any]) -> None:
            seen.append(json.dumps(payload, sort_keys=True))

        with store.unit_of_work(tenant) as uow:
            assert uow.rewrite_outbox(collect) == 0
        return sorted(seen)

    @staticmethod
    def _rename(type_name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if payload.get("owner_id") != "jane":
            return None
        return {**payload, "owner_id": "erased"}

    def test_rewrite_is_committed_with_the_unit_of_work_and_only_for_its_tenant(self, store: Store) -> None:
        mine, other = fresh_tenant(), fresh_tenant()
        self._opened(store, mine, "jane")
        self._opened(store, other, "jane")
        untouched = self._payloads(store, other)
        with store.unit_of_work(mine) as uow:
            assert uow.rewrite_outbox(self._rename) >= 1
            assert uow.rewrite_outbox(self._rename) == 0  # the transaction sees its own rewrite
            uow.commit()
        assert not any("jane" in p for p in self._payloads(store, mine))
        assert any("erased" in p for p in self._payloads(store, mine))
        assert self._payloads(store, other) == untouched

    def test_rewrite_is_discarded_on_rollback(self, store: Store) -> None:
        tenant = fresh_tenant()
        self._opened(store, tenant, "jane")
        before = self._payloads(store, tenant)
        with store.unit_of_work(tenant) as uow:
            assert uow.rewrite_outbox(self._rename) >= 1
            uow.rollback()
        assert self._payloads(store, tenant) == before
