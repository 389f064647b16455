"""Read TBX term bases: v3 (TBX-Basic, TBX-Core, TBX-Min; DCA and DCT styles) and v2 (martif).

Every data category the model names becomes a record field; every other element is kept in the
record's ``extra["xml"]`` as serialised XML (namespaces dropped), so that nothing is lost.
Conventions of the curated base: term-level ``<note>reliabilityCode: N</note>`` and
``<note>caseRule: sensitive|insensitive</note>`` (TBX-Basic has no data category for either).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from nato_tm.errors import FormatError
from nato_tm.formats.records import ConceptRecord, LangRecord, Skipped, TermRecord
from nato_tm.formats.registry import Format, ReadOptions, Record
from nato_tm.formats.xmlsafe import fromstring, iterparse
from nato_tm.text.pipeline import primary_lang

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CORE_NS = ("", "urn:iso:std:iso:30042:ed-2", "urn:iso:std:iso:30042:ed-1")
ROOTS = ("tbx", "martif")
ENTRIES = ("conceptEntry", "termEntry")
LANGS = ("fr", "en")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
# In DCT style a data category is an element of a module namespace: <basic:termType>.
DCT_KIND = {
    "subjectField": "descrip",
    "definition": "descrip",
    "context": "descrip",
    "reliabilityCode": "descrip",
    "source": "admin",
    "customerSubset": "admin",
    "projectSubset": "admin",
    "termType": "termNote",
    "administrativeStatus": "termNote",
    "partOfSpeech": "termNote",
    "grammaticalGender": "termNote",
    "geographicalUsage": "termNote",
    "termLocation": "termNote",
}
_TYPE_NAMES = {**{k.casefold(): k for k in DCT_KIND}, "gender": "grammaticalGender", "subject": "subjectField"}
STATUS_IN = {
    "preferredterm-admn-sts": "preferred",
    "admittedterm-admn-sts": "admitted",
    "deprecatedterm-admn-sts": "deprecated",
    "supersededterm-admn-sts": "superseded",
    "preferred": "preferred",
    "admitted": "admitted",
    "deprecated": "deprecated",
    "superseded": "superseded",
    "notrecommended": "deprecated",  # TBX-Min
    "obsolete": "superseded",  # TBX-Min
    "standardizedterm-admn-sts": "preferred",
    "legalterm-admn-sts": "preferred",
    "regulatedterm-admn-sts": "preferred",
}
TYPE_IN = {
    "fullform": "fullForm",
    "term": "fullForm",  # IATE
    "acronym": "acronym",
    "abbreviation": "abbreviation",
    "abbreviatedform": "abbreviation",
    "shortform": "shortForm",
    "variant": "variant",
    "phrase": "phrase",
    "phraseologicalunit": "phrase",
}
_NOTE_CONVENTION = re.compile(r"^\s*(reliabilityCode|caseRule)\s*:\s*(\S+)\s*$")


def _local(el: Any) -> str:
    return str(etree.QName(el).localname) if isinstance(el.tag, str) else ""


def _category(el: Any) -> tuple[str, str | None]:
    """(kind, type) of an element: <descrip type="definition"> and <basic:definition> both give descrip/definition."""
    name = _local(el)
    ns = etree.QName(el).namespace or ""
    if ns not in CORE_NS and name in DCT_KIND:
        return DCT_KIND[name], name
    typ = el.get("type")
    # MultiTerm and others write "Definition", "Subject Field": the same data categories.
    return name, _TYPE_NAMES.get(typ.replace(" ", "").casefold(), typ) if typ else typ


def _text(el: Any) -> str:
    return "".join(el.itertext()).strip()


def _raw(el: Any) -> str:
    """The element as XML without namespaces, to keep what the model does not name."""
    # UTF-8, not the default ASCII, which would write a non-ASCII attribute name as an unparsable &#...;
    copy = etree.fromstring(etree.tostring(el, with_tail=False, encoding="utf-8"))
    for node in copy.iter():
        if not isinstance(node.tag, str):
            continue
        kind, typ = _category(node)
        if typ is not None and node.get("type") is None:  # a DCT element: keep it in DCA form
            node.set("type", typ)
        node.tag = kind
        for key in [str(k) for k in node.attrib]:
            if key.startswith("{") and key != XML_LANG:
                del node.attrib[key]
    etree.cleanup_namespaces(copy)
    return str(etree.tostring(copy, encoding="unicode", with_tail=False))


def _keep(extra: dict[str, Any], el: Any) -> None:
    extra.setdefault("xml", []).append(_raw(el))


def _grp(el: Any) -> tuple[str, str, str | None] | None:
    """A descripGrp of one known descrip and an optional admin source: (type, value, source)."""
    main = [c for c in el if isinstance(c.tag, str)]
    descs = [c for c in main if _category(c)[0] == "descrip"]
    srcs = [c for c in main if _category(c) == ("admin", "source")]
    if len(descs) != 1 or len(srcs) > 1 or len(descs) + len(srcs) != len(main):
        return None
    typ = _category(descs[0])[1]
    if typ not in ("definition", "context", "subjectField"):
        return None
    return typ, _text(descs[0]), _text(srcs[0]) if srcs else None


EXTRA_PREFIX = "tbx-extra: "  # what formats/tbx_write puts before a field TBX-Basic has no place for


class _Reader:
    """One file's reading state: its name, the ids seen so far."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: dict[str, int] = {}

    def fail(self, message: str, el: Any) -> FormatError:
        return FormatError(message, file=self.name, line=el.sourceline)

    def decoded(self, el: Any) -> Any:
        """The element itself, or the one a tbx-extra note carries (written by our own exports)."""
        if _local(el) == "note" and not el.attrib and (el.text or "").startswith(EXTRA_PREFIX):
            try:
                inner = fromstring(el.text[len(EXTRA_PREFIX) :].encode("utf-8"), self.name)
            except FormatError:
                return el
            return inner
        return el

    def lang_of(self, el: Any) -> str:
        tag = el.get(XML_LANG) or el.get("lang")
        if not tag:
            raise self.fail(f"<{_local(el)}> has no xml:lang", el)
        if not _LANG_TAG.match(tag) or primary_lang(tag) not in LANGS:
            raise self.fail(f"unknown language {tag!r} (only fr and en, with regional forms, are supported)", el)
        return str(tag).replace("_", "-")  # fr_FR (Weblate, Java locales) is fr-FR in BCP 47

    def concept(self, el: Any) -> Record:
        cid = el.get("id")
        if cid is not None:
            if cid in self.seen:
                raise self.fail(f"duplicate concept id {cid!r} (first at line {self.seen[cid]})", el)
            self.seen[cid] = el.sourceline
        rec = ConceptRecord(id=cid, line=el.sourceline)
        for child in el:
            if isinstance(child.tag, str):
                self.concept_child(rec, self.decoded(child))
        if not rec.langs:
            return Skipped(f"{self.name}:{el.sourceline}", f"concept {cid or ''} has no language section".strip())
        for key, value in el.attrib.items():
            if key != "id":
                rec.extra.setdefault("attrs", {})[etree.QName(key).localname] = value
        return rec

    def concept_child(self, rec: ConceptRecord, child: Any) -> None:
        kind, typ = _category(child)
        grp = _grp(child) if kind == "descripGrp" else None
        if kind in ("langSec", "langSet"):
            rec.langs.append(self.lang(child))
        elif kind == "descrip" and typ == "subjectField":
            rec.subject_fields.append(_text(child))
        elif grp is not None and grp[0] == "subjectField" and grp[2] is None:
            rec.subject_fields.append(grp[1])
        elif (kind, typ) == ("admin", "source") and rec.source is None:
            rec.source = _text(child)
        elif kind == "note" and rec.note is None and not child.attrib:
            rec.note = _text(child)
        else:
            _keep(rec.extra, child)

    def lang(self, el: Any) -> LangRecord:
        rec = LangRecord(lang_tag=self.lang_of(el))
        for child in map(self.decoded, el):
            if not isinstance(child.tag, str):
                continue
            kind, typ = _category(child)
            grp = _grp(child) if kind == "descripGrp" else None
            if kind in ("termSec", "tig", "ntig"):
                rec.terms.append(self.term(child, rec.lang_tag))
            elif kind == "descrip" and typ == "definition" and rec.definition is None:
                rec.definition = _text(child)
            elif grp is not None and grp[0] == "definition" and rec.definition is None:
                rec.definition, rec.definition_source = grp[1], grp[2]
            elif kind == "note" and rec.note is None and not child.attrib:
                rec.note = _text(child)
            else:
                _keep(rec.extra, child)
        if not rec.terms:
            raise self.fail(f"language section {rec.lang_tag} has no term", el)
        return rec

    def term(self, el: Any, lang_tag: str) -> TermRecord:
        children = [c for c in el if isinstance(c.tag, str)]
        if _local(el) == "ntig":  # v2: <ntig><termGrp><term/><termNote/>...</termGrp> then the rest
            grp = [c for c in children if _local(c) == "termGrp"]
            children = [c for g in grp for c in g if isinstance(c.tag, str)] + [
                c for c in children if _local(c) != "termGrp"
            ]
        terms = [c for c in children if _local(c) == "term"]
        if len(terms) != 1 or not _text(terms[0]):
            raise self.fail(f"<{_local(el)}> must hold exactly one non-empty <term>", el)
        rec = TermRecord(text=_text(terms[0]), lang_tag=lang_tag)
        if terms[0].attrib:
            rec.extra["term_attrs"] = {etree.QName(k).localname: v for k, v in terms[0].attrib.items()}
        done: set[str] = set()
        for child in children:
            if child is not terms[0]:
                self.term_child(rec, self.decoded(child), done)
        return rec

    def term_child(self, rec: TermRecord, child: Any, done: set[str]) -> None:
        kind, typ = _category(child)
        value = _text(child)
        grp = _grp(child) if kind == "descripGrp" else None
        conv = _NOTE_CONVENTION.match(value) if kind == "note" and not child.attrib else None
        if kind == "termNote" and typ in ("termType", "administrativeStatus") and self.term_note(rec, typ, value, done):
            return
        if kind == "termNote" and typ in ("partOfSpeech", "grammaticalGender", "geographicalUsage"):
            field = {"partOfSpeech": "part_of_speech", "grammaticalGender": "gender"}.get(typ, "geographical_usage")
            if getattr(rec, field) is None:
                setattr(rec, field, value)
                return
        if conv is not None and self.convention(rec, conv.group(1), conv.group(2)):
            return
        if kind == "descrip" and typ == "reliabilityCode" and value.isdigit() and rec.reliability is None:
            rec.reliability = int(value)  # IATE writes it as a descrip
            return
        if kind == "descrip" and typ == "context" and rec.context is None:
            rec.context = value
        elif grp is not None and grp[0] == "context" and rec.context is None:
            rec.context, rec.context_source = grp[1], grp[2]
        elif (kind, typ) == ("admin", "source") and rec.source is None:
            rec.source = value
        elif kind == "note" and conv is None and rec.note is None and not child.attrib:
            rec.note = value
        else:
            _keep(rec.extra, child)

    def term_note(self, rec: TermRecord, typ: str, value: str, done: set[str]) -> bool:
        key = value.replace(" ", "").replace("_", "").casefold()
        table = TYPE_IN if typ == "termType" else STATUS_IN
        if key not in table:
            return False
        if typ in done:  # a second value: only a tool's spelling of the same one is ours to keep
            same = table[key] == (rec.term_type if typ == "termType" else rec.status)
            if same and typ not in rec.extra:
                rec.extra[typ] = value
            return same
        done.add(typ)
        canon = table[key]
        if typ == "termType":
            rec.term_type = canon
        else:
            rec.status = canon
        if value not in (canon, f"{canon}Term-admn-sts"):
            rec.extra[typ] = value  # a tool's own spelling, kept for the round trip
        return True

    def convention(self, rec: TermRecord, key: str, value: str) -> bool:
        if key == "reliabilityCode" and value in ("1", "2", "3", "4") and rec.reliability is None:
            rec.reliability = int(value)
            return True
        if key == "caseRule" and value in ("sensitive", "insensitive") and rec.case_sensitive is None:
            rec.case_sensitive = value == "sensitive"
            return True
        return False


