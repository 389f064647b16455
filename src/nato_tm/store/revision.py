"""Store revisions: a counter per part of the store, moved by database triggers on every write.

Caches (the recognition automaton, search tables) and HTTP validators (export ETags) compare
one primary-key read with what they hold, so a change committed by any process, through any
write path, is seen on the next request and nothing can go stale.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, Engine, String, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from nato_tm.store.base import Base

# Which tables move which revision.
SCOPES = {"terms": ("concept", "lang_section", "term"), "memory": ("unit", "variant")}


class StoreRevision(Base):
    """The current revision of one part of the store and when it last moved."""

    __tablename__ = "store_revision"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[datetime | None] = mapped_column()


@dataclass(frozen=True)
class Revision:
    """A part of the store's revision number and the time of its last change (UTC)."""

    scope: str
    value: int
    changed_at: datetime | None


_READ = text("SELECT value, changed_at FROM store_revision WHERE scope = :scope")


def _utc(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite's CURRENT_TIMESTAMP, written by a trigger
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read_revision(conn: Connection | Session, scope: str) -> Revision:
    """The revision of ``scope`` ("terms" or "memory"): one primary-key read."""
    row = conn.execute(_READ, {"scope": scope}).one()
    return Revision(scope, int(row[0]), _utc(row[1]))


_PREPARED = b"nato_tm_revision"


def _read_prepared(conn: Any, scope: str) -> int | None:
    """One execution of the statement prepared on this psycopg connection, through libpq itself.

    psycopg's cursor layer costs about three times the round trip's own CPU on this one-row read,
    which runs on every recognition request (``psycopg.pq`` is psycopg's public libpq wrapper).
    """
    from psycopg import pq

    res = conn.pgconn.exec_prepared(_PREPARED, [scope.encode()])
    if res.status != pq.ExecStatus.TUPLES_OK:
        raise RuntimeError(res.error_message.decode(errors="replace"))
    return int(res.get_value(0, 0)) if res.ntuples else None


def _prepare(conn: Any) -> None:
    from psycopg import pq

    res = conn.pgconn.prepare(_PREPARED, b"SELECT value FROM store_revision WHERE scope = $1")
    if res.status != pq.ExecStatus.COMMAND_OK:  # no table yet: the caller takes the full path
        raise RuntimeError(res.error_message.decode(errors="replace"))


class RevisionProbe:
    """Reads revision values over one dedicated autocommit connection per thread.

    It runs on every request that validates a per-process cache. Through the pool, a read costs a
    checkout (a ping on PostgreSQL), the query and a rollback at check-in: three round trips where
    one will do. An autocommit read sees every commit made before it. A failure answers None,
    which sends the caller to the full path (``read_revision``) that reports a broken store.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sql = "SELECT value FROM store_revision WHERE scope = " + (
            "?" if engine.dialect.paramstyle == "qmark" else "%s"
        )
        self.local = threading.local()
        self.lock = threading.Lock()
        self.opened: list[tuple[int, Any]] = []  # (process id, DB-API connection)
        self.generation = 0  # moved by close(): every thread's held connection is then stale

    def read(self, scope: str) -> int | None:
        """The revision value of ``scope``, or None if it cannot be read."""
        conn = self._connection()
        if conn is None:
            return None
        try:
            if self.engine.dialect.name == "postgresql":
                return _read_prepared(conn, scope)
            cursor = conn.cursor()
            cursor.execute(self.sql, (scope,))
            row = cursor.fetchone()
            cursor.close()
        except Exception:  # a dropped connection or a missing table: open a new one next time
            self._discard(conn)
            return None
        return int(row[0]) if row else None

    def _discard(self, conn: Any) -> None:
        self.local.held = None
        with self.lock:
            self.opened = [(pid, c) for pid, c in self.opened if c is not conn]
        with contextlib.suppress(Exception):
            conn.close()

    def _connection(self) -> Any:
        held = getattr(self.local, "held", None)
        # A connection inherited through fork() belongs to the parent: never used (or closed) here.
        if held is not None and held[0] == os.getpid() and held[1] == self.generation:
            return held[2]
        dialect = self.engine.dialect
        try:
            cargs, cparams = dialect.create_connect_args(self.engine.url)
            conn = dialect.connect(*cargs, **cparams)
        except Exception:
            return None
        try:
            if dialect.name == "postgresql":
                conn.autocommit = True
                _prepare(conn)
            else:
                conn.isolation_level = None
        except Exception:
            with contextlib.suppress(Exception):
                conn.close()
            return None
        self.local.held = (os.getpid(), self.generation, conn)
        with self.lock:
            self.opened.append((os.getpid(), conn))
        return conn

    def close(self) -> None:
        """Close the connections this process opened (other threads' included)."""
        with self.lock:
            self.generation += 1
            mine = [conn for pid, conn in self.opened if pid == os.getpid()]
            self.opened = [(pid, conn) for pid, conn in self.opened if pid != os.getpid()]
        for conn in mine:
            with contextlib.suppress(Exception):
                conn.close()
