"""The store: migrations, SQLite pragmas, idempotent init, counts."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nato_tm.services.setup import init_store
from nato_tm.services.stats import stats
from nato_tm.store import migrate
from nato_tm.store.db import Database


def test_schema_is_at_head(empty_db: Database) -> None:
    assert migrate.current(empty_db) == migrate.head()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'x' / 'store.sqlite3'}")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA mmap_size")).scalar() > 0  # reads through a memory map
        assert conn.execute(text("PRAGMA journal_size_limit")).scalar() == 64 << 20  # the WAL shrinks back


def test_every_connection_plans_with_its_own_values(empty_db: Database) -> None:
    # On PostgreSQL a prepared statement's generic plan made an import quadratic (see store/db.py).
    if empty_db.dialect != "postgresql":
        pytest.skip("a PostgreSQL setting")
    for _ in range(2):  # a new connection and a pooled one
        with empty_db.engine.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
            conn.execute(text("SELECT 1"))


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