def read(stream: IO[bytes], name: str, options: ReadOptions) -> Iterator[Record]:
    """Yield one ConceptRecord per concept entry; FormatError (file, line) on a bad file."""
    reader = _Reader(name)
    try:
        yield from _entries(reader, iterparse(stream, name, record_depth=4))
    except FormatError as exc:
        if "encoding" not in exc.message:
            raise
        hint = f"{exc.message} (the bytes do not match the declared encoding; is the file really UTF-8?)"
        raise FormatError(hint.split(": ", 1)[-1], file=name, line=exc.line, column=exc.column) from exc


def _entries(reader: _Reader, events: Iterator[tuple[str, Any]]) -> Iterator[Record]:
    depth = 0
    for event, el in events:
        if event == "start":
            depth += 1
            if depth == 1 and _local(el) not in ROOTS:
                raise reader.fail(f"root element is <{_local(el)}>, not <tbx> or <martif>: not a TBX file", el)
            continue
        depth -= 1
        if _local(el) in ENTRIES and depth == 3:  # tbx/text/body/conceptEntry
            yield reader.concept(el)
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]


def sniff(head: bytes) -> bool:
    """A TBX file's root is <tbx> (v3) or <martif> (v2)."""
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    text = head[: len(head) // 2 * 2].decode("utf-16", "ignore") if utf16 else head.decode("utf-8", "ignore")
    return re.search(r"<(?:\w+:)?(?:tbx|martif)[\s>]", text) is not None


FORMAT = Format(name="tbx", kind="terms", extensions=("tbx", "tbxm"), sniff=sniff, read=read, aliases=("tbx2",))
