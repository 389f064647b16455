"""Backup and restore: `nato-tm export --all DIR` then `nato-tm restore DIR` reproduces the store exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from nato_tm.errors import Conflict, FormatError
from nato_tm.formats.records import TermRecord
from nato_tm.services import backup as bk
from nato_tm.services.auth import create_token, create_user
from nato_tm.services.concepts import add_term
from nato_tm.services.documents import to_jsonable
from nato_tm.services.stats import stats
from nato_tm.services.tm_lookup import lookup
from nato_tm.services.tm_write import add_unit
from nato_tm.store import migrate
from nato_tm.store.db import Database
from nato_tm.store.termbase import Concept

# Two consecutive sentences of the seed article, written back as a CAT tool would (with context).
PREV = "Le Comité militaire de l'OTAN s'est réuni le 9 novembre 2022."
FR = "Les chefs d'état-major de la défense ont examiné la présence avancée rehaussée de l'Alliance."
EN = "The Chiefs of Defence reviewed the Alliance's enhanced Forward Presence."


def _enrich(db: Database) -> None:
    """Beyond the seed: a unit with context, a term added by an editor, a token and an account."""
    add_unit(db, FR, EN, "fr", "en", user="tests", origin="api", context_prev=PREV)
    with db.session() as session:
        cid = session.scalars(select(Concept.id).order_by(Concept.id).limit(1)).one()
    add_term(
        db, cid, TermRecord(text="terme de sauvegarde", lang_tag="fr", note="ajouté pour le test", status="admitted")
    )
    create_token(db, "editor", "backup test")
    create_user(db, "editeur", "un mot de passe assez long")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.jsonl"))}


def test_backup_then_restore_reproduces_every_row(db: Database, empty_db: Database, tmp_path: Path) -> None:
    _enrich(db)
    first = bk.backup(db, str(tmp_path / "one"))
    counts = stats(db)
    assert (first.rows["unit"], first.rows["term"], first.rows["concept"]) == (
        counts.units,
        counts.terms,
        counts.concepts,
    )
    assert first.rows["api_token"] >= 1 and first.rows["app_user"] == 1
    restored = bk.restore(empty_db, str(tmp_path / "one"))
    assert restored.rows == first.rows
    assert restored.indexed_variants == first.rows["variant"]
    bk.backup(empty_db, str(tmp_path / "two"))
    # Every column of every row, ids and dates included, is the same after the round trip.
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert to_jsonable(stats(empty_db)) == to_jsonable(stats(db))


def test_restored_store_answers_and_takes_new_writes(db: Database, empty_db: Database, tmp_path: Path) -> None:
    _enrich(db)
    bk.backup(db, str(tmp_path / "b"))
    bk.restore(empty_db, str(tmp_path / "b"))
    before = to_jsonable(lookup(db, FR, "fr", "en", prev=PREV))
    after = to_jsonable(lookup(empty_db, FR, "fr", "en", prev=PREV))
    assert after == before and after["matches"][0]["score"] == 101  # the rebuilt index gives the context match
    # The id sequences were moved past the restored ids: a new unit gets a fresh id.
    doc = add_unit(empty_db, "Une phrase nouvelle après la restauration.", "A new sentence.", "fr", "en", user="t")
    assert doc.outcome == "added"


def test_restore_refuses_a_store_with_data_and_changes_nothing(db: Database, tmp_path: Path) -> None:
    bk.backup(db, str(tmp_path / "b"))
    counts = to_jsonable(stats(db))
    with pytest.raises(Conflict, match="empty database"):
        bk.restore(db, str(tmp_path / "b"))
    assert to_jsonable(stats(db)) == counts


def test_restore_refuses_a_changed_or_truncated_backup(db: Database, empty_db: Database, tmp_path: Path) -> None:
    bk.backup(db, str(tmp_path / "b"))
    unit_file = tmp_path / "b" / "unit.jsonl"
    unit_file.write_bytes(unit_file.read_bytes()[:-50])
    with pytest.raises(FormatError, match="does not match the manifest"):
        bk.restore(empty_db, str(tmp_path / "b"))
    assert to_jsonable(stats(empty_db))["units"] == 0


def test_backup_refuses_a_directory_holding_a_backup(db: Database, tmp_path: Path) -> None:
    bk.backup(db, str(tmp_path / "b"))
    with pytest.raises(Conflict, match="already holds a backup"):
        bk.backup(db, str(tmp_path / "b"))


def _index(db: Database) -> list[list[tuple[object, ...]]]:
    """The whole memory index: postings, vocabulary counts and entries."""
    queries = (
        "SELECT token_hash, ntok, variant_id FROM tm_posting ORDER BY 1, 2, 3",
        "SELECT token_hash, df FROM tm_vocab WHERE df <> 0 ORDER BY 1",
        "SELECT variant_id, unit_id, lang, ntok, keys, postings FROM tm_entry ORDER BY 1",
    )
    with db.engine.connect() as conn:
        return [[tuple(r) for r in conn.execute(text(q))] for q in queries]


def test_restore_of_an_older_backup_migrates_the_rows_then_indexes_them(
    db: Database, blank_db: Database, tmp_path: Path
) -> None:
    # A backup made at 0003, before occurrence postings (0004): the index must come out as this
    # version builds it, not built first and then reworked by a migration written for the old one.
    _enrich(db)
    fresh = _index(db)
    before = to_jsonable(lookup(db, FR, "fr", "en", prev=PREV))
    migrate.downgrade(db, "0003")
    bk.backup(db, str(tmp_path / "b"))
    report = bk.restore(blank_db, str(tmp_path / "b"))
    assert report.schema == migrate.current(blank_db) == migrate.head()
    assert report.indexed_variants == report.rows["variant"] == len(fresh[2])
    assert _index(blank_db) == fresh
    assert to_jsonable(lookup(blank_db, FR, "fr", "en", prev=PREV)) == before


def test_restore_refuses_an_empty_store_at_another_schema(db: Database, empty_db: Database, tmp_path: Path) -> None:
    migrate.downgrade(db, "0003")
    bk.backup(db, str(tmp_path / "b"))
    with pytest.raises(Conflict, match=f"the backup has schema '0003' and this database is at '{migrate.head()}'"):
        bk.restore(empty_db, str(tmp_path / "b"))
    assert migrate.current(empty_db) == migrate.head() and to_jsonable(stats(empty_db))["units"] == 0


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "nato_tm", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def test_cli_export_all_and_restore(tmp_path: Path) -> None:
    src, dst = f"sqlite:///{tmp_path / 'a.sqlite3'}", f"sqlite:///{tmp_path / 'b.sqlite3'}"
    assert _cli("init", "--db", src).returncode == 0
    done = _cli("export", "--all", str(tmp_path / "bk"), "--json", "--db", src)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    back = _cli("restore", str(tmp_path / "bk"), "--json", "--db", dst)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["rows"] == rows
    assert _cli("stats", "--json", "--db", dst).stdout == _cli("stats", "--json", "--db", src).stdout
    again = _cli("restore", str(tmp_path / "bk"), "--db", dst)
    assert again.returncode == 1 and again.stderr.startswith("Error: restore needs an empty database")
    mixed = _cli("export", "--all", str(tmp_path / "x"), "--format", "tmx", "--db", src)
    assert mixed.returncode == 1 and "do not combine" in mixed.stderr
