"""Glossaries: OmegaT's tab-separated three columns, and CSV with a header naming the languages.

OmegaT shape (``.txt``, ``.utf8``; ``.tab`` or ``.tsv`` only when sniffing sees the shape; UTF-8):
``source term<TAB>target term[<TAB>comment]``, lines starting with ``#`` are comments; the languages
come from ReadOptions (``--src``/``--tgt``).

CSV shape (``.csv``, comma-separated, RFC 4180 quoting, UTF-8): a header row whose columns are
language tags (``fr``, ``en``, ``fr-CA``...) and optionally ``definition_fr``, ``definition_en``,
``note``, ``subject_field`` (several separated by ``;``) and ``source``; any other column is kept in
the concept's ``extra["columns"]``. A CSV without such a header is read as OmegaT's three columns.

Every line becomes one concept whose id is derived from its terms (see termbase_repo.content_id),
so importing the same glossary twice changes nothing. A term written in capitals only (EMI, IMS)
is typed ``acronym`` and therefore matched case-sensitively; every other term is a ``fullForm``.
Nothing is claimed about status or reliability beyond what the file says: terms are ``preferred``
(the file offers them as the equivalents) with no reliability code.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import IO

from nato_tm.errors import FormatError
from nato_tm.formats.records import ConceptRecord, LangRecord, Skipped, TermRecord
from nato_tm.formats.registry import Format, ReadOptions, Record
from nato_tm.formats.xmlsafe import not_xml
from nato_tm.text.pipeline import primary_lang

LANGS = ("fr", "en")
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
KNOWN_COLUMNS = ("note", "subject_field", "source")
MAX_TERM_WORDS = 12  # longer cells are sentences: a translation memory, not a glossary


def _is_lang(cell: str) -> bool:
    cell = cell.strip()
    return bool(_TAG.match(cell)) and primary_lang(cell) in LANGS


def _is_header(cells: list[str]) -> bool:
    """A header row starts with two language tags, at least one of them fr or en ("fr,en", "en<TAB>fr-CA")."""
    first = [c.strip() for c in cells[:2]]
    return len(first) == 2 and all(_TAG.match(c) for c in first) and any(_is_lang(c) for c in first)


def _check_lang(tag: str, name: str) -> str:
    if not _is_lang(tag):
        raise FormatError(f"unknown language {tag!r} (only fr and en, with regional forms, are supported)", file=name)
    return tag


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:  # an odd byte count or a lone surrogate
            raise FormatError(f"not valid UTF-16 ({exc.reason} at byte {exc.start})", file=name) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(
            f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the glossary as UTF-8", file=name, line=line
        ) from exc


def _term(text: str, tag: str) -> TermRecord:
    text = text.strip()
    acronym = len(text) > 1 and " " not in text and text.isupper()
    return TermRecord(text=text, lang_tag=tag, term_type="acronym" if acronym else "fullForm")


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-empty, non-comment row."""
    if delimiter == "\t":  # OmegaT: no quoting at all
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() and not line.startswith("#"):
                yield number, line.split("\t")
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        if any(c.strip() for c in cells) and not cells[0].startswith("#"):
            yield start, cells
        start = reader.line_num + 1


def _unstorable(cells: list[str], where: str) -> Skipped | None:
    """A line holding a character TBX cannot carry: stored, it would break every export."""
    if bad := next((not_xml(c) for c in cells if not_xml(c)), None):
        return Skipped(where, f"the control character {bad} cannot be stored (TBX cannot carry it)")
    return None


def _headerless(rows: Iterable[tuple[int, list[str]]], name: str, options: ReadOptions) -> Iterator[Record]:
    src, tgt = _check_lang(options.src_lang, name), _check_lang(options.tgt_lang, name)
    for number, cells in rows:
        cells = [c.strip() for c in cells]
        if skipped := _unstorable(cells, f"{name}:{number}"):
            yield skipped
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            yield Skipped(f"{name}:{number}", "a glossary line needs a source term and a target term")
            continue
        comment = "\t".join(c for c in cells[2:] if c) or None
        langs = [LangRecord(src, terms=[_term(cells[0], src)]), LangRecord(tgt, terms=[_term(cells[1], tgt)])]
        yield ConceptRecord(id=None, note=comment, langs=langs, line=number)


