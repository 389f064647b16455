"""Run one benchmark suite: python -m bench SUITE [OPTIONS] (also `nato-tm bench SUITE [OPTIONS]`).

Suites: build (TMX files of N units), imports (nato-tm import: time, RSS, concurrent lookups),
lookup (latency and recall against brute force), terms (term recognition speed), tokenize (the
one-pass Moses scanner against sacremoses: equality on the corpora, speed),
http (gunicorn, 2 workers, wrk), pgcost (a PostgreSQL lookup's client and server CPU),
phases (where a SQLite import's time goes), report (the machine), calibrate (how fast the
machine is at an import's kinds of work, to compare figures across machines), instructions (an
import worker's instructions a unit, counted by callgrind: A/B of worker code without noise),
concordance (phrase search latency on a stored memory).
`python -m bench SUITE --help` tells each one's options.
Nothing here is imported by the service; the results and the commands are in BENCHMARKS.md.
"""

from __future__ import annotations

import importlib
import sys

SUITES = {
    "build": "bench.build",
    "imports": "bench.imports",
    "lookup": "bench.lookup",
    "terms": "bench.terms",
    "http": "bench.http",
    "tokenize": "bench.tokenize",
    "pgcost": "bench.pgcost",
    "phases": "bench.phases",
    "report": "bench.report",
    "calibrate": "bench.calibrate",
    "instructions": "bench.instructions",
    "concordance": "bench.concordance",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in SUITES:
        print(__doc__, file=sys.stderr)
        sys.exit(2 if len(sys.argv) > 1 and sys.argv[1] not in ("-h", "--help") else 0)
    suite, rest = sys.argv[1], sys.argv[2:]
    try:
        module = importlib.import_module(SUITES[suite])
    except ModuleNotFoundError as exc:
        sys.exit(f"suite {suite!r} is not available: {exc}")
    # Every suite parses sys.argv itself (argparse), as when run as python -m bench.<suite>.
    sys.argv = [f"python -m bench {suite}", *rest]
    module.main()


if __name__ == "__main__":
    main()
