"""The contact policy every outbound touch goes through, whoever sends it (care, success, sales).

`decide(recipient, touch, history, now, policy)` is a pure function. Its decision is always one of
Allowed, Deferred(until) or Refused, and always carries a reason. The rules, in order:

0. Stage rules: while the recipient is in a lifecycle stage a rule names (onboarding, say), only
   touches whose source starts with one of the rule's prefixes may go out; others are refused with
   the rule as the reason (during onboarding only customer success contacts the customer).
1. Consent: the latest grant or withdrawal for the touch's channel and purpose, as of `now`, must be a
   grant; otherwise the touch is refused (no consent, or consent withdrawn).
2. Cool-down: after a detractor response (NPS 0-6) no touch is sent for `detractor_cooldown_days`,
   except for purposes listed in `cooldown_exempt_purposes` (service recovery).
3. Quiet hours, in the recipient's own time zone: a touch inside them waits until they end.
4. Frequency caps: at most `max_touches` touches (on one channel, or on all) in any run of `days`
   consecutive calendar days in the recipient's time zone. A local day is 23, 24 or 25 hours long;
   counting calendar days rather than fixed 24-hour spans is what a customer perceives as "once a
   day". A touch is allowed only if every such run containing its day stays under the cap, so the
   guarantee holds even when touches are recorded out of time order.

Deferral finds the earliest instant at which all of 2-4 pass and names every rule that pushed it.

Local wall times that do not exist (the hour skipped when clocks spring forward) are moved forward
by the length of the gap (02:30 becomes 03:30); wall times that occur twice (the hour repeated when
clocks fall back) mean their first occurrence. `localize` implements this, and care schedules use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from attrs import define, field, frozen

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import utc, zone
from bizrel.core.errors import PolicyViolation, ValidationError
from bizrel.core.events import DomainEvent
from bizrel.core.ids import TenantId, check_id
from bizrel.customer.customers import Channel, ConsentRecord, channel, optional_channel, purpose

__all__ = [
    "CONTACT_POLICY_ID",
    "DEFAULT_CONTACT_POLICY",
    "Allowed",
    "ContactAttempt",
    "ContactDecided",
    "ContactHistory",
    "ContactLog",
    "ContactNotAllowed",
    "ContactPolicy",
    "Decision",
    "Deferred",
    "FrequencyCap",
    "QuietHours",
    "Recipient",
    "Refused",
    "SentTouch",
    "StageRule",
    "TenantContactPolicy",
    "Touch",
    "decide",
    "localize",
]


def localize(wall: datetime, tz: tzinfo) -> datetime:
    """A naive local wall time as an aware instant in `tz`: skipped times move forward by the gap,
    repeated times take their first occurrence."""
    if wall.tzinfo is not None:
        raise ValidationError("wall", wall, "expected a naive local wall time")
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def _source(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise ValidationError("source", value, "must be a non-empty str of at most 64 chars")
    return value


def _positive(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_: Any, __: Any, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValidationError(name, value, "must be a positive int")

    return check


@frozen(kw_only=True)
class Touch:
    """An outbound contact someone wants to make: how, what for, and who asks (e.g. "care:qbr")."""

    channel: Channel = field(converter=channel)
    purpose: str = field(converter=purpose)
    source: str = field(converter=_source)


@frozen(kw_only=True)
class SentTouch:
    """A touch already sent to a customer, as the contact policy counts it for caps and cool-downs."""

    channel: Channel
    purpose: str
    source: str
    at: datetime


@frozen(kw_only=True)
class ContactHistory:
    """What the policy needs to know about earlier contact with the recipient."""

    sent: tuple[SentTouch, ...] = ()
    last_detractor_at: datetime | None = None


class Recipient(Protocol):
    """Whoever is contacted: a time zone and consents (bizrel.customer.Customer is one)."""

    @property
    def timezone(self) -> str: ...

    def consent_for(self, channel: Channel, purpose: str, as_of: datetime | None = None) -> ConsentRecord | None: ...


@frozen(kw_only=True)
class FrequencyCap:
    """At most `max_touches` in any `days` consecutive local calendar days, on one channel or all."""

    max_touches: int = field(validator=_positive("max_touches"))
    days: int = field(validator=_positive("days"))
    channel: Channel | None = field(default=None, converter=optional_channel)

    def describe(self) -> str:
        on = self.channel.value if self.channel else "all channels"
        return f"at most {self.max_touches} per {self.days} day(s) on {on}"


@frozen(kw_only=True)
class QuietHours:
    """Local wall-clock hours without outbound contact; start > end wraps midnight (20:00-08:00)."""

    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValidationError(name, value, "expected a naive local time")
        if self.start == self.end:
            raise ValidationError("end", self.end, "quiet hours must not be empty or the whole day")

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, wall: datetime) -> datetime:
        """The wall time when the quiet period containing `wall` ends."""
        day = wall.date()
        if self.start > self.end and wall.time() >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end)

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@frozen(kw_only=True)
class StageRule:
    """While a customer is in `stage`, only sources starting with one of `sources` may touch them."""

    stage: str
    sources: frozenset[str]

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.stage, str) or not self.stage.strip():
            raise ValidationError("stage", self.stage, "must be a non-empty str")
        if not self.sources or not all(isinstance(s, str) and s for s in self.sources):
            raise ValidationError("sources", self.sources, "at least one non-empty source prefix")

    def refuses(self, stage: str | None, touch: Touch) -> str | None:
        """The reason `touch` may not go out to a customer in `stage`, or None."""
        if stage != self.stage or any(touch.source.startswith(prefix) for prefix in self.sources):
            return None
        allowed = ", ".join(sorted(self.sources))
        return f"during {self.stage} only {allowed} may contact the customer (asked by {touch.source})"


@frozen(kw_only=True)
class ContactPolicy:
    """The rules every outbound touch goes through: consent, frequency caps, quiet hours and cool-downs."""

    caps: tuple[FrequencyCap, ...] = ()
    quiet_hours: QuietHours | None = None
    detractor_cooldown_days: int = 0
    cooldown_exempt_purposes: frozenset[str] = frozenset({"service"})
    stage_rules: tuple[StageRule, ...] = ()

    def __attrs_post_init__(self) -> None:
        if (
            not isinstance(self.detractor_cooldown_days, int)
            or isinstance(self.detractor_cooldown_days, bool)
            or self.detractor_cooldown_days < 0
        ):
            raise ValidationError("detractor_cooldown_days", self.detractor_cooldown_days, "must be an int >= 0")


DEFAULT_CONTACT_POLICY = ContactPolicy(
    caps=(
        FrequencyCap(max_touches=2, days=7),
        FrequencyCap(max_touches=1, days=1, channel=Channel.CALL),
        FrequencyCap(max_touches=6, days=30),
    ),
    quiet_hours=QuietHours(start=time(20, 0), end=time(8, 0)),
    detractor_cooldown_days=14,
)
"""Two touches a week, one call a day, six a month; nothing 20:00-08:00 local; 14 days after a detractor."""

CONTACT_POLICY_ID = "contact-policy"
"""The id of a tenant's one stored contact policy."""


