"""HTTP benchmark: gunicorn with 2 workers on 127.0.0.1, driven by wrk (Debian package) with a Lua script.

    python -m bench http --db sqlite:////tmp/nato-bench/import-100000.sqlite3 [--duration 30] [--connections 8]
        [--worker-threads N]   # gunicorn's gthread worker with N threads (keep-alive) instead of the sync one
    python -m bench http --db URL --in-process   # no server: where a request's CPU goes (web layer vs lookup)

The store must exist (see `python -m bench imports`). Requests are GET /api/v1/tm/lookup over the
benchmark's queries (held-out real sentences, perturbed memory sentences, short queries), cycled in
order. Everything is bounded: one wrk run of --duration seconds, loopback only. The rate limits are
raised for the run (NATO_TM_RATE_LIMIT, NATO_TM_RATE_LIMIT_ADDRESS): one client address sends every request.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.build import WORK, corpus
from bench.lookup import queries

LUA = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local i = 0
local statuses = {}
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i - 1) % #paths + 1])
end
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_RESULT"), "w")
  out:write(string.format(
    '{"requests": %d, "seconds": %f, "p50": %f, "p90": %f, "p95": %f, "p99": %f, "max": %f, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "non2xx": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
  out:close()
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_paths(path: Path, count: int) -> int:
    qs = queries(corpus(10_000), count, random.Random(3))
    mixed = [q for kind in qs.values() for q in kind]
    random.Random(4).shuffle(mixed)
    with path.open("w") as out:
        for q in mixed:
            params = urllib.parse.urlencode({"q": q[:500], "from": "fr", "to": "en", "limit": 5})
            out.write(f"/api/v1/tm/lookup?{params}\n")
    return len(mixed)


def start_gunicorn(url: str, port: int, workers: int, threads: int = 0) -> subprocess.Popen[bytes]:
    exe = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    limit = "1000000 per minute"  # one client address sends everything: lift both per-client limits
    env = {
        **os.environ,
        "NATO_TM_DATABASE_URL": url,
        "NATO_TM_RATE_LIMIT": limit,
        "NATO_TM_RATE_LIMIT_ADDRESS": limit,
        "NATO_TM_SECRET_KEY": "bench-" + os.urandom(8).hex(),
    }
    cmd = [exe, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    if threads:  # the gthread worker keeps connections alive; the sync one closes each after its response
        cmd += ["-k", "gthread", "--threads", str(threads)]
    cmd.append("nato_tm.webapp:create_app()")
    log = (WORK / "gunicorn.log").open("ab")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/stats", timeout=5).read()
            return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    sys.exit("gunicorn did not answer within 120 s (see /tmp/nato-bench/gunicorn.log)")


def warm(port: int, paths: Path, count: int = 40) -> None:
    # Each worker loads its lazily imported modules on its first requests; do not time that.
    for line in paths.read_text().splitlines()[:count]:
        urllib.request.urlopen(f"http://127.0.0.1:{port}{line}", timeout=60).read()


def workers_cpu(master: int) -> float:
    """CPU seconds used so far by the gunicorn workers (children of the master)."""
    try:
        kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for pid in kids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every core, every process: /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


def children_cpu() -> float:
    """CPU seconds of the children this process has waited for (wrk, once each run has ended)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_wrk(port: int, paths: Path, duration: int, connections: int, threads: int) -> dict[str, float]:
    script = WORK / "lookup.lua"
    script.write_text(LUA)
    result = WORK / "wrk-result.json"
    result.unlink(missing_ok=True)
    env = {**os.environ, "BENCH_PATHS": str(paths), "BENCH_RESULT": str(result)}
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(script)]
    subprocess.run([*cmd, f"http://127.0.0.1:{port}"], env=env, check=True, stdout=subprocess.DEVNULL)
    doc: dict[str, float] = json.loads(result.read_text())
    return doc


