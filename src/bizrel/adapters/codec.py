"""Turns attrs domain objects into JSON-ready values and back, driven by their type hints.

One codec serves every aggregate, so adding an aggregate needs no hand-written mapping. Plans are
compiled once per class into closures; encoding a value never inspects types again.
Money is written as {"amount": "12.30", "currency": "USD"}, datetimes as ISO 8601 in UTC,
Decimals as strings: nothing passes through a float.
"""

from __future__ import annotations

import enum
import importlib
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, NewType, TypeVar, cast

import attrs

from bizrel.core.events import DomainEvent
from bizrel.core.money import Currency, Money

__all__ = ["decode", "decode_event", "encode", "encode_event"]

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]
T = TypeVar("T")


def encode(value: Any) -> Any:
    """An attrs object as a JSON-ready dict (any other supported value as its JSON form)."""
    return _encoder(cast(Any, type(value)))(value)


def decode(cls: type[T], data: Any) -> T:
    result: T = _decoder(cast(Any, cls))(data)
    return result


def encode_event(event: DomainEvent) -> tuple[str, dict[str, Any]]:
    return event.type_name(), encode(event)


def decode_event(type_name: str, payload: dict[str, Any]) -> DomainEvent:
    """Rebuild an event from the outbox; only DomainEvent subclasses can be named."""
    module_name, _, qualname = type_name.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, DomainEvent)):
        raise TypeError(f"{type_name} is not a DomainEvent")
    event: DomainEvent = decode(obj, payload)
    return event


# -- plans --------------------------------------------------------------------------------------


def _identity(value: Any) -> Any:
    return value


def _encode_money(m: Money) -> dict[str, str]:
    return {"amount": str(m.amount), "currency": m.currency.code}


def _decode_money(d: dict[str, str]) -> Money:
    return Money(d["amount"], d["currency"])


def _encode_datetime(dt: datetime) -> str:
    return (dt if dt.tzinfo is UTC else dt.astimezone(UTC)).isoformat()


def _decode_datetime(s: str) -> datetime:
    return datetime.fromisoformat(s).astimezone(UTC)


_SCALARS: dict[Any, tuple[Encoder, Decoder]] = {
    str: (_identity, _identity),
    int: (_identity, _identity),
    bool: (_identity, _identity),
    type(None): (_identity, _identity),
    Any: (_identity, _identity),
    Decimal: (str, Decimal),
    Money: (_encode_money, _decode_money),
    Currency: (lambda c: c.code, Currency.of),
    datetime: (_encode_datetime, _decode_datetime),
    date: (date.isoformat, date.fromisoformat),
    timedelta: (lambda td: td.total_seconds(), lambda s: timedelta(seconds=s)),
}


@cache
def _encoder(tp: Any) -> Encoder:
    return _plan(tp)[0]


@cache
def _decoder(tp: Any) -> Decoder:
    return _plan(tp)[1]


def _plan(tp: Any) -> tuple[Encoder, Decoder]:
    while isinstance(tp, NewType):
        tp = tp.__supertype__
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return _identity, _identity
    if origin in (typing.Union, types.UnionType):
        return _union_plan(args)
    if origin in (tuple, list, frozenset, set):
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item = args[0]
        elif origin is tuple:
            return _fixed_tuple_plan(args)
        else:
            item = args[0]
        enc_item, dec_item = _encoder(item), _decoder(item)
        container = {tuple: tuple, list: list, frozenset: frozenset, set: set}[origin]
        if origin in (frozenset, set):
            return (lambda v: sorted(enc_item(x) for x in v)), (lambda v: container(dec_item(x) for x in v))
        return (lambda v: [enc_item(x) for x in v]), (lambda v: container(dec_item(x) for x in v))
    if origin is dict:
        enc_k, dec_k = _encoder(args[0]), _decoder(args[0])
        enc_v, dec_v = _encoder(args[1]), _decoder(args[1])
        return (
            (lambda v: [[enc_k(k), enc_v(x)] for k, x in v.items()]),
            (lambda v: {dec_k(k): dec_v(x) for k, x in v}),
        )
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return (lambda e: e.value), tp
    if isinstance(tp, type) and attrs.has(tp):
        return _attrs_plan(tp)
    raise TypeError(f"bizrel's codec cannot store values of type {tp!r}")


def _fixed_tuple_plan(args: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
    encs = [_encoder(a) for a in args]
    decs = [_decoder(a) for a in args]
    return (
        (lambda v: [e(x) for e, x in zip(encs, v, strict=True)]),
        (lambda v: tuple(d(x) for d, x in zip(decs, v, strict=True))),
    )


def _union_plan(args: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
    members = [a for a in args if a is not type(None)]
    nullable = len(members) < len(args)
    if len(members) == 1:
        enc, dec = _encoder(members[0]), _decoder(members[0])
        if not nullable:
            return enc, dec
        return (lambda v: None if v is None else enc(v)), (lambda v: None if v is None else dec(v))
    # several members: tag the value with its class name so decoding knows which to build
    by_name = {_tag(m): m for m in members}

    def enc_tagged(v: Any) -> Any:
        if v is None:
            return None
        return [_tag(type(v)), _encoder(cast(Any, type(v)))(v)]

    def dec_tagged(v: Any) -> Any:
        if v is None:
            return None
        return _decoder(by_name[v[0]])(v[1])

    return enc_tagged, dec_tagged


def _tag(tp: Any) -> str:
    return getattr(tp, "__qualname__", repr(tp))


def _attrs_plan(cls: type) -> tuple[Encoder, Decoder]:
    """Generated, straight-line encode/decode functions for one attrs class.

    Field plans are resolved on first use (so classes may refer to each other, as predicate trees
    do), then compiled into one function each, the way attrs builds its own __init__: fields whose
    values are already JSON-ready are copied without a call.
    """
    hints = typing.get_type_hints(cls)
    specs = [(f.name, f.alias or f.name, hints[f.name]) for f in attrs.fields(cls) if f.init]
    compiled: list[Callable[[Any], Any]] = []

    def compile_plans() -> None:
        namespace: dict[str, Any] = {"cls": cls}
        enc_items, dec_items = [], []
        for i, (name, alias, tp) in enumerate(specs):
            enc, dec = _encoder(tp), _decoder(tp)
            namespace[f"e{i}"], namespace[f"d{i}"] = enc, dec
            value = f"obj.{name}"
            enc_items.append(f"{name!r}: {value if enc is _identity else f'e{i}({value})'}")
            raw = f"data[{name!r}]"
            dec_items.append(f"{alias}={raw if dec is _identity else f'd{i}({raw})'}")
        source = (
            f"def enc(obj):\n    return {{{', '.join(enc_items)}}}\n"
            f"def dec_all(data):\n    return cls({', '.join(dec_items)})\n"
        )
        exec(compile(source, f"<bizrel codec {cls.__qualname__}>", "exec"), namespace)
        compiled[:] = [namespace["enc"], namespace["dec_all"]]

    def enc(obj: Any) -> dict[str, Any]:
        if not compiled:
            compile_plans()
        result: dict[str, Any] = compiled[0](obj)
        return result

    def dec(data: dict[str, Any]) -> Any:
        if not compiled:
            compile_plans()
        if len(data) < len(specs):  # stored before a field existed: let its default apply
            return cls(**{a: _decoder(tp)(data[n]) for n, a, tp in specs if n in data})
        return compiled[1](data)

    return enc, dec
