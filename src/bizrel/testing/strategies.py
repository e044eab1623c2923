"""Hypothesis strategies for bizrel's values and aggregates."""

from __future__ import annotations

import enum
import types
import typing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

import attrs
from hypothesis import reject
from hypothesis import strategies as st

from bizrel.core.currencies import MINOR_UNITS
from bizrel.core.errors import ValidationError
from bizrel.core.ids import TenantId
from bizrel.core.money import Currency, Money
from bizrel.customer.contact_policy import DEFAULT_CONTACT_POLICY, ContactPolicy, TenantContactPolicy
from bizrel.customer.customers import CUSTOMER_SETTINGS_ID, AttributeType, CustomerSettings, Lifecycle
from bizrel.customer.loyalty.program import LoyaltyProgram, Tier
from bizrel.sales.pipeline import Opportunity, Pipeline, Stage

__all__ = [
    "HOSTILE_STRINGS",
    "aggregates",
    "aware_datetimes",
    "currencies",
    "hostile_ids",
    "hostile_texts",
    "ids",
    "instances",
    "money",
    "opportunities",
    "pipelines",
    "texts",
]

T = TypeVar("T")
_TRIES = 10

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def currencies() -> st.SearchStrategy[Currency]:
    """Hypothesis strategy: any ISO 4217 currency bizrel knows."""
    return st.sampled_from(sorted(MINOR_UNITS)).map(Currency.of)


def money(
    currency: str | None = None, *, min_minor: int = -(10**12), max_minor: int = 10**12
) -> st.SearchStrategy[Money]:
    """Hypothesis strategy: Money in `currency` (any when None) between the given minor-unit bounds."""
    cur = st.just(Currency.of(currency)) if currency else currencies()
    return st.builds(Money.from_minor, st.integers(min_minor, max_minor), cur)


def aware_datetimes(days: int = 3650) -> st.SearchStrategy[datetime]:
    """UTC instants with microseconds, within `days` of 2020-01-01."""
    return st.integers(0, days * 86_400_000_000).map(lambda us: _EPOCH + timedelta(microseconds=us))


def ids() -> st.SearchStrategy[str]:
    return st.text(st.characters(min_codepoint=48, max_codepoint=122, categories=["L", "N"]), min_size=1, max_size=24)


def texts(max_size: int = 60) -> st.SearchStrategy[str]:
    """Printable text, hostile characters included (quotes, semicolons, RTL marks, emoji)."""
    return st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=max_size).filter(
        lambda s: bool(s.strip())
    )


def pipelines(tenant_id: str = "t1") -> st.SearchStrategy[Pipeline]:
    stage_names = st.lists(texts(20), min_size=1, max_size=6, unique=True)
    return st.builds(
        lambda pid, name, names: Pipeline(
            tenant_id=TenantId(tenant_id),
            id=pid,
            name=name,
            stages=tuple(Stage(n, f"{(i + 1) / (len(names) + 1):.2f}") for i, n in enumerate(names)),
        ),
        ids(),
        texts(),
        stage_names,
    )


@st.composite
def opportunities(draw: st.DrawFn, pipeline: Pipeline, currency: str | None = None) -> Opportunity:
    """An opportunity in `pipeline`, advanced a random number of stages and perhaps closed; its
    amount in `currency` (any currency without one)."""
    opened = draw(aware_datetimes())
    opp = Opportunity.open(
        tenant_id=pipeline.tenant_id,
        id=draw(ids()),
        pipeline=pipeline,
        owner_id=draw(ids()),
        account_name=draw(texts()),
        amount=draw(money(currency, min_minor=0, max_minor=10**10)),
        expected_close=opened.date() + timedelta(days=draw(st.integers(0, 400))),
        at=opened,
    )
    at = opened
    for stage in pipeline.stages[1 : 1 + draw(st.integers(0, len(pipeline.stages) - 1))]:
        at += timedelta(days=draw(st.integers(0, 30)), seconds=draw(st.integers(0, 86_399)))
        opp.advance(pipeline, stage.name, at)
    outcome = draw(st.sampled_from(["open", "won", "lost"]))
    if outcome == "won":
        opp.win(at + timedelta(days=1))
    elif outcome == "lost":
        opp.lose(draw(texts(30)), at + timedelta(days=1))
    return opp


