"""Engine and session factory; SQLite gets WAL, foreign keys and a busy timeout.

Concurrent writers: on SQLite a write transaction starts with BEGIN IMMEDIATE, so it queues for
the write lock (busy_timeout) instead of failing with "database is locked" when its snapshot went
stale; ``Database.write`` also retries, with exponential backoff and jitter, the failures a
concurrent writer can cause (SQLite busy/locked, PostgreSQL serialization failure, deadlock, a
unique key another transaction just took). Only when the store stays busy through every attempt
does the caller get StoreUnavailable (HTTP 503 with Retry-After).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nato_tm.errors import Conflict, InvalidInput, StoreUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)
ATTEMPTS = 8
BASE_DELAY = 0.05  # seconds; doubled at each attempt, with jitter
MAX_DELAY = 2.0
LOCKED = ("database is locked", "database table is locked", "database is busy")
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization failure, deadlock, lock not available
UNIQUE_SQLSTATE = "23505"


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def transient(exc: BaseException) -> bool:
    """Whether a database error comes from a concurrent writer, so that running the work again may succeed."""
    if isinstance(exc, IntegrityError):  # a content-keyed row another writer inserted first
        return _sqlstate(exc) == UNIQUE_SQLSTATE or "UNIQUE constraint failed" in str(exc.orig)
    if isinstance(exc, OperationalError):
        if _sqlstate(exc) in RETRY_SQLSTATES:
            return True
        message = str(exc.orig).lower()
        return any(m in message for m in LOCKED)
    return False


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential, capped, with full jitter."""
    return float(random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt)))


MMAP_BYTES = 1 << 31
BUSY_TIMEOUT_MS = 30_000
TRY_LOCK_MS = 100  # how long try_write waits for a PostgreSQL row lock before giving up
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout ran out
CHECKPOINT_WAIT_MS = 5_000  # a long reader (an export) must not hold up the end of an import for long
WAL_LIMIT_BYTES = 64 << 20


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Reads of pages already in the OS cache through a memory map, not a read() per page: a lookup
    # reads a thousand candidate rows at random places, 2.4x faster so at 1M units. SQLite caps the
    # size at its build's maximum (2 GB on Debian); bulk imports turn it off for their connection.
    cur.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    # A large import grows the WAL to about the store's size; without a limit the file keeps that
    # size on disk after its pages are checkpointed (1.8 GB beside a 1.8 GB store at 1M units).
    cur.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine for any SQLAlchemy URL; a SQLite file's directory is created if missing."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"not a database URL: {url!r}", param="db") from exc
    if parsed.drivername.startswith("postgresql") and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _keys_checked_again)
        return engine
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:  # a missing driver, say
        raise InvalidInput(f"cannot use database URL {url!r}: {exc}", param="db") from exc
    event.listen(engine, "checkout", _plans_for_growth)
    return engine


# PostgreSQL: how often (seconds) a pooled connection looks again at whether the tables outgrew
# their statistics, and the statement that looks and sets the connection's plan cache mode.
GROWTH_CHECK_S = 2.0
_GROWN = "nato_tm_growth_checked"
_MEMORY_TABLES = ("unit", "variant", "tm_entry", "tm_posting", "tm_vocab")
_PLANS_FOR_GROWTH_SQL = (
    "SELECT set_config('plan_cache_mode', CASE WHEN bool_or(pg_relation_size(c.oid) > 8192 * (2 * c.relpages + 128))"
    " THEN 'force_custom_plan' ELSE 'auto' END, false) FROM pg_class c WHERE c.oid = ANY(ARRAY["
    + ", ".join(f"to_regclass('{t}')" for t in _MEMORY_TABLES)
    + "])"
)


