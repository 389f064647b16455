"""Recognise term-base terms in a segment: an Aho-Corasick automaton over the pipeline's stem keys.

The automaton is built once per term-base state and cached per process; every request first
reads the term base's store revision (moved by database triggers on every write), so any change
committed by another process, addition, edit or deletion, is seen on the next request.
"""

from __future__ import annotations

import functools
import gc
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from nato_tm.errors import InvalidInput, StoreUnavailable
from nato_tm.store.db import Database
from nato_tm.store.revision import RevisionProbe
from nato_tm.store.termbase_query import Marker, TermRow, change_marker, term_rows
from nato_tm.text.pipeline import ELISIONS, LANGS, Token, content, primary_lang, tokenize

_WORD = re.compile(r"\w")  # a token without a word character is punctuation (as in the pipeline)
SEP = "\x1f"  # between stem keys: a key matches on token boundaries only
_STATUS_RANK = {"preferred": 0, "admitted": 1, "deprecated": 2, "superseded": 3}
APPROVED = ("preferred", "admitted")
MAX_TEXT = 100_000
MAX_CACHED = 4  # term bases (database URLs) kept in memory per process
# Inflections change a word's length by at most this much (partner/partners, country/countries,
# général/généraux); more is derivation (capable/capability, standard/standardization).
MAX_INFLECTION = 2


@dataclass(frozen=True, slots=True)
class Entry:
    """A term as the automaton knows it."""

    row: TermRow
    length: int  # content tokens
    surface: tuple[str, ...] | None  # exact token texts, for case-sensitive terms
    puncts: frozenset[str]  # punctuation the term itself contains
    lengths: tuple[int, ...] | None  # length of each content word's key, to tell inflection from derivation


@dataclass
class TermRef:
    """A term shown with a hit or a finding."""

    text: str
    lang: str
    type: str
    status: str


@dataclass
class Hit:
    """One term found in a segment; ``text[start:end] == surface``."""

    start: int
    end: int
    surface: str
    concept_id: str
    term: str
    term_id: int
    lang: str
    type: str
    status: str
    case_sensitive: bool
    terms: list[TermRef] = field(default_factory=list)  # preferred terms in the other language
    also_concepts: list[str] = field(default_factory=list)  # other concepts with the same term


@dataclass
class RecognizeDocument:
    """Every term-base term in a segment, in text order."""

    text: str
    lang: str
    hits: list[Hit]


def other_lang(lang: str) -> str:
    """The other working language."""
    return "en" if lang == "fr" else "fr"


def _content_lengths(row: TermRow, count: int) -> tuple[int, ...] | None:
    words = [w for w in row.key_base.split() if _WORD.search(w) and w not in ELISIONS and w != "'s"]
    return tuple(len(w) for w in words) if len(words) == count else None


def _entry(row: TermRow) -> Entry | None:
    stems = row.key_stem.split()
    if not stems:
        return None
    # key_base holds every token's key, punctuation included: no need to tokenise the term again,
    # except to know the exact case of a case-sensitive term.
    puncts = frozenset(w for w in row.key_base.split() if not _WORD.search(w))
    surface = tuple(t.text for t in content(tokenize(row.text, row.lang))) if row.case_sensitive else None
    return Entry(row, len(stems), surface, puncts, _content_lengths(row, len(stems)))


