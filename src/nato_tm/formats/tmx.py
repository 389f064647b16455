"""TMX 1.1-1.4b reader: streams translation units with memory constant in the file's size.

What real tools write is accepted: UTF-8 or UTF-16 with or without a BOM, TMX 1.1 ``lang``
as well as ``xml:lang``, ``srclang="*all*"`` and ``srclang`` on a tu, several tuvs per
language, inline markup (kept as the seg's inner XML), notes, props, dates, usage counts
and comments. A tu that cannot be used is yielded as ``Skipped``; a broken file raises
``FormatError`` with its line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import PurePath
from typing import IO, Any

from lxml import etree

from nato_tm.errors import FormatError
from nato_tm.formats import xmlsafe
from nato_tm.formats.records import Skipped, UnitRecord, VariantRecord
from nato_tm.formats.registry import Format, ReadOptions, Record

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ALL = "*all*"
# Inline elements whose content is native code, not text: left out of the plain text.
CODES = frozenset({"bpt", "ept", "it", "ph", "ut"})
# The previous segment, per tuv, for context matches (see docs in tm_exchange).
CONTEXT_PROP = "x-context-pre"
# A unit's collection, written by our export and taken back as the unit's origin on import.
ORIGIN_PROP = "x-origin"
# tu/tuv attributes the record names; the others go to ``attrs`` and are written back on export.
NAMED = frozenset(
    {
        "tuid",
        "srclang",
        "creationdate",
        "creationid",
        "changedate",
        "changeid",
        "usagecount",
        "lastusagedate",
        "lang",
        XML_LANG,
    }
)
VERSIONS = ("1.1", "1.2", "1.3", "1.4", "1.4b")


class BadUnit(Exception):
    """A tu that cannot be used; becomes a ``Skipped`` record."""


def sniff(head: bytes) -> bool:
    """Whether the first bytes look like a TMX document (any of its usual encodings)."""
    for enc in ("utf-8", "utf-16-le", "utf-16-be"):
        text = head.decode(enc, errors="ignore")
        if "<tmx" in text:
            return True
    return False


def _bom(head: bytes) -> bytes:
    """The BOM to put before UTF-16 text that lacks one, so the parser can tell its byte order."""
    if head.startswith(b"<\x00"):
        return b"\xff\xfe"
    if head.startswith(b"\x00<"):
        return b"\xfe\xff"
    return b""


class _Prefixed:
    """A byte stream with a few bytes put in front of it (a missing BOM)."""

    def __init__(self, prefix: bytes, stream: IO[bytes]) -> None:
        self.prefix = prefix
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        """Read the prefix first, then the stream."""
        if not self.prefix:
            return self.stream.read(size)
        out, self.prefix = self.prefix, b""
        return out + self.stream.read(max(size - len(out), 1) if size > 0 else -1)


_TMX_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")


def _tmx_date(value: str) -> datetime | None:
    """The date of a string in TMX's own form; None if a field is out of range."""
    # strptime takes ~8 us a date, and CAT tools write three or four dates a unit: a tenth of what
    # a worker spends on a unit. Since Python 3.11 fromisoformat reads ISO 8601's basic form, which
    # this is, in C (0.3 us); each field has exactly two digits (four for the year), so strptime
    # would split it the same way, and both refuse the same out-of-range fields (tests/test_tmx_dates.py).
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def parse_date(value: str | None) -> datetime | None:
    """A TMX date (YYYYMMDDThhmmssZ), also accepting ISO 8601 as some tools write; UTC."""
    if not value:
        return None
    value = value.strip()
    if _TMX_DATE.fullmatch(value) and (found := _tmx_date(value)) is not None:
        return found
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadUnit(f"bad date {value!r} (TMX wants YYYYMMDDThhmmssZ)") from exc
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def _lang(elem: Any) -> str | None:
    value = elem.get(XML_LANG) or elem.get("lang")
    return value.strip() if value and value.strip() else None


