"""Demo chapter: the customers join a tiered loyalty program and live a year of points.

Members earn on invoices (double points in a spring campaign, services at twice the rate),
wait out a return window, redeem, return goods, get birthday and referral bonuses, climb tiers
and fall back softly at reviews, and see points expire six months after earning. The chapter
ends with what finance reads: members per tier, points outstanding and their money value, and
the points that expire next month.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from bizrel.core.errors import BizrelError
from bizrel.core.money import Money
from bizrel.core.periods import Period, PeriodKind
from bizrel.core.report import text_table
from bizrel.customer import loyalty
from bizrel.customer.loyalty import BonusKind, Campaign, ExpiryPolicy, Invoice, InvoiceLine, Tier, TierWindow

if TYPE_CHECKING:
    from bizrel.cli.demo import Story

TENANT = "demo-co"
PROGRAM = "circle"
MEMBERS = 150
CATEGORIES = ("goods", "goods", "goods", "services")

Plan = list[tuple[datetime, int, str, str, tuple[object, ...]]]  # (when, order, customer, action, args)


def _customer_ids(story: Story) -> list[str]:
    """The customer chapter's ids when it ran before this one, topped up with our own to MEMBERS."""
    known = story.facts.get("customer.ids")
    ids = [c for c in known if isinstance(c, str)][:MEMBERS] if isinstance(known, list) else []
    taken = set(ids)
    own = (f"cust-{n:04d}" for n in range(1, 10 * MEMBERS))
    ids += [c for c in own if c not in taken][: MEMBERS - len(ids)]
    return ids


def _plan(rng: random.Random, start: datetime, customers: list[str]) -> Plan:
    """Every member's year, decided up front and replayed in time order."""
    plan: Plan = []
    for order, customer in enumerate(customers):
        joined = start + timedelta(days=rng.randrange(0, 60), hours=rng.randrange(0, 9))
        plan.append((joined, order, customer, "enroll", ()))
        plan.append((joined + timedelta(days=rng.randrange(1, 300)), order, customer, "birthday", ()))
        if rng.random() < 0.1:
            friend = rng.choice(customers)
            plan.append((joined + timedelta(days=rng.randrange(1, 90)), order, customer, "referral", (friend,)))
        spender = rng.choice((0.3, 1.0, 1.0, 2.5, 6.0))  # how much this member buys
        when = joined
        for n in range(rng.randrange(3, 24)):
            when += timedelta(days=rng.randrange(1, 30), hours=rng.randrange(0, 6))
            if when >= start + timedelta(days=365):
                break
            lines = tuple(
                InvoiceLine(
                    id=f"l{k}",
                    amount=Money.from_minor(int(rng.randrange(1500, 30000) * spender), "USD"),
                    category=rng.choice(CATEGORIES),
                )
                for k in range(rng.randrange(1, 4))
            )
            invoice = f"{customer}-inv{n:02d}"
            plan.append((when, order, customer, "buy", (Invoice(id=invoice, lines=lines),)))
            if rng.random() < 0.08:
                plan.append((when + timedelta(days=rng.randrange(1, 14)), order, customer, "return", (invoice,)))
            if rng.random() < 0.35:
                plan.append((when + timedelta(days=rng.randrange(15, 40)), order, customer, "redeem", ()))
    plan.sort(key=lambda step: (step[0], step[1], step[3]))
    return plan


