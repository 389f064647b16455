"""The installed ``nato-tm`` command, run as a user runs it: one-line errors, exit codes, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nato_tm.store.db import Database


def run(*args: str, db: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "nato_tm", *args]
    if db:
        cmd += ["--db", db]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def assert_user_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_init_twice_leaves_the_same_counts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    first = run("init", db=url)
    assert first.returncode == 0, first.stderr
    counts = json.loads(run("stats", "--json", db=url).stdout)
    second = run("init", db=url)
    assert second.returncode == 0 and "Nothing to do" in second.stdout
    assert json.loads(run("stats", "--json", db=url).stdout) == counts
    assert set(counts) >= {"concepts", "terms", "units"}
    assert counts["concepts"] > 0 and counts["units"] > 0


def test_db_option_before_the_command_too(db: Database) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nato_tm", "--db", db.url, "stats", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["concepts"] > 0


def test_environment_variable_selects_the_database(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATO_TM_DATABASE_URL", db.url)
    proc = run("stats", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["terms"] > 0


def test_missing_file(tmp_path: Path) -> None:
    assert_user_error(run("import", str(tmp_path / "absent.tmx"), db=f"sqlite:///{tmp_path / 's.db'}"), "no such file")


@pytest.mark.parametrize("workers", ["two", "-1"])
def test_bad_import_workers_setting_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    tmx = Path(__file__).resolve().parents[1] / "termbase" / "seed-memory.tmx"
    url = f"sqlite:///{tmp_path / 's.db'}"
    monkeypatch.setenv("NATO_TM_IMPORT_WORKERS", workers)
    assert run("init", db=url).returncode == 0  # a command that does not fork is unaffected
    assert_user_error(run("import", str(tmx), db=url), "NATO_TM_IMPORT_WORKERS")
    monkeypatch.setenv("NATO_TM_IMPORT_WORKERS", "0")  # 0: everything in the importing process
    assert run("import", str(tmx), db=url).returncode == 0


def test_unknown_format(tmp_path: Path) -> None:
    junk = tmp_path / "notes.docx"
    junk.write_bytes(b"PK\x03\x04 not a translation file")
    proc = run("import", str(junk), db=f"sqlite:///{tmp_path / 's.db'}")
    assert_user_error(proc, "cannot tell the file's format")


def test_bad_option() -> None:
    assert_user_error(run("stats", "--no-such-option"), "No such option")


def test_unreachable_database() -> None:
    proc = run("stats", db="postgresql://postgres@127.0.0.1:9/nowhere")
    assert_user_error(proc, "database unavailable")


def test_not_a_database_url() -> None:
    assert_user_error(run("stats", db="::not a url::"), "not a database URL")


def test_unknown_export_format(tmp_path: Path) -> None:
    proc = run("export", "--format", "docx", "-o", str(tmp_path / "x"))
    assert_user_error(proc, "docx")


def test_serve_refuses_a_store_whose_schema_it_does_not_read(tmp_path: Path, empty_db: Database) -> None:
    from nato_tm.store import migrate

    assert_user_error(run("serve", db=f"sqlite:///{tmp_path / 'new.sqlite3'}"), "run `nato-tm init` first")
    migrate.downgrade(empty_db, "0003")  # a store indexed by an earlier version: its index lacks postings
    needs = f"at 0003, this version needs {migrate.head()}: run `nato-tm init`"
    assert_user_error(run("serve", db=empty_db.url), needs)
    assert run("init", "--no-seed", db=empty_db.url).returncode == 0
    assert migrate.current(empty_db) == migrate.head()
