"""`nato-tm bench`: runs the checkout's bench/ suite with the installed package, and says so when there is none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def nato_tm(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "nato_tm", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, cwd=cwd)


def test_outside_a_checkout_it_is_a_user_error(tmp_path: Path) -> None:
    proc = nato_tm("bench", "report", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("Error: no bench/ found")
    assert "Traceback" not in proc.stderr


def test_report_runs_from_the_checkout(tmp_path: Path) -> None:
    if not (ROOT / "bench" / "__main__.py").is_file():
        pytest.skip("not run from a source checkout")
    proc = nato_tm("bench", "--checkout", str(ROOT), "report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "| nproc |" in proc.stdout and "| SQLite |" in proc.stdout


def test_an_unknown_suite_is_refused(tmp_path: Path) -> None:
    if not (ROOT / "bench" / "__main__.py").is_file():
        pytest.skip("not run from a source checkout")
    proc = nato_tm("bench", "--checkout", str(ROOT), "nonsense", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Suites:" in proc.stderr


def test_the_installed_package_does_not_hold_the_suite() -> None:
    import nato_tm

    package = Path(nato_tm.__file__).parent
    assert not (package / "bench").exists()
    assert not any(p.name == "bench" for p in package.parent.iterdir() if p.is_dir() and (p / "lookup.py").exists())


def test_the_concordance_suite_times_phrases_cut_from_held_out_sentences(tmp_path: Path, shared_data: Path) -> None:
    if not (ROOT / "bench" / "__main__.py").is_file():
        pytest.skip("not run from a source checkout")
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    assert nato_tm("--db", url, "init", cwd=tmp_path).returncode == 0  # the seed memory: 24 units
    proc = nato_tm("bench", "--checkout", str(ROOT), "concordance", "--db", url, "--phrases", "3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(" | ") for line in proc.stdout.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [(row[0], row[1]) for row in rows] == [("| 1", "3"), ("| 2", "3"), ("| 3", "3")]
    assert all(float(row[2]) > 0 for row in rows)  # a median time per phrase length
