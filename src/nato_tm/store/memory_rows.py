"""Driver-level reads for lookups, and what scoring reads of candidate variants.

``cursor`` and ``fetch`` run one statement straight through the DB-API cursor: on the hot path of
every lookup, SQLAlchemy's per-row processing cost more than the queries. The rest reads, for the
candidates that ``memory_candidates`` finds, their stored profiles, rows, targets and translations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from nato_tm.store.memory_index import chunks, load_profile, split_keys
from nato_tm.text.placeables import Profile


@contextmanager
def cursor(session: Session, sql: str, params: Sequence[Any], *, binary: bool = False) -> Iterator[Any]:
    """The driver's cursor after running one statement (``?`` marks any backend's; psycopg's binary results)."""
    conn = session.connection()
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    dbapi: Any = conn.connection.dbapi_connection
    cur = dbapi.cursor(binary=True) if binary else dbapi.cursor()
    try:
        cur.execute(sql, list(params))
        yield cur
    finally:
        cur.close()


def fetch(session: Session, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of one statement read straight through the driver's cursor (``?`` marks any backend's)."""
    with cursor(session, sql, params) as cur:
        rows: list[tuple[Any, ...]] = cur.fetchall()
        return rows


def marks(count: int) -> str:
    """``count`` comma-separated ``?`` marks, for an IN (...) list."""
    return ", ".join(["?"] * count)


class VariantRow(NamedTuple):
    """What scoring and ranking read of a candidate source variant."""

    id: int
    unit_id: int
    text: str
    markup: str | None
    prev_hash: str | None
    key_hash: str
    lang_tag: str
    has_target: bool  # its unit has a variant in the target language


_PROFILES_SQL = "SELECT variant_id, keys, bases, minor, nums FROM tm_entry WHERE variant_id IN ({ids})"
_ROWS_SQL = (
    "SELECT v.id, v.unit_id, v.text, v.markup, v.prev_hash, v.key_hash, v.lang_tag,"
    " EXISTS (SELECT 1 FROM variant t WHERE t.unit_id = v.unit_id AND t.lang = ?)"
    " FROM variant v WHERE v.id IN ({ids})"
)


class StoredProfile(NamedTuple):
    """A stored profile whose keys are split and the rest only on demand (most candidates need keys only)."""

    keys: tuple[str, ...]
    row: tuple[str, str, str, str]  # keys, bases, minor, nums as stored

    def full(self) -> Profile:
        """The whole scoring profile."""
        return load_profile(*self.row)


def profiles(session: Session, ids: Sequence[int]) -> dict[int, StoredProfile]:
    """The stored scoring profiles of these variants (those not indexed are missing)."""
    out: dict[int, StoredProfile] = {}
    for chunk in chunks(list(ids)):
        for vid, keys, bases, minor, nums in fetch(session, _PROFILES_SQL.format(ids=marks(len(chunk))), chunk):
            out[int(vid)] = StoredProfile(split_keys(keys), (keys, bases, minor, nums))
    return out


def variant_rows(session: Session, ids: Sequence[int], target_lang: str) -> list[VariantRow]:
    """These variants' rows, in the order of ``ids``."""
    found: dict[int, VariantRow] = {}
    for chunk in chunks(list(ids)):
        for r in fetch(session, _ROWS_SQL.format(ids=marks(len(chunk))), [target_lang, *chunk]):
            found[r[0]] = VariantRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
    return [found[i] for i in ids if i in found]


def exact_ids(session: Session, lang: str, kh: str) -> list[int]:
    """Variants whose whole match key is ``kh`` (indexed or not), oldest first, at most 200."""
    sql = "SELECT id FROM variant WHERE lang = ? AND key_hash = ? ORDER BY id LIMIT 200"
    return [int(r[0]) for r in fetch(session, sql, [lang, kh])]


class TargetRow(NamedTuple):
    """A target-language variant of a matched unit."""

    id: int
    unit_id: int
    text: str
    lang_tag: str


def targets(session: Session, unit_ids: Sequence[int], lang: str) -> list[TargetRow]:
    """The ``lang`` variants of these units, by id."""
    # No language condition in SQL: without planner statistics (a fresh SQLite store is never
    # ANALYZEd) SQLite read it through the (lang, key_hash) index, a scan of every target-language
    # variant (377 ms at 100k units, see BENCHMARKS.md); by unit_id it reads two rows a unit.
    out: list[TargetRow] = []
    for chunk in chunks(list(unit_ids)):
        sql = f"SELECT id, unit_id, text, lang_tag, lang FROM variant WHERE unit_id IN ({marks(len(chunk))})"
        out.extend(TargetRow(*r[:4]) for r in fetch(session, sql, chunk) if r[4] == lang)
    return sorted(out)


def translations(session: Session, src: str, tgt: str, hashes: Sequence[str]) -> list[tuple[str, str]]:
    """(source key hash, target text) of every unit holding a ``src`` variant with one of these keys."""
    sql = (
        "SELECT s.key_hash, t.text FROM variant s JOIN variant t ON t.unit_id = s.unit_id"
        f" WHERE s.lang = ? AND s.key_hash IN ({marks(len(hashes))}) AND t.lang = ?"
    )
    return [(r[0], r[1]) for r in fetch(session, sql, [src, *hashes, tgt])] if hashes else []
