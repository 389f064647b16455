"""Fuzzy lookup in the translation memory: candidates from the index, scored, ranked, substituted.

Reading never writes: ``record_use`` is the only function that touches usage counts, called
when a translator (or CAT tool) says a match was used. Nothing is cached per process: every
candidate comes from the database, so a unit written through one worker is found by the next.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from nato_tm.errors import InvalidInput, NotFound
from nato_tm.services.recognize import Hit, recognize_many
from nato_tm.services.tm_score import (
    MULTI_TRANSLATION_PENALTY,
    EditOp,
    Score,
    Substitution,
    band,
    edit_ops,
    propose,
    score,
    score_stored,
    stored_bound,
    upper_bound,
)
from nato_tm.store import memory_candidates, memory_rows
from nato_tm.store.base import as_utc
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit
from nato_tm.store.memory_index import occurrence_hashes
from nato_tm.store.memory_repo import key_hash
from nato_tm.store.memory_rows import StoredProfile, TargetRow, VariantRow
from nato_tm.text.pipeline import LANGS, primary_lang
from nato_tm.text.placeables import Analysis, Profile, analyse

MAX_TEXT = 2000
MAX_LIMIT = 50
MAX_BULK = 100
# Candidates read per round (doubling up to MAX_BATCH): rounds stop once no unread one can enter the top.
FIRST_BATCH = 16
MAX_BATCH = 256
REVIEWED_PROPS = {"x-reviewed", "reviewed", "x-status", "status"}
REVIEWED_VALUES = {"1", "true", "yes", "reviewed", "approved", "final", "signed-off"}


@dataclass
class Match:
    """One proposal: a stored source like the query and its translation."""

    score: int
    band: str
    source: str
    target: str  # with the query's numbers and dates substituted when that was possible
    target_original: str | None  # the stored target, when ``target`` was substituted
    substitutions: list[Substitution]
    differences: list[str]
    edits: list[EditOp]  # from the match source to the query, offsets into both
    terms: list[Hit]  # term-base terms found in the match source
    translations: int  # different translations stored for this source
    unit_id: int
    source_variant_id: int
    target_variant_id: int
    source_lang: str
    target_lang: str
    origin: str
    reviewed: bool
    created_at: datetime | None
    created_by: str | None
    changed_at: datetime | None
    changed_by: str | None
    usage_count: int
    last_used_at: datetime | None


@dataclass
class LookupResult:
    """The answer to a lookup: ``{"query", "src", "tgt", "matches": [...]}``."""

    query: str
    src: str
    tgt: str
    prev: str | None = None
    min_score: int = 50
    matches: list[Match] = field(default_factory=list)


@dataclass
class _Scored:
    variant: VariantRow
    score: Score


def _lang(tag: str, param: str) -> str:
    code = primary_lang(tag or "")
    if code not in LANGS:
        raise InvalidInput(f"unsupported language {tag!r} (use fr or en)", param=param)
    return code


def check_args(text: str, src: str, tgt: str, min_score: int, limit: int) -> tuple[str, str]:
    """Validate lookup parameters; return the primary source and target languages."""
    s, t = _lang(src, "src"), _lang(tgt, "tgt")
    if s == t:
        raise InvalidInput("source and target languages must differ", param="tgt")
    if not text or not text.strip():
        raise InvalidInput("nothing to look up: the text is empty", param="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"text too long for lookup ({len(text)} > {MAX_TEXT} characters)", param="text")
    if not 0 <= min_score <= 101:
        raise InvalidInput("min score must be between 0 and 101", param="min")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", param="limit")
    return s, t


_UNIT_COLS = (
    *(Unit.id, Unit.origin, Unit.props, Unit.created_at, Unit.created_by, Unit.changed_at, Unit.changed_by),
    *(Unit.usage_count, Unit.last_used_at),
)


@cache
def _statements() -> dict[str, Any]:
    """The lookup's statements, built once per process (statements only: no data is cached)."""
    ids: Any = bindparam("ids", expanding=True)
    return {"units": select(*_UNIT_COLS).where(Unit.id.in_(ids))}


def _rows(session: Session, name: str, **params: Any) -> list[Any]:
    return list(session.connection().execute(_statements()[name], params))


def _order(session: Session, q: Analysis, text: str, src: str, min_score: int) -> list[tuple[int, int]]:
    """(score bound, variant id) of every candidate that may reach ``min_score``, best bound first."""
    kh = key_hash(text, src)
    dfs = None
    if q.keys and memory_rows.on_postgres(session):  # one round trip instead of two
        exact, dfs = memory_rows.exact_ids_and_dfs(session, src, kh, occurrence_hashes(src, q.keys))
    else:
        exact = memory_rows.exact_ids(session, src, kh)  # also segments not indexed
    found = memory_candidates.candidates(session, src, q.keys, min_score, dfs)
    taken = set(exact)
    return [(101, vid) for vid in exact] + [(b, vid) for b, vid in found if b >= min_score and vid not in taken]


