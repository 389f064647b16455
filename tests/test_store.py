"""The store: migrations, SQLite pragmas, idempotent init, counts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from nato_tm.services.setup import init_store
from nato_tm.services.stats import stats
from nato_tm.store import db as db_module
from nato_tm.store import migrate
from nato_tm.store.db import BUSY_TIMEOUT_MS, Database


def test_schema_is_at_head(empty_db: Database) -> None:
    assert migrate.current(empty_db) == migrate.head()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'x' / 'store.sqlite3'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA mmap_size")).scalar() > 0  # reads through a memory map
        assert conn.execute(text("PRAGMA journal_size_limit")).scalar() == 64 << 20  # the WAL shrinks back


def _wal_bytes(db: Database) -> int:
    wal = Path(str(db.engine.url.database) + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_checkpoint_empties_the_write_ahead_log(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
        conn.execute(text(f"INSERT INTO t {rows} SELECT hex(randomblob(500)) FROM n"))
    assert _wal_bytes(db) > 1 << 20  # the rows are in the log, not yet in the database file
    assert db.checkpoint()
    assert _wal_bytes(db) == 0
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2000
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS  # the pooled connection's own


def test_checkpoint_gives_up_on_a_reader_of_an_older_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "CHECKPOINT_WAIT_MS", 50)
    db = Database(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    reader = sqlite3.connect(tmp_path / "store.sqlite3", isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)  # holds its snapshot
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert not db.checkpoint()  # it cannot reset a log that the reader still reads from
    reader.execute("COMMIT")
    reader.close()
    assert db.checkpoint()
    assert _wal_bytes(db) == 0


def test_bulk_writes_plan_each_statement_for_its_values_and_lookups_keep_generic_plans(empty_db: Database) -> None:
    # On PostgreSQL a prepared statement's generic plan made an import quadratic (see store/db.py),
    # while planning every lookup statement cost 0.6-1 ms of server CPU.
    if empty_db.dialect != "postgresql":
        pytest.skip("a PostgreSQL setting")
    mode = text("SHOW plan_cache_mode")
    assert empty_db.write(lambda session: session.execute(mode).scalar(), bulk=True) == "force_custom_plan"
    for _ in range(2):  # the setting ended with its transaction: a new connection and the pooled one
        assert empty_db.write(lambda session: session.execute(mode).scalar()) == "auto"
        with empty_db.session() as session:
            assert session.execute(mode).scalar() == "auto"


def test_init_twice_changes_nothing(db: Database) -> None:
    before = stats(db)
    report = init_store(db)
    assert not report.changed
    assert stats(db) == before


def test_init_on_empty_database_loads_the_shipped_data(empty_db: Database) -> None:
    report = init_store(empty_db)
    assert report.schema_after == migrate.head()
    assert {r.format for r in report.imports} == {"tbx", "tmx"}
    counts = stats(empty_db)
    assert counts.concepts >= 300 and counts.terms >= 2 * counts.concepts
    assert counts.units >= 24  # the seed article has 24 sentences (termbase/seed/README.md), one unit each
    again = init_store(empty_db)
    assert sum(r.added + r.updated for r in again.imports) == 0
    assert stats(empty_db) == counts