def dates() -> st.SearchStrategy[date]:
    return st.dates(date(1900, 1, 1), date(2200, 12, 31))


# -- hostile input and any attrs class from its type hints ----------------------------------------

HOSTILE_STRINGS: tuple[str, ...] = (
    "'",
    "''",
    '"',
    "O'Brien",
    "'; DROP TABLE opportunities; --",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(10)",
    "/* comment */ x",
    "-- trailing",
    "%",
    "_",
    "\\",
    "\\x00",
    "$1",
    "%s",
    "?",
    ":name",
    "\x00",
    "a\x00b",
    "\x01",
    "\x00\x01\x02",
    "\ud800",
    "x\udfffy",
    "\ud83d",
    "\ud7ff",
    "\ud7ff\ud800",
    "\u202eevil.exe",
    "\u202b\u202c\u2066\u2069",
    "\ufeff",
    "\uffff",
    "😀👨‍👩‍👧",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
    '{"json": [1, 2]}',
    "\r\n\t",
    " ",
    "x" * 3_000,
    "\x00\ud800" * 700,
)


def hostile_texts() -> st.SearchStrategy[str]:
    """Strings built to break storage: SQL metacharacters, NUL, lone surrogates, bidi overrides,
    very long values, and any code point at all (surrogates and controls included)."""
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.lists(st.sampled_from(HOSTILE_STRINGS), min_size=2, max_size=4).map("".join),
        st.text(st.characters(exclude_categories=()), max_size=40),
    )


def hostile_ids() -> st.SearchStrategy[str]:
    """Identifiers that pass check_id (no control characters, at most 128) but are otherwise hostile.

    Lone surrogates are left out: SQLite cannot store them as keys (bizrel's PostgreSQL adapter can).
    """

    def storable_key(s: str) -> bool:
        return 0 < len(s) <= 40 and all(ord(c) >= 32 and not 0xD800 <= ord(c) <= 0xDFFF for c in s)

    allowed = st.characters(min_codepoint=32, exclude_categories=["Cs"])
    return st.one_of(
        st.sampled_from([s for s in HOSTILE_STRINGS if storable_key(s)]), st.text(allowed, min_size=1, max_size=40)
    )