def _score_candidates(
    session: Session, text: str, src: str, tgt: str, prev: str | None, min_score: int, limit: int
) -> list[_Scored]:
    """Exact scores of every candidate that can reach the top ``limit``, read best bound first.

    Candidates are read a batch at a time, first their stored profiles (which bound the score
    tightly), then the rows of those that can still make it; reading stops as soon as the next
    candidate's bound is below the floor that the ``limit`` best scores so far set.
    """
    q = analyse(text, src)
    qp = q.profile()
    order = _order(session, q, text, src, min_score)
    prev_hash = key_hash(prev, src) if prev else None
    scored: list[_Scored] = []
    top: list[int] = []  # min-heap of the best ``limit`` scores of sources with a translation
    at, size = 0, FIRST_BATCH
    while at < len(order):
        # A penalty for several translations may still reorder scores one point apart.
        floor = max(min_score, top[0] - MULTI_TRANSLATION_PENALTY) if len(top) >= limit else min_score
        batch = [vid for b, vid in order[at : at + size] if b >= floor]
        if not batch:
            break
        at, size = at + size, min(2 * size, MAX_BATCH)
        profs = _worth_reading(q, qp, memory_rows.profiles(session, batch), floor)
        batch = [vid for vid in batch if vid not in profs or profs[vid] is not None]
        for v in memory_rows.variant_rows(session, batch, tgt):
            if not v.has_target:  # it can give no pair: it must not raise the floor either
                continue
            s = _score_one(q, v, profs.get(v.id), text, src, prev_hash)
            if s.value >= min_score:
                scored.append(_Scored(v, s))
                (heapq.heappush if len(top) < limit else heapq.heappushpop)(top, s.value)
    floor = top[0] - MULTI_TRANSLATION_PENALTY if len(top) >= limit else min_score
    return [s for s in scored if s.score.value >= floor]  # the others cannot enter the top


def _worth_reading(q: Analysis, qp: Profile, found: dict[int, StoredProfile], floor: int) -> dict[int, Profile | None]:
    """Each candidate's full profile when it can still score ``floor``, else None."""
    out: dict[int, Profile | None] = {}
    for vid, stored in found.items():
        # The keys-only bound first: a third of the cost of the full one, and most candidates fail it.
        if upper_bound(q.keys, stored.keys) < floor:
            out[vid] = None
        else:
            prof = stored.full()
            out[vid] = prof if stored_bound(qp, prof) >= floor else None
    return out


def _score_one(q: Analysis, v: VariantRow, prof: Profile | None, text: str, src: str, prev: str | None) -> Score:
    context = prev is not None and v.prev_hash == prev
    if prof is None:  # found by its exact key only (not indexed): score it from its text
        return score(q, analyse(v.text, src), text, v.text, tags=bool(v.markup), context=context)
    return score_stored(q, prof, text, v.text, src, tags=bool(v.markup), context=context)


def _reviewed(unit: Any) -> bool:
    """Reviewed: the shipped seed memory, or a unit whose props say it was reviewed or approved."""
    if unit.origin.startswith("seed:"):
        return True
    return any(
        p.get("type", "").lower() in REVIEWED_PROPS and p.get("value", "").strip().lower() in REVIEWED_VALUES
        for p in unit.props or []
    )


def _translations(found: list[tuple[str, str]]) -> dict[str, int]:
    """How many different target texts each source key has across the memory, from (key, target text) rows."""
    texts: dict[str, set[str]] = defaultdict(set)
    for kh, target in found:
        texts[kh].add(" ".join(target.split()))
    return {kh: len(t) for kh, t in texts.items()}


_Pair = tuple[_Scored, Any, Any, int]  # scored source, target row, unit row, translations of the source


def _pairs(session: Session, scored: list[_Scored], src: str, tgt: str) -> list[_Pair]:
    """Each scored source with every target-language variant of its unit, the unit and the translation count."""
    if not scored:
        return []
    unit_ids = sorted({s.variant.unit_id for s in scored})
    hashes = sorted({s.variant.key_hash for s in scored})
    targets: dict[int, list[TargetRow]] = defaultdict(list)
    if memory_rows.on_postgres(session):  # one round trip instead of three
        found, units, texts = memory_rows.matched(session, unit_ids, src, tgt, hashes)
    else:
        found = memory_rows.targets(session, unit_ids, tgt)
        units = {u.id: u for u in _rows(session, "units", ids=unit_ids)}
        texts = memory_rows.translations(session, src, tgt, hashes)
    for t in found:
        targets[t.unit_id].append(t)
    counts = _translations(texts)
    return [
        (s, t, units[s.variant.unit_id], counts.get(s.variant.key_hash, 1))
        for s in scored
        for t in targets.get(s.variant.unit_id, [])
    ]


def _rank_key(value: int, reviewed: bool, unit: Any, target: Any) -> tuple[Any, ...]:
    when = as_utc(unit.changed_at) or as_utc(unit.created_at) or datetime.min.replace(tzinfo=UTC)
    return (-value, not reviewed, -when.timestamp(), unit.id, target.id)


