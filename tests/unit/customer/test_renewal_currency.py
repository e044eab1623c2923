"""Issue 19 item 7: a term is renewed in its own currency (a EUR subscription renewed in USD was accepted)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from bizrel import customer as cm
from bizrel.adapters import Store, open_store
from bizrel.core.clock import FixedClock
from bizrel.core.errors import CurrencyMismatch
from bizrel.core.money import Money

T = "acme-renewals"


@pytest.fixture(params=["memory://", "sqlite://"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    store = open_store(request.param, clock=FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    with store.unit_of_work(T) as uow:
        cm.create_customer(uow, id="c0", name="Globex", kind="organisation", owner_id="csm0", timezone="Europe/Berlin")
        cm.start_subscription(
            uow,
            id="s0",
            customer_id="c0",
            plan="Pro",
            amount=Money("1000", "EUR"),
            start=date(2025, 5, 1),
            end=date(2026, 4, 30),
        )
        uow.commit()
    yield store
    store.close()


@pytest.mark.rule(
    "A renewal keeps the currency of the term it renews: an amount in another currency is "
    "refused with `CurrencyMismatch` and nothing changes."
)
def test_a_renewal_in_another_currency_is_refused_and_nothing_changes(store: Store) -> None:
    with store.unit_of_work(T) as uow, pytest.raises(CurrencyMismatch) as refused:
        cm.renew_subscription(uow, "s0", end=date(2027, 4, 30), amount=Money("1100", "USD"), next_id="s1")
    assert (refused.value.field, refused.value.expected, refused.value.got) == ("amount", "EUR", "USD")
    with store.unit_of_work(T) as uow:
        assert uow.subscriptions.get("s0").status is cm.RenewalStatus.ACTIVE
        assert [s.id for s in uow.subscriptions.list()] == ["s0"]
        renewed = cm.renew_subscription(uow, "s0", end=date(2027, 4, 30), amount=Money("1100", "EUR"), next_id="s1")
        uow.commit()
    assert renewed.amount == Money("1100", "EUR")
