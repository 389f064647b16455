"""The lookup's reads answer the same whichever way a backend runs them.

On PostgreSQL an id list is one array literal (``= ANY``) instead of an IN list, the exact
matches come with the keys' document frequencies and a match's targets, units and translations
come in one statement each, and a lookup's reads run outside a transaction (no BEGIN and COMMIT
round trips). These tests pin that each gives what the plain reads give.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from nato_tm.services import tm_lookup
from nato_tm.store import memory_candidates as mc
from nato_tm.store import memory_rows
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit


def _ids(db: Database, sql: str) -> list[int]:
    with db.session() as s:
        return [int(r[0]) for r in s.execute(text(sql))]


def test_among_selects_the_rows_an_in_list_selects(db: Database) -> None:
    wanted = _ids(db, "SELECT variant_id FROM tm_entry ORDER BY variant_id")[::2]
    assert len(wanted) > 5
    with db.session() as s:
        cond, params = memory_rows.among(s, "variant_id", wanted)
        got = memory_rows.fetch(s, f"SELECT variant_id FROM tm_entry WHERE {cond}", params)
        marks = memory_rows.marks(len(wanted))
        plain = memory_rows.fetch(s, f"SELECT variant_id FROM tm_entry WHERE variant_id IN ({marks})", wanted)
        assert sorted(r[0] for r in got) == sorted(r[0] for r in plain) == wanted
        assert ("ANY" in cond) == memory_rows.on_postgres(s)
        cond, params = memory_rows.among(s, "key_hash", ["no such key"], "text")
        assert memory_rows.fetch(s, f"SELECT id FROM variant WHERE {cond}", params) == []


def _postgres_only(s: Any) -> None:
    if not memory_rows.on_postgres(s):
        pytest.skip("one statement on PostgreSQL only: SQLite, in process, reads them apart")


def test_matched_rows_in_one_statement_equal_the_three_reads(db: Database) -> None:
    with db.session() as s:
        _postgres_only(s)
        unit_ids = _ids(db, "SELECT id FROM unit ORDER BY id")[::3]
        hashes = sorted({str(r[0]) for r in s.execute(text("SELECT key_hash FROM variant WHERE id % 3 > 0"))})
        cols = [getattr(Unit, name) for name in memory_rows.UnitRow._fields]
        plain = {r.id: tuple(r) for r in s.execute(select(*cols).where(Unit.id.in_(unit_ids)))}
        for src, tgt in (("fr", "en"), ("en", "fr")):
            got = memory_rows.matched(s, unit_ids, src, tgt, hashes)
            assert got.targets == memory_rows.targets(s, unit_ids, tgt)
            assert {t.unit_id for t in got.targets} == set(got.units)
            assert {uid: tuple(u) for uid, u in got.units.items()} == {uid: plain[uid] for uid in got.units}
            translations = memory_rows.translations(s, src, tgt, hashes)
            assert sorted(got.translations) == sorted(translations) and translations


def test_exact_ids_and_dfs_in_one_statement_equal_the_two_reads(db: Database) -> None:
    with db.session() as s:
        _postgres_only(s)
        kh, lang = s.execute(text("SELECT key_hash, lang FROM variant ORDER BY id")).first() or ("", "")
        hashes = [int(r[0]) for r in s.execute(text("SELECT token_hash FROM tm_vocab ORDER BY df DESC LIMIT 9"))]
        hashes.append(12345)  # not in the vocabulary: no row
        exact, dfs = memory_rows.exact_ids_and_dfs(s, lang, kh, hashes)
        assert exact == memory_rows.exact_ids(s, lang, kh) and exact
        assert dfs == mc._dfs(s, hashes) and len(dfs) == 9


def test_a_lookup_reads_outside_a_transaction_on_postgresql(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bool, int]] = []
    fetch = memory_rows.fetch

    def spying(session: Any, sql: str, params: Any) -> Any:
        raw = session.connection().connection.dbapi_connection
        if memory_rows.on_postgres(session):
            seen.append((raw.autocommit, int(raw.info.transaction_status)))
        return fetch(session, sql, params)

    if db.dialect != "postgresql":
        pytest.skip("SQLite's driver opens no transaction for reads anyway")
    with db.session() as s:
        fr = s.execute(text("SELECT text FROM variant WHERE lang = 'fr' ORDER BY id")).scalars().first()
    monkeypatch.setattr(memory_rows, "fetch", spying)
    result = tm_lookup.lookup(db, fr, "fr", "en")
    assert result.matches and result.matches[0].score >= 100 and seen
    assert all(autocommit and status == 0 for autocommit, status in seen)  # 0: IDLE, no transaction open
    monkeypatch.undo()
    with db.session() as s:  # the pooled connection is back to transactions for everyone else
        assert not s.connection().connection.dbapi_connection.autocommit
