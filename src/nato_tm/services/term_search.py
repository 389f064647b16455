"""Term search: one result per concept, labelled with how it matched, best first.

Match kinds, in rank order: exact, normalized (case, accents, apostrophe style, NBSP), stem
(inflection), acronym (an acronym or abbreviation in either language, or the initials of a full
form), prefix (autocomplete), fuzzy (typos). Search is lenient about case on purpose: «emi»
finds EMI (as a normalized match) and the result shows that the term is case-sensitive;
recognition in running text, by contrast, respects each term's case rule.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy.orm import Session

from nato_tm.errors import InvalidInput
from nato_tm.services.recognize import TermIndex, check_lang, other_lang, term_index
from nato_tm.store.db import Database
from nato_tm.store.termbase import STATUSES, TERM_TYPES, Concept, Term
from nato_tm.store.termbase_query import concepts_by_ids, terms_by_prefix
from nato_tm.text.pipeline import LANGS, match_key, stem_key

KINDS = ("exact", "normalized", "stem", "acronym", "prefix", "fuzzy")
_BASE = {"exact": 1.0, "normalized": 0.95, "stem": 0.9, "acronym": 0.85, "prefix": 0.8, "fuzzy": 0.7}
_STATUS_ORDER = {s: i for i, s in enumerate(STATUSES)}
_ACRONYM_TYPES = ("acronym", "abbreviation")
# Words that do not give an initial to an acronym (Organisation du Traité de l'Atlantique Nord -> OTAN).
_FUNCTION_WORDS = frozenset(
    {"de", "du", "des", "la", "le", "les", "l'", "d'", "et", "en", "à", "au", "aux", "pour"}
    | {"of", "the", "and", "for", "in", "on", "to", "a"}
)
_ACRONYM_SHAPE = re.compile(r"^[\w&]{2,12}$")
MAX_QUERY = 300
MAX_LIMIT = 200


@dataclass
class TermView:
    """A term of a result concept."""

    text: str
    lang: str
    type: str
    status: str
    case_sensitive: bool
    reliability: int | None
    part_of_speech: str | None
    gender: str | None
    geographical_usage: str | None
    context: str | None
    context_source: str | None
    note: str | None
    source: str | None


@dataclass
class Matched:
    """The term the query matched."""

    term_id: int
    text: str
    lang: str
    type: str
    status: str


@dataclass
class SearchResult:
    """One concept found, with how it matched."""

    concept_id: str
    match: str
    score: float
    matched: Matched
    terms: dict[str, list[TermView]]
    equivalents: list[TermView]  # approved terms in the target language
    preferred: dict[str, list[str]]
    definition: dict[str, str | None]
    subject_fields: list[str]
    source: str | None
    note: str | None
    flags: list[str] = field(default_factory=list)


@dataclass
class SearchDocument:
    """A search and its results, best first."""

    query: str
    src: str
    tgt: str | None
    filters: dict[str, str | None]
    results: list[SearchResult]


@dataclass
class _Candidate:
    rank: int
    score: float
    term_id: int
    concept_id: str


class _Found:
    """The best candidate per concept."""

    def __init__(self, status: str | None, term_type: str | None) -> None:
        self.status = status
        self.term_type = term_type
        self.best: dict[str, _Candidate] = {}

    def add(self, kind: str, term: Any, score: float | None = None) -> None:
        if self.status and term.status != self.status:
            return
        if self.term_type and term.term_type != self.term_type:
            return
        cand = _Candidate(KINDS.index(kind), _BASE[kind] if score is None else score, term.id, term.concept_id)
        old = self.best.get(term.concept_id)
        if old is None or (cand.rank, -cand.score) < (old.rank, -old.score):
            self.best[term.concept_id] = cand


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _initials(key_base: str) -> str:
    words = [w for w in key_base.split() if w[:1].isalnum() and w not in _FUNCTION_WORDS]
    return "".join(w[0] for w in words) if len(words) > 1 else ""


def _initials_table(index: TermIndex) -> dict[tuple[str, str], list[int]]:
    if "initials" not in index.memo:
        table: dict[tuple[str, str], list[int]] = {}
        for row in index.rows:
            if row.term_type not in _ACRONYM_TYPES:
                key = _initials(row.key_base)
                if key:
                    table.setdefault((row.lang, key), []).append(row.id)
        index.memo["initials"] = table
    table_: dict[tuple[str, str], list[int]] = index.memo["initials"]
    return table_


def _fuzzy_keys(index: TermIndex, lang: str) -> tuple[list[str], list[int], list[int]]:
    """The language's term keys sorted by length, with their term ids and lengths (built once per index)."""
    memo_key = f"fuzzy:{lang}"
    if memo_key not in index.memo:
        rows = sorted((r for r in index.rows if r.lang == lang and r.key_base), key=lambda r: len(r.key_base))
        index.memo[memo_key] = ([r.key_base for r in rows], [r.id for r in rows], [len(r.key_base) for r in rows])
    keys: tuple[list[str], list[int], list[int]] = index.memo[memo_key]
    return keys


