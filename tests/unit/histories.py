"""A store with pipelines, a loyalty program, a survey and a commission plan, and customers with
full histories across both contexts (shared by the erasure and access tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bizrel.adapters.store import Store, open_store
from bizrel.bridge import BridgeConfig, CsmCandidate, hand_over
from bizrel.core import Money, Period
from bizrel.core.clock import FixedClock
from bizrel.customer import Contact, add_contact, change_stage, log_interaction, set_consent, submit_referral
from bizrel.customer.analytics_services import create_survey, record_response
from bizrel.customer.loyalty.services import adjust_points, create_program
from bizrel.sales import Account, create_commission_plan, create_pipeline, open_opportunity, set_target, win_opportunity
from bizrel.sales.accounts import Contact as SalesContact
from bizrel.sales.performance_services import create_contract, issue_invoice
from bizrel.sales.services import capture_lead

URLS = ["memory://", "sqlite://"]
TENANT = "acme"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
Q1 = Period.quarter(2026, 1)
CONFIG = BridgeConfig(
    csm_candidates=(CsmCandidate(id="cs-ana", capacity=100), CsmCandidate(id="cs-ben", capacity=100)),
    collections_owner_id="ar-cleo",
    renewal_pipeline_id="renewals",
    term_days=365,
    renewal_lead_days=60,
    loyalty_program_id="club",
)
SEGMENTS = ("smb", "mid")


def make_store(url: str) -> Store:
    store = open_store(url, clock=FixedClock(T0))
    with store.unit_of_work(TENANT) as uow:
        create_pipeline(uow, id="nb", name="new business", stages=[("qualify", "0.2"), ("propose", "0.6")])
        create_pipeline(uow, id="renewals", name="renewals", kind="renewal", stages=[("due", "0.5")])
        create_program(uow, id="club", name="Club", currency="EUR", point_value="0.05")
        create_survey(uow, id="nps", name="NPS", kind="nps", question="Would you recommend us?")
        create_commission_plan(uow, id="plan", name="Plan", currency="EUR", rate="0.1")
        for rep in ("rep-1", "rep-2"):
            set_target(uow, metric="bookings", owner_kind="rep", owner_id=rep, period=Q1, value=Money(50_000, "EUR"))
        uow.commit()
    return store


def history(store: Store, i: int, token: str, digits: str, score: int) -> str:
    """A customer with every kind of record the token can end up in; returns the customer id."""
    rep, opp_id = f"rep-{1 + i % 2}", f"opp-{i}"
    email = f"{token.lower()}@example.com"
    with store.unit_of_work(TENANT) as uow:
        account = Account.create(tenant_id=uow.tenant_id, id=f"acc-{i}", name=f"{token} Ltd", at=T0)
        account.add_contact(SalesContact(id=f"ac-{i}", name=token, email=email, phone=f"+44 {digits}"))
        uow.accounts.add(account)
        lead = capture_lead(uow, id=f"lead-{i}", name=token, source="web", email=email, company=f"{token} Ltd")
        opp = open_opportunity(
            uow,
            id=opp_id,
            pipeline_id="nb",
            owner_id=rep,
            account_name=f"{token} Ltd",
            amount=Money(1000 * (i + 1), "EUR"),
            expected_close=date(2026, 3, 1),
            segment=SEGMENTS[i % 2],
            source="web",
            account_id=account.id,
        )
        opp.lead_id = lead.id
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        win_opportunity(uow, opp_id)
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        customer_id = hand_over(uow, opp_id, CONFIG).customer_id
        contract = create_contract(uow, opportunity_id=opp_id, shares=[1], anchor=date(2026, 2, 1), id=f"ct-{i}")
        issue_invoice(uow, contract.id, 1, invoice_id=f"inv-{i}")
        uow.commit()
    with store.unit_of_work(TENANT) as uow:
        add_contact(uow, customer_id, Contact(name=token, email=email, phone=f"+1 {digits}", role=f"{token} boss"))
        change_stage(uow, customer_id, "active", reason=f"onboarded by {token}")
        set_consent(uow, customer_id, "call", "care", granted=True)  # the outbound call goes through the policy
        log_interaction(
            uow,
            customer_id=customer_id,
            channel="call",
            direction="outbound",
            outcome="completed",
            summary=f"Called {token} about the renewal",
        )
        record_response(uow, survey_id="nps", customer_id=customer_id, score=score, comment=f"{token} likes it")
        submit_referral(uow, referrer_id=customer_id, referred_name=f"Friend of {token}", referred_email=f"f.{email}")
        adjust_points(uow, "club", customer_id, 100 + i, reason=f"goodwill for {token}", key=f"adj-{i}")
        uow.commit()
    return customer_id