def in_process(db: str, paths: Path, rounds: int) -> None:
    """Print where a lookup request's CPU goes in one process (Flask test client, no gunicorn, no wrk).

    The WSGI app and the lookup service are timed together over every URL; then the lookup is
    replaced by a replay of the results it gave, so that the web layer alone (routing, limiter,
    credentials, JSON, headers) is timed without the lookup's noise; the difference of the first
    two is larger, since between lookups the web code also runs with colder caches. Minimum over the rounds.
    """
    import nato_tm.services.tm_lookup as tm_lookup
    from nato_tm.webapp import create_app

    limit = "1000000 per minute"
    config = {"database_url": db, "secret_key": "bench", "RATELIMIT_DEFAULT": limit, "RATELIMIT_ADDRESS": limit}
    app = create_app(config)
    urls = paths.read_text().splitlines()
    real, spent, recorded = tm_lookup.lookup, {"wsgi": 0.0, "lookup": 0.0}, {}
    wsgi = app.wsgi_app

    def timed_wsgi(environ: Any, start_response: Any) -> Any:
        start = time.process_time()
        try:
            return wsgi(environ, start_response)
        finally:
            spent["wsgi"] += time.process_time() - start

    def timed_lookup(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            recorded[repr((args[1:], kwargs))] = doc = real(*args, **kwargs)
            return doc
        finally:
            spent["lookup"] += time.process_time() - start

    app.wsgi_app = timed_wsgi  # type: ignore[method-assign]
    client = app.test_client()
    tm_lookup.lookup = timed_lookup  # type: ignore[assignment]
    rows: dict[str, list[float]] = {"wsgi": [], "lookup": [], "replay": []}
    try:
        for rnd in range(rounds + 1):  # the first round warms the caches and records the results
            spent.update(wsgi=0.0, lookup=0.0)
            statuses = {client.get(url).status_code for url in urls}
            if rnd and statuses == {200}:
                rows["wsgi"].append(spent["wsgi"])
                rows["lookup"].append(spent["lookup"])
        tm_lookup.lookup = lambda *args, **kwargs: recorded[repr((args[1:], kwargs))]  # type: ignore[assignment]
        for _ in range(rounds):
            spent["wsgi"] = 0.0
            for url in urls:
                client.get(url)
            rows["replay"].append(spent["wsgi"])
    finally:
        tm_lookup.lookup = real  # type: ignore[assignment]
    if len(rows["wsgi"]) < rounds:
        sys.exit(f"some lookups did not answer 200: {sorted(statuses)}")
    ms = {k: 1000 * min(v) / len(urls) for k, v in rows.items()}
    print(f"{len(urls)} lookup URLs, {rounds} rounds, minimum CPU ms per request, load {load_average()}\n")
    print("| WSGI app | lookup service | web layer (difference) | web layer alone (lookup replayed) |")
    print("|---|---|---|---|")
    print(f"| {ms['wsgi']:.2f} | {ms['lookup']:.2f} | {ms['wsgi'] - ms['lookup']:.2f} | {ms['replay']:.3f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench http", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an existing store (database URL)")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load (bounded)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (it shares the 2 cores)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=0, help="gthread worker with N threads (0: sync)")
    parser.add_argument("--queries", type=int, default=300, help="queries of each kind")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--in-process", action="store_true", help="no server: the web layer's and the lookup's CPU")
    args = parser.parse_args(argv)
    if args.in_process:
        WORK.mkdir(parents=True, exist_ok=True)
        paths = WORK / "lookup-paths.txt"
        write_paths(paths, args.queries)
        in_process(args.db, paths, max(args.repeat, 3))
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    WORK.mkdir(parents=True, exist_ok=True)
    paths = WORK / "lookup-paths.txt"
    count = write_paths(paths, args.queries)
    port = free_port()
    server = start_gunicorn(args.db, port, args.workers, args.worker_threads)
    try:
        warm(port, paths)
        kind = f"gthread x {args.worker_threads}" if args.worker_threads else "sync"
        print(
            f"{count} distinct lookups, {args.connections} connections, {args.duration} s, "
            f"{args.workers} workers ({kind})\n"
        )
        # Worker CPU per request is what the load of other processes cannot inflate: 2 idle cores
        # serve at most 2000 / (CPU ms per request) lookups/s. wrk's own CPU comes off the same 2
        # cores; "others" is what every other process on the machine used meanwhile, in cores.
        print(
            "| run | load avg | requests | lookups/s | p50 ms | p90 ms | p95 ms | p99 ms | max ms | errors "
            "| worker CPU ms/req | 2-core capacity/s | wrk CPU ms/req | others, cores |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for i in range(args.repeat):
            load, cpu0, wrk0, busy0 = load_average(), workers_cpu(server.pid), children_cpu(), machine_busy()
            r = run_wrk(port, paths, args.duration, args.connections, args.threads)
            workers_s, wrk_s = workers_cpu(server.pid) - cpu0, children_cpu() - wrk0
            others = (machine_busy() - busy0 - workers_s - wrk_s) / r["seconds"]
            n = max(r["requests"], 1)
            cpu_ms = 1000 * workers_s / n
            errors = int(r["connect"] + r["read"] + r["write"] + r["timeout"] + r["non2xx"])
            print(
                f"| {i + 1} | {load} | {r['requests']:.0f} | {r['requests'] / r['seconds']:.0f} | {r['p50']:.1f} "
                f"| {r['p90']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.0f} | {errors} "
                f"| {cpu_ms:.1f} | {2000 / cpu_ms if cpu_ms else 0:.0f} | {1000 * wrk_s / n:.2f} | {others:.2f} |"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
