"""Import benchmark: `nato-tm import` of an N-unit TMX file, wall/CPU time, peak RSS, concurrent lookups.

    python -m bench imports --n 100000 [--db URL] [--lookups] [--profile] [--timeout 3600]
    python -m bench imports --n 1000000 --pg postgresql://postgres@127.0.0.1:5432 --keep-db nato_bench_1m --lookups

The import runs as a child process (the real command a user types); its peak RSS and CPU time come
from wait4(), and its RSS is also sampled every second to show whether it grows with the file.
With --lookups, a thread in this process runs lookups against the same database all through the
import and counts the failures (the import holds one write transaction for its whole length).
With --profile, py-spy samples the import (20 Hz, so it costs little) and the top frames are printed.
With --pg, the import goes into a throw-away database on that server, dropped afterwards, unless
--keep-db NAME names the database to (re)create and keep (the store the 1M PostgreSQL lookups run on);
the server's CPU (its backends for that database, and all its processes) and the peak PSS of the
database's backends are sampled from /proc beside the client's.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, make_url, text

from bench.build import STYLES, WORK, corpus, write_tmx
from bench.lookup import pg_admin, pg_database, pg_drop
from bench.pgproc import ServerSampler, cpu_s, pss_mb
from nato_tm.store.db import Database


@dataclass
class ImportRun:
    n: int
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss_mb: float = 0.0
    rss_curve: list[tuple[float, float]] = field(default_factory=list)
    main_cpu: float = 0.0  # the importing process alone (its analysis workers aside), from /proc
    returncode: int = 0
    timed_out: bool = False
    lookups: list[float] = field(default_factory=list)
    lookup_errors: Counter[str] = field(default_factory=Counter)
    lookup_error_text: dict[str, str] = field(default_factory=dict)  # the first message of each kind
    lookup_backends: set[int] = field(default_factory=set)  # server pids of the lookups (PostgreSQL)
    server: ServerSampler | None = None


def nato_tm() -> str:
    exe = shutil.which("nato-tm", path=str(Path(sys.executable).parent)) or shutil.which("nato-tm")
    if not exe:
        sys.exit("nato-tm is not installed in this environment")
    return exe


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def lookup_loop(url: str, queries: list[str], stop: threading.Event, run: ImportRun) -> None:
    from nato_tm.services.tm_lookup import lookup

    db = Database(url)
    if db.engine.dialect.name == "postgresql":  # the lookups' backends are not the import's

        def remember(dbapi_conn: object, _record: object) -> None:
            with dbapi_conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.execute("SELECT pg_backend_pid()")
                run.lookup_backends.add(cur.fetchone()[0])
            # The SELECT began a transaction: a connection handed out inside one cannot be switched
            # to autocommit by the lookup (one ProgrammingError per new connection).
            dbapi_conn.rollback()  # type: ignore[attr-defined]

        event.listen(db.engine, "connect", remember)
    i = 0
    while not stop.is_set():
        q = queries[i % len(queries)]
        i += 1
        t0 = time.perf_counter()
        try:
            lookup(db, q, "fr", "en", limit=5)
            run.lookups.append((time.perf_counter() - t0) * 1000)
        except Exception as exc:  # every failure is counted and reported, not raised
            run.lookup_errors[type(exc).__name__] += 1
            run.lookup_error_text.setdefault(type(exc).__name__, str(exc).splitlines()[0][:300])
        stop.wait(0.05)
    db.dispose()


def run_import(
    n: int,
    url: str,
    *,
    lookups: bool,
    profile: Path | None,
    timeout: float,
    seed: int = 1,
    pg_name: str | None = None,
    style: str = "plain",
) -> ImportRun:
    path = write_tmx(n, seed=seed, style=style)
    cmd = [nato_tm(), "--db", url, "import", str(path)]
    if profile:
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        cmd = [spy, "record", "-r", "20", "--subprocesses", "-f", "raw", "-o", str(profile), "--", *cmd]
    run = ImportRun(n, server=ServerSampler(pg_name) if pg_name else None)
    stop = threading.Event()
    thread = None
    if lookups:
        qs = corpus(10_000).held_out
        thread = threading.Thread(
            target=lookup_loop, args=(url, random.Random(2).sample(qs, 200), stop, run), daemon=True
        )
        thread.start()
    t0 = time.perf_counter()
    log = (WORK / f"import-{n}{'-' + pg_name if pg_name else ''}.log").open("w+b")
    child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        root = _import_pid(child.pid, under_spy=profile is not None)
        run.rss_curve.append((time.perf_counter() - t0, _tree_rss(root) if root else 0.0))
        run.main_cpu = max(run.main_cpu, cpu_s(root) if root else 0.0)
        if run.server:
            run.server.sample(exclude=run.lookup_backends)
        if time.perf_counter() - t0 > timeout and not run.timed_out:
            run.timed_out = True
            child.send_signal(signal.SIGINT if profile else signal.SIGTERM)
        time.sleep(1)
    run.wall = time.perf_counter() - t0
    stop.set()
    if thread:
        thread.join()
    run.cpu = usage.ru_utime + usage.ru_stime
    run.peak_rss_mb = usage.ru_maxrss / 1024
    run.returncode = os.waitstatus_to_exitcode(status)
    log.seek(0)
    print(log.read().decode(errors="replace").strip()[-500:], file=sys.stderr)
    log.close()
    return run


def _kids(pid: int) -> list[int]:
    try:
        return [int(k) for k in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _import_pid(pid: int, *, under_spy: bool) -> int | None:
    # Under py-spy the import is the profiler's first child.
    if not under_spy:
        return pid
    kids = _kids(pid)
    return kids[0] if kids else None


def _tree_rss(pid: int) -> float:
    """Memory of the import and its analysis workers together (MB, PSS: shared pages once)."""
    return pss_mb(pid) + sum(_tree_rss(k) for k in _kids(pid))


def top_frames(profile: Path, count: int = 30) -> list[tuple[str, float]]:
    """Share of samples per function (inclusive) in a py-spy raw (collapsed stacks) file."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in profile.read_text().splitlines():
        stack, _, num = line.rpartition(" ")
        samples = int(num)
        total += samples
        for frame in set(stack.split(";")):
            name = frame.split(" (")[0]
            if "nato_tm" in frame or "sacremoses" in frame or "sqlalchemy" in frame:
                inclusive[f"{name} ({frame.split('(')[-1].split(':')[0].rsplit('/', 2)[-1]}"] += samples
    return [(name, 100 * s / total) for name, s in inclusive.most_common(count)]


