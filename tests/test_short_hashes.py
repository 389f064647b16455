"""Short hashes (migration 0006): content, key and context hashes keep 32 hex digits of the SHA-256.

A store written before 0006 holds the whole 64-digit digests (made here by the downgrade, which
recomputes them exactly as that code did); the upgrade cuts them to the prefix this code computes,
so exact matches, context matches and the content dedup of imports carry on across the migration.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from nato_tm.services import backup as bk
from nato_tm.services.documents import to_jsonable
from nato_tm.services.setup import init_store
from nato_tm.services.stats import stats
from nato_tm.services.tm_lookup import lookup
from nato_tm.services.tm_write import add_unit
from nato_tm.store import memory_rows, migrate
from nato_tm.store.db import Database
from nato_tm.store.memory_repo import HASH_HEX, key_hash
from nato_tm.store.revision import read_revision
from nato_tm.text.pipeline import match_key, primary_lang

# A new unit written back as a CAT tool would, with its previous sentence as context (NATO wording, not
# in the seed memory: the unit must be new; the seed's own 23 contexts are checked alongside).
PREV = "Le Comité militaire de l'OTAN s'est réuni le 9 novembre 2022."
FR = "Les chefs d'état-major de la défense ont examiné la présence avancée rehaussée de l'Alliance."
EN = "The Chiefs of Defence reviewed the Alliance's enhanced Forward Presence."
BEFORE = "0005"  # the revision before 0006

Hashes = tuple[dict[int, str], dict[int, tuple[str, str | None]]]


def _hashes(db: Database) -> Hashes:
    """Each unit's content hash and each variant's (key hash, context hash), by id."""
    with db.engine.connect() as conn:
        units = {int(i): str(h) for i, h in conn.execute(text("SELECT id, content_hash FROM unit"))}
        rows = conn.execute(text("SELECT id, key_hash, prev_hash FROM variant"))
        return units, {int(i): (str(k), p) for i, k, p in rows}


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _old_content_hash(pairs: list[tuple[str, str]]) -> str:
    """The unit identity the code before 0006 stored (its ``content_hash``, whole)."""
    return _sha256(json.dumps(sorted(pairs), ensure_ascii=False, separators=(",", ":")))


def _revision(db: Database) -> int:
    with db.engine.connect() as conn:
        return read_revision(conn, "memory").value


def _variants(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        sql = "SELECT id, unit_id, lang, lang_tag, text, markup, key_hash, prev_hash FROM variant ORDER BY id"
        return list(conn.execute(text(sql)))


def _with_context(db: Database) -> dict[str, Any]:
    """Store a unit with its context; the lookup of its source then scores 101 (a context match)."""
    add_unit(db, FR, EN, "fr", "en", user="tests", origin="api", context_prev=PREV)
    found = to_jsonable(lookup(db, FR, "fr", "en", prev=PREV))
    assert found["matches"][0]["score"] == 101
    return dict(found)


def test_downgrade_restores_the_whole_hashes_and_upgrade_cuts_them_again(db: Database) -> None:
    found = _with_context(db)
    short = _hashes(db)
    assert {len(h) for h in short[0].values()} == {len(k) for k, _ in short[1].values()} == {HASH_HEX}
    contexts = [p for _, p in short[1].values() if p is not None]
    assert len(contexts) >= 20 and {len(p) for p in contexts} == {HASH_HEX}  # the seed's tuvs carry context
    revision = _revision(db)

    migrate.downgrade(db, BEFORE)
    whole = _hashes(db)
    pairs: dict[int, list[tuple[str, str]]] = {}
    for vid, uid, lang, tag, text_, markup, kh, prev in _variants(db):
        pairs.setdefault(uid, []).append((primary_lang(tag), markup or text_))
        assert kh == _sha256(match_key(text_, lang)) and kh.startswith(short[1][vid][0])
        if prev is not None:  # every context of the seed and of add_unit is kept as the variant's prop
            assert len(prev) == 64 and prev[:HASH_HEX] == short[1][vid][1]
    assert {u: _old_content_hash(p) for u, p in pairs.items()} == whole[0]
    assert all(h.startswith(short[0][u]) for u, h in whole[0].items())
    assert [p for _, p in whole[1].values() if p is not None].count(_sha256(match_key(PREV, "fr"))) == 1
    assert _revision(db) == revision + 1  # moved once, not once a row

    migrate.upgrade(db)
    assert _hashes(db) == short
    assert _revision(db) == revision + 2
    assert to_jsonable(lookup(db, FR, "fr", "en", prev=PREV)) == found


def test_exact_matches_and_dedup_work_on_an_upgraded_store(db: Database) -> None:
    _with_context(db)
    migrate.downgrade(db, BEFORE)  # a store as the code before 0006 left it: whole digests
    migrate.upgrade(db)
    counts = to_jsonable(stats(db))
    # Exact matches are read through the key hash alone: every stored sentence finds its variant.
    with db.session() as session:
        for vid, _, lang, _, text_, _, _, _ in _variants(db):
            assert vid in memory_rows.exact_ids(session, lang, key_hash(text_, lang))
        # The same sentence in other case and spacing has the same match key: found through it too.
        (fr_id,) = [vid for vid, _, _, _, text_, *_ in _variants(db) if text_ == FR]
        assert fr_id in memory_rows.exact_ids(session, "fr", key_hash("  " + FR.upper().replace(" ", "  "), "fr"))
    # Importing the shipped memory again and writing the unit again add nothing: the content hashes match.
    again = init_store(db)
    assert [r.added for r in again.imports] == [0] * len(again.imports) and again.imports
    assert add_unit(db, FR, EN, "fr", "en", user="tests", origin="api", context_prev=PREV).outcome == "unchanged"
    assert to_jsonable(stats(db)) == counts


def test_restore_of_a_backup_made_before_0006(db: Database, blank_db: Database, tmp_path: Path) -> None:
    found = _with_context(db)
    short = _hashes(db)
    migrate.downgrade(db, BEFORE)
    bk.backup(db, str(tmp_path / "b"))
    lines = (tmp_path / "b" / "unit.jsonl").read_text(encoding="utf-8").splitlines()
    assert {len(json.loads(line)["content_hash"]) for line in lines} == {64}

    report = bk.restore(blank_db, str(tmp_path / "b"))
    assert report.schema == migrate.head() == migrate.current(blank_db)
    assert _hashes(blank_db) == short
    assert to_jsonable(lookup(blank_db, FR, "fr", "en", prev=PREV)) == found
    assert all(r.added == 0 for r in init_store(blank_db).imports)
