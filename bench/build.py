"""Benchmark memories: TMX files of N units from the real corpora, and stores imported from them.

The units are the (fr, en) pairs of ../shared/data/*.tsv that bench.lookup keeps (newstest held
out entirely, every tenth row of the other corpora held out as queries); beyond the ~245k real
pairs, derived variants of real pairs (a word dropped, numbers changed) fill up to N. Every unit
says what it is in a prop: ``x-bench-origin`` = the corpus file, or ``derived``.

    python -m bench build --n 100000            # writes /tmp/nato-bench/mem-100000.tmx
    python -m bench build --n 100000 --import   # and imports it into /tmp/nato-bench/mem-100000.sqlite3
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path

from bench.lookup import Corpus, load
from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.formats.tmx_write import write_footer, write_header, write_unit

WORK = Path("/tmp/nato-bench")
SEED = 1
ORIGIN_PROP = "x-bench-origin"


def corpus(n: int, seed: int = SEED) -> Corpus:
    """The benchmark corpus of N memory units and its held-out queries (same seed, same corpus)."""
    return load(n, random.Random(seed))


def tmx_path(n: int) -> Path:
    """Where the N-unit TMX file lives."""
    return WORK / f"mem-{n}.tmx"


def sqlite_path(n: int, tag: str = "") -> Path:
    """Where the N-unit SQLite store lives."""
    return WORK / f"mem-{n}{tag}.sqlite3"


def record(i: int, fr: str, en: str, origin: str) -> UnitRecord:
    """One benchmark unit; its origin (corpus or ``derived``) is kept in a prop."""
    label = "derived" if origin == "bench:derived" else origin.removeprefix("bench:")
    return UnitRecord(
        variants=[VariantRecord("fr", fr), VariantRecord("en", en)],
        tuid=f"b{i}",
        srclang="fr",
        props=[{"type": ORIGIN_PROP, "value": label}],
    )


def write_tmx(n: int, path: Path | None = None, seed: int = SEED) -> Path:
    """Write the N-unit TMX file (once: an existing file of the same N is reused)."""
    path = path or tmx_path(n)
    if path.exists():
        return path
    mem = corpus(n, seed).memory
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as stream:
        write_header(stream, srclang="fr", props=[{"type": "x-bench", "value": f"n={n} seed={seed}"}])
        for i, (fr, en, origin) in enumerate(mem):
            write_unit(stream, record(i, fr, en, origin))
        write_footer(stream)
    tmp.rename(path)
    return path


def check_disk(need_bytes: int) -> None:
    """Refuse to build when /tmp lacks room (the 1M-unit file and store take a few GB)."""
    WORK.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(WORK).free
    if free < need_bytes:
        sys.exit(f"only {free >> 20} MiB free under {WORK}; need {need_bytes >> 20} MiB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench build", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="units (repeatable; default 10k, 100k, 1M)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    for n in args.n or [10_000, 100_000, 1_000_000]:
        check_disk(4000 * n)
        t0 = time.perf_counter()
        path = write_tmx(n, seed=args.seed)
        print(f"{path}: {path.stat().st_size >> 20} MiB ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
