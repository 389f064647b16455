"""The translation-memory index: token postings that find fuzzy candidates without scanning every unit.

Every variant is indexed under the hashes of its match keys (word stems, number/date placeholders,
see ``nato_tm.text.placeables``) and of its concordance keys (stems and number values). A posting
row is (token_hash, ntok, variant_id), the primary key itself, so one index range answers
"variants holding this token whose key count lies in [lo, hi]": the length filter costs nothing.
``tm_vocab`` keeps document frequencies so that a lookup reads only the rarest query tokens
(prefix filtering). ``tm_entry`` keeps each variant's key sequence, so candidates are scored
without re-tokenising them, and the postings it was indexed under, so unindexing is exact.

Everything lives in the database: no per-process state can go stale across workers.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, cast

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Table, Text, bindparam, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from nato_tm.store.base import Base
from nato_tm.store.memory import Unit, Variant
from nato_tm.text.pipeline import primary_lang
from nato_tm.text.placeables import Profile, analyse, search_keys

SEP = "\x1f"  # joins stored key lists: no pipeline token contains it
CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


class TmPosting(Base):
    """One token of one variant; the whole row is the primary key (WITHOUT ROWID on SQLite)."""

    __tablename__ = "tm_posting"
    __table_args__ = ({"sqlite_with_rowid": False},)

    token_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ntok: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    variant_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class TmEntry(Base):
    """What a variant was indexed as: its language, match-key sequence and posting hashes."""

    __tablename__ = "tm_entry"
    # Segments without words (punctuation, placeholders only) have no postings: found by length 0.
    __table_args__ = (Index("ix_tm_entry_lang_ntok", "lang", "ntok"),)

    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variant.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    lang: Mapped[str] = mapped_column(String(8))
    ntok: Mapped[int] = mapped_column(Integer)
    keys: Mapped[str] = mapped_column(Text)  # match keys joined by SEP, in segment order
    bases: Mapped[str] = mapped_column(Text, default="")  # the scorer's profile (placeables.Profile), SEP-joined
    minor: Mapped[str] = mapped_column(Text, default="")
    nums: Mapped[str] = mapped_column(Text, default="")
    postings: Mapped[str] = mapped_column(Text)  # the token hashes it is posted under, space-joined


class TmVocab(Base):
    """Document frequency of a (language, key) hash: how many variants are posted under it."""

    __tablename__ = "tm_vocab"

    token_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    df: Mapped[int] = mapped_column(Integer, default=0)


def token_hash(lang: str, key: str) -> int:
    """A signed 64-bit hash of a key within a language (fits BIGINT on both backends)."""
    digest = hashlib.blake2b(f"{lang}\x1f{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def variant_keys(text: str, lang: str) -> tuple[Profile, set[int]]:
    """The scoring profile of a segment and the set of hashes it is posted under."""
    lang = primary_lang(lang)
    seg = analyse(text, lang)
    hashes = {token_hash(lang, k) for k in seg.keys} | {token_hash(lang, k) for k in search_keys(seg.tokens)}
    return seg.profile(), hashes


def _join(items: Sequence[str]) -> str:
    return SEP.join(items)


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split(SEP)) if text else ()


def load_profile(keys: str, bases: str, minor: str, nums: str) -> Profile:
    """A stored profile, as ``candidates`` and the scorer read it."""
    return Profile(_split(keys), _split(bases), _split(minor), _split(nums))


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _bump_df(session: Session, counts: Counter[int]) -> None:
    """Add (or subtract) document frequencies; sorted so concurrent writers lock rows in one order."""
    if not counts:
        return
    rows = [{"token_hash": h, "df": n} for h, n in sorted(counts.items())]
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = pg_insert(TmVocab)
    elif dialect == "sqlite":
        stmt = sqlite_insert(TmVocab)
    else:  # pragma: no cover - only the two supported backends
        raise RuntimeError(f"unsupported backend {dialect}")
    stmt = stmt.on_conflict_do_update(index_elements=["token_hash"], set_={"df": TmVocab.df + stmt.excluded.df})
    session.execute(stmt, rows)


def index_variants(session: Session, variants: Iterable[Variant]) -> None:
    """Index variants whose ids exist (flushed); a variant indexed before is re-indexed."""
    variants = [v for v in variants if v.id is not None]
    if not variants:
        return
    for chunk in _chunks(sorted(v.id for v in variants)):
        _unindex(session, select(TmEntry).where(TmEntry.variant_id.in_(chunk)))
    entries: list[dict[str, Any]] = []
    postings: list[dict[str, int]] = []
    counts: Counter[int] = Counter()
    for v in variants:
        lang = primary_lang(v.lang or v.lang_tag)
        prof, hashes = variant_keys(v.text, lang)
        entries.append(
            {
                "variant_id": v.id,
                "unit_id": v.unit_id,
                "lang": lang,
                "ntok": len(prof.keys),
                "keys": _join(prof.keys),
                "bases": _join(prof.bases),
                "minor": _join(prof.minor),
                "nums": _join(prof.values),
                "postings": " ".join(str(h) for h in sorted(hashes)),
            }
        )
        postings.extend({"token_hash": h, "ntok": len(prof.keys), "variant_id": v.id} for h in hashes)
        counts.update(hashes)
    session.execute(insert(TmEntry), entries)
    if postings:
        session.execute(insert(TmPosting), postings)
    _bump_df(session, counts)


def index_units(session: Session, units: Sequence[Unit]) -> None:
    """Index every variant of these units (flushed, so ids exist); call after each inserted batch."""
    index_variants(session, [v for u in units for v in u.variants])


def _unindex(session: Session, query: Any) -> None:
    """Remove the postings, vocabulary counts and entries of the entries ``query`` selects."""
    rows = session.execute(query.with_only_columns(TmEntry.variant_id, TmEntry.ntok, TmEntry.postings)).all()
    if not rows:
        return
    params: list[dict[str, int]] = []
    counts: Counter[int] = Counter()
    for variant_id, ntok, hashes in rows:
        for h in (int(x) for x in hashes.split()):
            params.append({"h": h, "n": ntok, "v": variant_id})
            counts[h] -= 1
    table = cast(Table, TmPosting.__table__)
    stmt = table.delete().where(
        table.c.token_hash == bindparam("h"), table.c.ntok == bindparam("n"), table.c.variant_id == bindparam("v")
    )
    if params:
        session.connection().execute(stmt, params)
    _bump_df(session, counts)
    ids = [r[0] for r in rows]
    for chunk in _chunks(ids):
        session.execute(delete(TmEntry).where(TmEntry.variant_id.in_(chunk)))


def unindex_units(session: Session, unit_ids: Iterable[int]) -> None:
    """Remove these units' variants from the index (call before deleting or rewriting them)."""
    ids = sorted(set(unit_ids))
    for chunk in _chunks(ids):
        _unindex(session, select(TmEntry).where(TmEntry.unit_id.in_(chunk)))


def rebuild_index(session: Session, batch: int = 2000) -> int:
    """Index every variant not yet indexed (e.g. units stored before the index existed); return how many."""
    done = 0
    while True:
        indexed = select(TmEntry.variant_id).where(TmEntry.variant_id == Variant.id).exists()
        todo = session.scalars(select(Variant).where(~indexed).order_by(Variant.id).limit(batch)).all()
        if not todo:
            return done
        index_variants(session, todo)
        session.flush()
        done += len(todo)


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
    for chunk in _chunks(sorted(ids)):
        for vid, keys, bases, minor, nums in session.connection().execute(_profiles_stmt(), {"ids": list(chunk)}):
            out[vid] = load_profile(keys, bases, minor, nums)
    return out
