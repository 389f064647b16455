"""What a lookup costs on PostgreSQL, client and server together, and which statements the slow ones spend it in.

    python -m bench.pgcost --n 1000000 --db postgresql://postgres@127.0.0.1:5432/nato_bench_1m \
        [--queries 100] [--repeat 3] [--set plan_cache_mode=force_custom_plan] [--trace 10] [--explain 5]

The queries are the lookup harness's (bench/lookup.py, same --n and --seed), without its brute
force: this measures cost only (recall is the harness's job). For each lookup: wall time, this
process's CPU, and the CPU of the server backends serving the database (from /proc/PID/schedstat,
nanoseconds; the server runs on this machine), so client + server is what one lookup costs the
machine. With --repeat R each query runs R times and its least CPU (client, server) is kept.
--set applies a server setting to every connection (A/B of a planner setting). --trace K times every
statement of the K costliest queries (the driver-level reads of nato_tm.store.memory_rows and
SQLAlchemy's) and sums them by statement; --explain E runs EXPLAIN (ANALYZE, BUFFERS) of the E slowest
statements seen, with their own parameters.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url, text

from bench.lookup import load, pct, queries
from bench.pgproc import server_processes, serves
from nato_tm.services.tm_lookup import lookup
from nato_tm.store import memory_rows
from nato_tm.store.db import Database


def server_ns(database: str) -> int:
    """CPU nanoseconds used so far by the backends serving ``database`` (those alive now)."""
    total = 0
    for pid, title in server_processes().items():
        if serves(title, database):
            with contextlib.suppress(OSError, ValueError):  # gone since the scan
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    return total


@dataclass
class Cost:
    wall: float
    client: float
    server: float
    first: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the first run's wall, client, server (colder caches)

    @property
    def total(self) -> float:
        """Client and server CPU together (ms)."""
        return self.client + self.server


@dataclass
class Trace:
    """Statements executed during the traced lookups: (ms, sql, params), and totals per statement form."""

    statements: list[tuple[float, str, Sequence[Any]]] = field(default_factory=list)
    by_form: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    on: bool = False

    def add(self, ms: float, sql: str, params: Sequence[Any]) -> None:
        """Record one statement if tracing is on."""
        if self.on:
            self.statements.append((ms, sql, params))
            self.by_form[form(sql)].append(ms)


def form(sql: str) -> str:
    """A statement's shape without its parameter list: 'SELECT ... FROM tm_posting WHERE token_hash IN (n)'."""
    head, _, rest = sql.partition(" IN (")
    marks = rest.count("%s") + rest.count("?") if rest else 0
    return f"{head[:90]} IN ({marks} marks)" if rest else sql[:110]


