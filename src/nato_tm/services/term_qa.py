"""Terminology QA of translations: missing approved terms, deprecated terms used, inconsistent renderings.

Terms are recognised on both sides with the same automaton as ``recognize``, so an inflected or
differently cased target term («partner countries» for «partner country») is not a false alarm.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from nato_tm.errors import FormatError, InvalidInput
from nato_tm.formats.records import Skipped, UnitRecord
from nato_tm.formats.registry import ReadOptions, by_name
from nato_tm.services.recognize import Hit, TermIndex, check_lang, find_hits, term_index
from nato_tm.store.db import Database
from nato_tm.text.pipeline import primary_lang

KINDS = ("missing_term", "deprecated_term", "inconsistent")
_ACRONYMS = ("acronym", "abbreviation")
_DISCOURAGED = ("deprecated", "superseded")


@dataclass
class Span:
    """Where a term sits: ``text[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass
class Finding:
    """One terminology problem, with offsets and the expected term(s)."""

    kind: str
    message: str
    source_span: Span | None
    target_span: Span | None
    expected: list[str]
    concept_id: str


@dataclass
class PairDocument:
    """The QA of one source/target pair."""

    source: str
    target: str
    src: str
    tgt: str
    findings: list[Finding] = field(default_factory=list)
    unit: str | None = None  # the unit's tuid or its position in the file


@dataclass
class FileDocument:
    """The QA of a bilingual file: only the pairs with findings are listed."""

    file: str | None
    src: str
    tgt: str
    units: int
    counts: dict[str, int]
    pairs: list[PairDocument]
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Link:
    """A source term occurrence and the target term that renders it (if any)."""

    source: Hit
    target: Hit | None
    exclusive: bool  # the target renders this source occurrence only (counts for consistency)


def _span(hit: Hit) -> Span:
    return Span(hit.start, hit.end, hit.surface)


def _approved(index: TermIndex, concept_id: str, lang: str) -> list[str]:
    rows = [r for r in index.by_concept.get(concept_id, []) if r.lang == lang]
    return [r.text for status in ("preferred", "admitted") for r in rows if r.status == status]


def _where(finding: Finding) -> int:
    span = finding.source_span or finding.target_span
    return span.start if span else 0


def _either(texts: list[str]) -> str:
    return " or ".join(f"«{t}»" for t in texts)


def _concepts(hit: Hit) -> set[str]:
    return {hit.concept_id, *hit.also_concepts}


def _pair(sources: list[Hit], targets: list[Hit]) -> list[_Link]:
    """Link each source term to a target term of its concept: same acronym-ness first, one to one first."""
    links: dict[int, _Link] = {}
    used: set[int] = set()
    for same_kind in (True, False):
        for i, src in enumerate(sources):
            if i in links:
                continue
            for tgt in targets:
                if tgt.start in used or not _concepts(src) & _concepts(tgt):
                    continue
                if same_kind and (tgt.type in _ACRONYMS) != (src.type in _ACRONYMS):
                    continue
                links[i] = _Link(src, tgt, True)
                used.add(tgt.start)
                break
    for i, src in enumerate(sources):
        if i not in links:  # present but shared with another occurrence, or absent
            links[i] = _Link(src, next((t for t in targets if _concepts(src) & _concepts(t)), None), False)
    return [links[i] for i in range(len(sources))]


def _check(index: TermIndex, doc: PairDocument) -> list[_Link]:
    """Fill ``doc.findings`` with missing and deprecated terms; return the source-target links."""
    s_hits = find_hits(index, doc.source, doc.src, doc.tgt)
    t_hits = find_hits(index, doc.target, doc.tgt, doc.src)
    for hit in t_hits:
        if hit.status in _DISCOURAGED:
            expected = _approved(index, hit.concept_id, doc.tgt)
            doc.findings.append(
                Finding(
                    "deprecated_term",
                    f"«{hit.surface}» is a {hit.status} term; use {_either(expected) or 'another term'}",
                    None,
                    _span(hit),
                    expected,
                    hit.concept_id,
                )
            )
    sources = [h for h in s_hits if _approved(index, h.concept_id, doc.tgt)]
    links = _pair(sources, t_hits)
    for link in links:
        if link.target is None:
            hit, expected = link.source, _approved(index, link.source.concept_id, doc.tgt)
            doc.findings.append(
                Finding(
                    "missing_term",
                    f"«{hit.surface}» ({hit.concept_id}) is not rendered by {_either(expected)}",
                    _span(hit),
                    None,
                    expected,
                    hit.concept_id,
                )
            )
    doc.findings.sort(key=_where)
    return links


def _langs(src: str, tgt: str) -> tuple[str, str]:
    s, t = check_lang(src, "src"), check_lang(tgt, "tgt")
    if s == t:
        raise InvalidInput("source and target languages must differ", param="tgt")
    return s, t


def check_pair(db: Database, source: str, target: str, src: str = "fr", tgt: str = "en") -> PairDocument:
    """Check one translation against the term base."""
    s, t = _langs(src, tgt)
    doc = PairDocument(source=source, target=target, src=s, tgt=t)
    _check(term_index(db), doc)
    return doc


def _consistency(docs: list[PairDocument], links: list[list[_Link]]) -> None:
    """Flag renderings of a source term that differ from its most frequent rendering in the file."""
    renderings: dict[int, Counter[str]] = defaultdict(Counter)
    for unit_links in links:
        for link in unit_links:
            if link.target is not None and link.exclusive:
                renderings[link.source.term_id][link.target.term] += 1
    for doc, unit_links in zip(docs, links, strict=True):
        for link in unit_links:
            counts = renderings[link.source.term_id]
            if link.target is None or not link.exclusive or len(counts) < 2:
                continue
            usual, times = counts.most_common(1)[0]
            if link.target.term != usual:
                doc.findings.append(
                    Finding(
                        "inconsistent",
                        f"«{link.source.term}» is rendered «{link.target.term}» here "
                        f"but «{usual}» in {times} other place(s) of the file",
                        _span(link.source),
                        _span(link.target),
                        [usual],
                        link.source.concept_id,
                    )
                )


def check_units(
    db: Database, pairs: Iterable[tuple[str, str]], src: str = "fr", tgt: str = "en", *, file: str | None = None
) -> FileDocument:
    """Check many source/target pairs, including the consistency of renderings across them."""
    return _run(db, ((str(n), s, t) for n, (s, t) in enumerate(pairs, start=1)), src, tgt, file)


def _run(db: Database, units: Iterable[tuple[str, str, str]], src: str, tgt: str, file: str | None) -> FileDocument:
    s, t = _langs(src, tgt)
    index = term_index(db)
    docs, links = [], []
    for label, source, target in units:
        doc = PairDocument(source=source, target=target, src=s, tgt=t, unit=label)
        links.append(_check(index, doc))
        docs.append(doc)
    _consistency(docs, links)
    counts = Counter(f.kind for d in docs for f in d.findings)
    for doc in docs:
        doc.findings.sort(key=_where)
    return FileDocument(
        file=file,
        src=s,
        tgt=t,
        units=len(docs),
        counts={k: counts.get(k, 0) for k in KINDS},
        pairs=[d for d in docs if d.findings],
    )


def _pairs(records: Iterable[object], src: str, tgt: str, skipped: list[str]) -> Iterable[tuple[str, str, str]]:
    for n, rec in enumerate(records, start=1):
        if isinstance(rec, Skipped):
            skipped.append(f"{rec.where}: {rec.reason}")
            continue
        if not isinstance(rec, UnitRecord):
            continue
        by_lang = {primary_lang(v.lang_tag): v.text for v in reversed(rec.variants)}
        if src in by_lang and tgt in by_lang:
            yield rec.tuid or str(n), by_lang[src], by_lang[tgt]
        else:
            skipped.append(f"unit {rec.tuid or n}: no {src} and {tgt} variants")


def check_file(db: Database, path: str, src: str = "fr", tgt: str = "en") -> FileDocument:
    """Check every unit of a bilingual TMX file."""
    s, t = _langs(src, tgt)
    reader = by_name("tmx").read
    skipped: list[str] = []
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError as exc:
        raise FormatError("no such file", file=path) from exc
    except IsADirectoryError as exc:
        raise FormatError("is a directory, not a file", file=path) from exc
    with stream:
        pairs = list(_pairs(reader(stream, path, ReadOptions(src_lang=s, tgt_lang=t)), s, t, skipped))
    doc = _run(db, pairs, s, t, path)
    doc.skipped = skipped
    return doc