def _local(elem: Any) -> str:
    tag = elem.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""  # comments and PIs have no name


def _named(elem: Any) -> list[tuple[str, Any]]:
    """The element's children with their local names: one pass, whose proxies the callers share."""
    return [(_local(child), child) for child in elem]


def _children(kids: list[tuple[str, Any]], name: str) -> list[Any]:
    return [child for local, child in kids if local == name]


def plain_text(seg: Any) -> str:
    """The seg's text without inline codes: bpt/ept/it/ph/ut content is native code, hi is text."""
    if not len(seg):  # no inline element (most segments)
        return seg.text or ""
    parts = [seg.text or ""]
    for child in seg:
        name = _local(child)
        if name == "hi":
            parts.append(plain_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def inner_xml(seg: Any) -> str | None:
    """The seg's inner XML when it holds inline elements (comments dropped); None for plain text."""
    if not len(seg) or not any(isinstance(c.tag, str) for c in seg):
        return None
    parts = [_escape(seg.text or "")]
    for child in seg:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", with_tail=False))
        parts.append(_escape(child.tail or ""))
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _props_notes(kids: list[tuple[str, Any]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    props: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    for name, child in kids:
        if name == "prop":
            prop = {"type": child.get("type", ""), "value": child.text or ""}
            if _lang(child):
                prop["lang"] = _lang(child) or ""
            props.append(prop)
        elif name == "note":
            note = {"text": child.text or ""}
            if _lang(child):
                note["lang"] = _lang(child) or ""
            notes.append(note)
    return props, notes


def _attrs(elem: Any) -> dict[str, Any]:
    return {str(k): str(v) for k, v in elem.attrib.items() if k not in NAMED}


def _usage(elem: Any) -> int:
    value = elem.get("usagecount")
    if value is None:
        return 0
    try:
        return max(0, int(value))
    except ValueError as exc:
        raise BadUnit(f"bad usagecount {value!r}") from exc


def _variant(tuv: Any) -> VariantRecord:
    lang = _lang(tuv)
    if lang is None:
        raise BadUnit("a tuv has no xml:lang (or lang)")
    kids = _named(tuv)
    segs = _children(kids, "seg")
    if len(segs) != 1:
        raise BadUnit(f"the {lang} tuv has {len(segs)} seg elements, not 1")
    props, notes = _props_notes(kids)
    context = next((p["value"] for p in props if p["type"] == CONTEXT_PROP and p["value"]), None)
    attrs = _attrs(tuv)
    for name in ("usagecount", "lastusagedate"):  # rare on a tuv; kept for export
        if tuv.get(name) is not None:
            attrs[name] = tuv.get(name)
    return VariantRecord(
        lang_tag=lang,
        text=plain_text(segs[0]),
        markup=inner_xml(segs[0]),
        context_prev=context,
        created_at=parse_date(tuv.get("creationdate")),
        created_by=tuv.get("creationid"),
        changed_at=parse_date(tuv.get("changedate")),
        changed_by=tuv.get("changeid"),
        props=props,
        notes=notes,
        attrs=attrs,
    )


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-", 1)[0].lower()


def _check_usable(variants: list[VariantRecord], srclang: str) -> None:
    filled = [v for v in variants if v.text.strip()]
    sources = filled if srclang == ALL else [v for v in filled if _primary(v.lang_tag) == _primary(srclang)]
    if not sources:
        raise BadUnit(f"no usable source: no non-empty {srclang} segment")
    if len({_primary(v.lang_tag) for v in filled}) < 2:
        raise BadUnit("no translation: the tu has segments in only one language")


def unit_from_tu(tu: Any, header_srclang: str, origin: str, line_delta: int = 0) -> UnitRecord:
    """Build a record from a parsed ``tu`` element; raise BadUnit if it cannot be used.

    ``line_delta``: lines of the file before the parsed text (a chunk parsed on its own).
    """
    srclang = (tu.get("srclang") or header_srclang).strip()
    kids = _named(tu)
    variants = [_variant(tuv) for tuv in _children(kids, "tuv")]
    _check_usable(variants, srclang)
    props, notes = _props_notes(kids)
    named = next((p["value"] for p in props if p["type"] == ORIGIN_PROP and p["value"].strip()), None)
    if named is not None:
        props = [p for p in props if p["type"] != ORIGIN_PROP]
    return UnitRecord(
        variants=variants,
        tuid=tu.get("tuid"),
        srclang=None if srclang == ALL else srclang,
        origin=named or origin,
        created_at=parse_date(tu.get("creationdate")),
        created_by=tu.get("creationid"),
        changed_at=parse_date(tu.get("changedate")),
        changed_by=tu.get("changeid"),
        usage_count=_usage(tu),
        last_used_at=parse_date(tu.get("lastusagedate")),
        props=props,
        notes=notes,
        attrs=_attrs(tu),
        line=_line(tu, line_delta),
    )


def _line(elem: Any, delta: int) -> int | None:
    line: int | None = elem.sourceline
    return None if line is None else line + delta


def _check_root(elem: Any, name: str) -> None:
    if _local(elem) != "tmx":
        raise FormatError(f"not a TMX file: the root element is <{_local(elem)}>", file=name, line=elem.sourceline)
    version = (elem.get("version") or "").strip()
    if version not in VERSIONS:
        raise FormatError(
            f"unsupported TMX version {version!r} (expected one of {', '.join(VERSIONS)})",
            file=name,
            line=elem.sourceline,
        )


def _check_header(elem: Any, name: str) -> str:
    srclang = (elem.get("srclang") or "").strip()
    if not srclang:
        raise FormatError("wrong TMX header: no srclang attribute", file=name, line=elem.sourceline)
    return srclang


def _drop(elem: Any) -> None:
    # Free what has been read, so memory stays constant however long the file is.
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]


def origin_of(name: str, options: ReadOptions) -> str:
    """The origin of the units read from file ``name``: the one asked for, else the file's name."""
    return options.origin or PurePath(name).name


def read(stream: IO[bytes], name: str, options: ReadOptions) -> Iterator[Record]:
    """Yield a UnitRecord per usable tu and a Skipped per unusable one, in file order."""
    head = stream.read(4)
    stream.seek(0)
    return read_source(_Prefixed(_bom(head), stream), name, origin_of(name, options))


def read_source(source: Any, name: str, origin: str, line_delta: int = 0) -> Iterator[Record]:
    """``read`` of a byte source; ``line_delta`` is added to the line of every record (a chunk of a file)."""
    header_srclang: str | None = None
    depth = 0
    for event, elem in xmlsafe.iterparse(source, name, record_depth=3):
        local = _local(elem)
        depth += 1 if event == "start" else -1
        if event == "start":
            if depth == 1:
                _check_root(elem, name)
            elif local == "body" and depth == 2 and header_srclang is None:
                raise FormatError("missing TMX header before <body>", file=name, line=elem.sourceline)
            continue
        if local == "header" and depth == 1:
            header_srclang = _check_header(elem, name)
            _drop(elem)
        elif local == "tu" and depth == 2:
            yield tu_record(elem, header_srclang or ALL, origin, name, line_delta)
            _drop(elem)
    if header_srclang is None:
        raise FormatError("missing TMX header", file=name)


def tu_record(tu: Any, srclang: str, origin: str, name: str, line_delta: int = 0) -> Record:
    """The record of a parsed ``tu``: a UnitRecord, or a Skipped saying why it cannot be used."""
    try:
        return unit_from_tu(tu, srclang, origin, line_delta)
    except BadUnit as exc:
        tuid = f" (tuid {tu.get('tuid')})" if tu.get("tuid") else ""
        return Skipped(where=f"{name}:{_line(tu, line_delta)}: tu{tuid}", reason=str(exc))


FORMAT = Format(name="tmx", kind="memory", extensions=("tmx",), sniff=sniff, read=read)
