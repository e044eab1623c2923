"""A store with a new-business and a renewal pipeline, and helpers to win deals in it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from bizrel.adapters.store import Store, open_store
from bizrel.bridge import BRIDGE_CONTACT_POLICY, BridgeConfig, CsmCandidate
from bizrel.core.clock import FixedClock
from bizrel.core.money import Money
from bizrel.customer import set_contact_policy
from bizrel.sales import Account, create_pipeline, open_opportunity, win_opportunity

URLS = ["memory://", "sqlite://"]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TENANT = "acme"

CONFIG = BridgeConfig(
    csm_candidates=(
        CsmCandidate(id="cs-ana", capacity=3, segments=frozenset({"smb"})),
        CsmCandidate(id="cs-ben", capacity=3, segments=frozenset({"smb", "mid"})),
        CsmCandidate(id="rep-1", capacity=5),
    ),
    collections_owner_id="ar-cleo",
    renewal_pipeline_id="renewals",
    upsell_pipeline_id="upsell",
    term_days=365,
    renewal_lead_days=60,
)


def make_store(url: str) -> Store:
    store = open_store(url, clock=FixedClock(T0))
    with store.unit_of_work(TENANT) as uow:
        create_pipeline(uow, id="nb", name="new business", stages=[("qualify", "0.2"), ("propose", "0.6")])
        create_pipeline(uow, id="renewals", name="renewals", kind="renewal", stages=[("due", "0.5"), ("agreed", "0.9")])
        create_pipeline(uow, id="upsell", name="upsell", kind="upsell", stages=[("pitch", "0.3")])
        set_contact_policy(uow, BRIDGE_CONTACT_POLICY)  # the tenant's one policy, with the onboarding rule
        uow.commit()
    return store


@pytest.fixture(params=URLS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    s = make_store(request.param)
    yield s
    s.close()


def won_deal(
    store: Store,
    opp_id: str,
    *,
    account: str = "Globex Ltd",
    account_id: str | None = None,
    domain: str | None = None,
    owner: str = "rep-1",
    amount: int = 12_000,
    segment: str | None = "smb",
    source: str = "web",
    lead_id: str | None = None,
) -> None:
    """Open and win a deal (the OpportunityWon event goes to whatever the bus has subscribed)."""
    with store.unit_of_work(TENANT) as uow:
        if account_id is not None and uow.accounts.find(account_id) is None:
            uow.accounts.add(Account.create(tenant_id=uow.tenant_id, id=account_id, name=account, at=T0, domain=domain))
        opp = open_opportunity(
            uow,
            id=opp_id,
            pipeline_id="nb",
            owner_id=owner,
            account_name=account,
            amount=Money(amount, "EUR"),
            expected_close=date(2026, 3, 1),
            source=source,
            segment=segment,
            account_id=account_id,
        )
        opp.lead_id = lead_id
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        win_opportunity(uow, opp_id)
        uow.commit()
