"""The one JSON serialiser: the API and every ``--json`` print the same documents through it."""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

_ATOMS = (str, int, float, bool, type(None))
Convert = Callable[[Any], Any]


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _same(obj: Any) -> Any:
    return obj


def _mapping(obj: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k): to_jsonable(v) for k, v in obj.items()}


def _sequence(obj: Any) -> list[Any]:
    return [to_jsonable(v) for v in obj]


def _isoformat(obj: date) -> str:
    return obj.isoformat()


def _enum(obj: enum.Enum) -> Any:
    return to_jsonable(obj.value)


def _dataclass(cls: type) -> Convert:
    names = _field_names(cls)

    def convert(obj: Any) -> dict[str, Any]:
        out = {}
        for name in names:
            value = getattr(obj, name)
            how = _CONVERTERS.get(type(value)) or _converter(type(value))
            out[name] = value if how is _same else how(value)
        return out

    return convert


def _choose(cls: type) -> Convert:
    # The order of the checks is the serialiser's definition: a dataclass that is also a mapping
    # is a dataclass, a datetime is a date, an enum that is also a str is an enum.
    if cls in _ATOMS:
        return _same
    if dataclasses.is_dataclass(cls):
        return _dataclass(cls)
    if issubclass(cls, Mapping):
        return _mapping
    if issubclass(cls, list | tuple | set | frozenset):
        return _sequence
    if issubclass(cls, datetime | date):
        return _isoformat
    if issubclass(cls, enum.Enum):
        return _enum
    if issubclass(cls, PurePath):
        return str
    return _same  # a class itself (even a dataclass) and anything else: as it is


# How each type seen so far is converted, chosen once per type: a document is mostly the same few
# types, and choosing by a chain of isinstance checks at every value was half of the serialiser's time.
_CONVERTERS: dict[type, Convert] = {}


def _converter(cls: type) -> Convert:
    how = _CONVERTERS[cls] = _choose(cls)
    return how


def to_jsonable(obj: Any) -> Any:
    """Turn dataclasses, dates, enums and paths into plain JSON values, recursively."""
    return (_CONVERTERS.get(type(obj)) or _converter(type(obj)))(obj)


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    """Serialise a service result as UTF-8 JSON text (accents and « » kept as they are)."""
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=indent)
