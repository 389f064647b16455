"""The translation-memory index: token postings that find fuzzy candidates without scanning every unit.

Every variant is indexed under the hashes of its match keys (word stems, number/date placeholders,
see ``nato_tm.text.placeables``) and of its concordance keys (stems and number values). A key that
occurs several times is posted once per occurrence: its k-th occurrence (k >= 2) under a hash of its
own, so that the postings are a set and overlaps count repeats exactly, and so that a query holding
a common key three times reads the rare "third #num" list instead of the whole "#num" one. A posting
row is (token_hash, ntok, variant_id), the primary key itself, so one index range answers
"variants holding this token whose key count lies in [lo, hi]": the length filter costs nothing.
``tm_vocab`` keeps document frequencies so that a lookup reads only the rarest query tokens
(prefix filtering). ``tm_entry`` keeps each variant's key sequence, so candidates are scored
without re-tokenising them, and the postings it was indexed under that its keys do not give (see
``entry_postings``), so unindexing is exact.

Everything lives in the database: no per-process state can go stale across workers.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Final, cast

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Table, Text, bindparam, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from nato_tm.store.base import Base
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_bulk import Loader, bump_vocab, insert_rows, posted_text
from nato_tm.text.memo import LangMemo
from nato_tm.text.pipeline import primary_lang
from nato_tm.text.placeables import Analysis, Profile, analyse, search_key, value_key

SEP = "\x1f"  # joins stored key lists: no pipeline token contains it
OCCURRENCE = "\x1e"  # key + OCCURRENCE + k names the k-th occurrence (k >= 2): no token contains it
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
    # The token hashes it is posted under beyond its keys' occurrence hashes (numbers' and dates'
    # concordance keys), space-joined; rows written before migration 0005 hold them all.
    postings: Mapped[str] = mapped_column(Text)


class TmVocab(Base):
    """Document frequency of a (language, key) hash: how many variants are posted under it."""

    __tablename__ = "tm_vocab"

    token_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    df: Mapped[int] = mapped_column(Integer, default=0)


class _KeyHashes(LangMemo[int]):
    """The hashes of one language's keys, bounded.

    Cached because keys repeat (a vocabulary is small next to the postings) and blake2b is most of
    an index row.
    """

    def compute(self, key: str) -> int:
        """The key's hash in this language."""
        digest = hashlib.blake2b(f"{self.lang}\x1f{key}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)


@lru_cache(maxsize=16)
def _key_hashes(lang: str) -> _KeyHashes:
    return _KeyHashes(lang)


def token_hash(lang: str, key: str) -> int:
    """A signed 64-bit hash of a key within a language (fits BIGINT on both backends)."""
    return _key_hashes(lang)[key]


def occurrence_hashes(lang: str, keys: Iterable[str]) -> list[int]:
    """One distinct hash per key position: a key's first occurrence is the key's own hash, the k-th its own."""
    keys = tuple(keys)
    if len(set(keys)) == len(keys):  # the usual case: no key repeats
        hashes = _key_hashes(lang)
        return [hashes[key] for key in keys]
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        k = seen.get(key, 0) + 1
        seen[key] = k
        out.append(token_hash(lang, key if k == 1 else f"{key}{OCCURRENCE}{k}"))
    return out


def variant_keys(text: str, lang: str) -> tuple[Profile, set[int]]:
    """The scoring profile of a segment and the set of hashes it is posted under."""
    lang = primary_lang(lang)
    seg = analyse(text, lang)
    return seg.profile(), _posted(lang, seg)


def _posted(lang: str, seg: Analysis) -> set[int]:
    """The hashes a segment is posted under: its match keys by occurrence, and its concordance keys."""
    return set(occurrence_hashes(lang, seg.keys)) | _concordance(lang, seg)


def _concordance(lang: str, seg: Analysis) -> set[int]:
    """The hashes of a segment's concordance keys (search_keys) that its match keys do not give."""
    # A word outside a placeable is keyed by its stem, which is its concordance key too: its first
    # occurrence's hash is a match key's. Only numbers, and the words of a date, need a hash of
    # their own (tests/test_occurrence_postings.py).
    tokens = seg.tokens
    own = [tok for tok in tokens if tok.kind == "number"]
    for place in seg.placeables:
        own.extend(tok for tok in tokens[place.first : place.last + 1] if tok.kind == "word")
    return {token_hash(lang, search_key(tok)) for tok in own}


def derived_postings(lang: str, keys: str) -> set[int]:
    """The posting hashes a tm_entry row's stored ``keys`` give: one per key occurrence."""
    return set(occurrence_hashes(lang, split_keys(keys)))


def entry_postings(lang: str, keys: str, stored: str) -> set[int]:
    """Every hash a tm_entry row is posted under: those its keys give and those it stores."""
    return derived_postings(lang, keys) | {int(x) for x in stored.split()}


# What a segment is indexed as: (lang, ntok, keys, bases, minor, nums, stored postings, posting hashes
# sorted): a tm_entry row without its ids, then every hash it is posted under. A plain tuple, not a
# NamedTuple: import workers pickle millions of them, and a plain tuple pickles without a Python call.
IndexRow = tuple[str, int, str, str, str, str, str, tuple[int, ...]]
HASHES: Final = 7  # IndexRow's position of the posting hashes


def index_row(text: str, lang: str) -> IndexRow:
    """The index row of a segment (pure: import workers compute it in other processes)."""
    lang = primary_lang(lang)
    return entry_row(lang, analyse(text, lang))


def entry_row(lang: str, seg: Analysis) -> IndexRow:
    """The index row of an analysed segment (``lang``: its primary language subtag)."""
    keys = _join(seg.keys)
    # Derived from the joined keys exactly as entry_postings will derive them when unindexing.
    keyed = derived_postings(lang, keys)
    own = _concordance(lang, seg) - keyed
    # Analysis.profile's fields joined straight from the analysis: no Profile object per segment.
    values = _join([value_key(p.value) for p in seg.placeables])
    return (lang, len(seg.keys), keys, _join(seg.bases), _join(seg.minor), values, posted_text(sorted(own)),
            tuple(sorted(keyed | own)))  # fmt: skip


def entry_tuple(variant_id: int, unit_id: int, row: IndexRow) -> tuple[Any, ...]:
    """The tm_entry row, in column order, of a variant indexed as ``row``."""
    return (variant_id, unit_id, *row[:HASHES])


def _join(items: Sequence[str]) -> str:
    return SEP.join(items)


def split_keys(text: str) -> tuple[str, ...]:
    """A stored SEP-joined list (keys, bases, minor, nums) as a tuple."""
    return tuple(text.split(SEP)) if text else ()


def load_profile(keys: str, bases: str, minor: str, nums: str) -> Profile:
    """A stored profile, as ``candidates`` and the scorer read it."""
    return Profile(split_keys(keys), split_keys(bases), split_keys(minor), split_keys(nums))


def chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    """Slices of at most CHUNK ids, for IN (...) lists."""
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def add_entries(session: Session, loader: Loader, rows: Iterable[tuple[int, int, IndexRow]]) -> None:
    """Write the entries of (variant id, unit id, index row) and hand their postings to ``loader``."""
    entries = []
    for variant_id, unit_id, row in rows:
        entries.append(entry_tuple(variant_id, unit_id, row))
        loader.add_postings(variant_id, row[1], row[HASHES])
    insert_rows(session, "tm_entry", entries)


def index_variants(session: Session, variants: Iterable[Variant]) -> None:
    """Index variants whose ids exist (flushed); a variant indexed before is re-indexed."""
    variants = [v for v in variants if v.id is not None]
    if not variants:
        return
    for chunk in chunks(sorted(v.id for v in variants)):
        _unindex(session, select(TmEntry).where(TmEntry.variant_id.in_(chunk)))
    loader = Loader(session)
    add_entries(session, loader, ((v.id, v.unit_id, index_row(v.text, v.lang or v.lang_tag)) for v in variants))
    loader.flush()


def index_units(session: Session, units: Sequence[Unit]) -> None:
    """Index every variant of these units (flushed, so ids exist); call after each inserted batch."""
    index_variants(session, [v for u in units for v in u.variants])


def _unindex(session: Session, query: Any) -> None:
    """Remove the postings, vocabulary counts and entries of the entries ``query`` selects."""
    columns = (TmEntry.variant_id, TmEntry.lang, TmEntry.ntok, TmEntry.keys, TmEntry.postings)
    rows = session.execute(query.with_only_columns(*columns)).all()
    if not rows:
        return
    params: list[dict[str, int]] = []
    counts: Counter[int] = Counter()
    for variant_id, lang, ntok, keys, stored in rows:
        for h in entry_postings(lang, keys, stored):
            params.append({"h": h, "n": ntok, "v": variant_id})
            counts[h] -= 1
    table = cast(Table, TmPosting.__table__)
    stmt = table.delete().where(
        table.c.token_hash == bindparam("h"), table.c.ntok == bindparam("n"), table.c.variant_id == bindparam("v")
    )
    if params:
        session.connection().execute(stmt, params)
    bump_vocab(session, counts)
    ids = [r[0] for r in rows]
    for chunk in chunks(ids):
        session.execute(delete(TmEntry).where(TmEntry.variant_id.in_(chunk)))


def unindex_units(session: Session, unit_ids: Iterable[int]) -> None:
    """Remove these units' variants from the index (call before deleting or rewriting them)."""
    ids = sorted(set(unit_ids))
    for chunk in chunks(ids):
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
