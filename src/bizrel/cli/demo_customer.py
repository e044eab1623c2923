"""Demo chapter: a customer-success team looks after ~150 customers for a year.

Customers are onboarded and move through their lifecycle; the team logs interactions with
follow-ups (and forgets some); NPS answers and usage feed a monthly health score; subscriptions
renew or churn; promoters refer friends. A care job runs every hour and sends every planned touch
through the contact policy, which allows, defers or refuses it.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bizrel import customer as cm
from bizrel.core.money import Money
from bizrel.core.report import text_table

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

TENANT = "demo-co"
N_CUSTOMERS = 150
OWNERS = ("csm-amy", "csm-ben", "csm-cai", "csm-dev", "csm-eva")
ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Shanghai",
    "Australia/Sydney",
)
NAMES = ("Atlas", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kestrel")
SUFFIXES = ("Labs", "GmbH", "Ltd", "Inc", "Foods", "Logistics", "Health", "Studio")
PEOPLE = ("Alex Kim", "Sam Ortiz", "Mia Chen", "Noah Weber", "Lea Rossi", "Ravi Nair", "Yuki Sato", "Ola Berg")
#  Monthly lifecycle moves (the stage stays put otherwise); each move is in the default table.
MOVES = {
    "onboarding": (("active", 0.55), ("at_risk", 0.05)),
    "active": (("expanding", 0.06), ("at_risk", 0.05)),
    "expanding": (("active", 0.15), ("at_risk", 0.02)),
    "at_risk": (("active", 0.25), ("churned", 0.15)),
    "churned": (("won_back", 0.06),),
    "won_back": (("active", 0.5),),
}
POLICY = cm.DEFAULT_CONTACT_POLICY


def run(story: Story) -> None:
    rng = story.rng("customer")
    store = story.store
    start = story.clock.now().replace(hour=9, minute=0, second=0, microsecond=0)
    ids = [f"cust-{n:03d}" for n in range(N_CUSTOMERS)]
    story.clock.set(start)

    # -- day 0: the book of customers, their consents, subscriptions and care plans --
    for n, cid in enumerate(ids):
        with store.unit_of_work(TENANT) as uow:
            person = rng.random() < 0.25
            cm.create_customer(
                uow,
                id=cid,
                name=rng.choice(PEOPLE) if person else f"{rng.choice(NAMES)} {rng.choice(SUFFIXES)} {n}",
                kind="person" if person else "organisation",
                owner_id=OWNERS[n % len(OWNERS)],
                timezone=rng.choice(ZONES),
                contacts=[cm.Contact(name=rng.choice(PEOPLE), email=f"contact@{cid}.example", role="champion")],
                tags=rng.sample(("smb", "enterprise", "emea", "apac", "amer", "pilot"), 2),
                domain=None if person else f"{cid}.example",
                birthday=date(rng.randrange(1960, 2000), rng.randrange(1, 13), rng.randrange(1, 29))
                if person
                else None,
            )
            cm.set_attribute(uow, cid, "seats", rng.randrange(1, 400))
            for channel, share in (("email", 0.9), ("call", 0.6), ("meeting", 0.75)):
                if rng.random() < share:
                    cm.set_consent(uow, cid, channel, "care", granted=True)
            cm.change_stage(uow, cid, "onboarding", reason="contract signed")
            first_day = start.date() - timedelta(days=rng.randrange(0, 300))
            cm.start_subscription(
                uow,
                id=f"sub-{cid}-1",
                customer_id=cid,
                plan="Enterprise" if not person and rng.random() < 0.3 else "Team",
                amount=Money(rng.randrange(12, 240) * 100, "EUR"),
                start=first_day,
                end=first_day + timedelta(days=364),
            )
            cm.plan_standard_care(uow, cid, onboarding_check_in_days=(14, 45), id=f"care-{cid}")
            uow.commit()

    # -- a year, one day at a time: the team's work at 11:00 UTC and the care job twice a day --
    decisions: list[tuple[str, str, str]] = []  # (who asked, outcome, reason)
    nps_answers: list[tuple[str, datetime, int]] = []
    days = 365
    for day in range(days):
        today = start + timedelta(days=day)
        midnight = today.replace(hour=0)
        for hour in range(24):  # the care job runs hourly; the team works at 11:00 UTC
            story.clock.set(midnight + timedelta(hours=hour))
            with store.unit_of_work(TENANT) as uow:
                ran = cm.run_due_care(uow, POLICY)
                if ran:
                    decisions += [("care plan", d.outcome, d.reason) for _, _, d in ran]
                    uow.commit()
            if hour == 11:
                with store.unit_of_work(TENANT) as uow:
                    decisions += _work_day(uow, rng, ids, day, nps_answers)
                    uow.commit()
        if day % 30 == 29:
            latest = {cid: score for cid, _, score in nps_answers}
            for cid in ids:  # one short unit of work per customer, as a nightly batch would
                with store.unit_of_work(TENANT) as uow:
                    _review(uow, rng, cid, latest.get(cid))
                    uow.commit()

    _report(story, decisions)
    story.facts["customer.ids"] = ids
    story.facts["customer.tenant"] = TENANT
    story.facts["customer.period"] = (start, start + timedelta(days=days))
    story.facts["customer.nps_answers"] = nps_answers


def _review(uow: cm.CustomerUnitOfWork, rng: random.Random, cid: str, latest_nps: int | None) -> None:
    """The monthly review of one customer: a possible lifecycle move, then a fresh health score."""
    customer = uow.customers.get(cid)
    for target, p in MOVES.get(customer.stage, ()):
        if rng.random() < p:
            cm.change_stage(uow, cid, target)
            break
    signals = cm.health_signals(
        uow,
        cid,
        latest_nps=latest_nps,
        usage_trend=str(round(rng.gauss(0.02, 0.15), 2)),
        open_issues=rng.choice((0, 0, 0, 1, 1, 2, 4)),
        late_payments=rng.choice((0, 0, 0, 0, 1, 2)),
    )
    cm.record_health(uow, cid, signals)


def _work_day(
    uow: cm.CustomerUnitOfWork,
    rng: random.Random,
    ids: list[str],
    day: int,
    nps_answers: list[tuple[str, datetime, int]],
) -> list[tuple[str, str, str]]:
    """One working day of the team; returns the contact policy's decisions on its ad-hoc check-ins."""
    now = uow.clock.now()
    # interactions: about one per customer every three weeks, most with a follow-up
    for n, cid in enumerate(rng.sample(ids, rng.randrange(4, 11))):
        follow_up = now + timedelta(days=rng.randrange(1, 15)) if rng.random() < 0.6 else None
        cm.log_interaction(
            uow,
            id=f"int-{day:03d}-{n:02d}",
            customer_id=cid,
            channel=rng.choice(("call", "email", "meeting", "message", "ticket", "visit")),
            direction="outbound" if rng.random() < 0.7 else "inbound",
            outcome="follow_up_needed" if follow_up else "completed",
            summary=rng.choice(("usage review", "feature question", "invoice query", "training", "escalation")),
            next_follow_up=follow_up,
        )
    # follow-ups: the team completes most of those that are due, and forgets some
    for interaction in cm.overdue_follow_ups(uow, now):
        if rng.random() < 0.35:
            cm.complete_follow_up(uow, interaction.id)
    # ad-hoc check-ins the CSMs want to send go through the same contact policy
    decisions = []
    for cid in rng.sample(ids, 6):
        touch = cm.Touch(channel=rng.choice(("email", "call")), purpose="care", source="csm:check-in")
        decision = cm.request_touch(uow, cid, touch, POLICY)
        decisions.append(("CSM check-in", decision.outcome, decision.reason))
    # NPS: a few answers a day; detractors start the contact policy's cool-down
    for cid in rng.sample(ids, rng.randrange(0, 3)):
        score = min(10, max(0, round(rng.gauss(7.6, 2.2))))
        cm.note_nps_response(uow, cid, score)
        nps_answers.append((cid, now, score))
        if score >= 9 and rng.random() < 0.2:
            referral = cm.submit_referral(
                uow, id=f"ref-{day:03d}-{cid}", referrer_id=cid, referred_name=rng.choice(PEOPLE)
            )
            cm.update_referral(uow, referral.id, rng.choice(("qualified", "qualified", "rejected")))
    # renewals: terms ending today renew (mostly) or churn
    for term in cm.renewals_due(uow, 0, now.date()):
        customer = uow.customers.get(term.customer_id)
        if customer.stage != "churned" and rng.random() < 0.85:
            cm.renew_subscription(uow, term.id, end=term.end + timedelta(days=365), next_id=f"{term.id}+")
        else:
            cm.churn_subscription(uow, term.id, rng.choice(("budget", "switched vendor", "no adoption")))
            if "churned" in cm.DEFAULT_LIFECYCLE.targets(customer.stage):
                cm.change_stage(uow, customer.id, "churned", reason="did not renew")
    return decisions


