"""Record-level access inside a tenant: which role may do what to which records (pure, no I/O).

The policy maps (role, object, action) to a scope: nothing, the actor's own records, the team's,
or all. Leads and opportunities in the pool (no owner) count as the actor's own, as in Odoo's
"own documents" rule. A denied action raises PolicyViolation naming role, object and action.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Final, TypeVar

from attrs import field, frozen

from bizrel.core.errors import PolicyViolation, ValidationError

__all__ = ["POLICY", "Action", "Actor", "ObjectKind", "Role", "Scope", "allowed", "check", "scope", "visible"]

T = TypeVar("T")


class Role(enum.StrEnum):
    SALES_REP = "sales rep"
    TEAM_LEAD = "team lead"
    SALES_MANAGER = "sales manager"
    CUSTOMER_SUCCESS = "customer-success manager"
    COLLECTIONS = "collections"
    ADMIN = "admin"


class ObjectKind(enum.StrEnum):
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    INTERACTION = "interaction"
    TARGET = "target"
    COMMISSION_STATEMENT = "commission statement"
    INVOICE = "invoice"


class Action(enum.StrEnum):
    READ = "read"
    LIST = "list"
    UPDATE = "update"
    REASSIGN = "reassign"
    EXPORT = "export"
    AGGREGATE = "aggregate"


class Scope(enum.IntEnum):
    NONE = 0
    OWN = 1
    TEAM = 2
    ALL = 3


POOLED: Final = frozenset({ObjectKind.LEAD, ObjectKind.OPPORTUNITY})


@frozen
class Actor:
    """Who acts: a user, their role and the user ids of their team (for a team lead, the reports)."""

    user_id: str
    role: Role
    team: frozenset[str] = field(factory=frozenset, converter=frozenset)


def _defaults() -> dict[tuple[Role, ObjectKind, Action], Scope]:
    o, k, a = ObjectKind, Scope, Action
    everything = tuple(Action)
    no_reassign = tuple(x for x in Action if x is not a.REASSIGN)
    reading = (a.READ, a.LIST, a.EXPORT, a.AGGREGATE)
    grants: dict[Role, list[tuple[tuple[ObjectKind, ...], tuple[Action, ...], Scope]]] = {
        Role.SALES_REP: [
            ((o.LEAD, o.OPPORTUNITY, o.CUSTOMER, o.INTERACTION), no_reassign, k.OWN),
            ((o.TARGET, o.COMMISSION_STATEMENT, o.INVOICE), reading, k.OWN),
        ],
        Role.TEAM_LEAD: [
            ((o.LEAD, o.OPPORTUNITY), everything, k.TEAM),
            ((o.CUSTOMER, o.INTERACTION, o.TARGET), no_reassign, k.TEAM),
            ((o.COMMISSION_STATEMENT, o.INVOICE), reading, k.TEAM),
        ],
        Role.SALES_MANAGER: [
            ((o.LEAD, o.OPPORTUNITY, o.TARGET), everything, k.ALL),
            ((o.CUSTOMER, o.INTERACTION, o.COMMISSION_STATEMENT, o.INVOICE), reading, k.ALL),
        ],
        Role.CUSTOMER_SUCCESS: [
            ((o.CUSTOMER, o.INTERACTION), no_reassign, k.OWN),
            ((o.INVOICE,), reading, k.OWN),
        ],
        Role.COLLECTIONS: [
            ((o.INVOICE,), no_reassign, k.ALL),
            ((o.CUSTOMER,), (a.READ, a.LIST), k.ALL),
        ],
        Role.ADMIN: [(tuple(ObjectKind), everything, k.ALL)],
    }
    policy = {(r, obj, act): Scope.NONE for r in Role for obj in ObjectKind for act in Action}
    for role, rules in grants.items():
        for objects, actions, granted in rules:
            for obj in objects:
                for act in actions:
                    policy[role, obj, act] = granted
    return policy


POLICY: Final[Mapping[tuple[Role, ObjectKind, Action], Scope]] = _defaults()


def scope(role: Role, kind: ObjectKind, action: Action) -> Scope:
    return POLICY[Role(role), ObjectKind(kind), Action(action)]


def allowed(actor: Actor, kind: ObjectKind, action: Action, owner_id: str | None) -> bool:
    """Whether `actor` may apply `action` to one record of `kind` owned by `owner_id` (None: the pool)."""
    granted = scope(actor.role, kind, action)
    if granted is Scope.ALL:
        return True
    if granted is Scope.NONE:
        return False
    if owner_id is None:
        return kind in POOLED
    if owner_id == actor.user_id:
        return True
    return granted is Scope.TEAM and owner_id in actor.team


def check(actor: Actor, kind: ObjectKind, action: Action, owner_id: str | None) -> None:
    if not isinstance(actor, Actor):
        raise ValidationError("actor", actor, "expected an Actor")
    if not allowed(actor, kind, action, owner_id):
        raise PolicyViolation(
            "access",
            f"{actor.role.value} {action.value} {kind.value}",
            f"{actor.user_id!r} may not {action.value} this {kind.value} (owner {owner_id!r})",
        )


def visible(
    actor: Actor, kind: ObjectKind, action: Action, records: Iterable[T], owner: Callable[[T], str | None]
) -> list[T]:
    """The records the actor may act on; aggregates and exports are computed over these only."""
    return [r for r in records if allowed(actor, kind, action, owner(r))]
