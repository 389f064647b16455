"""Where a SQLite import's wall time goes: the import run in this process, its phases and inserts timed.

    python -m bench phases --n 1000000 [--workers 2]

Imports the N-unit TMX file of ``bench build`` into a new SQLite store (/tmp/nato-bench/phases-N.sqlite3),
as ``nato-tm import`` does, with timers wrapped around the store's own functions: the inserts per
table (the importing process's share of the loop), the final sorted move of the postings, the end
of the load (key index, triggers, commit) and the checkpoint (``Database.settle``). Each phase is
given as its start and length in seconds from the start. Wall-clock time: on a loaded machine the
inserts also count the time this process waited for a core.

    python -m bench phases --n 1000000 --analysis record   # the same, keeping what the workers computed
    python -m bench phases --n 1000000 --analysis replay   # the workers read it back instead of computing it

``replay`` measures the import with the workers' analysis (TMX parse, tokenising, keys, rows: all
of ``import_workers.ready_items``) costing only a read of its pickled result: what the store's side of
an import costs when analysis is as cheap as it can be. The record (/tmp/nato-bench/analysis-N/,
about 1 KB a unit) must come from the same file and code.
"""

from __future__ import annotations

import argparse
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.build import WORK, write_tmx
from nato_tm.services import import_workers
from nato_tm.services.importer import import_path
from nato_tm.store import memory_bulk, migrate
from nato_tm.store.db import Database


@contextmanager
def timers(spent: Counter[str], rows: Counter[str], marks: dict[str, float]) -> Iterator[None]:
    """Wrap the store's insert, move and settle functions with timers for the length of the block."""
    insert, move, settle = memory_bulk._sqlite_insert, memory_bulk.Loader._move, Database.settle

    def timed_insert(session: Any, name: str, batch: Any, *args: Any, **kwargs: Any) -> int:
        start = time.perf_counter()
        try:
            return insert(session, name, batch, *args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start
            rows[name] += len(batch)

    def around(label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            marks[f"{label} start"] = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                marks[f"{label} end"] = time.perf_counter()

        return timed

    memory_bulk._sqlite_insert = timed_insert  # type: ignore[assignment]
    memory_bulk.Loader._move = around("postings move", move)  # type: ignore[method-assign]
    Database.settle = around("checkpoint", settle)  # type: ignore[method-assign]
    try:
        yield
    finally:
        memory_bulk._sqlite_insert, memory_bulk.Loader._move, Database.settle = insert, move, settle  # type: ignore[method-assign]


@contextmanager
def analysis(mode: str | None, n: int) -> Iterator[None]:
    """Record the workers' results of each run of the file (``record``), or read them back (``replay``)."""
    if mode is None:
        yield
        return
    folder = WORK / f"analysis-{n}"
    folder.mkdir(exist_ok=True)
    real = import_workers.ready_items

    def recorded(head: Any, dialect: Any, piece: import_workers.Piece) -> list[Any]:
        found = real(head, dialect, piece)
        (folder / f"{piece[1]}.pickle").write_bytes(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
        return found

    def replayed(head: Any, dialect: Any, piece: import_workers.Piece) -> list[Any]:
        found: list[Any] = pickle.loads((folder / f"{piece[1]}.pickle").read_bytes())
        return found

    # Patched before the pool forks: the workers call the module's ready_items, so they run the patch.
    import_workers.ready_items = recorded if mode == "record" else replayed
    try:
        yield
    finally:
        import_workers.ready_items = real


def run(n: int, workers: int, mode: str | None = None) -> None:
    """Import the N-unit file into a new store and print its phases and inserts."""
    source = write_tmx(n)
    path = WORK / f"phases-{n}.sqlite3"
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    spent: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    marks: dict[str, float] = {}
    with timers(spent, rows, marks), analysis(mode, n):
        start = time.perf_counter()
        report = import_path(db, str(source), workers=workers)
        wall = time.perf_counter() - start
    db.dispose()
    print(f"{source}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged; wall {wall:.1f} s")
    moved, settled = marks.get("postings move end", start), marks.get("checkpoint start", start)
    print(f"  loop (read, analyse, insert)      0.0 +{marks.get('postings move start', settled) - start:6.1f} s")
    for label in ("postings move", "checkpoint"):
        if f"{label} start" in marks:
            begin, end = marks[f"{label} start"] - start, marks[f"{label} end"] - start
            print(f"  {label:<32} {begin:5.1f} +{end - begin:6.1f} s")
        if label == "postings move":
            print(f"  {'key index, triggers, commit':<32} {moved - start:5.1f} +{settled - moved:6.1f} s")
    for name, seconds in spent.most_common():
        print(f"  inserts into {name:<20} {seconds:6.1f} s  {rows[name]:>10,} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--analysis", choices=["record", "replay"], help="keep, or read back, the workers' results")
    args = parser.parse_args()
    run(args.n, args.workers, args.analysis)


if __name__ == "__main__":
    main()
