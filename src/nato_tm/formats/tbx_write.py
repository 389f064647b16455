"""Write concept records as TBX: v3 TBX-Basic DCA (validates) or v2 martif (for OmegaT and older tools).

A field TBX-Basic has no place for (an unknown data category kept in ``extra``, a part of speech
outside its value list) is written inside ``<note>tbx-extra: <...xml...></note>``; the reader
decodes such notes back into the element, so TBX -> store -> TBX loses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from nato_tm.formats.records import ConceptRecord, LangRecord, TermRecord

V3_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EXTRA_PREFIX = "tbx-extra: "
# Element names per TBX version: v3 core structure and v2 (martif) equivalents.
NAMES = {
    3: {"entry": "conceptEntry", "lang": "langSec", "term": "termSec"},
    2: {"entry": "termEntry", "lang": "langSet", "term": "tig"},
}
# What TBX-Basic allows: (element, type) -> allowed values (None: any), per the TBX-Basic Schematron.
BASIC_VALUES: dict[tuple[str, str], tuple[str, ...] | None] = {
    ("termNote", "termType"): ("fullForm", "acronym", "abbreviation", "shortForm", "variant", "phrase"),
    ("termNote", "administrativeStatus"): tuple(
        f"{s}Term-admn-sts" for s in ("preferred", "admitted", "deprecated", "superseded")
    ),
    ("termNote", "partOfSpeech"): ("adjective", "noun", "other", "verb", "adverb"),
    ("termNote", "grammaticalGender"): ("masculine", "feminine", "neuter", "other"),
    ("termNote", "geographicalUsage"): None,
}
# Elements kept in extra that may be written as they are at each level of a TBX-Basic file.
BASIC_EXTRA = {
    "entry": {("admin", "customerSubset"), ("admin", "projectSubset"), ("descrip", "definition")}
    | {("xref", "externalCrossReference")},
    "lang": {("xref", "externalCrossReference"), ("xref", "xGraphic")},
    "term": {("admin", "customerSubset"), ("admin", "projectSubset"), ("xref", "externalCrossReference")},
}
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


def safe_id(cid: str) -> str:
    """An xml:id-safe form of a concept id (TBX v3 ids are xsd:ID); ids that already fit are kept."""
    return cid if _NCNAME.match(cid) else "id-" + re.sub(r"[^\w.\-]", "_", cid)


def _basic_ok(node: Any, level: str) -> bool:
    """Whether a kept element is valid TBX-Basic as it is at this level."""
    if (etree.QName(node).localname, node.get("type")) not in BASIC_EXTRA[level] or len(node):
        return False
    attrs = set(node.attrib) - {"type", "id", XML_LANG}
    if node.tag == "xref":  # the Schematron wants an http(s) URL
        return attrs == {"target"} and str(node.get("target")).startswith(("http://", "https://"))
    return not attrs


class _Writer:
    """Builds one entry at a time, in the element names of one TBX version."""

    def __init__(self, version: int) -> None:
        self.version = version

    def el(self, parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
        name = tag
        node = etree.SubElement(
            parent, name, {k.replace("_", "-") if k != "xml_lang" else XML_LANG: v for k, v in attrs.items()}
        )
        if text is not None:
            node.text = text
        return node

    def raw(self, parent: Any, xml: str, level: str) -> None:
        """Write an element kept in extra, as itself where allowed, else inside a tbx-extra note."""
        node = etree.fromstring(xml)
        if self.version == 2 or _basic_ok(node, level):
            parent.append(node)
        else:
            self.el(parent, "note", EXTRA_PREFIX + xml)

    def term_note(self, parent: Any, typ: str, value: str | None) -> list[str]:
        """Write a termNote if TBX-Basic allows its value; return it encoded for a note otherwise."""
        if value is None:
            return []
        allowed = BASIC_VALUES.get(("termNote", typ))
        if self.version == 2 or allowed is None or value in allowed:
            self.el(parent, "termNote", value, type=typ)
            return []
        return [f'<termNote type="{typ}">{escape(value)}</termNote>']

    def grp(self, parent: Any, typ: str, value: str | None, source: str | None) -> None:
        if value is None:
            return
        if source is None:
            self.el(parent, "descrip", value, type=typ)
            return
        grp = self.el(parent, "descripGrp")
        self.el(grp, "descrip", value, type=typ)
        self.el(grp, "admin", source, type="source")

    def entry(self, rec: ConceptRecord) -> Any:
        tag = NAMES[self.version]["entry"]
        # Built without a namespace: the entry is serialised inside <tbx xmlns="..."> and inherits it.
        root = etree.Element(tag)
        root.set("id", safe_id(rec.id or "") if self.version == 3 else rec.id or "")
        if self.version == 2:  # v3 allows no other attribute on conceptEntry
            for key, value in rec.extra.get("attrs", {}).items():
                root.set(key, value)
        for field in rec.subject_fields:
            self.el(root, "descrip", field, type="subjectField")
        if rec.source is not None:
            self.el(root, "admin", rec.source, type="source")
        if rec.note is not None:
            self.el(root, "note", rec.note)
        for xml in rec.extra.get("xml", []):
            self.raw(root, xml, "entry")
        for lang in rec.langs:
            self.lang(root, lang)
        return root

    def lang(self, parent: Any, rec: LangRecord) -> None:
        sec = self.el(parent, NAMES[self.version]["lang"], xml_lang=rec.lang_tag)
        self.grp(sec, "definition", rec.definition, rec.definition_source)
        if rec.note is not None:
            self.el(sec, "note", rec.note)
        for xml in rec.extra.get("xml", []):
            self.raw(sec, xml, "lang")
        for term in rec.terms:
            self.term(sec, term)

    def term(self, parent: Any, rec: TermRecord) -> None:
        sec = self.el(parent, NAMES[self.version]["term"])
        self.el(sec, "term", rec.text, **rec.extra.get("term_attrs", {}))
        encoded = []
        for typ, value in (("termType", rec.term_type), ("administrativeStatus", f"{rec.status}Term-admn-sts")):
            spelled = rec.extra.get(typ)  # a tool's own spelling (IATE's "Term"), kept beside the standard value
            if spelled and self.version == 2:
                value, spelled = spelled, None
            encoded += self.term_note(sec, typ, value)
            if spelled:
                encoded.append(f'<termNote type="{typ}">{escape(spelled)}</termNote>')
        encoded += self.term_note(sec, "partOfSpeech", rec.part_of_speech)
        encoded += self.term_note(sec, "grammaticalGender", rec.gender)
        encoded += self.term_note(sec, "geographicalUsage", rec.geographical_usage)
        kept = rec.extra.get("xml", [])
        if self.version == 2:  # v2 wants every termNote before the other information
            for xml in [x for x in kept if x.startswith("<termNote")]:
                self.raw(sec, xml, "term")
            kept = [x for x in kept if not x.startswith("<termNote")]
        self.grp(sec, "context", rec.context, rec.context_source)
        if rec.source is not None:
            self.el(sec, "admin", rec.source, type="source")
        if rec.reliability is not None:
            self.el(sec, "note", f"reliabilityCode: {rec.reliability}")
        if rec.case_sensitive is not None:
            self.el(sec, "note", f"caseRule: {'sensitive' if rec.case_sensitive else 'insensitive'}")
        if rec.note is not None:
            self.el(sec, "note", rec.note)
        for xml in encoded:
            self.el(sec, "note", EXTRA_PREFIX + xml)
        for xml in kept:
            self.raw(sec, xml, "term")


def _header(version: int, title: str) -> str:
    if version == 3:
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<?xml-model href="https://raw.githubusercontent.com/LTAC-Global/TBX-Basic_dialect/master/DCA/'
            'TBXcoreStructV03_TBX-Basic_integrated.rng" type="application/xml" '
            'schematypens="http://relaxng.org/ns/structure/1.0"?>\n'
            f'<tbx xmlns="{V3_NS}" type="TBX-Basic" style="dca" xml:lang="en">\n'
            "  <tbxHeader>\n    <fileDesc>\n"
            f"      <titleStmt><title>{escape(title)}</title></titleStmt>\n"
            f"      <sourceDesc><p>{escape(title)}</p></sourceDesc>\n"
            "    </fileDesc>\n  </tbxHeader>\n"
        )
    else:
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<martif type="TBX" xml:lang="en">\n'
            "  <martifHeader>\n    <fileDesc>\n"
            f"      <titleStmt><title>{escape(title)}</title></titleStmt>\n"
            f"      <sourceDesc><p>{escape(title)}</p></sourceDesc>\n"
            "    </fileDesc>\n"
            f"    <encodingDesc><p type={quoteattr('XCSURI')}>TBXXCSV02.xcs</p></encodingDesc>\n"
            "  </martifHeader>\n"
        )
    return head + "  <text>\n    <body>\n"


def write(records: Iterable[ConceptRecord], stream: IO[bytes], *, version: int = 3, title: str = "nato-tm") -> int:
    """Write the records as one TBX document; return how many concepts were written."""
    writer = _Writer(version)
    stream.write(_header(version, title).encode("utf-8"))
    count = 0
    for rec in records:
        node = writer.entry(rec)
        etree.indent(node, space="  ", level=3)
        stream.write(b"      " + etree.tostring(node, encoding="utf-8") + b"\n")
        count += 1
    closing = "    </body>\n  </text>\n" + ("</tbx>\n" if version == 3 else "</martif>\n")
    stream.write(closing.encode("utf-8"))
    return count
