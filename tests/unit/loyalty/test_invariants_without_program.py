"""Issue 19 item 7: `assert_invariants(account)` without the program reported a false violation for an
overdraft account (the debt policy is the program's; the ledger alone cannot break it)."""

from __future__ import annotations

import attrs
import pytest

from bizrel.core import InvariantViolation
from bizrel.customer.loyalty import DebtPolicy, assert_invariants
from tests.unit.loyalty.support import START, ProgramFactory, invoice, member


@pytest.mark.rule(
    "Called without the program, `assert_invariants(account)` skips the two checks that need it (the "
    "debt policy and the overdraft limit), so an overdraft account is not reported as a violation."
)
def test_an_overdraft_account_passes_without_its_program(make_program: ProgramFactory) -> None:
    program = make_program(debt_policy=DebtPolicy.OVERDRAFT, overdraft_limit=50)
    account = member(program)
    account.earn(program, invoice("a", "100.00"), at=START, key="a")
    account.redeem(program, 40, at=START, key="spend")
    account.refund(program, "a", at=START, key="refund-a")
    assert (account.balance, account.overdraft) == (-40, 40)
    assert_invariants(account)
    assert_invariants(account, program)


def test_the_program_checks_still_apply_when_it_is_passed(make_program: ProgramFactory) -> None:
    """Given the program, a negative balance without the overdraft policy, or above its limit, is still reported."""
    overdraft = make_program(debt_policy=DebtPolicy.OVERDRAFT, overdraft_limit=100)
    account = member(overdraft)
    account.earn(overdraft, invoice("a", "100.00"), at=START, key="a")
    account.redeem(overdraft, 70, at=START, key="spend")
    account.refund(overdraft, "a", at=START, key="refund-a")
    assert (account.balance, account.overdraft) == (-70, 70)
    with pytest.raises(InvariantViolation, match="negative without an overdraft policy"):
        assert_invariants(account, attrs.evolve(overdraft, debt_policy=DebtPolicy.CLAWBACK))
    with pytest.raises(InvariantViolation, match="above the limit 50"):
        assert_invariants(account, attrs.evolve(overdraft, overdraft_limit=50))
