"""Demo chapter: a customer-success team looks after ~150 customers for a year (2026).

The book is every customer the bridge handed over from last year's won deals, plus the installed
base that was already a customer. Customers are onboarded and move through their lifecycle; the
team logs interactions with follow-ups (and forgets some); NPS answers and usage feed a monthly
health score; subscriptions renew (some for more) or churn; promoters refer friends. A care job
runs every hour a touch is due and sends every planned touch through the contact policy, which
allows, defers or refuses it. The daily jobs of the other chapters (the bridge at 10:00, loyalty at
23:00 UTC) run inside this loop.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bizrel import customer as cm
from bizrel.core.money import Money
from bizrel.core.report import text_table
from bizrel.core.uow import le

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


def _handed_over(story: Story) -> list[str]:
    """The customers the bridge created or matched for last year's won deals, in order of the close."""
    with story.store.unit_of_work(TENANT) as uow:
        handoffs = uow.handoffs.list(order_by="closed_at")
    return list(dict.fromkeys(h.customer_id for h in handoffs))


def _consents(uow: cm.CustomerUnitOfWork, rng: random.Random, cid: str) -> None:
    for channel, purpose, share in (
        ("email", "care", 0.9), ("call", "care", 0.6), ("meeting", "care", 0.75),
        ("call", "renewal", 0.6), ("email", "upsell", 0.5),
    ):  # fmt: skip
        if rng.random() < share:
            cm.set_consent(uow, cid, channel, purpose, granted=True)


def run(story: Story) -> None:
    rng = story.rng("customer")
    store = story.store
    start = story.customer_year
    story.clock.set(start)
    handed = _handed_over(story)
    base = [f"cust-{n:03d}" for n in range(max(0, N_CUSTOMERS - len(handed)))]
    ids = handed + base
    story.facts["customer.ids"] = ids  # the bridge appends the customers it hands over this year

    # -- day 0: the handed-over customers' consents; the installed base with its terms and care --
    for cid in handed:
        with store.unit_of_work(TENANT) as uow:
            cm.set_attribute(uow, cid, "seats", rng.randrange(1, 400))
            _consents(uow, rng, cid)
            uow.commit()
    for n, cid in enumerate(base):
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
            _consents(uow, rng, cid)
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

    # -- a year, one day at a time: the care job whenever a touch is due, the team's work at
    #    11:00 UTC, the other chapters' daily jobs at the hours they registered --
    decisions: list[tuple[str, str, str]] = []  # (who asked, outcome, reason)
    nps_answers: list[tuple[str, datetime, int]] = []
    days = 365
    end = start + timedelta(days=days)
    next_care: datetime | None = start
    for day in range(days):
        today = start + timedelta(days=day)
        midnight = today.replace(hour=0)
        for hour in range(24):
            now = midnight + timedelta(hours=hour)
            story.clock.set(now)
            if next_care is not None and next_care <= now:  # skipping idle hours changes nothing
                with store.unit_of_work(TENANT) as uow:
                    ran = cm.run_due_care(uow)
                    decisions += [("care plan", d.outcome, d.reason) for _, _, d in ran]
                    next_care = _next_care(uow, end)
                    uow.commit()
            if hour == 11:
                with store.unit_of_work(TENANT) as uow:
                    decisions += _work_day(uow, rng, ids, day, nps_answers)
                    uow.commit()
            if story.run_daily(now):  # the other chapters' daily jobs may have added care plans
                with store.unit_of_work(TENANT) as uow:
                    next_care = _next_care(uow, end)
        if day % 30 == 29:
            latest = {cid: score for cid, _, score in nps_answers}
            for cid in ids:  # one short unit of work per customer, as a nightly batch would
                with store.unit_of_work(TENANT) as uow:
                    _review(uow, rng, cid, latest.get(cid))
                    uow.commit()

    _report(story, decisions)
    story.facts["customer.tenant"] = TENANT
    story.facts["customer.period"] = (start, end)
    story.facts["customer.nps_answers"] = nps_answers


