"""SQLite settings and schema shortcuts that hold for one bulk load only, inside its write transaction.

Each is a context manager that does nothing on PostgreSQL. Schema changes made here (triggers
dropped, an index built at the end) happen inside the load's transaction: other connections never
see them (DDL is transactional in SQLite), and a failed load rolls them back with everything else.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

CACHE_KIB = 256 * 1024  # SQLite page cache of an importing connection
SORT_CACHE_KIB = 8 * 1024  # page cache while a large sort runs: it sizes the sorter's in-memory runs
SORT_THREADS = 2  # SQLite sorter helper threads of an importing connection
KEY_INDEX = "ix_variant_lang_key_hash"
# Build the key index after a load of at least this many variants (estimated) when the load
# adds at least a quarter of what the store holds: below, inserting into it costs less.
KEY_INDEX_LOAD = 50_000


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


@contextmanager
def _pragmas(conn: Any, **values: int) -> Iterator[None]:
    """Set these integer PRAGMAs on a SQLite connection for the block, then give back their former values."""
    before = {name: int(conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()) for name in values}
    for name, value in values.items():
        conn.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        for name, value in before.items():
            conn.exec_driver_sql(f"PRAGMA {name} = {value}")


@contextmanager
def sorting(conn: Any) -> Iterator[None]:
    """A small page cache for this SQLite connection while one large sort runs (``conn``: a Connection)."""
    # SQLite sorts in runs as large as the page cache. Runs of an import's 256 MB sorted in memory
    # far slower than small ones merged by the sorter threads: 16.5M postings 16 -> 9 s wall,
    # 27 -> 16 s CPU; the key index of 2M variants 3.6-4.4 -> 1.7-2.1 s.
    with _pragmas(conn, cache_size=-SORT_CACHE_KIB):
        yield


@contextmanager
def key_index_later(session: Session, variants: int) -> Iterator[None]:
    """Build the variants' (lang, key_hash) index after a load of about ``variants`` variants that outgrows the store.

    Each new variant lands at a random place in that index: about 5 µs a variant once the index
    outgrows the page cache, against about 1 µs a variant, stored ones included, to build it in
    one sorted pass (1M units: 9.5 s of inserts against a 2 s build). Nothing in a load reads it.
    On error the index is not built: the caller's rollback restores it.
    """
    sql = _key_index_to_defer(session, variants)
    if sql is None:
        yield
        return
    conn = session.connection()
    conn.exec_driver_sql(f'DROP INDEX "{KEY_INDEX}"')
    yield
    with sorting(conn):
        conn.exec_driver_sql(sql)


def _key_index_to_defer(session: Session, variants: int) -> str | None:
    """The key index's SQL if a load of ``variants`` should build it at its end, else None."""
    if not _sqlite(session) or variants < KEY_INDEX_LOAD:
        return None
    conn = session.connection()
    # max(id), not count(*): a seek, not a scan of the table, and close enough to size a choice.
    if variants * 4 < conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM variant").scalar_one():
        return None
    found = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (KEY_INDEX,))
    sql: str | None = found.scalar_one_or_none()
    return sql


@contextmanager
def revision_triggers_once(session: Session, tables: Sequence[str] = ("unit", "variant")) -> Iterator[list[bool]]:
    """On SQLite, run the revision triggers of ``tables`` once for a bulk load instead of once per row.

    Yields a one-item list: set it to True when the load changed anything. The row triggers (see
    ``nato_tm.store.revision``) cost more than the inserts themselves, and a revision only has to
    move, not count rows. The triggers are dropped inside the write transaction and re-created
    from their own stored SQL before it commits, then their body runs once: other connections
    never see them missing (DDL is transactional in SQLite), and no other writer can run meanwhile.
    PostgreSQL's triggers already move the revision once per transaction; nothing changes there.
    """
    changed = [False]
    if not _sqlite(session):
        yield changed
        return
    conn = session.connection()
    marks = ",".join("?" * len(tables))
    found = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})", tuple(tables)
    ).all()
    for name, _ in found:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield changed
    bodies: dict[str, None] = {}
    for _, sql in found:
        conn.exec_driver_sql(sql)
        bodies[sql[sql.upper().index(" BEGIN ") + 7 : sql.upper().rindex(" END")].strip()] = None
    if changed[0]:
        for body in bodies:  # each distinct body once (an insert and an update trigger share theirs)
            conn.exec_driver_sql(body)


@contextmanager
def larger_cache(session: Session, kib: int = CACHE_KIB) -> Iterator[None]:
    """On SQLite, a page cache of ``kib`` KiB (no memory map, sorter threads) for this connection during a bulk load.

    The unique content hashes, the variants' key hashes and the postings are inserted at random
    places in their B-trees; with the default 2 MB cache most inserts would re-read a page. The
    cache belongs to this connection only (readers are unaffected) and bounds memory whatever
    the file's size; the connection gets its former size back afterwards, as it returns to the pool.
    """
    if not _sqlite(session):
        yield
        return
    # No memory map: it would add every page the load touches to this process's resident memory
    # (the bounded page cache is what an import needs); readers keep theirs. Sorter helper threads:
    # the final move of a large load's postings sorts millions of rows, spilled to temporary files,
    # and the threads sort the spilled parts in parallel (1M units: 41 s -> 28 s).
    with _pragmas(session.connection(), cache_size=-int(kib), mmap_size=0, threads=SORT_THREADS):
        yield
