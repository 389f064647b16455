"""Crash safety: kill -9 an import at random points; the store stays consistent and the import can be re-run.

In CI a 1,500-unit slice of the shared Europarl file is killed twice per backend. By hand,
larger runs use the same code: ``python tests/test_crash_safety.py URL FILE UNITS RUNS``.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from nato_tm.services.importer import import_path
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_index import TmEntry, TmPosting


def slice_tsv(source: Path, target: Path, units: int) -> Path:
    """The header and the first ``units`` lines of a shared TSV file."""
    with open(source, encoding="utf-8") as src, open(target, "w", encoding="utf-8") as out:
        for number, line in enumerate(src):
            if number > units:
                break
            out.write(line)
    return target


def consistency(db: Database) -> dict[str, int]:
    """Counts that must agree in a consistent store; raises AssertionError on any broken invariant."""
    with db.session() as s:
        units = s.scalar(select(func.count()).select_from(Unit)) or 0
        variants = s.scalar(select(func.count()).select_from(Variant)) or 0
        entries = s.scalar(select(func.count()).select_from(TmEntry)) or 0
        thin = s.scalar(
            select(func.count()).select_from(
                select(Variant.unit_id).group_by(Variant.unit_id).having(func.count() < 2).subquery()
            )
        )
        orphans = s.scalar(select(func.count()).select_from(Variant).where(~Variant.unit_id.in_(select(Unit.id))))
        dangling = s.scalar(
            select(func.count()).select_from(TmPosting).where(~TmPosting.variant_id.in_(select(Variant.id)))
        )
        doubled = units - (s.scalar(select(func.count(func.distinct(Unit.content_hash)))) or 0)
        if db.dialect == "sqlite":
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            # A load drops these inside its transaction (load_tuning): a killed one must leave them.
            names = set(s.scalars(text("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')")))
            assert {"ix_variant_lang_key_hash", "trg_unit_insert_revision", "trg_variant_insert_revision"} <= names
    assert (thin, orphans, dangling, doubled) == (0, 0, 0, 0), (thin, orphans, dangling, doubled)
    assert entries == variants, "every variant is in the memory index"
    return {"units": units, "variants": variants}


def kill_import_at(url: str, path: Path, delay: float) -> int | None:
    """Start ``nato-tm import`` and SIGKILL it after ``delay`` seconds; its return code (None if killed)."""
    cmd = [sys.executable, "-m", "nato_tm", "import", str(path), "--db", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        code = proc.wait(timeout=delay)
        return code
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None


def whole_run_seconds(url: str, path: Path) -> float:
    """How long a complete ``nato-tm import --dry-run`` of ``path`` takes, interpreter start included."""
    started = time.time()
    cmd = [sys.executable, "-m", "nato_tm", "import", str(path), "--db", url, "--dry-run"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.time() - started


def crash_runs(db: Database, path: Path, units: int, runs: int, longest: float, seed: int = 1) -> list[str]:
    """Kill the import ``runs`` times at random points, checking consistency each time; then complete it.

    A kill lands while the import runs (the delays are drawn within the time a whole run takes) or,
    now and then, after its commit while the process is still exiting: the store must then hold
    either nothing of the file or all of it, never a part.
    """
    rng = random.Random(seed)
    before = consistency(db)
    would_add = import_path(db, str(path), dry_run=True).added
    longest = min(longest, whole_run_seconds(db.url, path))
    log = []
    for run in range(runs):
        delay = rng.uniform(0.3, max(longest, 0.4))
        code = kill_import_at(db.url, path, delay)
        now = consistency(db)
        log.append(f"run {run}: killed after {delay:.1f}s" if code is None else f"run {run}: finished ({code})")
        if code is None:
            # One transaction: nothing of the file, or (killed after the commit) all of it.
            assert now["units"] in (before["units"], before["units"] + would_add), (now, before, would_add)
        else:
            assert code == 0
        if now != before:
            before, would_add = now, 0
    started = time.time()
    report = import_path(db, str(path))
    log.append(f"re-run: {report.added} added, {report.unchanged} unchanged in {time.time() - started:.1f}s")
    after = consistency(db)
    again = import_path(db, str(path))
    assert (again.added, again.updated) == (0, 0), "re-importing an imported file adds nothing"
    assert consistency(db) == after
    log.append(f"final: {after}")
    return log


def test_kill_9_during_import_leaves_a_consistent_store(db: Database, shared_data: Path, tmp_path: Path) -> None:
    path = slice_tsv(shared_data / "europarl-v7-head.en-fr.tsv", tmp_path / "europarl.tsv", 1500)
    before = consistency(db)
    log = crash_runs(db, path, 1500, runs=2, longest=5.0)
    after = consistency(db)
    added = after["units"] - before["units"]
    assert added > 1450, log  # a few Europarl lines are duplicates or one-sided


def main() -> None:
    """By hand: python tests/test_crash_safety.py URL FILE UNITS RUNS LONGEST_SECONDS."""
    url, source, units, runs, longest = sys.argv[1:6]
    from nato_tm.services.setup import init_store

    db = Database(url)
    init_store(db)
    path = slice_tsv(Path(source), Path(f"/tmp/crash-{units}.tsv"), int(units))
    for line in crash_runs(db, path, int(units), int(runs), float(longest)):
        print(line, flush=True)


if __name__ == "__main__":
    main()