def _next_care(uow: cm.CustomerUnitOfWork, end: datetime) -> datetime | None:
    """When the care job next has something to do (one indexed query)."""
    due = uow.care_plans.list(next_due=le(end), order_by="next_due", limit=1)
    return due[0].next_due if due else None


def _review(uow: cm.CustomerUnitOfWork, rng: random.Random, cid: str, latest_nps: int | None) -> None:
    """The monthly review of one customer: a possible lifecycle move, then a fresh health score."""
    customer = uow.customers.get(cid)
    for target, p in MOVES.get(customer.stage, ()):
        if rng.random() < p:
            cm.change_stage(uow, cid, target)
            if target == "churned":  # leaving mid-term ends the open terms (the bridge hears of it)
                for term in uow.subscriptions.list(customer_id=cid, status=cm.RenewalStatus.ACTIVE):
                    cm.churn_subscription(uow, term.id, rng.choice(("budget", "switched vendor", "no adoption")))
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
    """One working day of the team; returns the contact policy's decisions on its outbound touches."""
    now = uow.clock.now()
    # interactions: about one per customer every three weeks, most with a follow-up; the outbound
    # ones go through the tenant's contact policy like every other touch
    decisions = []
    for n, cid in enumerate(rng.sample(ids, rng.randrange(4, 11))):
        follow_up = now + timedelta(days=rng.randrange(1, 15)) if rng.random() < 0.6 else None
        channel = rng.choice(("call", "email", "meeting", "message", "ticket", "visit"))
        direction = "outbound" if rng.random() < 0.7 else "inbound"
        try:
            cm.log_interaction(
                uow,
                id=f"int-{day:03d}-{n:02d}",
                customer_id=cid,
                channel=channel,
                direction=direction,
                outcome="follow_up_needed" if follow_up else "completed",
                summary=rng.choice(("usage review", "feature question", "invoice query", "training", "escalation")),
                next_follow_up=follow_up,
            )
        except cm.ContactNotAllowed as refused:
            decisions.append(("logged interaction", refused.decision.outcome, refused.decision.reason))
        else:
            if direction == "outbound":
                decisions.append(("logged interaction", "allowed", ""))
    # follow-ups: the team completes most of those that are due, and forgets some
    for interaction in cm.overdue_follow_ups(uow, now):
        if rng.random() < 0.35:
            cm.complete_follow_up(uow, interaction.id)
    # ad-hoc check-ins the CSMs want to send go through the same contact policy
    for cid in rng.sample(ids, 6):
        touch = cm.Touch(channel=rng.choice(("email", "call")), purpose="care", source="cs:check-in")
        decision = cm.request_touch(uow, cid, touch)
        decisions.append(("CSM check-in", decision.outcome, decision.reason))
    # NPS: a few answers a day; detractors start the contact policy's cool-down
    for cid in rng.sample(ids, rng.randrange(0, 3)):
        score = min(10, max(0, round(rng.gauss(7.6, 2.2))))
        cm.note_nps_response(uow, cid, score)
        cm.set_attribute(uow, cid, "nps", score)  # the latest answer, which the bridge reads
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
            grow = Decimal(rng.choice((100, 100, 100, 110, 125, 150))) / 100  # some expand at renewal
            cm.renew_subscription(
                uow,
                term.id,
                end=term.end + timedelta(days=365),
                amount=term.amount.multiply(grow),
                next_id=f"{term.id}+",
            )
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
    story.heading("Outbound touches under the contact policy")
    outcomes = Counter((source, outcome) for source, outcome, _ in decisions)
    kinds = ("allowed", "deferred", "refused")
    rows = [
        [source, *(outcomes[source, k] for k in kinds)]
        for source in ("care plan", "CSM check-in", "logged interaction")
    ]
    out.write(text_table(["asked by", *kinds], rows) + "\n\n")
    reasons = Counter((outcome, _reason_kind(reason)) for _, outcome, reason in decisions if outcome != "allowed")
    rows = [[o, r, n] for (o, r), n in sorted(reasons.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))]
    out.write(text_table(["decision", "reason", "touches"], rows) + "\n")
