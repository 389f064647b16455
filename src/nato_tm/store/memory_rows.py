"""Driver-level reads for lookups, and what scoring reads of candidate variants.

``cursor`` and ``fetch`` run one statement straight through the DB-API cursor: on the hot path of
every lookup, SQLAlchemy's per-row processing cost more than the queries. The rest reads, for the
candidates that ``memory_candidates`` finds, their stored profiles, rows, targets and translations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
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


def on_postgres(session: Session) -> bool:
    """Whether the session's store is PostgreSQL (where each statement is a round trip to a server)."""
    return session.get_bind().dialect.name == "postgresql"


def among(session: Session, column: str, values: Sequence[Any], pg_type: str = "int") -> tuple[str, list[Any]]:
    """The condition "``column`` is one of ``values``" and its parameters: an IN list, one array on PostgreSQL.

    On PostgreSQL the array keeps a statement's text the same whatever the count: psycopg parses
    a text once (it caches none of over 50 parameters: a fifth of a lookup's client CPU went to
    parsing them again) and prepares it after five runs, so the server plans it once.
    """
    if on_postgres(session):
        return f"{column} = ANY(?::{pg_type}[])", [array_literal(values)]
    return f"{column} IN ({marks(len(values))})", list(values)


def array_literal(values: Sequence[int] | Sequence[str]) -> str:
    """A PostgreSQL array literal of these integers or strings (each string quoted).

    Passed as text that the server casts: psycopg's list adapter walks a list twice in Python
    (the largest element, to pick int2, int4 or int8, then each element), 7 % of a lookup's CPU.
    """
    if values and isinstance(values[0], str):
        return "{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"
    return "{" + ",".join(map(str, values)) + "}"


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


_PROFILES_SQL = "SELECT variant_id, keys, bases, minor, nums FROM tm_entry WHERE {ids}"
_ROWS_SQL = (
    "SELECT v.id, v.unit_id, v.text, v.markup, v.prev_hash, v.key_hash, v.lang_tag,"
    " EXISTS (SELECT 1 FROM variant t WHERE t.unit_id = v.unit_id AND t.lang = ?)"
    " FROM variant v WHERE {ids}"
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
        cond, params = among(session, "variant_id", chunk)
        for vid, keys, bases, minor, nums in fetch(session, _PROFILES_SQL.format(ids=cond), params):
            out[int(vid)] = StoredProfile(split_keys(keys), (keys, bases, minor, nums))
    return out


def variant_rows(session: Session, ids: Sequence[int], target_lang: str) -> list[VariantRow]:
    """These variants' rows, in the order of ``ids``."""
    found: dict[int, VariantRow] = {}
    for chunk in chunks(list(ids)):
        cond, params = among(session, "v.id", chunk)
        for r in fetch(session, _ROWS_SQL.format(ids=cond), [target_lang, *params]):
            found[r[0]] = VariantRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
    return [found[i] for i in ids if i in found]


def exact_ids(session: Session, lang: str, kh: str) -> list[int]:
    """Variants whose whole match key is ``kh`` (indexed or not), oldest first, at most 200."""
    sql = "SELECT id FROM variant WHERE lang = ? AND key_hash = ? ORDER BY id LIMIT 200"
    return [int(r[0]) for r in fetch(session, sql, [lang, kh])]


# PostgreSQL: the exact matches and the query keys' document frequencies in one statement, as two
# parts of a union (the exact ids are the rows without a token hash).
_EXACT_DFS_SQL = (
    "SELECT token_hash, df FROM tm_vocab WHERE token_hash = ANY(?::bigint[])"
    " UNION ALL SELECT NULL, id FROM (SELECT id FROM variant WHERE lang = ? AND key_hash = ? ORDER BY id LIMIT 200) e"
)


def exact_ids_and_dfs(session: Session, lang: str, kh: str, hashes: Sequence[int]) -> tuple[list[int], dict[int, int]]:
    """PostgreSQL: ``exact_ids`` and the document frequency of each of ``hashes`` in the vocabulary, in one read."""
    exact: list[int] = []
    dfs: dict[int, int] = {}
    for h, value in fetch(session, _EXACT_DFS_SQL, [array_literal(sorted(set(hashes))), lang, kh]):
        if h is None:
            exact.append(int(value))
        else:
            dfs[int(h)] = int(value)
    return sorted(exact), dfs


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
    # variant (377 ms at 100k units, see docs/benchmarks-history.md); by unit_id it reads two rows a unit.
    out: list[TargetRow] = []
    for chunk in chunks(list(unit_ids)):
        cond, params = among(session, "unit_id", chunk)
        sql = f"SELECT id, unit_id, text, lang_tag, lang FROM variant WHERE {cond}"
        out.extend(TargetRow(*r[:4]) for r in fetch(session, sql, params) if r[4] == lang)
    return sorted(out)


class UnitRow(NamedTuple):
    """What a match shows of its unit."""

    id: int
    origin: str
    props: list[dict[str, str]] | None
    created_at: datetime | None
    created_by: str | None
    changed_at: datetime | None
    changed_by: str | None
    usage_count: int | None
    last_used_at: datetime | None


# PostgreSQL: a match's targets with their units, and the translations of the matched sources, in one
# statement (each statement costs ~0.1 ms of client and of server CPU; SQLite, in process, reads them
# apart and hands JSON and times back unparsed). Rows of the second part have no target id.
_MATCHED_SQL = (
    "SELECT t.id, t.unit_id, t.text, t.lang_tag, t.lang, u.id, u.origin, u.props, u.created_at, u.created_by,"
    " u.changed_at, u.changed_by, u.usage_count, u.last_used_at FROM variant t JOIN unit u ON u.id = t.unit_id"
    " WHERE t.unit_id = ANY(?::int[]) AND t.lang = ?"
    " UNION ALL SELECT NULL, NULL, t.text, s.key_hash, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    " FROM variant s JOIN variant t ON t.unit_id = s.unit_id WHERE s.lang = ? AND s.key_hash = ANY(?::text[])"
    " AND t.lang = ?"
)


class Matched(NamedTuple):
    """What a lookup reads about its scored sources: their targets, units and the translations of their keys."""

    targets: list[TargetRow]
    units: dict[int, UnitRow]
    translations: list[tuple[str, str]]  # (source key hash, target text), as ``translations`` reads them


def matched(session: Session, unit_ids: Sequence[int], src: str, tgt: str, hashes: Sequence[str]) -> Matched:
    """PostgreSQL: ``targets`` of these units, the units having one and ``translations`` of ``hashes``, in one read."""
    out = Matched([], {}, [])
    params = [array_literal(unit_ids), tgt, src, array_literal(hashes), tgt]
    for r in fetch(session, _MATCHED_SQL, params):
        if r[0] is None:
            out.translations.append((r[3], r[2]))
        else:
            out.targets.append(TargetRow(*r[:4]))
            out.units[r[5]] = UnitRow(*r[5:])
    out.targets.sort()
    return out


def translations(session: Session, src: str, tgt: str, hashes: Sequence[str]) -> list[tuple[str, str]]:
    """(source key hash, target text) of every unit holding a ``src`` variant with one of these keys."""
    if not hashes:
        return []
    cond, params = among(session, "s.key_hash", hashes, "text")
    sql = (
        "SELECT s.key_hash, t.text FROM variant s JOIN variant t ON t.unit_id = s.unit_id"
        f" WHERE s.lang = ? AND {cond} AND t.lang = ?"
    )
    return [(r[0], r[1]) for r in fetch(session, sql, [src, *params, tgt])]