@define(kw_only=True)
class TenantContactPolicy(Aggregate):
    """The one contact policy of a tenant, configured once and stored (id = CONTACT_POLICY_ID).

    Every outbound touch a service records is decided under it; no caller passes its own, so no
    call can open a hole in it. A tenant that never configured one is under DEFAULT_CONTACT_POLICY.
    """

    policy: ContactPolicy
    updated_at: datetime

    @classmethod
    def configure(cls, *, tenant_id: TenantId, policy: ContactPolicy, at: datetime) -> TenantContactPolicy:
        return cls(tenant_id=tenant_id, id=CONTACT_POLICY_ID, policy=_policy(policy), updated_at=utc(at, "at"))

    def replace(self, policy: ContactPolicy, at: datetime) -> None:
        self.policy = _policy(policy)
        self.updated_at = utc(at, "at")


def _policy(value: object) -> ContactPolicy:
    if not isinstance(value, ContactPolicy):
        raise ValidationError("policy", value, "expected ContactPolicy")
    return value


@frozen
class Allowed:
    """The contact policy's answer: the touch may go out now."""

    reason: str

    @property
    def outcome(self) -> str:
        return "allowed"


@frozen
class Deferred:
    """The contact policy's answer: not now, but at `until` (quiet hours, a cap or a cool-down)."""

    until: datetime
    reason: str

    @property
    def outcome(self) -> str:
        return "deferred"


