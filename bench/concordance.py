"""Concordance search latency on a stored memory (not a target of issue 6; what a translator does at scale).

    python -m bench concordance --db sqlite:////tmp/nato-bench/import-1000000.sqlite3 [--phrases 100]

Phrases of one, two and three words are cut from held-out French sentences (never imported), so
they range from the commonest words ("de", "il y a") to rare ones; each is searched three times
(``concordance.concordance``, both languages, 50 hits at most) and its least wall time kept.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time

from bench.build import corpus
from nato_tm.services.concordance import concordance
from nato_tm.store.db import Database

_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def phrases(sentences: list[str], count: int, words: int, rng: random.Random) -> list[str]:
    """``count`` runs of ``words`` consecutive words from ``sentences``."""
    out: list[str] = []
    while len(out) < count:
        found = _WORDS.findall(rng.choice(sentences))
        if len(found) >= words:
            at = rng.randrange(len(found) - words + 1)
            out.append(" ".join(found[at : at + words]))
    return out


def best_ms(db: Database, phrase: str) -> tuple[float, int, bool]:
    """The least wall time of three searches, in ms, with the hits and whether they were cut at 50."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = concordance(db, phrase)
        best = min(best, time.perf_counter() - start)
    return best * 1000, len(result.hits), result.truncated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="a store URL (e.g. the one bench imports built)")
    parser.add_argument("--phrases", type=int, default=100, help="phrases of each length")
    args = parser.parse_args()
    db = Database(args.db)
    held_out = corpus(10_000).held_out  # read once: it parses every corpus file of ../shared/data
    rng = random.Random(5)
    print("| words | phrases | p50 ms | p95 ms | p99 ms | max ms | slowest | phrases with 50 hits (cut) |")
    print("|---|---|---|---|---|---|---|---|")
    for words in (1, 2, 3):
        timed = [(best_ms(db, p), p) for p in phrases(held_out, args.phrases, words, rng)]
        ms = sorted(t[0][0] for t in timed)
        slowest = max(timed)[1]
        cut = sum(1 for t in timed if t[0][2])
        q = statistics.quantiles(ms, n=100)
        print(f"| {words} | {len(ms)} | {q[49]:.1f} | {q[94]:.1f} | {q[98]:.1f} | {ms[-1]:.1f} | {slowest!r} | {cut} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
