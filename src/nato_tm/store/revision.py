"""Store revisions: a counter per part of the store, moved by database triggers on every write.

Caches (the recognition automaton, search tables) and HTTP validators (export ETags) compare
one primary-key read with what they hold, so a change committed by any process, through any
write path, is seen on the next request and nothing can go stale.
"""

from __future__ import annotations

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


def peek_revision(engine: Engine, scope: str) -> int | None:
    """The revision value of ``scope`` read straight through the driver, or None if it cannot be read.

    This runs on every request that validates a per-process cache, where SQLAlchemy's statement
    machinery costs several times the query itself. A None answer sends the caller to the full
    path (``read_revision``), which reports a broken store properly.
    """
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    try:
        raw = engine.raw_connection()
    except Exception:  # the full path reports the failure
        return None
    try:
        cursor = raw.cursor()
        cursor.execute(f"SELECT value FROM store_revision WHERE scope = {mark}", (scope,))
        row = cursor.fetchone()
        cursor.close()
        return int(row[0]) if row else None
    except Exception:
        return None
    finally:
        raw.close()
