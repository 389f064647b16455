"""PostgreSQL: a connection plans each statement for itself while the memory tables outgrow their statistics.

A generic plan made on a small store (the seed units) reads ``tm_vocab`` and ``variant`` with
sequential scans, kept while an import (one transaction, never analysed meanwhile) writes a
million rows into them: lookups beside a first import slowed down 2 -> 130 ms. These tests pin
the mend (``nato_tm.store.db._plans_for_growth``): the plan chosen, not a timing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Connection

from nato_tm.store import db as db_module
from nato_tm.store import memory_rows
from nato_tm.store.db import Database

GROW = "INSERT INTO tm_vocab (token_hash, df) SELECT g, 1 FROM generate_series(1000000000000, 1000000200000) g"


def _postgres(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("plan caching is PostgreSQL's")


def _mode_and_pid(conn: Connection) -> tuple[str, int]:
    mode = conn.exec_driver_sql("SHOW plan_cache_mode").scalar()
    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return str(mode), int(pid or 0)


def _scans(conn: Connection) -> set[str]:
    """The scans of tm_vocab in the plan the prepared lookup statement ``dfs`` runs with now."""
    plan: Any = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) EXECUTE dfs('{1,2,3}', 'fr', 'x')").scalar()
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if node.get("Relation Name") == "tm_vocab":
            found.add(node["Node Type"])
        for child in node.get("Plans", []):
            walk(child)

    walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return found


def test_plans_are_custom_while_the_tables_outgrow_their_statistics(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgres(db)
    with db.engine.connect() as conn:
        mode, pid = _mode_and_pid(conn)
        assert mode == "auto"  # a settled store: generic plans, no planning per lookup
        # The lookup's exact-and-frequencies statement, run often enough for the server to keep a
        # generic plan, made on the seed store's statistics (as psycopg's own prepares are).
        sql = memory_rows._EXACT_DFS_SQL.replace("?", "${}").format(1, 2, 3)
        conn.exec_driver_sql(f"PREPARE dfs(text, text, text) AS {sql}")
        for _ in range(6):
            conn.exec_driver_sql("EXECUTE dfs('{1,2,3}', 'fr', 'x')").all()
        before = _scans(conn)
        conn.commit()  # psycopg's rollback (the pool's, at checkin) would deallocate every prepared statement
    monkeypatch.setattr(db_module, "GROWTH_CHECK_S", 0.0)  # the next checkout looks at once
    writer = Database(db.url)
    try:
        with writer.engine.connect() as grow:
            grow.exec_driver_sql(GROW)  # an import's rows, not committed
            with db.engine.connect() as conn:
                mode, same = _mode_and_pid(conn)
                after = _scans(conn)
            grow.rollback()
    finally:
        writer.dispose()
    # Planned for the grown table's size (its index), whatever the generic plan made before was.
    assert "Seq Scan" not in after and after, (before, after)
    assert same == pid and mode == "force_custom_plan"
    db.settle()  # VACUUM (ANALYZE): statistics of the table's size again
    with db.engine.connect() as conn:
        assert _mode_and_pid(conn) == ("auto", pid)


def test_the_check_is_skipped_between_intervals(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _postgres(db)
    monkeypatch.setattr(db_module, "GROWTH_CHECK_S", 3600.0)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        conn.commit()
    with db.engine.connect() as conn:  # checked at the first checkout only: the setting stays
        assert _mode_and_pid(conn)[0] == "force_generic_plan"
