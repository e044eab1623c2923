"""Who is the same person or company: the tenant's identity rules and the one matcher that lead
and customer duplicate detection share.

A record is described by its `IdentityFacts` (email keys, phone keys, company name); two records
match on an equal email key, an equal phone key (E.164, extension apart), or a company name
scoring at least the tenant's threshold (`company_candidates`). Each match carries its score
(100 for an equal key) and the reasons, so a person deciding on a merge sees why.

The rules are stored per tenant (`configure_identity`): the default region that national phone
numbers are read in, and the name-score threshold. Unset, there is no default region (only
numbers with '+' are keyed) and the threshold is 90.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.company_names import DEFAULT_NAME_THRESHOLD, check_threshold, company_candidates
from bizrel.core.phones import check_region
from bizrel.core.uow import Repository, UnitOfWork

__all__ = [
    "IDENTITY_RULES_ID",
    "IdentityFacts",
    "IdentityMatch",
    "IdentityRules",
    "IdentityUnitOfWork",
    "configure_identity",
    "email_key",
    "find_identity_matches",
    "identity_rules",
]

IDENTITY_RULES_ID = "identity-rules"


def email_key(value: str | None) -> str | None:
    """An email address trimmed and lower-cased (providers' dot rules are not guessed); None if not one."""
    if not value or "@" not in value:
        return None
    return value.strip().lower()


def _region(value: object) -> str | None:
    return check_region(value, "default_region")  # type: ignore[arg-type]


def _threshold(value: object) -> int:
    return check_threshold(value, "name_threshold")


@define(kw_only=True)
class IdentityRules(Aggregate):
    """Per-tenant rules of duplicate detection (one per tenant, id `identity-rules`)."""

    default_region: str | None = field(default=None, converter=_region)
    name_threshold: int = field(default=DEFAULT_NAME_THRESHOLD, converter=_threshold)


class IdentityUnitOfWork(UnitOfWork, Protocol):
    @property
    def identity_rules(self) -> Repository[IdentityRules]: ...


def identity_rules(uow: IdentityUnitOfWork) -> IdentityRules:
    """The tenant's rules (the defaults when never configured; nothing is staged)."""
    found = uow.identity_rules.find(IDENTITY_RULES_ID)
    return found if found is not None else IdentityRules(tenant_id=uow.tenant_id, id=IDENTITY_RULES_ID)


def configure_identity(
    uow: IdentityUnitOfWork, *, default_region: str | None = None, name_threshold: int = DEFAULT_NAME_THRESHOLD
) -> IdentityRules:
    """Store the tenant's default phone region (ISO 3166, "GB") and company-name threshold (1-100).

    Keys already stored on leads keep the region they were computed with."""
    region, threshold = _region(default_region), _threshold(name_threshold)
    rules = uow.identity_rules.find(IDENTITY_RULES_ID)
    if rules is None:
        rules = IdentityRules(tenant_id=uow.tenant_id, id=IDENTITY_RULES_ID)
        uow.identity_rules.add(rules)
    rules.default_region, rules.name_threshold = region, threshold
    return rules


@frozen
class IdentityFacts:
    """What identifies a record: keyed emails and phones, and the company name as typed."""

    id: str
    email_keys: tuple[str, ...] = ()
    phone_keys: tuple[str, ...] = ()
    company: str | None = None


@frozen
class IdentityMatch:
    """Another record that may be the same: on which facts, the best score (0-100) and why."""

    id: str
    on: tuple[str, ...]
    score: int
    reasons: tuple[str, ...]


def find_identity_matches(
    subject: IdentityFacts, candidates: Iterable[IdentityFacts], *, threshold: int = DEFAULT_NAME_THRESHOLD
) -> list[IdentityMatch]:
    """The candidates sharing an email or phone key with `subject`, or whose company name scores at
    least `threshold`; most facts first, then best score, then id."""
    others = [c for c in candidates if c.id != subject.id]
    names = (
        {
            c.id: c
            for c in company_candidates(
                subject.company, ((o.id, o.company) for o in others if o.company), threshold=threshold
            )
        }
        if subject.company
        else {}
    )
    matches = []
    for other in others:
        on: list[str] = []
        reasons: list[str] = []
        email = sorted(set(subject.email_keys) & set(other.email_keys))
        if email:
            on.append("email")
            reasons.append(f"same email {email[0]}")
        phone = sorted(set(subject.phone_keys) & set(other.phone_keys))
        if phone:
            on.append("phone")
            reasons.append(f"same phone {phone[0]}")
        name = names.get(other.id)
        if name is not None:
            on.append("company")
            reasons.append(name.reason)
        if on:
            score = 100 if len(on) > 1 or name is None else name.score
            matches.append(IdentityMatch(other.id, tuple(on), score, tuple(reasons)))
    return sorted(matches, key=lambda m: (-len(m.on), -m.score, m.id))
