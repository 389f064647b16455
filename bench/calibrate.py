"""How fast this machine is at the kinds of work an import does, so that figures from different machines compare.

    python -m bench calibrate [--n 1000000] [--runs 30] [--passes 3]

Sessions run on different machines of the same nominal size (2 vCPUs), and the same code has
imported 1M units in 125 s on one and 280 s on another. Each figure here is the median of
``--passes`` passes, in CPU seconds of this process (wall for the disk):

- Python: a pure-Python loop of 5M additions (no library: the interpreter and the core alone), and
  2M random lookups in a dict of 2M integers, ns a lookup (memory latency, which the import's
  caches, dicts and B-trees meet and the loop does not);
- import worker: the CPU a chunk worker spends on a unit (``import_workers.ready_items`` over
  ``--runs`` runs of the N-unit bench file, as a worker gets them, with the import's collector
  settings): the loop's dominant cost, and a figure of the code as much as of the machine;
- SQLite inserts: 300,000 rows keyed by random 32-digit hex strings into an indexed table of a
  WAL file in one transaction (random-order B-tree inserts, as the unique content hashes are);
- SQLite sort: 2M random integers through ``ORDER BY`` under an 8 MB page cache (the postings move);
- disk: 256 MB written and ``fdatasync``-ed, MB/s (the commit and the checkpoint).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.build import write_tmx


def _cpu(func: Callable[[], object]) -> float:
    start = time.process_time()
    func()
    return time.process_time() - start


def python_loop() -> float:
    """CPU seconds of 5M pure-Python additions."""

    def run() -> int:
        total = 0
        for i in range(5_000_000):
            total += i
        return total

    return _cpu(run)


def dict_lookups() -> float:
    """CPU nanoseconds of a random lookup in a dict of 2M integers."""
    table = {i: i for i in range(2_000_000)}
    rng = random.Random(3)
    keys = [rng.randrange(2_000_000) for _ in range(2_000_000)]

    def run() -> int:
        total = 0
        for key in keys:
            total += table[key]
        return total

    return _cpu(run) / len(keys) * 1e9


def worker_inputs(n: int, runs: int, style: str = "plain") -> tuple[Any, Any, list[Any]]:
    """(head, dialect, pieces): the first ``runs`` + 2 runs of the N-unit bench file, as a chunk worker gets them."""
    from nato_tm.formats import tmx_chunks
    from nato_tm.formats.registry import ReadOptions
    from nato_tm.store.db import make_engine

    dialect = make_engine("sqlite://").dialect
    with write_tmx(n, style=style).open("rb") as stream:
        head = tmx_chunks.read_head(stream, "calibrate", ReadOptions())
        if head is None:
            raise SystemExit("the bench file is not a plain UTF-8 TMX file")
        pieces = list(itertools.islice(tmx_chunks.pieces(stream, head), runs + 2))
    return head, dialect, pieces


def worker_units(head: Any, dialect: Any, pieces: list[Any]) -> Callable[[], int]:
    """After a warm-up on the first two runs, a function that analyses the others and returns their units."""
    from nato_tm.services.import_workers import ready_items

    for piece in pieces[:2]:  # imports, caches and the tokenizer's tables, as a forked worker inherits them
        ready_items(head, dialect, piece)
    return lambda: sum(len(ready_items(head, dialect, piece)) for piece in pieces[2:])


def worker_us_per_unit(n: int, runs: int) -> float:
    """CPU microseconds a chunk worker spends on a unit of the N-unit bench file."""
    from nato_tm.services.importer import fewer_collections

    work = worker_units(*worker_inputs(n, runs))
    units = 0

    def run() -> None:
        nonlocal units
        units = work()

    with fewer_collections():
        seconds = _cpu(run)
    return seconds / max(units, 1) * 1e6


def sqlite_inserts(folder: Path) -> float:
    """CPU seconds of 300,000 random-keyed rows into an indexed table, committed, in a WAL file."""
    path = folder / "inserts.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, key TEXT NOT NULL, text TEXT NOT NULL)")
    conn.execute("CREATE UNIQUE INDEX t_key ON t (key)")
    rng = random.Random(7)
    rows = [(i, f"{rng.getrandbits(128):032x}", "x" * 40) for i in range(300_000)]

    def run() -> None:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")

    try:
        return _cpu(run)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_sort() -> float:
    """CPU seconds of sorting 2M random integers with SQLite's sorter under an 8 MB page cache."""
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA cache_size = -8192")
    rng = random.Random(11)
    conn.execute("CREATE TABLE t (v INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", ((rng.getrandbits(63),) for _ in range(2_000_000)))
    try:
        return _cpu(lambda: conn.execute("SELECT count(*) FROM (SELECT v FROM t ORDER BY v)").fetchone())
    finally:
        conn.close()


def disk_mb_s(folder: Path) -> float:
    """MB/s of writing 256 MB and fdatasync-ing it."""
    block = os.urandom(1 << 20)
    path = folder / "disk.bin"
    start = time.perf_counter()
    with path.open("wb") as out:
        for _ in range(256):
            out.write(block)
        out.flush()
        os.fdatasync(out.fileno())
    seconds = time.perf_counter() - start
    path.unlink()
    return 256 / seconds


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="the bench file the worker figure reads")
    parser.add_argument("--runs", type=int, default=30, help="runs of about 1,000 units for the worker figure")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        folder = Path(tmp)
        measures: list[tuple[str, str, Callable[[], float]]] = [
            ("Python loop, 5M additions", "CPU s", python_loop),
            ("Python, random lookups in a 2M-key dict", "CPU ns", dict_lookups),
            ("import worker, per unit", "CPU µs", lambda: worker_us_per_unit(args.n, args.runs)),
            ("SQLite, 300k random-keyed inserts + commit", "CPU s", lambda: sqlite_inserts(folder)),
            ("SQLite, sort of 2M integers (8 MB cache)", "CPU s", sqlite_sort),
            ("disk, 256 MB + fdatasync", "MB/s", lambda: disk_mb_s(folder)),
        ]
        print(f"| measure ({args.passes} passes) | unit | median | min | max |\n|---|---|---|---|---|")
        for label, unit, measure in measures:
            values = [measure() for _ in range(args.passes)]
            low, mid, high = min(values), statistics.median(values), max(values)
            print(f"| {label} | {unit} | {mid:.2f} | {low:.2f} | {high:.2f} |", flush=True)


if __name__ == "__main__":
    main()
