"""Candidate generation over the memory index: prefix filtering, overlap counts, bounds.

Read-only: it answers "which variants may score at least t against these keys" from the
postings and vocabulary that ``nato_tm.store.memory_index`` writes, all in the database.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nato_tm.store import memory_rows
from nato_tm.store.memory_index import TmEntry, occurrence_hashes
from nato_tm.text.pipeline import primary_lang

# Postings a lookup may read beyond the guaranteed prefix, to sharpen the overlap counts.
EXTEND_BUDGET = 3_000
EXTEND_PER_CANDIDATE = 8  # ... or this many per candidate found, up to EXTEND_MAX
EXTEND_MAX = 15_000
# Reading this many postings is the most a lookup spends to widen the search below GUARANTEED.
WIDEN_BUDGET = 3_000
GUARANTEED = 75  # from this score up, candidates() misses nothing (prefix filtering)
MAX_CANDIDATES = 1500
# Past MAX_CANDIDATES, up to this many more keys are read (each at most FORCE_MAX postings).
FORCE_KEYS = 3
FORCE_MAX = 200_000
# Above this many candidates, reading more keys' postings (a few ms at most) is cheaper than
# reading the stored profiles of the candidates that the sharper bound then rules out.
EXTEND_ABOVE = 64


def _dfs(session: Session, hashes: Iterable[int]) -> dict[int, int]:
    cond, params = memory_rows.among(session, "token_hash", sorted(set(hashes)), "bigint")
    rows = memory_rows.fetch(session, f"SELECT token_hash, df FROM tm_vocab WHERE {cond}", params)
    return {int(h): int(df) for h, df in rows}


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


def score_bound(num: int, den: int) -> int:
    """The best score a variant sharing at most ``num`` of ``max(n, ntok) = den`` keys can reach."""
    return 101 if num >= den else min(94, 100 * num // den)


def candidates(
    session: Session, lang: str, keys: Sequence[str], min_score: int, dfs: dict[int, int] | None = None
) -> list[tuple[int, int]]:
    """(score bound, variant id) of the variants that may score >= min_score, best bound first.

    Complete from GUARANTEED up; at most MAX_CANDIDATES. Nothing is loaded but the postings:
    the caller reads profiles (``variant_rows``) only for as many as can still enter its top.
    ``dfs``: the document frequencies of the keys' ``occurrence_hashes``, when the caller read them.
    """
    n = len(keys)
    lang = primary_lang(lang)
    if n == 0:
        return [(101, vid) for vid in _wordless(session, lang)]
    # One hash per key position (a repeated key's k-th occurrence has its own), so the postings
    # are sets and a shared hash counts one shared position.
    hashes = occurrence_hashes(lang, keys)
    if dfs is None:
        dfs = _dfs(session, hashes)
    positions = sorted((dfs.get(h, 0), h) for h in hashes)  # rarest first: the prefix-filtering order
    t, k = _plan(positions, n, min_score)
    lo, hi = math.ceil(t * n - 1e-9), min(math.floor(n / t + 1e-9), NTOK_MASK)
    # A candidate of m keys must share ceil(t * max(n, m)) of them: the longer it is, the fewer of the
    # rarest keys it can lack, so the i-th rarest key is read only for candidates of up to reach[i] keys.
    reach = [min(hi, math.floor((n - i) / t + 1e-9)) for i in range(k)]
    total = dict(_prefix_overlaps(session, [h for _, h in positions[:k]], reach, lo))
    seen = k
    if len(total) > EXTEND_ABOVE:
        # Many candidates: read a few more rare keys so that the bound below prunes harder.
        # A posting read costs ~0.2 us, a profile read ~5-10 us: the more candidates, the more it pays.
        budget = max(EXTEND_BUDGET, min(EXTEND_MAX, EXTEND_PER_CANDIDATE * len(total)))
        extra = _extension(positions, k, budget)
        _add(total, _overlaps(session, extra, lo, hi))
        seen += len(extra)
    slack = _slack(n - seen, reach, lo, hi)
    least = _least(n, lo, slack, t)
    forced = 0
    while _over_cap(total, lo, least) and seen < n and forced < FORCE_KEYS:
        # Past the cap, candidates tied on their bound would be dropped by id, matches among them
        # (seen at 1M units): read the next key whatever its cost, so the bound tells them apart.
        df, h = positions[seen]
        if df > FORCE_MAX:
            break
        _add_key(session, total, h, df, lo, hi)
        forced += 1
        seen += 1
        slack = _slack(n - seen, reach, lo, hi)
        least = _least(n, lo, slack, t)
    return _rank(total, n, lo, slack, least)


def _add(total: dict[int, int], found: Counter[int]) -> None:
    """Add the overlaps of more keys to the candidates already found (the others cannot reach t)."""
    for key in found.keys() & total.keys():  # in C: most postings of a later key are not candidates
        total[key] += found[key]


def _slack(unread: int, reach: list[int], lo: int, hi: int) -> list[int]:
    """For each candidate length lo..hi, how many query keys were not checked against it."""
    return [unread + sum(1 for r in reach if r < m) for m in range(lo, hi + 1)]


def _least(n: int, lo: int, slack: list[int], t: float) -> list[int]:
    """For each candidate length from ``lo``, the fewest shared keys found that let its bound reach t.

    A candidate can at best share every key it was not checked against (``slack``, by its length):
    its similarity is at most min(found + slack, length, n) over the longer length, which grows
    with the keys found. A length no candidate can reach t at gets n + 1.
    """
    need = t - 1e-9
    out = []
    for i, s in enumerate(slack):
        m = lo + i
        target = need * max(n, m)
        out.append(max(1, math.ceil(target) - s) if min(m, n) >= target else n + 1)
    return out


def _over_cap(total: dict[int, int], lo: int, least: list[int]) -> bool:
    """Whether more than MAX_CANDIDATES candidates can still reach t."""
    if len(total) <= MAX_CANDIDATES:
        return False
    low, high = min(least), max(least)
    if low == high:  # the usual case: counted by overlap alone, in C
        passing = len(total) if low <= 1 else sum(size for c, size in Counter(total.values()).items() if c >= low)
    else:
        passing = sum(1 for key, c in total.items() if c >= high or (c >= low and c >= least[(key & NTOK_MASK) - lo]))
    return passing > MAX_CANDIDATES


def _rank(total: dict[int, int], n: int, lo: int, slack: list[int], least: list[int]) -> list[tuple[int, int]]:
    """The best MAX_CANDIDATES candidates as (score bound, variant id): best bound, then overlap, then id.

    Ranked by class: a candidate's bound depends only on its length and overlap, and thousands of
    candidates share a few hundred classes, so the sorting is of classes; only the classes that
    fill the cap are expanded into candidates.
    """
    low = min(least)
    alive = total if low <= 1 else {key: c for key, c in total.items() if c >= low}
    sizes = Counter(zip(map(NTOK_MASK.__and__, alive), alive.values(), strict=True))
    order: dict[tuple[int, int], tuple[float, int, int]] = {}  # (length, overlap) -> (-bound ratio, -overlap, score)
    for m, c in sizes:
        if c >= least[m - lo]:
            num, den = min(c + slack[m - lo], m, n), max(n, m)
            order[(m, c)] = (-num / den, -c, score_bound(num, den))
    chosen: set[tuple[int, int]] = set()
    count, last = 0, None
    for cls in sorted(order, key=order.__getitem__):
        rank = order[cls][:2]
        if count >= MAX_CANDIDATES and rank != last:  # classes tied with the last one chosen compete by id
            break
        chosen.add(cls)
        count += sizes[cls]
        last = rank
    picked = [(order[cls], key >> NTOK_BITS) for key, c in alive.items() if (cls := (key & NTOK_MASK, c)) in chosen]
    picked.sort()
    return [(rank[2], vid) for rank, vid in picked[:MAX_CANDIDATES]]


def _wordless(session: Session, lang: str) -> list[int]:
    """Candidates for a query without words: the segments without words, oldest first."""
    stmt = select(TmEntry.variant_id).where(TmEntry.lang == lang, TmEntry.ntok == 0)
    return list(session.scalars(stmt.order_by(TmEntry.variant_id).limit(MAX_CANDIDATES)))


def _extension(positions: list[tuple[int, int]], k: int, budget: int) -> set[int]:
    """The keys after the prefix worth reading: the next rarest, as long as they fit in ``budget`` postings."""
    extra: set[int] = set()
    spent = 0
    for df, h in positions[k:]:
        if spent + df > budget:
            break
        extra.add(h)
        spent += df
    return extra


def _prefix_overlaps(session: Session, prefix: list[int], reach: list[int], lo: int) -> Counter[int]:
    """How many prefix keys each packed (variant_id, ntok) is posted under, each read for ntok in [lo, its reach]."""
    groups: dict[int, list[int]] = {}
    for h, r in zip(prefix, reach, strict=True):
        groups.setdefault(r, []).append(h)
    return _count_postings(session, groups, lo)


def _overlaps(session: Session, hashes: set[int], lo: int, hi: int) -> Counter[int]:
    """How many of ``hashes`` each packed (variant_id, ntok) with ntok in [lo, hi] is posted under."""
    return _count_postings(session, {hi: list(hashes)}, lo) if hashes else Counter()


# A candidate is one integer, variant_id * 2**NTOK_BITS + ntok: one object per posting read instead of
# a tuple of two, and a cheaper hash to count (a third of a heavy lookup's CPU went to those tuples).
NTOK_BITS = 20
NTOK_MASK = (1 << NTOK_BITS) - 1
_PACKED = f"CAST(variant_id AS BIGINT) * {1 << NTOK_BITS} + ntok AS p"


def _count_postings(session: Session, groups: dict[int, list[int]], lo: int) -> Counter[int]:
    """Postings per packed candidate of the hashes of each group, read for ntok in [lo, the group's upper bound]."""
    # Counted here rather than by GROUP BY: SQLite's GROUP BY sorts through a temporary b-tree,
    # a third slower on these reads than a Counter (PostgreSQL: about the same).
    parts, params = [], []
    for hi, hashes in groups.items():
        cond, values = memory_rows.among(session, "token_hash", sorted(hashes), "bigint")
        parts.append(f"SELECT {_PACKED} FROM tm_posting WHERE {cond} AND ntok >= ? AND ntok <= ?")
        params += [*values, lo, hi]
    with _packed(session, " UNION ALL ".join(parts), params) as found:
        return Counter(found)


@contextmanager
def _packed(session: Session, sql: str, params: Sequence[Any]) -> Iterator[Iterable[int]]:
    """The packed candidates that a statement of one integer column ``p`` selects, read as one array."""
    # A driver builds a Python row per posting: psycopg 15 ms of client CPU for 30k postings, Python's
    # sqlite3 0.5 us a posting. As one array they cost a fifth (PostgreSQL: a binary int8 array) or
    # about half (SQLite: one JSON array, built by SQLite, parsed by json.loads; 40k postings 12.7 ms
    # against 21 ms), the aggregate included.
    if memory_rows.on_postgres(session):
        # ARRAY(subquery) rather than array_agg: no aggregate over the rows, 6-9 % less on 46k postings.
        with memory_rows.cursor(session, f"SELECT ARRAY({sql})", params, binary=True) as cur:
            yield cur.fetchone()[0]
    else:
        with memory_rows.cursor(session, f"SELECT json_group_array(p) FROM ({sql})", params) as cur:
            yield json.loads(cur.fetchone()[0])


def _add_key(session: Session, total: dict[int, int], h: int, df: int, lo: int, hi: int) -> None:
    """Count one more key for the candidates already found (its other postings cannot reach t)."""
    # Not on PostgreSQL: its per-candidate seeks cost more than one binary array of the postings
    # (12,417 candidates: 32 ms against 6.5 ms).
    if len(total) * PROBE_RATIO < df and not memory_rows.on_postgres(session):
        hits: Iterable[int] = _probe(session, total, h)
        for key in hits:
            total[key] += 1
        return
    where = "token_hash = ? AND ntok >= ? AND ntok <= ?"
    with _packed(session, f"SELECT {_PACKED} FROM tm_posting WHERE {where}", [h, lo, hi]) as found:
        # A key's postings are a set: one membership test each, no count of them (the view's & runs in C).
        for key in total.keys() & found:
            total[key] += 1


# A key's posting list is worth probing for each candidate (one primary-key seek, ~0.7 us on SQLite)
# instead of being read in the length range (~0.4 us a posting, a quarter or more of its df) when
# the candidates are fewer than df / PROBE_RATIO: 2,008 candidates against a 46,634-posting range,
# 1.6 ms instead of 17.7 ms.
PROBE_RATIO = 8
_PROBE = (
    "SELECT j.value FROM json_each(?) AS j WHERE EXISTS (SELECT 1 FROM tm_posting WHERE token_hash = ?"
    f" AND ntok = j.value & {NTOK_MASK} AND variant_id = j.value >> {NTOK_BITS})"
)


def _probe(session: Session, candidates: Iterable[int], h: int) -> list[int]:
    """The packed candidates posted under ``h``, one seek each (SQLite: the list passed as one JSON array)."""
    listed = "[" + ",".join(map(str, candidates)) + "]"
    return [row[0] for row in memory_rows.fetch(session, _PROBE, [listed, h])]