def _build(text: str, src: str, tgt: str, pair: _Pair, value: int) -> Match:
    s, target, unit, count = pair
    q, m = analyse(text, src), analyse(s.variant.text, src)
    proposal = propose(q, m, analyse(target.text, tgt), target.text, tgt, src) if q.keys == m.keys else None
    differences = list(s.score.differences) + (["translations"] if value < s.score.value else [])
    return Match(
        score=value,
        band=band(value),
        source=s.variant.text,
        target=proposal.target if proposal else target.text,
        target_original=target.text if proposal and proposal.substitutions else None,
        substitutions=proposal.substitutions if proposal else [],
        differences=differences,
        edits=edit_ops(q, m, text, s.variant.text),
        terms=[],
        translations=count,
        unit_id=unit.id,
        source_variant_id=s.variant.id,
        target_variant_id=target.id,
        source_lang=s.variant.lang_tag,
        target_lang=target.lang_tag,
        origin=unit.origin,
        reviewed=_reviewed(unit),
        created_at=as_utc(unit.created_at),
        created_by=unit.created_by,
        changed_at=as_utc(unit.changed_at),
        changed_by=unit.changed_by,
        usage_count=unit.usage_count or 0,
        last_used_at=as_utc(unit.last_used_at),
    )


def _lookup(
    session: Session, text: str, src: str, tgt: str, min_score: int, limit: int, prev: str | None
) -> list[Match]:
    scored = _score_candidates(session, text, src, tgt, prev, min_score, limit)
    ranked: list[tuple[tuple[Any, ...], int, _Pair]] = []
    for pair in _pairs(session, scored, src, tgt):
        s, target, unit, count = pair
        # Several translations of one source: each is less certain (a context match settles it).
        value = s.score.value - (MULTI_TRANSLATION_PENALTY if count > 1 and s.score.value < 101 else 0)
        if value >= min_score:
            ranked.append((_rank_key(value, _reviewed(unit), unit, target), value, pair))
    ranked.sort(key=lambda r: r[0])
    return [_build(text, src, tgt, pair, value) for _, value, pair in ranked[:limit]]


@contextmanager
def _reading(db: Database) -> Iterator[Session]:
    """A session for a lookup's reads: on PostgreSQL, outside any transaction."""
    with db.session() as session:
        if db.dialect == "postgresql":
            # Under READ COMMITTED each statement reads its own snapshot, in a transaction or not:
            # the transaction added only its BEGIN and COMMIT, two of a lookup's dozen round trips.
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


def _add_terms(db: Database, matches: list[Match], src: str) -> None:
    if matches:
        for match, doc in zip(matches, recognize_many(db, [m.source for m in matches], src), strict=True):
            match.terms = doc.hits


def lookup(
    db: Database,
    text: str,
    src: str = "fr",
    tgt: str = "en",
    *,
    min_score: int = 50,
    limit: int = 5,
    prev: str | None = None,
) -> LookupResult:
    """The best ``limit`` matches scoring at least ``min_score`` for a segment, best first."""
    s, t = check_args(text, src, tgt, min_score, limit)
    with _reading(db) as session:
        matches = _lookup(session, text, s, t, min_score, limit, prev)
    _add_terms(db, matches, s)
    return LookupResult(query=text, src=s, tgt=t, prev=prev, min_score=min_score, matches=matches)


def bulk_lookup(
    db: Database,
    texts: Sequence[str],
    src: str = "fr",
    tgt: str = "en",
    *,
    min_score: int = 50,
    limit: int = 5,
    prevs: Sequence[str | None] | None = None,
) -> list[LookupResult]:
    """Look up up to 100 segments in one session; ``prevs`` gives each one's previous segment."""
    if len(texts) > MAX_BULK:
        raise InvalidInput(f"too many segments ({len(texts)} > {MAX_BULK})", param="texts")
    if prevs is not None and len(prevs) != len(texts):
        raise InvalidInput("prevs must have one entry per segment", param="prevs")
    context = list(prevs) if prevs is not None else [None] * len(texts)
    checked = [check_args(text, src, tgt, min_score, limit) for text in texts]
    results: list[LookupResult] = []
    with _reading(db) as session:
        for text, (s, t), prev in zip(texts, checked, context, strict=True):
            matches = _lookup(session, text, s, t, min_score, limit, prev)
            results.append(LookupResult(query=text, src=s, tgt=t, prev=prev, min_score=min_score, matches=matches))
    for result in results:
        _add_terms(db, result.matches, result.src)
    return results


def record_use(db: Database, unit_id: int) -> int:
    """Count one use of a unit's match (the caller inserted it); return the new usage count."""
    with db.session() as session:
        done = session.execute(
            update(Unit)
            .where(Unit.id == unit_id)
            .values(usage_count=Unit.usage_count + 1, last_used_at=datetime.now(UTC))
        )
        if getattr(done, "rowcount", 0) == 0:
            raise NotFound(f"no translation unit {unit_id}")
        return int(session.scalar(select(Unit.usage_count).where(Unit.id == unit_id)) or 0)