def _plans_for_growth(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """PostgreSQL: plan each statement for itself on a connection whose store outgrew its statistics.

    psycopg prepares a statement run five times, and the server may then keep one generic plan for
    it, made from the statistics and sizes of that moment; nothing replaces it until the tables are
    analysed again. Lookups beside a first import (one transaction, so never analysed meanwhile)
    kept plans made on the 24 seed units: the exact-match read became a sequential scan of
    ``variant``, which walked every row the import had written so far (uncommitted, so invisible,
    but each visited): p50 26 -> 110 ms over a 1M import, the import 325 s instead of 228 (see
    tests/test_pg_plans.py). Custom plans see the tables' size when planned. While a memory
    table's file is more than twice (and 1 MB over) the size its statistics give, this connection
    plans every statement (``force_custom_plan``, 0.6-1 ms of server CPU a lookup); once the
    import's VACUUM (ANALYZE) has run, generic plans again. Looked at when the pool hands the
    connection out, at most every GROWTH_CHECK_S seconds.
    """
    now, last = time.monotonic(), record.info.get(_GROWN)
    if last is not None and now - last < GROWTH_CHECK_S:
        return
    record.info[_GROWN] = now
    try:
        with dbapi_conn.cursor() as cur:
            cur.execute(_PLANS_FOR_GROWTH_SQL)
        dbapi_conn.commit()  # a setting made in a transaction rolled back would be undone
    except Exception:  # the store keeps its plans as they were; the lookup itself will report trouble
        log.debug("could not check the tables' growth", exc_info=True)
        dbapi_conn.rollback()


def plan_per_execution(conn: Connection | Session) -> None:
    """On PostgreSQL, plan every statement of this transaction for its own parameter values.

    For a transaction that loads a table from small to large: psycopg prepares a statement run five
    times, and PostgreSQL may then keep one generic plan for it. An import's duplicate check
    (content_hash IN 1,000 values, one text per batch) got a sequential scan planned while the
    table was small, kept as it grew inside the one transaction (no ANALYZE can see uncommitted
    rows): each batch scanned every unit so far, and a 1M import was on course for hours. Lookups
    keep generic plans (planning each of their statements cost 0.6-1 ms of server CPU a lookup),
    except while the tables outgrow their statistics (``_plans_for_growth``).
    """
    dialect = conn.get_bind().dialect if isinstance(conn, Session) else conn.dialect
    if dialect.name == "postgresql":
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


_UNCHECKED = "nato_tm_foreign_keys_off"


def _unchecked_keys(conn: Connection) -> None:
    """Turn SQLite's foreign-key enforcement off on this connection until it returns to the pool.

    Call before the transaction begins (the pragma does nothing inside one). With enforcement on,
    every multi-row INSERT into a child table keeps a statement journal (the prior content of each
    page it touches, spilled to a temporary file), whatever its conflict clause: most of a bulk
    load's writes. The pool's checkin turns enforcement back on (``_keys_checked_again``).
    """
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.connection.info[_UNCHECKED] = True


def _keys_checked_again(dbapi_conn: Any, record: Any) -> None:
    # Checked in after the rollback or commit that ends its transaction: the pragma applies again.
    if record is not None and record.info.pop(_UNCHECKED, False):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


class Database:
    """One engine and its session factory, passed to the services."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """The backend's name: sqlite or postgresql."""
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session committed on success and rolled back on error; ``write`` takes SQLite's write lock first."""
        with self.sessions() as session:
            try:
                if write:
                    self._begin_write(session)
                yield session
                session.commit()
            except OperationalError as exc:
                session.rollback()
                raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
            except IntegrityError as exc:  # e.g. a concurrent writer took the same key first
                session.rollback()
                raise Conflict(f"the write clashes with what is stored: {str(exc.orig).splitlines()[0]}") from exc
            except BaseException:
                session.rollback()
                raise

    def _begin_write(self, session: Session, bulk: bool = False, foreign_keys: bool = True) -> None:
        # A deferred SQLite transaction that reads, then writes after another writer committed, fails
        # at once (SQLITE_BUSY_SNAPSHOT); BEGIN IMMEDIATE waits for the lock (busy_timeout) instead.
        if self.dialect == "sqlite":
            if not foreign_keys:
                _unchecked_keys(session.connection())
            session.execute(text("BEGIN IMMEDIATE"))
        elif bulk:
            plan_per_execution(session)

    def write(
        self,
        work: Callable[[Session], T],
        *,
        attempts: int = ATTEMPTS,
        commit: bool = True,
        bulk: bool = False,
        foreign_keys: bool = True,
    ) -> T:
        """Run ``work(session)`` in one write transaction, again (with backoff) while a concurrent writer is in the way.

        ``work`` must be safe to run again: everything it did is rolled back before a new attempt.
        ``commit=False`` rolls back at the end (a dry run). ``bulk``: a load that grows tables a lot
        (see ``plan_per_execution``). ``foreign_keys=False``: SQLite does not enforce foreign keys in
        this transaction (see ``_unchecked_keys``), for a load that only inserts rows whose keys it took.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.sessions() as session:
                    try:
                        self._begin_write(session, bulk, foreign_keys)
                        result = work(session)
                        session.commit() if commit else session.rollback()
                        return result
                    except BaseException:
                        session.rollback()
                        raise
            except (OperationalError, IntegrityError) as exc:
                if not transient(exc):
                    if isinstance(exc, IntegrityError):
                        raise
                    raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
                if attempt == attempts:
                    if isinstance(exc, IntegrityError):
                        raise Conflict("the write clashed with concurrent writes each time it was tried") from exc
                    raise StoreUnavailable(f"the database stayed busy through {attempts} attempts: {exc.orig}") from exc
                log.info("write attempt %d met %s; retrying", attempt, str(exc.orig).splitlines()[0])
                time.sleep(backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def try_write(self, work: Callable[[Session], object]) -> bool:
        """Run a small write that may be skipped, now or not at all: whether it ran.

        For bookkeeping such as a token's last use. An import holds SQLite's write lock for
        minutes, and a request that waited for it (busy_timeout) answered 503 after 30 s.
        """
        with self.sessions() as session:
            try:
                self._begin_now(session)
                work(session)
                session.commit()
                return True
            except OperationalError as exc:
                session.rollback()
                if not (transient(exc) or _sqlstate(exc) == LOCK_NOT_AVAILABLE):
                    raise StoreUnavailable(f"database unavailable: {exc.orig}") from exc
                return False

    def _begin_now(self, session: Session) -> None:
        """Begin a write transaction that fails at once, instead of waiting, when the store is locked."""
        if self.dialect != "sqlite":
            session.execute(text(f"SET LOCAL lock_timeout = {TRY_LOCK_MS}"))  # this transaction's only
            return
        conn = session.connection()
        conn.exec_driver_sql("PRAGMA busy_timeout=0")  # the connection's: set back once the lock is taken
        try:
            session.execute(text("BEGIN IMMEDIATE"))
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def checkpoint(self) -> bool:
        """On SQLite, copy the write-ahead log into the database file and empty it; whether it was emptied.

        For after a bulk write. Until the log restarts, a reader looks every page up in the log's
        index first: after a 1M-unit import (a 1.8 GB log) lookups took a third more CPU (mean 4.15
        against 3.10 ms). SQLite's own checkpoints run at each commit, but cannot reset a log that
        readers were using meanwhile; this one waits CHECKPOINT_WAIT_MS for them, then gives up.
        """
        if self.dialect != "sqlite":
            return True
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return not busy

    def settle(self) -> bool:
        """After a bulk write: SQLite's log emptied (``checkpoint``), PostgreSQL's tables vacuumed and analysed.

        On PostgreSQL a large load leaves the planner without statistics, and the tables without a
        visibility map, until autovacuum comes round (minutes later; never, where it is off).
        Without statistics, lookups on a freshly imported 1M-unit store took 0.7-1.8 s of server
        CPU each instead of 2-3 ms; without the map, every postings read visited the table's pages
        besides the index (a bitmap heap scan, not an index-only scan: 3.6-4.3 ms of server CPU a
        lookup instead of 2.5-2.8). VACUUM (ANALYZE) took 4.2 s at 1M units, and skips the pages
        an earlier one marked visible. Returns whether everything was done.
        """
        if self.dialect != "postgresql":
            return self.checkpoint()
        # VACUUM cannot run inside a transaction block; it blocks neither readers nor writers.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
        return True

    def check(self) -> None:
        """Connect once, so that an unreachable database is reported clearly."""
        try:
            with self.engine.connect():
                pass
        except OperationalError as exc:
            raise StoreUnavailable(f"cannot connect to the database: {exc.orig}".strip()) from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
