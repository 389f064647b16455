"""Candidate generation over the memory index: prefix filtering, overlap counts, stored profiles.

Read-only: it answers "which variants may score at least t against these keys" from the
postings and vocabulary that ``nato_tm.store.memory_index`` writes, all in the database.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nato_tm.store.memory_index import TmEntry, TmVocab, chunks, load_profile, token_hash
from nato_tm.text.pipeline import primary_lang
from nato_tm.text.placeables import Profile

# Postings a lookup may read beyond the guaranteed prefix, to sharpen the overlap counts.
EXTEND_BUDGET = 3_000
# Reading this many postings is the most a lookup spends to widen the search below GUARANTEED.
WIDEN_BUDGET = 3_000
GUARANTEED = 75  # from this score up, candidates() misses nothing (prefix filtering)
MAX_CANDIDATES = 1500


@cache
def _dfs_stmt() -> Any:
    # Built once per process: only the statement is kept, never data, so nothing can go stale.
    return select(TmVocab.token_hash, TmVocab.df).where(TmVocab.token_hash.in_(bindparam("hs", expanding=True)))


@cache
def _profiles_stmt() -> Any:
    cols = (TmEntry.variant_id, TmEntry.keys, TmEntry.bases, TmEntry.minor, TmEntry.nums)
    return select(*cols).where(TmEntry.variant_id.in_(bindparam("ids", expanding=True)))


def _dfs(session: Session, hashes: Iterable[int]) -> dict[int, int]:
    return {h: df for h, df in session.connection().execute(_dfs_stmt(), {"hs": sorted(set(hashes))})}


def _prefix(n: int, t: float) -> int:
    """How many of the query's rarest key positions a match scoring >= t must share one of."""
    return n - math.ceil(t * n - 1e-9) + 1


def _plan(positions: list[tuple[int, int]], n: int, min_score: int) -> tuple[float, int]:
    """The threshold to search at and the prefix length: min_score if affordable, else GUARANTEED."""
    t = max(min_score, 1) / 100
    k = _prefix(n, t)
    if t * 100 < GUARANTEED and sum(df for df, _ in positions[:k]) > WIDEN_BUDGET:
        t = GUARANTEED / 100
        k = _prefix(n, t)
    return t, k


def candidates(session: Session, lang: str, keys: Sequence[str], min_score: int) -> dict[int, Profile]:
    """Variants that may score >= min_score against ``keys`` (complete from GUARANTEED up), with their keys."""
    n = len(keys)
    lang = primary_lang(lang)
    if n == 0:
        return _wordless(session, lang)
    mult = Counter(token_hash(lang, k) for k in keys)
    dfs = _dfs(session, mult)
    # One entry per key position, rarest first: the prefix-filtering order.
    positions = sorted((dfs.get(h, 0), h) for h, m in mult.items() for _ in range(m))
    t, k = _plan(positions, n, min_score)
    lo, hi = math.ceil(t * n - 1e-9), math.floor(n / t + 1e-9)
    prefix = {h for _, h in positions[:k]}
    counts: dict[int, int] = {}
    ntoks: dict[int, int] = {}
    weight = max(mult[h] for h in prefix)  # a count of distinct keys times this bounds the overlap
    for vid, ntok, c in _overlaps(session, prefix, lo, hi):
        counts[vid] = c * weight
        ntoks[vid] = ntok
    seen = k
    if len(counts) > MAX_CANDIDATES:
        # Too many to score: read a few more rare keys so that the bound below prunes harder.
        extra, seen = _extension(positions, k, prefix)
        if extra:
            weight = max(mult[h] for h in extra)
            for vid, _, c in _overlaps(session, extra, lo, hi):
                if vid in counts:
                    counts[vid] += c * weight
    # A candidate can at best share every key it has not been checked against: its similarity
    # is at most that overlap over the longer length. Keep those that can reach t, best bound first.
    bound = {v: min(c + n - seen, ntoks[v], n) / max(n, ntoks[v]) for v, c in counts.items()}
    alive = [v for v, b in bound.items() if b >= t - 1e-9]
    alive.sort(key=lambda v: (-bound[v], -counts[v], v))
    return profiles(session, alive[:MAX_CANDIDATES])


def _wordless(session: Session, lang: str) -> dict[int, Profile]:
    """Candidates for a query without words: the segments without words, oldest first."""
    stmt = select(TmEntry.variant_id).where(TmEntry.lang == lang, TmEntry.ntok == 0)
    return profiles(session, list(session.scalars(stmt.order_by(TmEntry.variant_id).limit(MAX_CANDIDATES))))


def _extension(positions: list[tuple[int, int]], k: int, prefix: set[int]) -> tuple[set[int], int]:
    """Keys after the prefix worth reading (within EXTEND_BUDGET postings), and the positions then checked."""
    extra: set[int] = set()
    seen, spent = k, 0
    for df, h in positions[k:]:
        if h not in prefix and h not in extra:
            if spent + df > EXTEND_BUDGET:
                break
            extra.add(h)
            spent += df
        seen += 1
    return extra, seen


def _overlaps(session: Session, hashes: set[int], lo: int, hi: int) -> list[tuple[int, int, int]]:
    """(variant_id, ntok, how many of ``hashes`` it is posted under) for variants with ntok in [lo, hi]."""
    if not hashes:
        return []
    # The hot path of every lookup: counted by the database, read straight through the driver's cursor.
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (
        "SELECT variant_id, ntok, COUNT(*) FROM tm_posting"
        f" WHERE token_hash IN ({', '.join([mark] * len(hashes))}) AND ntok >= {mark} AND ntok <= {mark}"
        " GROUP BY variant_id, ntok"
    )
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, [*sorted(hashes), lo, hi])
        return [(int(v), int(n), int(c)) for v, n, c in cursor.fetchall()]
    finally:
        cursor.close()


def profiles(session: Session, ids: Sequence[int]) -> dict[int, Profile]:
    """The stored scoring profiles of these variants."""
    out: dict[int, Profile] = {}
    for chunk in chunks(sorted(ids)):
        for vid, keys, bases, minor, nums in session.connection().execute(_profiles_stmt(), {"ids": list(chunk)}):
            out[vid] = load_profile(keys, bases, minor, nums)
    return out