def _validate(query: str, src: str, tgt: str | None, status: str | None, term_type: str | None, limit: int) -> None:
    if not query.strip():
        raise InvalidInput("empty query", param="query")
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"query too long ({len(query)} > {MAX_QUERY} characters)", param="query")
    if src != "any":
        check_lang(src, "src")
    if tgt is not None:
        check_lang(tgt, "tgt")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r} (one of {', '.join(STATUSES)})", param="status")
    if term_type is not None and term_type not in TERM_TYPES:
        raise InvalidInput(f"unknown term type {term_type!r} (one of {', '.join(TERM_TYPES)})", param="type")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", param="limit")


def _key_table(index: TermIndex, column: str) -> dict[tuple[str, str], list[int]]:
    """Term ids by (language, key_base or key_stem), built once per term-base state."""
    memo_key = f"keys:{column}"
    if memo_key not in index.memo:
        table: dict[tuple[str, str], list[int]] = {}
        for row in index.rows:
            table.setdefault((row.lang, getattr(row, column)), []).append(row.id)
        index.memo[memo_key] = table
    table_: dict[tuple[str, str], list[int]] = index.memo[memo_key]
    return table_


def _exact_and_stem(index: TermIndex, found: _Found, query: str, langs: tuple[str, ...]) -> None:
    # In memory: the cached index is current (checked against the change marker) and has every key.
    for lang in langs:
        for term_id in _key_table(index, "key_base").get((lang, match_key(query, lang)), []):
            row = index.by_id[term_id]
            found.add("exact" if _nfc(row.text) == _nfc(query) else "normalized", row)
        for term_id in _key_table(index, "key_stem").get((lang, stem_key(query, lang)), []):
            found.add("stem", index.by_id[term_id])


def _prefix(s: Session, found: _Found, query: str, langs: tuple[str, ...], limit: int) -> None:
    for lang in langs:
        prefix = match_key(query, lang)
        for term in terms_by_prefix(s, prefix, (lang,), limit * 3):
            cover = len(prefix) / max(len(term.key_base), 1)
            found.add("prefix", term, _BASE["prefix"] * (0.5 + 0.5 * cover))


def _acronyms(index: TermIndex, found: _Found, query: str, langs: tuple[str, ...]) -> None:
    """An acronym in either language (IMS finds EMI's concept from French) or a full form's initials."""
    if not _ACRONYM_SHAPE.match(query.strip()):
        return
    for lang in LANGS:
        key = match_key(query, lang)
        for term_id in _key_table(index, "key_base").get((lang, key), []):
            if index.by_id[term_id].term_type in _ACRONYM_TYPES:
                found.add("acronym", index.by_id[term_id])
        ids = _initials_table(index).get((lang, key), []) if lang in langs else []
        for term_id in ids:
            found.add("acronym", index.by_id[term_id], _BASE["acronym"] * 0.9)