@frozen
class Refused:
    """The contact policy's answer: not at all (no consent), with the reason."""

    reason: str

    @property
    def outcome(self) -> str:
        return "refused"


Decision = Allowed | Deferred | Refused


class ContactNotAllowed(PolicyViolation):
    """An outbound contact the tenant's contact policy refused or deferred.

    ``decision`` is the policy's answer (Refused or Deferred, with its reason); the decision is
    already staged in the customer's contact log, and stays there when the unit of work commits.
    """

    def __init__(self, customer_id: str, touch: Touch, decision: Refused | Deferred) -> None:
        self.decision = decision
        super().__init__("contact_policy", f"{touch.channel.value} to customer {customer_id}", decision.reason)


def decide(
    recipient: Recipient,
    touch: Touch,
    history: ContactHistory,
    now: datetime,
    policy: ContactPolicy = DEFAULT_CONTACT_POLICY,
    *,
    stage: str | None = None,
) -> Decision:
    """May `touch` be sent to `recipient` (in lifecycle `stage`) at `now`? Pure: no clock, no store."""
    now = utc(now, "now")
    if not isinstance(touch, Touch):
        raise ValidationError("touch", touch, "expected Touch")
    for rule in policy.stage_rules:
        refusal = rule.refuses(stage, touch)
        if refusal is not None:
            return Refused(refusal)
    tz = zone(recipient.timezone, "timezone")
    consent = recipient.consent_for(touch.channel, touch.purpose, now)
    what = f"{touch.channel.value}/{touch.purpose}"
    if consent is None:
        return Refused(f"no consent for {what}")
    if not consent.granted:
        return Refused(f"consent for {what} withdrawn on {consent.at.astimezone(tz):%Y-%m-%d}")
    candidate = now
    reasons: list[str] = []
    sent_days = [(s.channel, s.at.astimezone(tz).date()) for s in history.sent]  # local calendar days
    while True:
        blocked = _first_block(policy, tz, touch, history, sent_days, candidate)
        if blocked is None:
            break
        until, reason = blocked
        if reason not in reasons:
            reasons.append(reason)
        candidate = max(until, candidate + timedelta(microseconds=1))
    if candidate == now:
        return Allowed(f"consent for {what} granted {consent.at.astimezone(tz):%Y-%m-%d}; within caps and hours")
    return Deferred(candidate.astimezone(tz), "; ".join(reasons))


def _first_block(
    policy: ContactPolicy,
    tz: tzinfo,
    touch: Touch,
    history: ContactHistory,
    sent_days: list[tuple[Channel, date]],
    at: datetime,
) -> tuple[datetime, str] | None:
    """The first rule that forbids sending at `at`, with the earliest instant it could pass."""
    if (
        policy.detractor_cooldown_days
        and history.last_detractor_at is not None
        and touch.purpose not in policy.cooldown_exempt_purposes
    ):
        ends = history.last_detractor_at + timedelta(days=policy.detractor_cooldown_days)
        if history.last_detractor_at <= at < ends:
            return ends, f"cool-down after a detractor response until {ends.astimezone(tz):%Y-%m-%d %H:%M}"
    local = at.astimezone(tz)
    quiet = policy.quiet_hours
    if quiet is not None and quiet.contains(local.time().replace(tzinfo=None)):
        wall = local.replace(tzinfo=None)
        return localize(quiet.end_after(wall), tz), f"quiet hours {quiet.describe()} {tz}"
    for cap in policy.caps:
        if cap.channel is not None and cap.channel is not touch.channel:
            continue
        days = [d for channel, d in sent_days if cap.channel is None or channel is cap.channel]
        free = _first_free_day(days, local.date(), cap)
        if free != local.date():
            return localize(datetime.combine(free, time()), tz), f"frequency cap {cap.describe()}"
    return None