def instances(cls: type[T], *, tenant_id: str, texts: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[T]:
    """Instances of any attrs class (aggregates included), drawn from its type hints.

    Every str field gets `texts` (hostile by default), fields named id or *_id get `hostile_ids()`,
    and tenant_id is fixed. Draws the class itself refuses (any error from its own checks) are
    discarded, so new aggregates are covered without writing a strategy for them.
    """
    return _attrs_strategy(cls, tenant_id, texts if texts is not None else hostile_texts())


def _attrs_strategy(cls: type[T], tenant_id: str, texts: st.SearchStrategy[str]) -> st.SearchStrategy[T]:
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for f in attrs.fields(cls):  # type: ignore[arg-type]
        if not f.init or f.name == "version":
            continue
        if f.name == "tenant_id":
            fields[f.alias or f.name] = st.just(tenant_id)
        elif f.name == "id" or f.name.endswith("_id"):
            fields[f.alias or f.name] = (
                hostile_ids() if hints[f.name] in (str, TenantId) else _for_type(hints[f.name], tenant_id, texts)
            )
        else:
            fields[f.alias or f.name] = _for_type(hints[f.name], tenant_id, texts)

    arguments = st.fixed_dictionaries(fields)

    @st.composite
    def build(draw: st.DrawFn) -> T:
        for _ in range(_TRIES):  # the class's own checks refuse some draws: draw again
            try:
                return cls(**draw(arguments))
            except Exception:
                continue
        reject()

    return build()


def _for_type(tp: Any, tenant_id: str, texts: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    while hasattr(tp, "__supertype__"):  # NewType
        tp = tp.__supertype__
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: texts,
        bool: st.booleans(),
        int: st.one_of(st.integers(-2, 12), st.integers(-(10**12), 10**12)),  # scores and counts are small
        Decimal: st.one_of(st.decimals(0, 1, places=4), st.decimals(-(10**9), 10**9, places=2)),
        Money: money(min_minor=-(10**10), max_minor=10**10),
        Currency: currencies(),
        datetime: aware_datetimes(),
        date: dates(),
        timedelta: st.timedeltas(timedelta(days=-3650), timedelta(days=3650)),
        type(None): st.none(),
    }
    if tp in simple:
        return simple[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([_for_type(a, tenant_id, texts) for a in args])
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(_for_type(args[0], tenant_id, texts), max_size=3).map(tuple)
    if origin is tuple:
        return st.tuples(*(_for_type(a, tenant_id, texts) for a in args))
    if origin in (list, frozenset, set):
        item = _for_type(args[0], tenant_id, texts)
        return st.lists(item, max_size=3) if origin is list else st.frozensets(item, max_size=3).map(origin)
    if origin is dict:
        return st.dictionaries(_for_type(args[0], tenant_id, texts), _for_type(args[1], tenant_id, texts), max_size=3)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if isinstance(tp, type) and attrs.has(tp):
        return st.deferred(lambda: _attrs_strategy(tp, tenant_id, texts))
    raise TypeError(f"no strategy for {tp!r}: extend bizrel.testing.strategies._for_type")


def aggregates(cls: type[T], *, tenant_id: str, texts: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[T]:
    """Instances of any aggregate class, including the few whose invariants almost no random draw
    of `instances` satisfies (a loyalty program's tiers and rates, a lifecycle whose stages and moves
    agree): those are built by hand around drawn free text."""
    text = texts if texts is not None else hostile_texts()
    if cls is LoyaltyProgram:
        return cast(st.SearchStrategy[T], _loyalty_programs(tenant_id, text))
    if cls is CustomerSettings:
        return cast(st.SearchStrategy[T], _customer_settings(tenant_id, text))
    if cls is TenantContactPolicy:
        return cast(st.SearchStrategy[T], _tenant_contact_policies(tenant_id))
    return instances(cls, tenant_id=tenant_id, texts=text)


@st.composite
def _loyalty_programs(draw: st.DrawFn, tenant_id: str, texts: st.SearchStrategy[str]) -> LoyaltyProgram:
    tier_names = draw(st.lists(hostile_ids(), min_size=1, max_size=3, unique=True), label="tiers")
    try:
        return LoyaltyProgram(
            tenant_id=TenantId(tenant_id),
            id=draw(hostile_ids(), label="id"),
            name=draw(texts, label="name"),
            currency=draw(st.sampled_from(["USD", "EUR", "JPY", "KWD"])),
            category_multipliers=draw(st.dictionaries(texts, st.decimals(0, 5, places=2), max_size=2)),
            signup_bonus=draw(st.integers(0, 1000)),
            tiers=tuple(Tier(name=n, threshold=Decimal(1000 * i)) for i, n in enumerate(tier_names)),
        )
    except ValidationError:
        reject()  # a text the program's rules refuse


@st.composite
def _tenant_contact_policies(draw: st.DrawFn, tenant_id: str) -> TenantContactPolicy:
    at = draw(st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)), label="updated_at")  # noqa: DTZ001 (hypothesis bounds are naive)
    policy = draw(st.sampled_from([DEFAULT_CONTACT_POLICY, ContactPolicy()]), label="policy")
    return TenantContactPolicy.configure(tenant_id=TenantId(tenant_id), policy=policy, at=at)


@st.composite
def _customer_settings(draw: st.DrawFn, tenant_id: str, texts: st.SearchStrategy[str]) -> CustomerSettings:
    names = draw(st.lists(texts, min_size=2, max_size=4, unique=True), label="stages")
    try:
        lifecycle = Lifecycle.from_table({a: [b for b in names if b != a] for a in names}, initial=names[0])
    except ValidationError:
        reject()  # a text the stage rules refuse (blank, too long)
    key = draw(texts, label="attribute key")
    return CustomerSettings(
        tenant_id=TenantId(tenant_id),
        id=CUSTOMER_SETTINGS_ID,
        lifecycle=lifecycle,
        attribute_types={key: AttributeType.STR},
    )
