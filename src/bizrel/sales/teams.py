"""The sales organisation: teams in a tree, and who belonged to which team (and managed it) when.

Memberships are dated half-open ranges [start, end), so credit follows the date: a deal closed on
the day a rep moves belongs to the new team. A rep belongs to at most one team at a time; moving
closes the old membership on the day the new one starts, and the history is never rewritten.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import UTC, date, datetime

from attrs import define, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc
from bizrel.core.errors import InvariantViolation, NotFound, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.core.periods import Period

__all__ = [
    "MemberJoined",
    "MemberLeft",
    "Membership",
    "Role",
    "SalesOrganisation",
    "Team",
]


class Role(enum.StrEnum):
    """A person's role in a team: rep or manager."""

    REP = "rep"
    MANAGER = "manager"


@frozen
class Team:
    """A node of the organisation tree; the root team has no parent."""

    id: str
    name: str
    parent_id: str | None = None


@frozen
class Membership:
    """`person_id` held `role` in `team_id` from `start` (inclusive) to `end` (exclusive, None: still)."""

    person_id: str
    team_id: str
    role: Role
    start: date
    end: date | None = None

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def days_in(self, period: Period) -> int:
        """How many days of `period` this membership covers."""
        first = max(self.start, period.start)
        last = period.end if self.end is None else min(self.end, period.end)
        return max((last - first).days, 0)


@frozen(kw_only=True)
class MemberJoined(DomainEvent):
    """Event: a person joined a team."""

    person_id: str
    team_id: str
    role: Role
    start: date


@frozen(kw_only=True)
class MemberLeft(DomainEvent):
    """Event: a person left a team."""

    person_id: str
    team_id: str
    role: Role
    end: date


def _day(value: object, field: str) -> date:
    if isinstance(value, datetime):
        return utc(value, field).date()
    if not isinstance(value, date):
        raise ValidationError(field, value, "expected a date")
    return value