def _first_free_day(days: Iterable[date], start: date, cap: FrequencyCap) -> date:
    """The first local day >= start on which one more touch keeps every window under the cap.

    Days are ordinals; window sums come from prefix sums, so each candidate day costs `cap.days`
    subtractions whatever the length of the history.
    """
    span = cap.days
    lo = start.toordinal() - span + 1  # older days lie in no window that contains `start` or later
    counts: dict[int, int] = {}
    for d in days:
        o = d.toordinal()
        if o >= lo:
            counts[o] = counts.get(o, 0) + 1
    if not counts:
        return start
    hi = max(counts) + span  # from here on every window is empty
    prefix = [0]
    for o in range(lo, hi + span):
        prefix.append(prefix[-1] + counts.get(o, 0))
    for day in range(start.toordinal(), hi + 1):
        if all(prefix[s - lo + span] - prefix[s - lo] < cap.max_touches for s in range(day - span + 1, day + 1)):
            return date.fromordinal(day)
    return date.fromordinal(hi)


# -- the persisted record -------------------------------------------------------------------------


@frozen(kw_only=True)
class ContactAttempt:
    """One decision of the policy: what was asked, when, and what the policy said."""

    touch: Touch
    at: datetime
    outcome: str
    reason: str
    until: datetime | None = None


@frozen(kw_only=True)
class ContactDecided(DomainEvent):
    """Event: the contact policy decided on a touch (allowed, deferred or refused), kept for audit."""

    customer_id: str
    channel: Channel
    purpose: str
    source: str
    outcome: str
    reason: str


@define(kw_only=True)
class ContactLog(Aggregate):
    """Every policy decision for one customer (id = customer id), and the last detractor answer.

    Kept as one versioned aggregate so two processes deciding at once conflict on commit instead of
    both sending: caps hold across processes.
    """

    customer_id: str
    attempts: list[ContactAttempt] = field(factory=list)
    last_detractor_at: datetime | None = None

    @classmethod
    def start(cls, *, tenant_id: TenantId, customer_id: str) -> ContactLog:
        check_id("customer_id", customer_id)
        return cls(tenant_id=tenant_id, id=customer_id, customer_id=customer_id)

    def history(self) -> ContactHistory:
        sent = tuple(
            SentTouch(channel=a.touch.channel, purpose=a.touch.purpose, source=a.touch.source, at=a.at)
            for a in self.attempts
            if a.outcome == "allowed"
        )
        return ContactHistory(sent=sent, last_detractor_at=self.last_detractor_at)

    @property
    def last_touch_at(self) -> datetime | None:
        return max((a.at for a in self.attempts if a.outcome == "allowed"), default=None)

    def record_decision(self, touch: Touch, decision: Decision, at: datetime) -> None:
        at = utc(at, "at")
        until = decision.until if isinstance(decision, Deferred) else None
        self.attempts.append(
            ContactAttempt(touch=touch, at=at, outcome=decision.outcome, reason=decision.reason, until=until)
        )
        self.record(
            ContactDecided(
                tenant_id=self.tenant_id,
                occurred_at=at,
                customer_id=self.customer_id,
                channel=touch.channel,
                purpose=touch.purpose,
                source=touch.source,
                outcome=decision.outcome,
                reason=decision.reason,
            )
        )

    def note_detractor(self, at: datetime) -> None:
        at = utc(at, "at")
        if self.last_detractor_at is None or at > self.last_detractor_at:
            self.last_detractor_at = at
