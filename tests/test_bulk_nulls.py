"""Bulk inserts on SQLite write a column that is NULL in every row of a statement as a literal NULL.

The stored rows must be exactly those that binding None gives: same values, same storage classes,
whether a column is NULL in every row of a statement, in some rows only, or in none.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from nato_tm.store import memory_bulk
from nato_tm.store.db import Database
from nato_tm.store.memory_bulk import insert_rows, reserve_ids

COLS = (
    "id, content_hash, tuid, origin, srclang, created_at, created_by, changed_at, changed_by, usage_count,"
    " last_used_at, props, notes, attrs"
)  # every column of unit, in table order


def unit_row(uid: int, *, tuid: str | None, by: str | None) -> tuple[Any, ...]:
    """A unit row in column order: tuid and created_by vary between None and a value, srclang is always None."""
    return (uid, f"{uid:032x}", tuid, "seed", None, "2022-11-09 10:00:00.000000", by, None, None, 0, None, "[]", "[]",
            "{}")  # fmt: skip


def stored(db: Database, low: int, high: int) -> list[tuple[Any, ...]]:
    """Rows low..high without id and hash, with the SQLite storage class of every column beside its value."""
    typed = ", ".join(f"{c}, typeof({c})" for c in COLS.split(", ")[2:])
    with db.session() as s:
        sql = f"SELECT {typed} FROM unit WHERE id BETWEEN {low} AND {high} ORDER BY id"
        return [tuple(r) for r in s.execute(text(sql))]


def test_literal_nulls_store_what_bound_nones_store(empty_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    if empty_db.dialect != "sqlite":
        pytest.skip("PostgreSQL loads by COPY: no statement text")
    monkeypatch.setattr(memory_bulk, "SQLITE_PARAMS", 14 * 3)  # three rows a statement
    statements: list[str] = []
    original = memory_bulk._values_sql

    def recording(*args: Any) -> str:
        statements.append(original(*args))
        return statements[-1]

    with empty_db.session(write=True) as s:
        ids = reserve_ids(s, "unit", 10)
        # Statements of three rows: NULL throughout, NULL in some rows, never NULL, then a last one of one row.
        rows = [unit_row(i, tuid=None, by=None) for i in ids[:3]]
        rows += [unit_row(i, tuid=f"t{i}" if k == 1 else None, by=None) for k, i in enumerate(ids[3:6])]
        rows += [unit_row(i, tuid=f"t{i}", by="IMP") for i in ids[6:9]]
        rows += [unit_row(ids[9], tuid=None, by="IMP")]
        monkeypatch.setattr(memory_bulk, "_values_sql", recording)
        insert_rows(s, "unit", rows, converted=True)
        # The reference: the same rows (other ids and hashes) bound one at a time, every None a parameter.
        marks = ",".join("?" * len(rows[0]))
        for row in rows:
            uid = row[0] + 1000
            s.connection().exec_driver_sql(f"INSERT INTO unit VALUES ({marks})", (uid, f"{uid:032x}", *row[2:]))
    bulk = stored(empty_db, ids[0], ids[-1])
    assert len(bulk) == 10
    assert bulk == stored(empty_db, ids[0] + 1000, ids[-1] + 1000)
    assert bulk[0][:2] == (None, "null") and bulk[4][:2] == (f"t{ids[4]}", "text") and bulk[5][:2] == (None, "null")
    # The columns NULL throughout a statement are written literally, the others bound.
    assert len(statements) == 4
    assert statements[0].count("NULL") == 3 * 6  # tuid, srclang, created_by, changed_at, changed_by, last_used_at
    assert statements[1].count("NULL") == 3 * 5  # tuid bound: it holds a value in one row
    assert statements[2].count("NULL") == 3 * 4
    assert statements[3].count("NULL") == 5
