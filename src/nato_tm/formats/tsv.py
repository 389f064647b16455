"""Translation-memory TSV: a header row naming each column, one translation unit per line.

Columns whose header is a language tag (``en``, ``fr``, ``fr-CA``) hold segments; every other
column becomes a prop on the unit, typed ``x-<column>`` (TMX wants user-defined prop types to
start with ``x-``), e.g. ``catalogue`` -> ``x-catalogue``. The first language column is the
unit's source language. As in the shared data files, there is no quoting: one TAB separates
fields and no field holds a TAB or a newline. A line with the wrong number of fields, or without
text in at least two languages, is yielded as ``Skipped``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import IO

from nato_tm.errors import FormatError
from nato_tm.formats.records import Skipped, UnitRecord, VariantRecord
from nato_tm.formats.registry import Format, ReadOptions, Record
from nato_tm.formats.xmlsafe import not_xml

# ISO 639-1 primary subtag, optional region/script subtags: en, fr, fr-CA, en_GB, zh-Hant-TW.
LANG_TAG = re.compile(r"^[A-Za-z]{2}(?:[-_][A-Za-z0-9]{2,8})*$")


def _header_langs(cells: list[str]) -> list[int]:
    return [i for i, c in enumerate(cells) if LANG_TAG.match(c.strip())]


def sniff(head: bytes) -> bool:
    """A first line with TABs and at least two language-tag columns."""
    first = head.decode("utf-8-sig", errors="ignore").split("\n", 1)[0].rstrip("\r")
    return "\t" in first and "<" not in first and len(_header_langs(first.split("\t"))) >= 2


def _prop_type(column: str) -> str:
    column = column.strip() or "column"
    return column if column.startswith("x-") else f"x-{column}"


def _row(cells: list[str], header: list[str], langs: list[int], origin: str, where: str) -> Record:
    if len(cells) != len(header):
        return Skipped(where=where, reason=f"{len(cells)} fields where the header has {len(header)}")
    if bad := next((not_xml(c) for c in cells if not_xml(c)), None):
        return Skipped(where=where, reason=f"the control character {bad} cannot be stored (TMX cannot carry it)")
    variants = [VariantRecord(lang_tag=header[i].strip(), text=cells[i]) for i in langs if cells[i].strip()]
    if len({v.lang_tag.split("-")[0].lower() for v in variants}) < 2:
        return Skipped(where=where, reason="text in fewer than two languages")
    if not cells[langs[0]].strip():
        return Skipped(where=where, reason=f"no usable source: the {header[langs[0]]} column is empty")
    props = [
        {"type": _prop_type(header[i]), "value": cells[i]} for i in range(len(header)) if i not in langs and cells[i]
    ]
    return UnitRecord(variants=variants, srclang=header[langs[0]].strip(), origin=origin, props=props)


def read(stream: IO[bytes], name: str, options: ReadOptions) -> Iterator[Record]:
    """Yield a UnitRecord per usable line and a Skipped per unusable one; streams line by line."""
    origin = options.origin or PurePath(name).name
    header: list[str] | None = None
    langs: list[int] = []
    number = 0
    try:
        for number, raw in enumerate(stream, start=1):
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            if header is None:
                header = line.split("\t")
                langs = _header_langs(header)
                if len(langs) < 2:
                    raise FormatError(
                        f"the header row must name at least two language columns (e.g. en, fr), not {line[:80]!r}",
                        file=name,
                        line=1,
                    )
                continue
            if not line.strip():
                continue
            yield _row(line.split("\t"), header, langs, origin, f"{name}:{number}")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text ({exc.reason})", file=name, line=number, column=exc.start + 1) from exc
    if header is None:
        raise FormatError("empty file: no header row", file=name)


FORMAT = Format(name="tsv", kind="memory", extensions=("tsv", "tab"), sniff=sniff, read=read)