def _fuzzy(index: TermIndex, found: _Found, query: str, langs: tuple[str, ...], limit: int) -> None:
    for lang in langs:
        key = match_key(query, lang)
        if len(key) < 4:
            continue
        keys, ids, lengths = _fuzzy_keys(index, lang)
        cutoff = 85 if len(key) >= 8 else 90
        # ratio = 2·matches / (len a + len b): keys much shorter or longer cannot reach the cutoff.
        low = bisect.bisect_left(lengths, len(key) * cutoff / (200 - cutoff))
        high = bisect.bisect_right(lengths, len(key) * (200 - cutoff) / cutoff)
        for _text, score, pos in process.extract(
            key, keys[low:high], scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit * 3
        ):
            found.add("fuzzy", index.by_id[ids[low + pos]], _BASE["fuzzy"] * score / 100)


def _view(t: Term) -> TermView:
    return TermView(
        t.text,
        t.lang,
        t.term_type,
        t.status,
        t.case_sensitive,
        t.reliability,
        t.part_of_speech,
        t.gender,
        t.geographical_usage,
        t.context,
        t.context_source,
        t.note,
        t.source,
    )


def _result(concept: Concept, cand: _Candidate, tgt: str | None) -> SearchResult:
    ordered = sorted(concept.terms, key=lambda t: (_STATUS_ORDER.get(t.status, 9), t.id))
    matched = next(t for t in ordered if t.id == cand.term_id)
    target = tgt or other_lang(matched.lang)
    terms = {lang: [_view(t) for t in ordered if t.lang == lang] for lang in LANGS}
    preferred = {lang: [t.text for t in ordered if t.lang == lang and t.status == "preferred"] for lang in LANGS}
    flags = []
    if matched.status in ("deprecated", "superseded"):
        approved = [t.text for t in ordered if t.lang == matched.lang and t.status in ("preferred", "admitted")]
        use = ", ".join(approved) or "no approved term recorded"
        flags.append(f"«{matched.text}» is {matched.status}; use: {use}")
    return SearchResult(
        concept_id=concept.id,
        match=KINDS[cand.rank],
        score=round(cand.score, 4),
        matched=Matched(matched.id, matched.text, matched.lang, matched.term_type, matched.status),
        terms=terms,
        equivalents=[v for v in terms.get(target, []) if v.status in ("preferred", "admitted")],
        preferred=preferred,
        definition={ls.lang: ls.definition for ls in concept.langs},
        subject_fields=list(concept.subject_fields or []),
        source=concept.source,
        note=concept.note,
        flags=flags,
    )


def _subject_ok(concept: Concept, subject: str | None) -> bool:
    if not subject:
        return True
    wanted = subject.casefold()
    return any(wanted == s.casefold() for s in concept.subject_fields or [])


def search_terms(
    db: Database,
    query: str,
    *,
    src: str = "any",
    tgt: str | None = None,
    subject: str | None = None,
    status: str | None = None,
    term_type: str | None = None,
    limit: int = 20,
) -> SearchDocument:
    """Search the term base in French, English or both; one result per concept, best first."""
    _validate(query, src, tgt, status, term_type, limit)
    langs = LANGS if src == "any" else (check_lang(src, "src"),)
    target = check_lang(tgt, "tgt") if tgt else None
    index = term_index(db)
    found = _Found(status, term_type)
    with db.session() as s:
        _exact_and_stem(index, found, query, langs)
        _acronyms(index, found, query, langs)
        _prefix(s, found, query, langs, limit)
        _fuzzy(index, found, query, langs, limit)
        ranked = sorted(found.best.values(), key=lambda c: (c.rank, -c.score, c.concept_id))
        if not subject:  # only a subject filter needs to see concepts beyond the limit
            ranked = ranked[:limit]
        concepts = concepts_by_ids(s, (c.concept_id for c in ranked))
        results = [
            _result(concepts[c.concept_id], c, target)
            for c in ranked
            # A term deleted since the index was read leaves its concept out rather than failing.
            if c.concept_id in concepts
            and any(t.id == c.term_id for t in concepts[c.concept_id].terms)
            and _subject_ok(concepts[c.concept_id], subject)
        ]
    filters = {"subject": subject, "status": status, "type": term_type}
    return SearchDocument(query=query, src=src, tgt=target, filters=filters, results=results[:limit])