def run(story: Story) -> None:
    rng = story.rng("loyalty")
    start = story.clock.now()
    customers = _customer_ids(story)
    store = story.store
    with store.unit_of_work(TENANT) as uow:
        loyalty.create_program(
            uow,
            id=PROGRAM,
            name="Circle",
            currency="USD",
            point_value="0.01",
            category_multipliers={"services": "2"},
            campaigns=[
                Campaign(
                    name="spring double points",
                    starts_at=start + timedelta(days=60),
                    ends_at=start + timedelta(days=90),
                    multiplier="2",
                )
            ],
            signup_bonus=200,
            birthday_bonus=300,
            referral_bonus=500,
            max_points_per_transaction=5000,
            expiry=ExpiryPolicy.after_months(6),
            pending_days=14,
            tiers=(
                Tier(name="Member", threshold=0),
                Tier(name="Silver", threshold="1500", multiplier="1.25", benefits=("free shipping",)),
                Tier(name="Gold", threshold="5000", multiplier="1.5", benefits=("free shipping", "priority line")),
            ),
            tier_metric=loyalty.TierMetric.MONEY_SPENT,
            tier_window=TierWindow.ROLLING,
            window_months=6,
            review_months=6,
            soft_landing=True,
        )
        uow.commit()

    refused: Counter[str] = Counter()
    days: dict[object, Plan] = {}
    for step in _plan(rng, start, customers):
        days.setdefault(step[0].date(), []).append(step)
    month = (start.year, start.month)
    for steps in days.values():
        story.clock.set(steps[0][0])
        with store.unit_of_work(TENANT) as uow:
            if (steps[0][0].year, steps[0][0].month) != month:  # reviews fall due on a month's first days
                month = (steps[0][0].year, steps[0][0].month)
                loyalty.review_tiers(uow, PROGRAM)
            loyalty.expire_points(uow, PROGRAM)
            for when, _, customer, action, args in steps:
                story.clock.set(when)
                try:
                    _act(uow, rng, customer, action, args, f"{action}:{customer}:{when.isoformat()}")
                except BizrelError as refusal:
                    refused[type(refusal).__name__] += 1
            uow.commit()
    end = start + timedelta(days=365)
    story.clock.set(end)
    with store.unit_of_work(TENANT) as uow:
        loyalty.expire_points(uow, PROGRAM)
        loyalty.review_tiers(uow, PROGRAM)
        uow.commit()
    _report(story, end, refused)


def _act(
    uow: loyalty.LoyaltyUnitOfWork, rng: random.Random, customer: str, action: str, args: tuple[object, ...], key: str
) -> None:
    if action == "enroll":
        loyalty.enroll(uow, PROGRAM, customer)
    elif action == "buy":
        invoice = args[0]
        assert isinstance(invoice, Invoice)
        loyalty.earn_points(uow, PROGRAM, customer, invoice, key=key)
    elif action == "return":
        invoice = str(args[0])
        if rng.random() < 0.5:
            loyalty.refund_invoice(uow, PROGRAM, customer, invoice, key=key)  # everything back
        else:
            account = uow.loyalty_accounts.get(loyalty.account_id_for(PROGRAM, customer))
            line, state = next(iter(account.invoices[invoice].items()))  # one line back
            returned = Money.from_minor(state.amount - state.returned, state.currency)
            loyalty.refund_invoice(uow, PROGRAM, customer, invoice, lines={line: returned}, key=key)
    elif action == "redeem":
        account = uow.loyalty_accounts.get(loyalty.account_id_for(PROGRAM, customer))
        usable = account.usable(uow.clock.now())
        if usable >= 500:
            loyalty.redeem_points(uow, PROGRAM, customer, rng.randrange(500, usable + 1), key=key)
    elif action == "birthday":
        loyalty.award_bonus(uow, PROGRAM, customer, BonusKind.BIRTHDAY, key=key)
    else:
        loyalty.award_bonus(uow, PROGRAM, customer, BonusKind.REFERRAL, key=key, reference=str(args[0]))


def _report(story: Story, end: datetime, refused: Counter[str]) -> None:
    next_month = Period.containing(end.date(), PeriodKind.MONTH).next()
    with story.store.unit_of_work(TENANT) as uow:
        program = uow.loyalty_programs.get(PROGRAM)
        accounts = uow.loyalty_accounts.list(program_id=PROGRAM)
        report = loyalty.liability(
            program,
            accounts,
            at=end,
            expiring_from=datetime.combine(next_month.start, time(0), tzinfo=UTC),
            expiring_to=datetime.combine(next_month.end, time(0), tzinfo=UTC),
        )
    moved: Counter[str] = Counter()
    for account in accounts:
        for entry in account.entries:
            moved[entry.kind.value] += entry.points
    story.heading("Loyalty: a year of the Circle program")
    story.out.write(text_table(("tier", "members", "points"), report.to_rows(), title="Members per tier") + "\n\n")
    rows = sorted(moved.items())
    story.out.write(text_table(("ledger entries", "points"), rows, title="Points moved in the year") + "\n\n")
    story.out.write(
        f"points outstanding: {report.points:,} worth {report.value.format()} (liability)\n"
        f"expiring in {next_month.label}: {report.expiring_points:,} points worth {report.expiring_value.format()}\n"
    )
    richest = max(accounts, key=lambda a: (a.balance, a.customer_id))
    story.out.write(f"\n{loyalty.statement(program, richest, at=end, days=31)}\n")
    if refused:
        story.out.write(f"refused and reported, never silent: {dict(sorted(refused.items()))}\n")
    story.facts["loyalty.liability"] = report