_DETAIL = re.compile(r" (until|on|granted) .*$| [A-Z][A-Za-z]+/[A-Za-z_/]+$")  # dates, zone names


def _reason_kind(reason: str) -> str:
    """A decision's reason without its dates and zone, so that reasons can be counted."""
    return "; ".join(_DETAIL.sub("", part) for part in reason.split("; "))


def _report(story: Story, decisions: list[tuple[str, str, str]]) -> None:
    with story.store.unit_of_work(TENANT) as uow:
        customers = uow.customers.list()
        overdue = cm.overdue_follow_ups(uow)
        subscriptions = uow.subscriptions.list()
        referrals = uow.referrals.list()
    out = story.out
    story.heading("Customer management: the lifecycle after a year")
    stages = Counter(c.stage for c in customers)
    order = cm.DEFAULT_LIFECYCLE.stages
    out.write(text_table(["stage", "customers"], [[s, stages[s]] for s in order if stages[s]]) + "\n\n")
    bands = Counter(c.health.band.value if c.health else "not scored" for c in customers)
    out.write(text_table(["health band", "customers"], sorted(bands.items())) + "\n\n")
    by_owner = Counter(i.owner_id for i in overdue)
    oldest = min((i.next_follow_up for i in overdue if i.next_follow_up), default=None)
    out.write(
        text_table(
            ["owner", "overdue follow-ups"],
            sorted(by_owner.items()),
            title=f"{len(overdue)} overdue follow-ups (oldest due {oldest:%Y-%m-%d})" if oldest else "no overdue",
        )
        + "\n\n"
    )
    renewal = Counter(s.status.value for s in subscriptions)
    out.write(text_table(["subscription status", "terms"], sorted(renewal.items())) + "\n\n")
    out.write(text_table(["referral status", "referrals"], sorted(Counter(r.status.value for r in referrals).items())))
    out.write("\n\n")
    story.heading("Care touches under the contact policy")
    outcomes = Counter((source, outcome) for source, outcome, _ in decisions)
    kinds = ("allowed", "deferred", "refused")
    rows = [[source, *(outcomes[source, k] for k in kinds)] for source in ("care plan", "CSM check-in")]
    out.write(text_table(["asked by", *kinds], rows) + "\n\n")
    reasons = Counter((outcome, _reason_kind(reason)) for _, outcome, reason in decisions if outcome != "allowed")
    rows = [[o, r, n] for (o, r), n in sorted(reasons.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))]
    out.write(text_table(["decision", "reason", "touches"], rows) + "\n")
