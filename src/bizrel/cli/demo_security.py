"""Demo chapter: who sees what (customer success, reps, collections), then a customer asks to be
forgotten: their personal data goes everywhere at once, and every figure stays the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bizrel import bridge
from bizrel.bridge.access import invoiced_total, visible_invoices
from bizrel.core.access import Actor, Role
from bizrel.core.money import Money
from bizrel.core.report import text_table
from bizrel.customer.access import visible_customers
from bizrel.customer.loyalty import program_liability
from bizrel.customer.satisfaction import nps
from bizrel.sales.access import visible_opportunities, visible_statements

if TYPE_CHECKING:
    from bizrel.bridge import ErasureUnitOfWork
    from bizrel.cli.demo import Story

TENANT = "demo-co"


def _figures(uow: ErasureUnitOfWork) -> list[tuple[str, str]]:
    """The figures an erasure must not move, as text."""
    won = uow.opportunities.list(status="won")
    currencies = sorted({o.amount.currency.code for o in won})
    segments = sorted({o.segment or "-" for o in won})
    answers = [r.score for r in uow.survey_responses.list(kind="nps")]
    rows = [("NPS (survey responses)", str(nps(answers).score))] if answers else []
    for segment in segments:
        for cur in currencies:
            amounts = (o.amount for o in won if (o.segment or "-") == segment and o.amount.currency.code == cur)
            rows.append((f"won revenue {segment} {cur}", str(Money.total(amounts, cur))))
    for program in uow.loyalty_programs.list(order_by="id"):
        liability = program_liability(uow, program.id)
        rows.append((f"loyalty liability {program.id}", f"{liability.points} pts = {liability.value}"))
    for statement in uow.commission_statements.list(order_by="id"):
        rows.append((f"commission {statement.id}", str(statement.total)))
    return rows


def _count(label: str, actor: Actor, see: Callable[[Actor], int]) -> tuple[str, str, int]:
    return (label, actor.user_id, see(actor))


def run(story: Story) -> None:
    story.heading("Security: who sees what, and the right to be forgotten")
    rng = story.rng("security")
    with story.store.unit_of_work(TENANT) as uow:
        owners = sorted({c.owner_id for c in uow.customers.list()})
        reps = sorted({o.owner_id for o in uow.opportunities.list(status="won")})
        rows = [
            _count("customers", Actor(cs, Role.CUSTOMER_SUCCESS), lambda a: len(visible_customers(uow, a)))
            for cs in owners
        ]
        rows += [
            _count("commission statements", Actor(r, Role.SALES_REP), lambda a: len(visible_statements(uow, a)))
            for r in reps
        ]
        rows += [
            _count("opportunities", Actor(r, Role.SALES_REP), lambda a: len(visible_opportunities(uow, a)))
            for r in reps
        ]
        collections = Actor("ar-noor", Role.COLLECTIONS)
        rows.append(_count("invoiced contracts", collections, lambda a: len(visible_invoices(uow, a))))
        story.out.write(text_table(["records", "visible to", "count"], rows, title="Record-level access") + "\n")
        for cur in sorted({c.amount.currency.code for c in visible_invoices(uow, collections)}):
            story.out.write(f"invoiced in {cur}, as collections sees it: {invoiced_total(uow, collections, cur)}\n")
        story.out.write("\n")
        handoffs = uow.handoffs.list(order_by="id")
        if not handoffs:
            story.out.write("no handed-over customer to erase\n")
            return
        customer_id = rng.choice(handoffs).customer_id
        before = _figures(uow)
        request = bridge.erase_customer(uow, customer_id)
        uow.commit()
    with story.store.unit_of_work(TENANT) as uow:
        after = dict(_figures(uow))
        again = bridge.erase_customer(uow, customer_id)
        uow.commit()
        name = uow.customers.get(customer_id).name
    story.out.write(
        f"customer {customer_id} erased: {request.fields_erased} fields and {request.events_rewritten} outbox events "
        f"rewritten in one unit of work; the name is now {name}; erasing again changed "
        f"{again.fields_erased - request.fields_erased} fields\n"
    )
    table = [(label, value, after[label], "yes" if after[label] == value else "NO") for label, value in before]
    story.out.write(text_table(["figure", "before", "after", "same"], table, title="Figures around the erasure") + "\n")
    story.facts["security.erased"] = customer_id
