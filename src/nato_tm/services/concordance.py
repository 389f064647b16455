"""Concordance: every stored segment containing a word or phrase, on either side, with highlights.

The phrase and the segments go through the same pipeline (case, accents, apostrophes, elision,
Snowball stems), so « l'Otan » finds « l’OTAN » and « partenariat » finds « partenariats ».
Candidates come from the memory index's postings (every phrase key must be posted for the
variant); the phrase itself (consecutive keys) is then verified on each candidate's tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from nato_tm.errors import InvalidInput
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_index import TmPosting, TmVocab, token_hash
from nato_tm.text.pipeline import LANGS, primary_lang, tokenize
from nato_tm.text.placeables import SEARCHED, search_key

MAX_PHRASE = 500
MAX_LIMIT = 500
PAGE = 200
MAX_CHECKED = 5000  # candidates verified per language at most: a concordance on "de" stays bounded


@dataclass
class ConcordanceHit:
    """A segment containing the phrase, its translation and where the phrase is in it."""

    unit_id: int
    variant_id: int
    lang: str
    source: str
    target: str | None
    target_lang: str | None
    highlights: list[tuple[int, int]]  # [start, end) offsets into ``source``
    origin: str


@dataclass
class ConcordanceResult:
    """The answer: ``{"query", "lang", "hits": [...]}``; ``truncated`` when more hits may exist."""

    query: str
    lang: str | None
    hits: list[ConcordanceHit] = field(default_factory=list)
    truncated: bool = False


def phrase_keys(phrase: str, lang: str) -> list[str]:
    """The keys a phrase is searched by: stems of its words and values of its numbers, in order."""
    return [search_key(t) for t in tokenize(phrase, lang) if t.kind in SEARCHED]


def find_phrase(text: str, lang: str, keys: list[str], *, elided: bool = False) -> list[tuple[int, int]]:
    """Offsets of every occurrence of the key sequence among the text's words and numbers.

    With ``elided`` (the phrase began with l', d', ...), an elided clitic just before is highlighted too.
    """
    tokens = tokenize(text, lang)
    where = [i for i, t in enumerate(tokens) if t.kind in SEARCHED]
    seq = [search_key(tokens[i]) for i in where]
    n = len(keys)
    spans: list[tuple[int, int]] = []
    for k in range(len(seq) - n + 1):
        if seq[k : k + n] == keys:
            first = where[k]
            if elided and first > 0 and tokens[first - 1].kind == "elision":
                first -= 1
            spans.append((tokens[first].start, tokens[where[k + n - 1]].end))
    return spans


def _rarest_first(session: Session, hashes: list[int]) -> list[int] | None:
    rows = dict(session.execute(select(TmVocab.token_hash, TmVocab.df).where(TmVocab.token_hash.in_(hashes))).all())
    if any(rows.get(h, 0) <= 0 for h in hashes):
        return None  # a word no stored segment has: nothing can match
    return sorted(set(hashes), key=lambda h: (rows[h], h))


def _candidate_pages(session: Session, hashes: list[int]) -> list[list[int]]:
    """Variant ids posted under every hash, shortest segments first, a page at a time."""
    first = aliased(TmPosting)
    stmt = select(first.variant_id).where(first.token_hash == hashes[0])
    for h in hashes[1:]:
        other = aliased(TmPosting)
        # Same variant, same key count: the join hits the other posting's primary key directly.
        stmt = stmt.join(
            other, (other.token_hash == h) & (other.ntok == first.ntok) & (other.variant_id == first.variant_id)
        )
    stmt = stmt.order_by(first.ntok, first.variant_id).limit(MAX_CHECKED + 1)
    ids = list(session.scalars(stmt))
    return [ids[i : i + PAGE] for i in range(0, len(ids), PAGE)]


def _targets(session: Session, unit_ids: list[int], lang: str) -> dict[int, tuple[str, str]]:
    """Each unit's first variant in another language than ``lang``: (text, language tag), by unit id."""
    out: dict[int, tuple[str, str]] = {}
    stmt = select(Variant.unit_id, Variant.text, Variant.lang_tag).where(
        Variant.unit_id.in_(unit_ids), Variant.lang != lang
    )
    for unit_id, text, tag in session.execute(stmt.order_by(Variant.id)):
        out.setdefault(unit_id, (text, tag))
    return out


def _page_hits(session: Session, page: list[int], lang: str, keys: list[str], elided: bool) -> list[ConcordanceHit]:
    """The hits among one page of candidates, in the page's order."""
    # Columns, not ORM objects: most candidates of a rare phrase of common words hold it nowhere, and
    # building objects (their JSON columns decoded) was most of such a search's time.
    rows = {r.id: r for r in session.execute(select(*_HIT_COLUMNS).where(Variant.id.in_(page)))}
    found = [
        (r, spans)
        for r in map(rows.get, page)
        if r is not None and (spans := find_phrase(r.text, lang, keys, elided=elided))
    ]
    if not found:
        return []
    units = sorted({r.unit_id for r, _ in found})
    origins = {uid: origin for uid, origin in session.execute(select(Unit.id, Unit.origin).where(Unit.id.in_(units)))}
    targets = _targets(session, units, lang)
    hits = []
    for r, spans in found:
        target, target_lang = targets.get(r.unit_id, (None, None))
        hits.append(ConcordanceHit(r.unit_id, r.id, r.lang_tag, r.text, target, target_lang, spans, origins[r.unit_id]))
    return hits


_HIT_COLUMNS = (Variant.id, Variant.unit_id, Variant.text, Variant.lang_tag)


def _search(session: Session, phrase: str, lang: str, limit: int) -> tuple[list[ConcordanceHit], bool]:
    keys = phrase_keys(phrase, lang)
    head = tokenize(phrase, lang)
    elided = bool(head) and head[0].kind == "elision"
    order = _rarest_first(session, [token_hash(lang, k) for k in keys]) if keys else None
    if order is None:
        return [], False
    hits: list[ConcordanceHit] = []
    pages = _candidate_pages(session, order)
    truncated = sum(len(p) for p in pages) > MAX_CHECKED
    for page in pages:
        hits.extend(_page_hits(session, page, lang, keys, elided))
        if len(hits) >= limit:
            return hits[:limit], True
    return hits, truncated


def concordance(db: Database, phrase: str, lang: str | None = None, limit: int = 50) -> ConcordanceResult:
    """Every segment (either language unless ``lang``) containing ``phrase``; short segments first."""
    if not phrase or not phrase.strip():
        raise InvalidInput("nothing to search: the phrase is empty", param="phrase")
    if len(phrase) > MAX_PHRASE:
        raise InvalidInput(f"phrase too long ({len(phrase)} > {MAX_PHRASE} characters)", param="phrase")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", param="limit")
    langs: tuple[str, ...] = LANGS
    if lang:
        code = primary_lang(lang)
        if code not in LANGS:
            raise InvalidInput(f"unsupported language {lang!r} (use fr or en)", param="lang")
        langs = (code,)
    result = ConcordanceResult(query=phrase, lang=langs[0] if lang else None)
    with db.session() as session:
        for code in langs:
            hits, more = _search(session, phrase, code, limit - len(result.hits))
            result.hits.extend(hits)
            result.truncated |= more
            if len(result.hits) >= limit:
                break
    return result
