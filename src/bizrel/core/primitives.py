"""attrs objects as JSON-ready primitives and back, driven by their type hints: one mechanism for all.

Every aggregate, value object, event and analytic result is an attrs class, so one codec serves
them all and a new class needs no hand-written mapping. Plans are compiled once per class into
straight-line functions (the way attrs builds its own __init__); encoding a value never inspects
types again. Nothing passes through a float: Money is {"amount": "12.30", "currency": "USD"},
Decimals are strings, datetimes ISO 8601 with their offset, dates ISO, enums their value.

Two formats share the mechanism and differ only in a few scalars: `JSON` (web APIs, `to_dict()`)
keeps each datetime's own offset and writes str-keyed dicts as JSON objects; the store's format
(bizrel.adapters.codec) writes instants as fixed-width UTC text, which sorts and indexes as text.
Decoding refuses what it cannot rebuild with a ValidationError naming the field.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, NewType, TypeVar, cast

import attrs

from bizrel.core.errors import BizrelError, ValidationError
from bizrel.core.money import Currency, Money

__all__ = [
    "JSON",
    "Codec",
    "Primitives",
    "from_json",
    "from_primitives",
    "to_json",
    "to_primitives",
]

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]
T = TypeVar("T")
P = TypeVar("P", bound="Primitives")


def _identity(value: Any) -> Any:
    return value


def _decode_decimal(s: str | int) -> Decimal:
    if isinstance(s, bool | float):  # the only way a float would sneak back in
        raise ValidationError("amount", s, "floats are not exact: pass a str")
    return Decimal(s)


def _aware_datetime(s: str) -> datetime:
    value = datetime.fromisoformat(s)
    if value.tzinfo is None:
        raise ValidationError("datetime", s, "needs a UTC offset (timezone-aware datetimes only)")
    return value


def _timedelta_text(td: timedelta) -> str:
    """Exact seconds as decimal text (total_seconds() is a float)."""
    return str(Decimal(td // timedelta(microseconds=1)).scaleb(-6))


def _timedelta_of(s: str) -> timedelta:
    return timedelta(microseconds=int(Decimal(s).scaleb(6)))


def _plain_str(tp: Any) -> bool:
    """Whether values of `tp` are JSON object keys as they are (str, str NewTypes, str enums)."""
    while isinstance(tp, NewType):
        tp = tp.__supertype__
    if tp is str:
        return True
    if typing.get_origin(tp) is typing.Literal:
        return all(isinstance(a, str) for a in typing.get_args(tp))
    return isinstance(tp, type) and issubclass(tp, enum.Enum) and all(isinstance(m.value, str) for m in tp)


class Codec:
    """A compiled encoder and decoder per type, for one format.

    `datetimes` and `timedeltas` are each an (encode, decode) pair; `object_keys` writes dicts
    whose keys are strings as JSON objects (otherwise every dict is a list of [key, value] pairs,
    which also carries non-string keys). Decoding accepts both dict layouts.
    """

    def __init__(
        self,
        *,
        datetimes: tuple[Encoder, Decoder],
        timedeltas: tuple[Encoder, Decoder],
        object_keys: bool,
    ) -> None:
        self._scalars: dict[Any, tuple[Encoder, Decoder]] = {
            str: (_identity, _identity),
            int: (_identity, _identity),
            bool: (_identity, _identity),
            type(None): (_identity, _identity),
            Any: (_identity, _identity),
            object: (_identity, _identity),
            Decimal: (str, _decode_decimal),
            Money: (Money.to_dict, Money.from_dict),
            Currency: (lambda c: c.code, Currency.of),
            datetime: datetimes,
            date: (date.isoformat, date.fromisoformat),
            time: (time.isoformat, time.fromisoformat),
            Fraction: (str, Fraction),
            timedelta: timedeltas,
        }
        self._object_keys = object_keys
        self._plans: dict[Any, tuple[Encoder, Decoder]] = {}

    # -- public -------------------------------------------------------------------------------

    def encode(self, value: Any, tp: Any = None) -> Any:
        """`value` as JSON-ready primitives; its declared type `tp` if given, else its own class.

        Values that are not attrs objects (lists, dicts and tuples of them, Decimals, ...) are
        encoded by their run-time type, so any result bizrel returns can be written.
        """
        if tp is None:
            return self._encode_runtime(value)
        return self.encoder(tp)(value)

    def decode(self, cls: type[T] | Any, data: Any) -> T:
        """Rebuild a `cls` from primitives; anything that does not fit is a ValidationError."""
        try:
            result: T = self.decoder(cls)(data)
        except BizrelError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, InvalidOperation) as exc:
            raise self._locate(cls, data, exc) from None
        return result

    def encoder(self, tp: Any) -> Encoder:
        return self._plan(tp)[0]

    def decoder(self, tp: Any) -> Decoder:
        return self._plan(tp)[1]

    # -- run-time values ----------------------------------------------------------------------

    def _encode_runtime(self, value: Any) -> Any:
        tp = type(value)
        if tp in self._scalars or attrs.has(tp) or isinstance(value, enum.Enum):
            return self.encoder(tp)(value)
        if isinstance(value, Mapping):
            if self._object_keys and all(isinstance(k, str) for k in value):
                return {k: self._encode_runtime(v) for k, v in value.items()}
            return [[self._encode_runtime(k), self._encode_runtime(v)] for k, v in value.items()]
        if isinstance(value, list | tuple):
            return [self._encode_runtime(v) for v in value]
        if isinstance(value, set | frozenset):
            return sorted(self._encode_runtime(v) for v in value)
        if isinstance(value, float):
            raise ValidationError("value", value, "floats are not exact: bizrel never writes one")
        raise ValidationError("value", value, f"{tp.__qualname__} has no JSON form")

    # -- plans --------------------------------------------------------------------------------

    def _plan(self, tp: Any) -> tuple[Encoder, Decoder]:
        plan = self._plans.get(tp)
        if plan is None:
            plan = self._plans[tp] = self._build(tp)
        return plan

    def _build(self, tp: Any) -> tuple[Encoder, Decoder]:
        while isinstance(tp, NewType):
            tp = tp.__supertype__
        if tp in self._scalars:
            return self._scalars[tp]
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Literal:
            return _identity, _identity
        if origin in (typing.Union, types.UnionType):
            return self._union_plan(args)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return self._fixed_tuple_plan(args)
        if origin in (tuple, list, frozenset, set, Sequence):
            return self._collection_plan(origin, args[0])
        if origin in (dict, Mapping):
            return self._dict_plan(args[0], args[1])
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return (lambda e: e.value), tp
        if isinstance(tp, type) and attrs.has(tp):
            return self._attrs_plan(tp)
        raise TypeError(f"bizrel's codec cannot write values of type {tp!r}")

    def _collection_plan(self, origin: Any, item: Any) -> tuple[Encoder, Decoder]:
        enc_item, dec_item = self.encoder(item), self.decoder(item)
        container: Callable[[Any], Any] = {Sequence: tuple}.get(origin, origin)
        if origin in (frozenset, set):
            return (lambda v: sorted(enc_item(x) for x in v)), (lambda v: container(dec_item(x) for x in v))
        return (lambda v: [enc_item(x) for x in v]), (lambda v: container(dec_item(x) for x in v))

    def _dict_plan(self, key: Any, value: Any) -> tuple[Encoder, Decoder]:
        enc_k, dec_k = self.encoder(key), self.decoder(key)
        enc_v, dec_v = self.encoder(value), self.decoder(value)

        def dec(v: Any) -> dict[Any, Any]:
            pairs = v.items() if isinstance(v, Mapping) else v
            return {dec_k(k): dec_v(x) for k, x in pairs}

        if self._object_keys and _plain_str(key):
            return (lambda v: {enc_k(k): enc_v(x) for k, x in v.items()}), dec
        return (lambda v: [[enc_k(k), enc_v(x)] for k, x in v.items()]), dec

    def _fixed_tuple_plan(self, args: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
        encs = [self.encoder(a) for a in args]
        decs = [self.decoder(a) for a in args]
        return (
            (lambda v: [e(x) for e, x in zip(encs, v, strict=True)]),
            (lambda v: tuple(d(x) for d, x in zip(decs, v, strict=True))),
        )

    def _union_plan(self, args: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
        members = [a for a in args if a is not type(None)]
        nullable = len(members) < len(args)
        if len(members) == 1:
            enc, dec = self.encoder(members[0]), self.decoder(members[0])
            if not nullable:
                return enc, dec
            return (lambda v: None if v is None else enc(v)), (lambda v: None if v is None else dec(v))
        # several members: tag the value with its class name so decoding knows which to build
        by_name = {_tag(m): m for m in members}

        def enc_tagged(v: Any) -> Any:
            if v is None:
                return None
            return [_tag(type(v)), self.encoder(type(v))(v)]

        def dec_tagged(v: Any) -> Any:
            if v is None:
                return None
            return self.decoder(by_name[v[0]])(v[1])

        return enc_tagged, dec_tagged

    def _attrs_plan(self, cls: type) -> tuple[Encoder, Decoder]:
        """Generated, straight-line encode/decode functions for one attrs class.

        Field plans are resolved on first use (so classes may refer to each other, as predicate
        trees do), then compiled into one function each: fields whose values are already
        JSON-ready are copied without a call.
        """
        specs = _init_fields(cls)
        compiled: list[Callable[[Any], Any]] = []

        def compile_plans() -> None:
            namespace: dict[str, Any] = {"cls": cls}
            enc_items, dec_items = [], []
            for i, (name, alias, tp) in enumerate(specs):
                enc, dec = self.encoder(tp), self.decoder(tp)
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

        def dec(data: Mapping[str, Any]) -> Any:
            if not compiled:
                compile_plans()
            if len(data) < len(specs):  # written before a field existed: let its default apply
                return cls(**{a: self.decoder(tp)(data[n]) for n, a, tp in specs if n in data})
            return compiled[1](data)

        return enc, dec

    # -- errors -------------------------------------------------------------------------------

    def _locate(self, tp: Any, data: Any, exc: Exception, path: str = "") -> ValidationError:
        """The innermost field whose value could not be decoded, found again field by field."""
        while isinstance(tp, NewType):
            tp = tp.__supertype__
        if isinstance(tp, type) and attrs.has(tp) and tp not in self._scalars:
            if not isinstance(data, Mapping):
                return ValidationError(path or tp.__name__, data, f"expected an object for {tp.__name__}")
            for name, _alias, field_tp in _init_fields(tp):
                where = f"{path}.{name}" if path else name
                if name not in data:
                    if attrs.fields_dict(tp)[name].default is attrs.NOTHING:
                        return ValidationError(where, None, "missing")
                    continue
                try:
                    self.decoder(field_tp)(data[name])
                except BizrelError:
                    continue
                except Exception as inner:
                    return self._locate(field_tp, data[name], inner, where)
        return ValidationError(path or _tag(tp), data, f"cannot be read as {_tag(tp)}: {exc}")


def _tag(tp: Any) -> str:
    return getattr(tp, "__qualname__", repr(tp))


def _init_fields(cls: type) -> list[tuple[str, str, Any]]:
    """(name, __init__ argument, type hint) of each field the constructor takes."""
    hints = typing.get_type_hints(cls)
    return [(f.name, f.alias or f.name, hints[f.name]) for f in attrs.fields(cls) if f.init]


JSON = Codec(
    datetimes=(datetime.isoformat, _aware_datetime),
    timedeltas=(_timedelta_text, _timedelta_of),
    object_keys=True,
)
"""The web-API format: datetimes keep their own offset, str-keyed dicts are JSON objects."""


def to_primitives(value: Any) -> Any:
    """Any bizrel object (or list, tuple or dict of them) as JSON-ready primitives."""
    return JSON.encode(value)


def from_primitives(cls: type[T], data: Any) -> T:
    """The `cls` that `to_primitives` wrote as `data`; refuses what does not fit (ValidationError)."""
    return JSON.decode(cls, data)


def to_json(value: Any, *, indent: int | None = None) -> str:
    """Any bizrel object as JSON text: exact money as strings, never a float."""
    return json.dumps(to_primitives(value), indent=indent)


def from_json(cls: type[T], text: str | bytes) -> T:
    """The `cls` that `to_json` wrote."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationError("json", text[:80], f"not JSON: {exc}") from None
    return from_primitives(cls, data)


class Primitives:
    """`to_dict()` and `from_dict()` for an attrs class, through the one JSON codec.

    Aggregates, value objects and results inherit it; it adds no state (empty __slots__).
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The object as JSON-ready primitives (`json.dumps` takes it as is)."""
        result: dict[str, Any] = JSON.encode(self, cast(Any, type(self)))
        return result

    @classmethod
    def from_dict(cls: type[P], data: Mapping[str, Any]) -> P:
        """The object `to_dict()` wrote, equal to the original."""
        return JSON.decode(cls, data)
