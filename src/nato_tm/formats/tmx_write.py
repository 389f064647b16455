"""TMX 1.4b writer: a header, then one tu at a time, so that exports stream.

The output validates against the TMX 1.4b DTD: a DOCTYPE, every required header attribute,
notes and props before tuvs, only the attributes the DTD allows (others a reader kept are
dropped), dates as YYYYMMDDThhmmssZ and inline markup restored from ``VariantRecord.markup``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any

from lxml import etree

from nato_tm import __version__
from nato_tm.formats import xmlsafe
from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.formats.tmx import XML_LANG

SEGTYPES = ("block", "paragraph", "sentence", "phrase")
# Attributes the DTD allows besides those the records name.
TU_ATTRS = ("o-encoding", "datatype", "creationtool", "creationtoolversion", "segtype", "o-tmf")
TUV_ATTRS = ("o-encoding", "datatype", "usagecount", "lastusagedate", "creationtool", "creationtoolversion", "o-tmf")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def tmx_date(value: datetime) -> str:
    """A datetime as TMX writes it (UTC, YYYYMMDDThhmmssZ); naive values are taken as UTC."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.strftime("%Y%m%dT%H%M%SZ")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _notes_props(elem: Any, notes: Sequence[dict[str, str]], props: Sequence[dict[str, str]]) -> None:
    for note in notes:
        child = etree.SubElement(elem, "note")
        child.text = _clean(note.get("text", ""))
        if note.get("lang"):
            child.set(XML_LANG, note["lang"])
    for prop in props:
        child = etree.SubElement(elem, "prop", type=prop.get("type") or "x-unknown")
        child.text = _clean(prop.get("value", ""))
        if prop.get("lang"):
            child.set(XML_LANG, prop["lang"])


def _set_common(elem: Any, rec: UnitRecord | VariantRecord, allowed: Sequence[str]) -> None:
    for name in allowed:
        value = rec.attrs.get(name)
        if value is not None and (name != "segtype" or value in SEGTYPES):
            elem.set(name, _clean(str(value)))
    for name, when in (("creationdate", rec.created_at), ("changedate", rec.changed_at)):
        if when is not None:
            elem.set(name, tmx_date(when))
    for name, who in (("creationid", rec.created_by), ("changeid", rec.changed_by)):
        if who:
            elem.set(name, _clean(who))


def _seg(tuv: Any, variant: VariantRecord) -> None:
    seg = etree.SubElement(tuv, "seg")
    if variant.markup:
        try:
            parsed = xmlsafe.fromstring(f"<seg>{variant.markup}</seg>".encode(), "markup")
        except Exception:  # stored markup that no longer parses: keep the text rather than fail
            parsed = None
        if parsed is not None:
            seg.text = parsed.text
            seg.extend(list(parsed))
            return
    seg.text = _clean(variant.text)


def tu_element(rec: UnitRecord) -> Any:
    """The ``tu`` element for a unit record."""
    tu = etree.Element("tu")
    if rec.tuid:
        tu.set("tuid", _clean(rec.tuid))
    if rec.srclang:
        tu.set("srclang", rec.srclang)
    _set_common(tu, rec, TU_ATTRS)
    if rec.usage_count:
        tu.set("usagecount", str(rec.usage_count))
    if rec.last_used_at is not None:
        tu.set("lastusagedate", tmx_date(rec.last_used_at))
    _notes_props(tu, rec.notes, rec.props)
    for variant in rec.variants:
        tuv = etree.SubElement(tu, "tuv")
        tuv.set(XML_LANG, variant.lang_tag)
        _set_common(tuv, variant, TUV_ATTRS)
        _notes_props(tuv, variant.notes, variant.props)
        _seg(tuv, variant)
    return tu


def write_header(
    stream: IO[bytes],
    *,
    srclang: str = "*all*",
    segtype: str = "sentence",
    notes: Sequence[dict[str, str]] = (),
    props: Sequence[dict[str, str]] = (),
    created: datetime | None = None,
) -> None:
    """Write the XML declaration, the DOCTYPE, the header and the opening of the body."""
    header = etree.Element(
        "header",
        creationtool="nato-tm",
        creationtoolversion=__version__,
        segtype=segtype,
        adminlang="en",
        srclang=srclang,
        datatype="plaintext",
    )
    header.set("o-tmf", "nato-tm")
    header.set("creationdate", tmx_date(created or datetime.now(UTC)))
    _notes_props(header, notes, props)
    stream.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n<tmx version="1.4">\n')
    stream.write(etree.tostring(header, encoding="utf-8", pretty_print=True))
    stream.write(b"<body>\n")


def write_unit(stream: IO[bytes], rec: UnitRecord) -> None:
    """Write one tu."""
    # No pretty-printing: it would put whitespace into segs that start with an inline tag.
    stream.write(etree.tostring(tu_element(rec), encoding="utf-8") + b"\n")


def write_footer(stream: IO[bytes]) -> None:
    """Close the body and the document."""
    stream.write(b"</body>\n</tmx>\n")
