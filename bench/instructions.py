"""Instructions an import worker executes a unit, counted by callgrind: an A/B of worker code that noise cannot blur.

    python -m bench instructions [--n 1000000] [--style plain|cat] [--runs 2 --runs 8]

Timings of the same code on these shared machines spread by 10-20 % within minutes, more than most
changes to the workers' code gain. valgrind's callgrind counts the instructions a program executes:
the same count for the same interpreter, code and input, whatever else the machine is doing. This
runs the workers' code as ``calibrate`` does (``import_workers.ready_items`` over runs of the N-unit
bench file, after a warm-up) under callgrind twice, over the first A and then B runs; the difference
of the two counts over the difference of their units is the instructions of a unit, with the
interpreter's start, the imports and the warm-up cancelled out. Run it on each side of a change.
It needs valgrind (Debian's package); callgrind runs code about 50 times slower, so each count takes
minutes (the two run side by side).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.build import STYLES

ROOT = Path(__file__).resolve().parents[1]
_TOTAL = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


def child(n: int, runs: int, style: str) -> None:
    """Analyse ``runs`` runs of the file after the warm-up and print how many units they held."""
    from bench.calibrate import worker_inputs, worker_units
    from nato_tm.services.importer import fewer_collections

    work = worker_units(*worker_inputs(n, runs, style))
    with fewer_collections():
        print(f"units={work()}")


def count(n: int, runs_list: list[int], style: str) -> list[tuple[int, int, int]]:
    """(runs, units, instructions) for each run count, counted side by side under callgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        for runs in runs_list:
            out = Path(tmp) / f"callgrind-{runs}.out"
            cmd = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m",
                   "bench.instructions", "--child", str(runs), "--n", str(n), "--style", style]  # fmt: skip
            procs.append((runs, out, subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        found = []
        for runs, out, proc in procs:
            stdout, stderr = proc.communicate()
            units = re.search(rb"units=(\d+)", stdout)
            total = _TOTAL.search(out.read_bytes()) if out.exists() else None
            if proc.returncode or units is None or total is None:
                sys.exit(f"the count over {runs} runs failed:\n{stderr.decode(errors='replace')[-2000:]}")
            found.append((runs, int(units.group(1)), int(total.group(1))))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="the bench file (built if missing)")
    parser.add_argument("--style", choices=STYLES, default="plain", help="the bench file's style (bench build --style)")
    parser.add_argument("--runs", type=int, action="append", help="two run counts (default 2 and 8)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.n, args.child, args.style)
        return
    runs = sorted(args.runs or [2, 8])
    if len(runs) != 2 or runs[0] == runs[1]:
        parser.error("give two different --runs")
    (a, ua, ia), (b, ub, ib) = count(args.n, runs, args.style)
    print(f"| runs | units | instructions |\n|---|---|---|\n| {a} | {ua:,} | {ia:,} |\n| {b} | {ub:,} | {ib:,} |")
    print(f"instructions a unit ({args.style} file, N={args.n}): {(ib - ia) / max(ub - ua, 1):,.0f}")


if __name__ == "__main__":
    main()