def instrument(db: Database, trace: Trace, settings: list[str], *, prepare: bool = True) -> None:
    """Apply --set on every new connection; time every statement while ``trace.on``.

    ``prepare=False``: psycopg never prepares server-side.
    """

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        if not prepare:
            dbapi_conn.prepare_threshold = None
        with dbapi_conn.cursor() as cur:
            for item in settings:
                name, _, value = item.partition("=")
                cur.execute(f"SET {name} = {value}")
        dbapi_conn.commit()

    event.listen(db.engine, "connect", on_connect)
    plain_cursor = memory_rows.cursor

    @contextlib.contextmanager
    def timed_cursor(session: Any, sql: str, params: Sequence[Any], **kwargs: Any) -> Iterator[Any]:
        # The statement's execution and the reading of its rows (the caller's block) together.
        t0 = time.perf_counter()
        with plain_cursor(session, sql, params, **kwargs) as cur:
            yield cur
        trace.add((time.perf_counter() - t0) * 1000, sql.replace("?", "%s"), list(params))

    memory_rows.cursor = timed_cursor  # memory_rows.fetch and memory_candidates look it up at each call

    @event.listens_for(db.engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["pgcost_t0"] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        trace.add((time.perf_counter() - conn.info.pop("pgcost_t0", time.perf_counter())) * 1000, statement, [])


def measure(db: Database, database: str, q: str, repeat: int) -> Cost:
    """One query's cost: median wall, least client and least server CPU over ``repeat`` runs (ms)."""
    walls, clients, servers = [], [], []
    for _ in range(repeat):
        s0, c0, t0 = server_ns(database), time.process_time(), time.perf_counter()
        lookup(db, q, "fr", "en", limit=5)
        walls.append((time.perf_counter() - t0) * 1000)
        clients.append((time.process_time() - c0) * 1000)
        servers.append((server_ns(database) - s0) / 1e6)
    return Cost(statistics.median(walls), min(clients), min(servers), (walls[0], clients[0], servers[0]))


def explain(db: Database, statements: list[tuple[float, str, Sequence[Any]]], count: int, settings: list[str]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the ``count`` slowest distinct statements, with their parameters."""
    done: set[str] = set()
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        for ms, sql, params in sorted(statements, key=lambda s: -s[0]):
            if len(done) >= count or not params or form(sql) in done:
                continue
            done.add(form(sql))
            with raw.cursor() as cur:
                for item in settings:
                    name, _, value = item.partition("=")
                    cur.execute(f"SET {name} = {value}")
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(f"    {r[0]}" for r in cur.fetchall())
            shown = params if len(params) <= 6 else [*params[:4], f"... {len(params)} parameters"]
            print(f"\n{ms:.1f} ms in the lookup: {form(sql)}\n    params {shown}\n{plan}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pgcost", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL store built with the same --n and --seed")
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=100, help="queries of each kind")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each query (least CPU kept)")
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE server setting (repeatable)")
    parser.add_argument("--no-prepare", action="store_true", help="psycopg prepare_threshold=None on every connection")
    parser.add_argument("--trace", type=int, default=0, help="time the statements of the K costliest queries")
    parser.add_argument("--explain", type=int, default=0, help="EXPLAIN ANALYZE the E slowest traced statements")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    qs = queries(load(args.n, rng), args.queries, rng)
    db = Database(args.db)
    database = make_url(args.db).database or ""
    trace = Trace()
    instrument(db, trace, args.set, prepare=not args.no_prepare)
    with db.engine.connect() as conn:
        units = conn.execute(text("SELECT count(*) FROM unit")).scalar_one()
    for q in ("warm-up", "Bonjour", qs["held-out"][0]):
        lookup(db, q, "fr", "en")
    load_avg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    mode = "no server-side prepare; " if args.no_prepare else ""
    print(
        f"{database}: {units} units; settings {args.set or 'defaults'}; {mode}repeat {args.repeat}; load {load_avg}\n"
    )
    print(
        "| kind | queries | wall p50 / p95 / p99 ms | client CPU p50 / p95 | server CPU p50 / p95 "
        "| total CPU p50 / p95 / p99 |"
    )
    print("|---|---|---|---|---|---|")
    costs: dict[str, Cost] = {}
    for kind, items in qs.items():
        got = [measure(db, database, q, args.repeat) for q in items]
        costs.update(zip(items, got, strict=True))
        w, c, s, t = ([getattr(g, a) for g in got] for a in ("wall", "client", "server", "total"))
        print(
            f"| {kind} | {len(items)} | {pct(w, 50):.1f} / {pct(w, 95):.1f} / {pct(w, 99):.1f} "
            f"| {pct(c, 50):.1f} / {pct(c, 95):.1f} | {pct(s, 50):.1f} / {pct(s, 95):.1f} "
            f"| {pct(t, 50):.1f} / {pct(t, 95):.1f} / {pct(t, 99):.1f} |",
            flush=True,
        )
    if args.repeat > 1:  # shared_buffers hold a fraction of a large store: a query's first run reads the OS cache
        print("\nfirst run of each query (p50 / p95 ms): wall, client CPU, server CPU")
        for kind, items in qs.items():
            w, c, s = ([costs[q].first[i] for q in items] for i in range(3))
            print(
                f"  {kind}: {pct(w, 50):.1f} / {pct(w, 95):.1f}, {pct(c, 50):.1f} / {pct(c, 95):.1f}, "
                f"{pct(s, 50):.1f} / {pct(s, 95):.1f}"
            )
    print(f"\nload after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    worst = sorted(costs.items(), key=lambda kv: -kv[1].total)[: max(args.trace, 10)]
    print("\ncostliest queries (total CPU ms = client + server; wall ms):")
    for q, cost in worst:
        print(f"  {cost.total:7.1f} = {cost.client:6.1f} + {cost.server:6.1f}  wall {cost.wall:7.1f}  {q[:90]!r}")
    if args.trace:
        for q, _ in worst[: args.trace]:
            trace.on = True
            t0 = time.perf_counter()
            lookup(db, q, "fr", "en", limit=5)
            trace.on = False
            print(f"\ntraced {q[:80]!r}: {(time.perf_counter() - t0) * 1000:.1f} ms wall")
        print("\nstatements of the traced lookups, by form (count, total ms, max ms):")
        for name, times in sorted(trace.by_form.items(), key=lambda kv: -sum(kv[1])):
            print(f"  {len(times):5d} {sum(times):9.1f} {max(times):8.1f}  {name}")
    if args.explain:
        explain(db, trace.statements, args.explain, args.set)
    db.dispose()


if __name__ == "__main__":
    main()