def _with_header(header: list[str], rows: Iterable[tuple[int, list[str]]], name: str) -> Iterator[Record]:
    columns = [c.strip() for c in header]
    langs = [c for c in columns if _is_lang(c)]
    for number, cells in rows:
        if skipped := _unstorable(cells, f"{name}:{number}"):
            yield skipped
            continue
        row = dict(zip(columns, (c.strip() for c in cells), strict=False))
        sections = [
            LangRecord(tag, definition=row.get(f"definition_{primary_lang(tag)}") or None, terms=[_term(row[tag], tag)])
            for tag in langs
            if row.get(tag)
        ]
        if len(sections) < 2:
            yield Skipped(f"{name}:{number}", "a glossary line needs a term in at least two languages")
            continue
        rest = {
            k: v
            for k, v in row.items()
            if v and k not in langs and k not in KNOWN_COLUMNS and not k.startswith("definition_")
        }
        yield ConceptRecord(
            id=None,
            subject_fields=[s.strip() for s in row.get("subject_field", "").split(";") if s.strip()],
            note=row.get("note") or None,
            source=row.get("source") or None,
            langs=sections,
            extra={"columns": rest} if rest else {},
            line=number,
        )


def read(stream: IO[bytes], name: str, options: ReadOptions) -> Iterator[Record]:
    """Yield one concept per glossary line (see the module docstring for the two shapes)."""
    text = _decode(stream.read(), name)
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    is_csv = PurePath(name).suffix.lower() == ".csv" or ("\t" not in first and "," in first)
    rows = _rows(text, "," if is_csv else "\t")
    head = next(rows, None)
    if head is None:
        return
    if _is_header(head[1]):
        bad = [c.strip() for c in head[1][:2] if not _is_lang(c)]
        if bad:
            raise FormatError(f"unknown language {bad[0]!r} in the header (fr or en)", file=name, line=head[0])
        yield from _with_header(head[1], rows, name)
        return
    yield from _headerless([head, *rows], name, options)


def sniff(head: bytes) -> bool:
    """Only OmegaT's exact shape: 2-3 tab-separated short cells per line, no language header row."""
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the head
            return False
        text = head[: exc.start].decode("utf-8-sig")
    whole = text.splitlines()
    if not text.endswith("\n"):
        whole = whole[:-1]  # the head may end inside a line
    lines = [ln for ln in whole if ln.strip() and not ln.startswith("#")]
    if not lines or text.lstrip().startswith("<"):
        return False
    rows = [ln.split("\t") for ln in lines]
    if _is_header(rows[0]):
        return False  # a header of language codes: the translation-memory TSV
    return all(
        len(r) in (2, 3) and r[0].strip() and r[1].strip() and max(len(c.split()) for c in r[:2]) <= MAX_TERM_WORDS
        for r in rows
    )


def _clean(text: str) -> str:
    # A tab or line break inside a cell would break OmegaT's one-line, three-column format.
    return " ".join(text.split("\t")).replace("\r", " ").replace("\n", " ")


def omegat_lines(rec: ConceptRecord, src: str, tgt: str) -> list[str]:
    """The glossary lines of a concept: each usable source term with the preferred target terms of its type."""

    def of(lang: str) -> list[TermRecord]:
        return [t for sec in rec.langs if primary_lang(sec.lang_tag) == lang for t in sec.terms]

    sources = [t for t in of(src) if t.status in ("preferred", "admitted")]
    targets = [t for t in of(tgt) if t.status == "preferred"]
    definition = next((s.definition for s in rec.langs if primary_lang(s.lang_tag) == tgt and s.definition), None)
    comment = _clean(f"{rec.id}: {definition}" if definition else rec.id or "")
    lines = []
    for s in sources:
        # OTAN -> NATO and Organisation du Traité... -> North Atlantic Treaty Organization, not every pairing.
        same = [t for t in targets if t.term_type == s.term_type] or targets
        lines += [f"{_clean(s.text)}\t{_clean(t.text)}\t{comment}" for t in same]
    return lines


def write_omegat(records: Iterable[ConceptRecord], stream: IO[bytes], src: str = "fr", tgt: str = "en") -> int:
    """Write OmegaT's glossary (UTF-8, tab-separated); return the number of lines written."""
    count = 0
    for rec in records:
        for line in omegat_lines(rec, src, tgt):
            stream.write((line + "\n").encode("utf-8"))
            count += 1
    return count


FORMAT = Format(
    name="glossary",
    kind="terms",
    extensions=("csv", "txt", "utf8"),  # .tab and .tsv go to the memory TSV unless sniff sees OmegaT's shape
    sniff=sniff,
    read=read,
    aliases=("csv", "omegat"),
)
