"""The one JSON serialiser: the API and every ``--json`` print the same documents through it."""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

_ATOMS = (str, int, float, bool, type(None))


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_jsonable(obj: Any) -> Any:
    """Turn dataclasses, dates, enums and paths into plain JSON values, recursively."""
    # Leaves first: most values in a document are strings and numbers (enums are checked below).
    if type(obj) in _ATOMS:
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {name: to_jsonable(getattr(obj, name)) for name in _field_names(type(obj))}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, PurePath):
        return str(obj)
    return obj


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    """Serialise a service result as UTF-8 JSON text (accents and « » kept as they are)."""
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=indent)