class TermIndex:
    """The term base in memory: rows by concept and one automaton per language."""

    def __init__(self, marker: Marker, rows: list[TermRow]) -> None:
        self.marker = marker
        self.rows = rows
        self.memo: dict[str, Any] = {}  # structures derived lazily by other services (search)
        self.by_id = {row.id: row for row in rows}
        self.by_concept: dict[str, list[TermRow]] = defaultdict(list)
        keys: dict[str, dict[str, list[Entry]]] = {lang: defaultdict(list) for lang in LANGS}
        for row in rows:
            self.by_concept[row.concept_id].append(row)
            entry = _entry(row) if row.lang in keys else None
            if entry is not None:
                keys[row.lang][SEP + SEP.join(row.key_stem.split()) + SEP].append(entry)
        self.automata: dict[str, ahocorasick.Automaton] = {}
        for lang, table in keys.items():
            automaton = ahocorasick.Automaton()
            for key, entries in table.items():
                automaton.add_word(key, tuple(entries))
            if table:
                automaton.make_automaton()
                self.automata[lang] = automaton

    def preferred(self, concept_id: str, lang: str) -> list[TermRow]:
        """The concept's preferred terms in ``lang``, or its admitted ones when none is preferred."""
        rows = [r for r in self.by_concept.get(concept_id, []) if r.lang == lang]
        for status in APPROVED:
            picked = [r for r in rows if r.status == status]
            if picked:
                return picked
        return []