def fresh_store(url: str | None, n: int, base: Path | None = None) -> str:
    """A new store (schema and shipped term base, or a copy of ``base``); SQLite under WORK unless --db is given."""
    if url is None:
        path = WORK / f"import-{n}{'-onto-' + base.stem if base else ''}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        if base:
            shutil.copyfile(base, path)
            return url
    subprocess.run([nato_tm(), "--db", url, "init"], check=True, stdout=subprocess.DEVNULL)
    return url


def kept_database(server: str, name: str) -> str:
    """Drop and create database ``name`` on the server; its URL (the database stays after the run)."""
    pg_drop(server, name)
    with pg_admin(server).connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(server).set(database=name).render_as_string(False)


def report(run: ImportRun) -> None:
    if run.timed_out:  # the child was stopped, not reaped with its usage: only the sampled RSS is known
        peak = max((m for _, m in run.rss_curve), default=0.0)
        print(f"| {run.n} | stopped after {run.wall:.0f} | - | - | - | {peak:.0f} (sampled) |")
    else:
        rate = run.n / run.wall if run.wall else 0
        per_unit = 1000 * run.cpu / run.n
        print(f"| {run.n} | {run.wall:.0f} | {run.cpu:.0f} | {per_unit:.2f} | {rate:.0f} | {run.peak_rss_mb:.0f} |")
        print(f"importing process CPU (sampled): {run.main_cpu:.1f} s, {1000 * run.main_cpu / run.n:.2f} ms/unit")
    if run.lookups or run.lookup_errors:
        lat = sorted(run.lookups)
        p95 = lat[int(0.95 * (len(lat) - 1))] if lat else 0
        print(
            f"concurrent lookups: {len(lat)} ok, errors {dict(run.lookup_errors) or 0}, "
            f"p50 {statistics.median(lat) if lat else 0:.1f} ms, p95 {p95:.1f} ms"
        )
        for kind, text in run.lookup_error_text.items():
            print(f"  first {kind}: {text}")
        # When the slow ones came: the load's start, its middle, its end (after the commit, before statistics).
        quarters = [run.lookups[i * len(run.lookups) // 4 : (i + 1) * len(run.lookups) // 4] for i in range(4)]
        medians = ", ".join(f"{statistics.median(q):.1f}" for q in quarters if q)
        print(f"  lookup p50 by quarter of the run, ms: {medians}")
    curve = run.rss_curve[:: max(1, len(run.rss_curve) // 8)]
    peak = max((m for _, m in run.rss_curve), default=0)
    print(f"peak PSS of the import and its workers together (sampled): {peak:.0f} MB")
    print("PSS, all processes (s, MB): " + ", ".join(f"({t:.0f}, {m:.0f})" for t, m in curve))
    if run.server:
        own, every = run.server.cpu(database_only=True), run.server.cpu(database_only=False)
        print(
            f"PostgreSQL server CPU: the import's backend {own:.0f} s ({1000 * own / run.n:.2f} ms/unit), "
            f"all server processes {every:.0f} s (the lookups' backends and the server's writers included); "
            f"peak PSS of the import's backend {run.server.peak_backend_pss_mb:.0f} MB"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench imports", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="units (repeatable; default 10k and 100k)")
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file per run)")
    parser.add_argument("--lookups", action="store_true", help="run lookups against the store during the import")
    parser.add_argument("--profile", action="store_true", help="sample the import with py-spy")
    parser.add_argument("--timeout", type=float, default=3600, help="stop an import after this many seconds")
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL: import into a throw-away database")
    parser.add_argument("--base", type=Path, default=None, help="SQLite store to copy and import into")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed of the TMX file (2: other units)")
    parser.add_argument("--keep-db", default=None, help="with --pg: the database to drop, create, import into and keep")
    parser.add_argument("--style", choices=STYLES, default="plain", help="the TMX file's style (bench build --style)")
    args = parser.parse_args(argv)
    if args.keep_db and (not args.pg or len(args.n or []) != 1):
        parser.error("--keep-db needs --pg and exactly one --n")
    print("| N | wall s | CPU s | CPU ms/unit | units/s (wall) | peak RSS MB |\n|---|---|---|---|---|---|")
    for n in args.n or [10_000, 100_000]:
        pg_name = None
        if args.keep_db:
            url = fresh_store(kept_database(args.pg, args.keep_db), n)
        elif args.pg:
            pg_db, pg_name = pg_database(args.pg)
            url = fresh_store(pg_db.url, n)
            pg_db.dispose()
        else:
            url = fresh_store(args.db, n, args.base)
        prof = WORK / f"import-{n}.pyspy.txt" if args.profile else None
        try:
            run = run_import(
                n,
                url,
                lookups=args.lookups,
                profile=prof,
                timeout=args.timeout,
                seed=args.seed,
                pg_name=args.keep_db or pg_name,
                style=args.style,
            )
        finally:
            if pg_name:
                pg_drop(args.pg, pg_name)
        report(run)
        if prof and prof.exists():
            for name, share in top_frames(prof):
                print(f"    {share:5.1f}%  {name}")


if __name__ == "__main__":
    main()