@define(kw_only=True)
class SalesOrganisation(Aggregate):
    """One company's sales teams and their dated memberships (the aggregate keeps the tree valid)."""

    name: str
    teams: list[Team]
    memberships: list[Membership]

    @classmethod
    def create(cls, *, tenant_id: TenantId, id: str, name: str, root_team: str, root_name: str) -> SalesOrganisation:
        check_id("id", id)
        check_id("root_team", root_team)
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("name", name, "must be a non-empty str")
        return cls(tenant_id=tenant_id, id=id, name=name, teams=[Team(root_team, root_name)], memberships=[])

    # -- structure ----------------------------------------------------------------------------

    def team(self, team_id: str) -> Team:
        for t in self.teams:
            if t.id == team_id:
                return t
        raise NotFound("team", team_id)

    @property
    def root(self) -> Team:
        return next(t for t in self.teams if t.parent_id is None)

    def add_team(self, team_id: str, name: str, parent_id: str) -> Team:
        check_id("team_id", team_id)
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("name", name, "must be a non-empty str")
        if any(t.id == team_id for t in self.teams):
            raise ValidationError("team_id", team_id, "team exists already")
        self.team(parent_id)
        team = Team(team_id, name, parent_id)
        self.teams.append(team)
        return team

    def children(self, team_id: str) -> list[Team]:
        return [t for t in self.teams if t.parent_id == team_id]

    def ancestors(self, team_id: str) -> list[Team]:
        """The team itself, then its parent, up to the root."""
        chain = [self.team(team_id)]
        while chain[-1].parent_id is not None:
            chain.append(self.team(chain[-1].parent_id))
        return chain

    def subtree(self, team_id: str) -> list[str]:
        """Ids of the team and every team below it, depth first in insertion order."""
        out = [team_id]
        for child in self.children(team_id):
            out.extend(self.subtree(child.id))
        return out

    # -- memberships --------------------------------------------------------------------------

    def _current(self, person_id: str, role: Role, day: date) -> int | None:
        for i, m in enumerate(self.memberships):
            if m.person_id == person_id and m.role is role and (m.end is None or m.end > day) and m.start <= day:
                return i
        return None

    def assign(self, person_id: str, team_id: str, start: date | datetime, *, role: Role = Role.REP) -> Membership:
        """Put a person into a team from `start`; an open membership in another team ends that day."""
        check_id("person_id", person_id)
        self.team(team_id)
        role = Role(role)
        start = _day(start, "start")
        if any(m.person_id == person_id and m.role is role and m.start > start for m in self.memberships):
            raise InvariantViolation("start", start, f"{person_id} has a later {role.value} membership already")
        current = self._current(person_id, role, start)
        if current is not None:
            old = self.memberships[current]
            if old.team_id == team_id:
                raise InvariantViolation("team_id", team_id, f"{person_id} is in this team already")
            self._end(current, start)
        if role is Role.MANAGER:
            for i, m in enumerate(self.memberships):
                if m.team_id == team_id and m.role is Role.MANAGER and m.active_on(start) and m.person_id != person_id:
                    self._end(i, start)  # one manager per team at a time: the new one replaces the old
        membership = Membership(person_id, team_id, role, start)
        self.memberships.append(membership)
        self.record(
            MemberJoined(
                tenant_id=self.tenant_id,
                occurred_at=_midnight(start),
                person_id=person_id,
                team_id=team_id,
                role=role,
                start=start,
            )
        )
        return membership

    def leave(self, person_id: str, end: date | datetime, *, role: Role = Role.REP) -> None:
        """End the person's open membership of `role` on `end` (the first day they are gone)."""
        role = Role(role)
        end = _day(end, "end")
        for i, m in enumerate(self.memberships):
            if m.person_id == person_id and m.role is role and m.end is None:
                if end <= m.start:
                    raise InvariantViolation("end", end, f"is not after the membership start {m.start}")
                self._end(i, end)
                return
        raise NotFound(f"open {role.value} membership", person_id)

    def _end(self, index: int, end: date) -> None:
        m = self.memberships[index]
        self.memberships[index] = Membership(m.person_id, m.team_id, m.role, m.start, end)
        self.record(
            MemberLeft(
                tenant_id=self.tenant_id,
                occurred_at=_midnight(end),
                person_id=m.person_id,
                team_id=m.team_id,
                role=m.role,
                end=end,
            )
        )

    # -- questions by date --------------------------------------------------------------------

    def team_of(self, person_id: str, on: date | datetime, *, role: Role = Role.REP) -> str | None:
        """The team the person belonged to on that day (credit for a deal follows this)."""
        day = _day(on, "on")
        for m in self.memberships:
            if m.person_id == person_id and m.role is role and m.active_on(day):
                return m.team_id
        return None

    def manager_of_team(self, team_id: str, on: date | datetime) -> str | None:
        day = _day(on, "on")
        for m in self.memberships:
            if m.team_id == team_id and m.role is Role.MANAGER and m.active_on(day):
                return m.person_id
        return None

    def manager_chain(self, person_id: str, on: date | datetime) -> tuple[str, ...]:
        """The managers above a rep on that day, nearest first (a manager never manages themself)."""
        day = _day(on, "on")
        team_id = self.team_of(person_id, day) or self.team_of(person_id, day, role=Role.MANAGER)
        if team_id is None:
            return ()
        chain: list[str] = []
        for team in self.ancestors(team_id):
            manager = self.manager_of_team(team.id, day)
            if manager is not None and manager != person_id and manager not in chain:
                chain.append(manager)
        return tuple(chain)

    def managers(self, on: date | datetime) -> dict[str, str]:
        """rep -> direct manager on that day: the plain mapping a forecast roll-up takes."""
        day = _day(on, "on")
        out: dict[str, str] = {}
        for person in self.people(day):
            chain = self.manager_chain(person, day)
            if chain:
                out[person] = chain[0]
        return out

    def people(self, on: date | datetime, *, role: Role = Role.REP) -> list[str]:
        day = _day(on, "on")
        return sorted({m.person_id for m in self.memberships if m.role is role and m.active_on(day)})

    def members(self, team_id: str, period: Period, *, include_subteams: bool = True) -> list[str]:
        """Reps who belonged to the team (or below it) for at least one day of the period."""
        teams = set(self.subtree(team_id) if include_subteams else [team_id])
        return sorted({m.person_id for m in self._rep_memberships() if m.team_id in teams and m.days_in(period) > 0})

    def days_in_team(self, person_id: str, team_id: str, period: Period) -> int:
        return sum(
            m.days_in(period) for m in self._rep_memberships() if m.person_id == person_id and m.team_id == team_id
        )

    def days_active(self, person_id: str, period: Period) -> int:
        """Days of the period on which the rep belonged to any team (for prorating targets)."""
        return sum(m.days_in(period) for m in self._rep_memberships() if m.person_id == person_id)

    def _rep_memberships(self) -> Iterator[Membership]:
        return (m for m in self.memberships if m.role is Role.REP)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