class _IndexCache:
    """One TermIndex per database URL, rebuilt when the term base's store revision moves.

    The revision is read on every call (one primary-key read), so a change committed by any
    process is seen on the next request.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.indexes: dict[str, TermIndex] = {}
        self.probes: dict[str, RevisionProbe] = {}

    def _probe(self, db: Database) -> RevisionProbe:
        probe = self.probes.get(db.url)
        if probe is None:
            with self.lock:
                probe = self.probes.setdefault(db.url, RevisionProbe(db.engine))
        return probe

    def get(self, db: Database) -> TermIndex:
        cached = self.indexes.get(db.url)
        if cached is not None and cached.marker == (self._probe(db).read("terms"),):
            return cached
        try:
            with db.engine.connect() as conn:  # a bare connection, not an ORM session: this runs per request
                return self._current(db.url, conn)
        except OperationalError as exc:
            raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc

    def _current(self, url: str, conn: Connection) -> TermIndex:
        marker = change_marker(conn)
        cached = self.indexes.get(url)
        if cached is not None and cached.marker == marker:
            return cached
        # Read the rows in the same transaction as the marker, so they belong to that revision.
        index = TermIndex(marker, term_rows(conn))
        # The index lives until the term base changes and is large (a 50,000-term base: some
        # 300,000 objects); frozen out of the collector's way, or every full collection walks it
        # (batches of recognitions ran 30-40 % slower). Collected first: only live objects freeze.
        gc.collect()
        gc.freeze()
        with self.lock:
            self.indexes.pop(url, None)
            while len(self.indexes) >= MAX_CACHED:  # tests open many stores; keep the newest few
                gone = next(iter(self.indexes))
                self.indexes.pop(gone)
                probe = self.probes.pop(gone, None)
                if probe is not None:
                    probe.close()
            self.indexes[url] = index
        return index


@functools.cache
def _cache() -> _IndexCache:
    return _IndexCache()


def term_index(db: Database) -> TermIndex:
    """The current term base in memory (cached; validated against the change marker on every call)."""
    return _cache().get(db)


def check_lang(lang: str, param: str = "lang") -> str:
    """A working language code (fr or en), or InvalidInput."""
    code = primary_lang(lang or "")
    if code not in LANGS:
        raise InvalidInput(f"unsupported language {lang!r} (use fr or en)", param=param)
    return code


def _scan(automaton: ahocorasick.Automaton, keys: list[str]) -> list[tuple[int, int, tuple[Entry, ...]]]:
    """Run the automaton over the keys joined by SEP: (first key, last key, entries) for each match."""
    ends: dict[int, int] = {}
    offset = 1
    for k, key in enumerate(keys):
        offset += len(key)
        ends[offset] = k
        offset += 1
    haystack = SEP + SEP.join(keys) + SEP
    return [(ends[end] - entries[0].length + 1, ends[end], entries) for end, entries in automaton.iter(haystack)]


def _candidates(
    index: TermIndex, toks: tuple[Token, ...], positions: list[int], lang: str
) -> list[tuple[int, int, list[Entry]]]:
    """Every (first content token, last content token, entries) the automaton finds, checked."""
    automaton = index.automata.get(lang)
    if automaton is None or not positions:
        return []
    keys = [toks[i].stem for i in positions]
    matches = _scan(automaton, keys)
    found: dict[tuple[int, int], list[Entry]] = {}
    for first, last, entries in matches:
        ok = [e for e in entries if _fits(e, toks, positions, first, last)]
        known = found.setdefault((first, last), [])
        known.extend(e for e in ok if e not in known)
    return [(first, last, entries) for (first, last), entries in found.items() if entries]


def _fits(entry: Entry, toks: tuple[Token, ...], positions: list[int], first: int, last: int) -> bool:
    """Case rule, punctuation and inflection: «EMI» only as EMI; no match across a comma the term
    lacks; a stem shared by a derived word (capable / capability) is not an inflection."""
    words = [toks[positions[k]] for k in range(first, last + 1)]
    if entry.surface is not None and tuple(t.text for t in words) != entry.surface:
        return False
    if entry.lengths is not None and any(
        abs(len(t.base) - n) > MAX_INFLECTION for t, n in zip(words, entry.lengths, strict=True)
    ):
        return False
    between = toks[positions[first] : positions[last] + 1]
    return all(t.base in entry.puncts for t in between if t.kind == "punct")


def _best(entries: list[Entry]) -> list[Entry]:
    """One entry per concept, the most authoritative first."""
    ranked = sorted(entries, key=lambda e: (_STATUS_RANK.get(e.row.status, 9), e.surface is None, e.row.id))
    seen: dict[str, Entry] = {}
    for e in ranked:
        seen.setdefault(e.row.concept_id, e)
    return list(seen.values())


def find_hits(index: TermIndex, text: str, lang: str, tgt: str | None = None) -> list[Hit]:
    """Non-overlapping hits in text order, longest match first (ties: leftmost)."""
    toks = tokenize(text, lang)
    positions = [i for i, t in enumerate(toks) if t.kind in ("word", "number")]
    cands = sorted(_candidates(index, toks, positions, lang), key=lambda c: (c[0] - c[1], c[0]))
    taken = [False] * len(positions)
    hits = []
    for first, last, entries in cands:
        if any(taken[first : last + 1]):
            continue
        taken[first : last + 1] = [True] * (last - first + 1)
        start, end = toks[positions[first]].start, toks[positions[last]].end
        hits.append(_hit(index, text, start, end, _best(entries), tgt or other_lang(lang)))
    return sorted(hits, key=lambda h: h.start)


def _hit(index: TermIndex, text: str, start: int, end: int, entries: list[Entry], tgt: str) -> Hit:
    row = entries[0].row
    terms = [TermRef(r.text, r.lang, r.term_type, r.status) for r in index.preferred(row.concept_id, tgt)]
    return Hit(
        start=start,
        end=end,
        surface=text[start:end],
        concept_id=row.concept_id,
        term=row.text,
        term_id=row.id,
        lang=row.lang,
        type=row.term_type,
        status=row.status,
        case_sensitive=row.case_sensitive,
        terms=terms,
        also_concepts=[e.row.concept_id for e in entries[1:]],
    )


def recognize(db: Database, text: str, lang: str = "fr") -> RecognizeDocument:
    """Every term-base term in ``text`` with offsets into it and the other language's preferred terms."""
    code = check_lang(lang)
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"text too long for recognition ({len(text)} > {MAX_TEXT} characters)", param="text")
    return RecognizeDocument(text=text, lang=code, hits=find_hits(term_index(db), text, code))


def recognize_many(db: Database, texts: list[str], lang: str = "fr") -> list[RecognizeDocument]:
    """Recognise several segments against one term-base state (one marker check for the batch)."""
    code = check_lang(lang)
    index = term_index(db)
    return [RecognizeDocument(text=t, lang=code, hits=find_hits(index, t, code)) for t in texts]
