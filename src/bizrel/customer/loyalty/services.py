"""Loyalty use cases. Each works inside the caller's unit of work and leaves the commit to the caller.

Members are named by customer_id; an account's id is derived from program and customer, so a
member has one account per program. "Now" is the unit of work's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bizrel.core.ids import check_id, new_id
from bizrel.core.money import Money
from bizrel.core.uow import ge, le, lt
from bizrel.customer.loyalty.ledger import Entry, LoyaltyAccount, account_id_for
from bizrel.customer.loyalty.ports import LoyaltyUnitOfWork
from bizrel.customer.loyalty.program import BonusKind, Invoice, LoyaltyProgram
from bizrel.customer.loyalty.statement import Liability, Statement, liability, statement

__all__ = [
    "adjust_points",
    "award_bonus",
    "create_program",
    "earn_points",
    "enroll",
    "expire_points",
    "member_statement",
    "program_liability",
    "redeem_points",
    "refund_invoice",
    "reverse_redemption",
    "review_tiers",
]


def create_program(
    uow: LoyaltyUnitOfWork, *, name: str, currency: str, id: str | None = None, **rules: Any
) -> LoyaltyProgram:
    """A program from its rules (see LoyaltyProgram for every field)."""
    program_id = check_id("id", id) if id is not None else new_id()
    program = LoyaltyProgram(tenant_id=uow.tenant_id, id=program_id, name=name, currency=currency, **rules)
    uow.loyalty_programs.add(program)
    return program


def _account(uow: LoyaltyUnitOfWork, program_id: str, customer_id: str) -> tuple[LoyaltyProgram, LoyaltyAccount]:
    program = uow.loyalty_programs.get(program_id)
    return program, uow.loyalty_accounts.get(account_id_for(program_id, check_id("customer_id", customer_id)))


def enroll(uow: LoyaltyUnitOfWork, program_id: str, customer_id: str) -> LoyaltyAccount:
    """Open the member's account (again: the same account) and award the sign-up bonus once."""
    program = uow.loyalty_programs.get(program_id)
    existing = uow.loyalty_accounts.find(account_id_for(program_id, check_id("customer_id", customer_id)))
    if existing is not None:
        return existing
    at = uow.clock.now()
    account = LoyaltyAccount.open(program, customer_id, at=at)
    if program.signup_bonus:
        account.award_bonus(program, BonusKind.SIGNUP, at=at, key="signup")
    uow.loyalty_accounts.add(account)
    return account


def earn_points(uow: LoyaltyUnitOfWork, program_id: str, customer_id: str, invoice: Invoice, *, key: str) -> Entry:
    """Credit the points `invoice` earns under the program's rules; `key` makes a retry harmless."""
    program, account = _account(uow, program_id, customer_id)
    return account.earn(program, invoice, at=uow.clock.now(), key=key)


def award_bonus(
    uow: LoyaltyUnitOfWork, program_id: str, customer_id: str, kind: BonusKind, *, key: str, reference: str = ""
) -> Entry:
    """Award the program's bonus of `kind` to a member, once per `key`."""
    program, account = _account(uow, program_id, customer_id)
    return account.award_bonus(program, kind, at=uow.clock.now(), key=key, reference=reference)


def redeem_points(uow: LoyaltyUnitOfWork, program_id: str, customer_id: str, points: int, *, key: str) -> Entry:
    """Redeem `points` from a member's usable points, the lots expiring first going first (FEFO); once per `key`."""
    program, account = _account(uow, program_id, customer_id)
    return account.redeem(program, points, at=uow.clock.now(), key=key)


def refund_invoice(
    uow: LoyaltyUnitOfWork,
    program_id: str,
    customer_id: str,
    invoice_id: str,
    *,
    key: str,
    lines: Mapping[str, Money] | None = None,
    amount: Money | None = None,
) -> Entry:
    """Take back the points of returned goods, in proportion to the amount returned (`lines` or `amount`)."""
    program, account = _account(uow, program_id, customer_id)
    return account.refund(program, invoice_id, at=uow.clock.now(), key=key, lines=lines, amount=amount)


def reverse_redemption(
    uow: LoyaltyUnitOfWork, program_id: str, customer_id: str, redemption_key: str, *, key: str
) -> Entry:
    """Give back the points of an earlier redemption (its key), to the lots they came from."""
    program, account = _account(uow, program_id, customer_id)
    return account.reverse_redemption(program, redemption_key, at=uow.clock.now(), key=key)


def adjust_points(
    uow: LoyaltyUnitOfWork, program_id: str, customer_id: str, points: int, *, reason: str, key: str
) -> Entry:
    """Add or remove points by hand; the reason is kept in the ledger."""
    program, account = _account(uow, program_id, customer_id)
    return account.adjust(program, points, reason=reason, at=uow.clock.now(), key=key)


def expire_points(uow: LoyaltyUnitOfWork, program_id: str) -> int:
    """Post expiry entries on every account of the program with lots past their expiry; points expired."""
    program = uow.loyalty_programs.get(program_id)
    now = uow.clock.now()
    expired = 0
    for account in uow.loyalty_accounts.list(program_id=program_id, next_expiry_at=le(now)):
        expired -= sum(e.points for e in account.expire_due(program, at=now))
    return expired


def review_tiers(uow: LoyaltyUnitOfWork, program_id: str) -> int:
    """Run every tier review that is due; returns how many members changed tier.

    Only members who can be due are loaded: by the number of reviews they had and when they enrolled.
    """
    program = uow.loyalty_programs.get(program_id)
    now = uow.clock.now()
    changed = 0
    done = 0
    while uow.loyalty_accounts.count(program_id=program_id, reviews=ge(done)):
        bound = program.enrolled_before(done + 1, now)
        for account in uow.loyalty_accounts.list(program_id=program_id, reviews=done, enrolled_at=lt(bound)):
            if account.next_review_at(program) <= now:
                entry = account.review_tier(program, at=now, key=f"review:{done + 1}:{now.isoformat()}")
                changed += bool(entry is not None and entry.tier)
        done += 1
    return changed


def member_statement(uow: LoyaltyUnitOfWork, program_id: str, customer_id: str, *, days: int = 30) -> Statement:
    """A member's statement over the last `days`: balance, entries and points about to expire."""
    program, account = _account(uow, program_id, customer_id)
    return statement(program, account, at=uow.clock.now(), days=days)


def program_liability(uow: LoyaltyUnitOfWork, program_id: str, *, days: int = 30) -> Liability:
    """Outstanding points of the program and what expires in the next `days` days, in money."""
    program = uow.loyalty_programs.get(program_id)
    now = uow.clock.now()
    accounts = uow.loyalty_accounts.list(program_id=program_id)
    return liability(program, accounts, at=now, expiring_from=now, expiring_to=now + timedelta(days=days))
