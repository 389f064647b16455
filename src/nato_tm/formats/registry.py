"""Which formats exist and how a file's format is recognised from its content and name."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO

from nato_tm.errors import Unsupported
from nato_tm.formats.records import ConceptRecord, Skipped, UnitRecord

Record = ConceptRecord | UnitRecord | Skipped


@dataclass(frozen=True)
class ReadOptions:
    """What a reader may need beyond the bytes: languages for headerless glossaries, an origin."""

    src_lang: str = "fr"
    tgt_lang: str = "en"
    origin: str = ""


@dataclass(frozen=True)
class Format:
    """A file format: its name, what it holds, how to recognise it and how to read it."""

    name: str
    kind: str  # "terms" or "memory"
    extensions: tuple[str, ...]
    sniff: Callable[[bytes], bool]  # given the file's first bytes
    read: Callable[[IO[bytes], str, ReadOptions], Iterator[Record]]
    aliases: tuple[str, ...] = field(default=())


# One module per format; each defines FORMAT. Imported lazily so a broken one cannot stop the rest.
MODULES = ("tbx", "tmx", "tsv", "glossary")


def formats() -> list[Format]:
    """Every format the service reads, in sniffing order."""
    found = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"nato_tm.formats.{name}")
        except ModuleNotFoundError:
            continue
        found.append(module.FORMAT)
    return found


def by_name(name: str) -> Format:
    """The format called ``name`` (or one of its aliases)."""
    for fmt in formats():
        if name == fmt.name or name in fmt.aliases:
            return fmt
    known = ", ".join(sorted(f.name for f in formats()))
    raise Unsupported(f"unknown format {name!r} (known: {known})")


def detect(head: bytes, filename: str) -> Format:
    """Recognise a format from the file's first bytes, then from its extension."""
    candidates = formats()
    for fmt in candidates:
        if fmt.sniff(head):
            return fmt
    suffix = PurePath(filename).suffix.lower().lstrip(".")
    for fmt in candidates:
        if suffix in fmt.extensions:
            return fmt
    raise Unsupported(f"{filename}: cannot tell the file's format; give --format")
