"""The JSON serialiser converts each value as its definition says (the former isinstance chain is the reference)."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path, PurePath, PurePosixPath
from types import MappingProxyType
from typing import Any

from nato_tm.services.documents import dumps, to_jsonable


def reference(obj: Any) -> Any:
    """The serialiser as it was defined before conversions were chosen once per type."""
    if type(obj) in (str, int, float, bool, type(None)):
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: reference(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): reference(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [reference(v) for v in obj]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return reference(obj.value)
    if isinstance(obj, PurePath):
        return str(obj)
    return obj


class Colour(enum.Enum):
    RED = "red"
    PAIR = (1, 2)


class Band(str, enum.Enum):  # noqa: UP042 - the str mixin is the case to cover (StrEnum below)
    EXACT = "exact"


class Kind(enum.StrEnum):
    UNIT = "unit"


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


@dataclasses.dataclass(slots=True)
class Edit:
    op: str
    at: int


@dataclasses.dataclass
class Match:
    score: int
    band: Band
    edits: list[Edit]
    seen: datetime | None
    extra: dict[Any, Any]


@dataclasses.dataclass
class Record(Mapping[str, int]):  # a dataclass that is also a mapping: a dataclass first
    a: int

    def __getitem__(self, key: str) -> int:
        return self.a

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(["zz"])

    def __len__(self) -> int:
        return 1


SAMPLES: list[Any] = [
    None,
    True,
    3,
    2.5,
    "Éléments « cités »",
    Name("sub-str"),
    [1, (2, 3), {4}, frozenset({5})],
    {"k": [1, 2]},
    {7: "int key", None: "none key", True: "bool key", (1, 2): "tuple key", 2.5: "float key"},
    Kind.UNIT,
    MappingProxyType({"read": "only"}),
    date(2026, 11, 28),
    datetime(2026, 11, 28, 13, 30, tzinfo=UTC),
    Colour.RED,
    Colour.PAIR,
    Band.EXACT,
    Level.HIGH,
    {Band.EXACT: "enum key"},
    PurePosixPath("/tmp/x.tmx"),
    Path("relative/y.tbx"),
    Edit,  # a dataclass class itself, not an instance
    Record(7),
    object,
    Match(
        score=97,
        band=Band.EXACT,
        edits=[Edit("insert", 3), Edit("delete", 9)],
        seen=datetime(2026, 1, 2, 3, 4, 5),
        extra={"nested": [Edit("x", 1), {"deeper": (Level.HIGH, date(2020, 1, 1))}]},
    ),
]


def test_each_value_converts_as_the_definition_says() -> None:
    for sample in SAMPLES:
        assert to_jsonable(sample) == reference(sample), sample
        # Twice: the second time the conversion is the one remembered for the type.
        assert to_jsonable(sample) == reference(sample), sample


def test_the_json_text_is_the_same() -> None:
    for sample in SAMPLES:
        if sample in (Edit, object):
            continue  # a class is not JSON, before as now
        assert dumps(sample, indent=None) == json.dumps(reference(sample), ensure_ascii=False)


def test_lookup_documents_serialise_as_before(db) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.services.tm_lookup import lookup

    matched = 0
    for query in ("Le Conseil de l'Atlantique Nord", "OTAN", "le comité militaire s'est réuni"):
        doc = lookup(db, query, "fr", "en", min_score=0, limit=10)
        matched += len(doc.matches)
        assert to_jsonable(doc) == reference(doc)
        assert dumps(doc) == json.dumps(reference(doc), ensure_ascii=False, indent=2)
    assert matched
