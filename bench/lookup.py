"""Lookup benchmark: latency and recall of the indexed lookup against brute force over every unit.

Run from the repository root:  python -m bench.lookup --n 10000 [--pg postgresql://...] [--queries 300]

* Memory: N real (fr, en) pairs from ../shared/data/*.tsv (newstest held out entirely, every tenth
  row of the others held out); beyond the real pairs, derived units (a real pair with a word
  dropped and its numbers changed) labelled origin "bench:derived".
* Queries (French, fr -> en): held-out real sentences, perturbed copies of memory sentences
  (1-3 words substituted, inserted or deleted, numbers changed) and short queries (1-3 words).
* Latency: in-process nato_tm.services.tm_lookup.lookup (min 50, limit 5), p50/p95/p99 wall time,
  and this process's CPU time (SQLite runs in-process; a PostgreSQL server's CPU is not in it).
  Each kind's lookups run back to back, as in a server; the brute force runs after them.
* Baseline: what a user would script, rapidfuzz.process.extract(query, all French texts, limit=5)
  (its default scorer, WRatio).
* Recall: brute force with the service's own scorer (rapidfuzz.process.extract over every unit's
  content keys with Levenshtein.normalized_similarity >= 0.75 -- an upper bound of the score --
  then tm_score.score on the survivors); for each query, of the brute-force top 5 scoring >= 75,
  the share the service matches (the service's i-th best score is at least brute force's i-th).
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine

from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.services.tm_lookup import lookup
from nato_tm.services.tm_score import score
from nato_tm.store import migrate
from nato_tm.store.db import Database
from nato_tm.store.memory_repo import save_units
from nato_tm.text.placeables import analyse

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HELD_OUT_FILES = ("newstest-2008-2010.en-fr.tsv",)
csv.field_size_limit(10_000_000)


@dataclass
class Corpus:
    memory: list[tuple[str, str, str]] = field(default_factory=list)  # (fr, en, origin)
    held_out: list[str] = field(default_factory=list)


def read_pairs(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = csv.reader(stream, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows)
        fr, en = header.index("fr"), header.index("en")
        for row in rows:
            if len(row) > max(fr, en) and row[fr].strip() and row[en].strip():
                yield row[fr], row[en]


def load(n: int, rng: random.Random) -> Corpus:
    corpus = Corpus()
    for path in sorted(DATA.glob("*.tsv")):
        for i, (fr, en) in enumerate(read_pairs(path)):
            if path.name in HELD_OUT_FILES or i % 10 == 0:
                corpus.held_out.append(fr)
            else:
                corpus.memory.append((fr, en, f"bench:{path.stem}"))
    rng.shuffle(corpus.memory)
    real = corpus.memory[:n]
    derived: list[tuple[str, str, str]] = []
    while len(real) + len(derived) < n:
        fr, en, _ = real[len(derived) % len(real)]
        derived.append((derive(fr, rng), derive(en, rng), "bench:derived"))
    corpus.memory = real + derived
    return corpus


def change_numbers(s: str, rng: random.Random) -> str:
    return re.sub(r"\d+", lambda m: str(rng.randint(1, 10 ** len(m.group(0)))), s)


def derive(s: str, rng: random.Random) -> str:
    words = s.split()
    if len(words) > 3:
        del words[rng.randrange(len(words))]
    return change_numbers(" ".join(words), rng) + f" {rng.randint(1, 999)}"


def perturb(s: str, vocab: list[str], rng: random.Random) -> str:
    words = s.split()
    for _ in range(rng.randint(1, 3)):
        op = rng.choice("sid") if len(words) > 1 else "s"
        at = rng.randrange(len(words))
        if op == "s":
            words[at] = rng.choice(vocab)
        elif op == "i":
            words.insert(at, rng.choice(vocab))
        else:
            del words[at]
    return change_numbers(" ".join(words), rng) if rng.random() < 0.3 else " ".join(words)


def build(db: Database, corpus: Corpus, batch: int = 2000) -> float:
    migrate.upgrade(db)
    start = time.perf_counter()
    for i in range(0, len(corpus.memory), batch):
        records = [
            UnitRecord(variants=[VariantRecord("fr", fr), VariantRecord("en", en)], origin=origin)
            for fr, en, origin in corpus.memory[i : i + batch]
        ]
        with db.session() as session:
            save_units(session, records)
        print(f"\r  imported {min(i + batch, len(corpus.memory))}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return time.perf_counter() - start


def queries(corpus: Corpus, count: int, rng: random.Random) -> dict[str, list[str]]:
    vocab = [w for fr, _, _ in corpus.memory[:5000] for w in fr.split() if w.isalpha()]
    mem = [fr for fr, _, _ in corpus.memory]
    short_mem = [s for s in mem if 1 <= len(s.split()) <= 3]
    short_held = [s for s in corpus.held_out if 1 <= len(s.split()) <= 3]
    held = [s for s in corpus.held_out if len(s.split()) > 3]
    return {
        "held-out": rng.sample(held, min(count, len(held))),
        "perturbed": [perturb(s, vocab, rng) for s in rng.sample(mem, min(count, len(mem)))],
        "short": rng.sample(short_mem, min(count // 2, len(short_mem)))
        + rng.sample(short_held, min(count // 2, len(short_held))),
    }


def brute_force(q: str, keys: list[tuple[str, ...]], texts: list[str], ids: list[int]) -> list[tuple[int, int]]:
    qa = analyse(q, "fr")
    found = process.extract(qa.keys, keys, scorer=Levenshtein.normalized_similarity, score_cutoff=0.75, limit=None)
    scored = [(score(qa, analyse(texts[i], "fr"), q, texts[i]).value, ids[i]) for _, _, i in found]
    return sorted((s for s in scored if s[0] >= 75), reverse=True)


def penalties(db: Database) -> dict[int, int]:
    """The service's several-translations point: 1 for each French variant whose key has several English texts."""
    sql = (
        "SELECT s.id, s.key_hash, t.text FROM variant s JOIN variant t ON t.unit_id = s.unit_id"
        " WHERE s.lang = 'fr' AND t.lang = 'en'"
    )
    with db.engine.connect() as conn:
        rows = conn.execute(text(sql)).all()
    targets: dict[str, set[str]] = {}
    for _, kh, target in rows:
        targets.setdefault(kh, set()).add(" ".join(target.split()))
    return {vid: 1 for vid, kh, _ in rows if len(targets[kh]) > 1}


def hits(want: list[int], got: list[int]) -> int:
    """How many of the brute force's i-th best scores the service matches at its i-th best or higher."""
    return sum(1 for i, s in enumerate(want) if i < len(got) and got[i] >= s)


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def run(db: Database, qs: dict[str, list[str]], limit: int, baseline_queries: int = 50) -> None:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, text FROM variant WHERE lang = 'fr' ORDER BY id")).all()
    ids, texts = [r[0] for r in rows], [r[1] for r in rows]
    keys = [analyse(t, "fr").keys for t in texts]
    penalty = penalties(db)
    # The brute force's millions of objects are no part of the service: without this, every full
    # collection walks them, inside the timed lookups (at 1M units, 170 ms of CPU per lookup).
    gc.freeze()
    for q in ("warm-up", "Bonjour", texts[0]):
        lookup(db, q, "fr", "en")
    head = "| kind | queries | p50 ms | p95 ms | p99 ms | CPU p50 / p95 ms | baseline p50 ms (sample) | recall >=75 |"
    print(head + " bf matches | recall >=75, final scores | bf matches (final) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, items in qs.items():
        lat, cpu, base, found, wanted, found_final, wanted_final = [], [], [], 0, 0, 0, 0
        results = []
        # Timed back to back, as a server runs them: a brute-force pass over every unit between two
        # lookups would evict the caches the next lookup runs in (that cost no server pays).
        for q in items:
            t0, c0 = time.perf_counter(), time.process_time()
            results.append(lookup(db, q, "fr", "en", limit=limit))
            lat.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        for q, res in zip(items, results, strict=True):
            if len(base) < baseline_queries:  # the baseline grows with N: timing a sample is enough
                t0 = time.perf_counter()
                process.extract(q, texts, limit=limit)
                base.append((time.perf_counter() - t0) * 1000)
            everything = brute_force(q, keys, texts, ids)
            bf = [s for s, _ in everything[:limit]]
            raw, final = {}, {}
            for m in res.matches:  # the service's own score before the several-translations penalty
                raw.setdefault(m.source_variant_id, m.score + (1 if "translations" in m.differences else 0))
                final.setdefault(m.source_variant_id, m.score)
            svc = sorted(raw.values(), reverse=True)
            wanted += len(bf)
            hit = hits(bf, svc)
            found += hit
            # Ranked as the service ranks: after the point for several translations (a 75 may become a 74).
            bf_final = sorted((s - (penalty.get(v, 0) if s < 101 else 0) for s, v in everything), reverse=True)
            bf_final = [s for s in bf_final[:limit] if s >= 75]
            wanted_final += len(bf_final)
            got_final = sorted(final.values(), reverse=True)
            found_final += hits(bf_final, got_final)
            if hits(bf_final, got_final) < len(bf_final):
                print(f"MISS (final) {kind}: {q!r} brute force {bf_final} service {got_final}", file=sys.stderr)
            if hit < len(bf):
                print(f"MISS {kind}: {q!r} brute force {bf} service {svc}", file=sys.stderr)
        recall = f"{100 * found / wanted:.2f}%" if wanted else "n/a"
        recall_final = f"{100 * found_final / wanted_final:.2f}%" if wanted_final else "n/a"
        print(
            f"| {kind} | {len(items)} | {pct(lat, 50):.1f} | {pct(lat, 95):.1f} | {pct(lat, 99):.1f} "
            f"| {pct(cpu, 50):.1f} / {pct(cpu, 95):.1f} | {pct(base, 50):.1f} | {recall} | {wanted} "
            f"| {recall_final} | {wanted_final} |"
        )


def pg_admin(url: str) -> Engine:
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")


def pg_database(url: str) -> tuple[Database, str]:
    name = f"nato_tm_bench_{uuid.uuid4().hex[:8]}"
    with pg_admin(url).connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return Database(make_url(url).set(database=name).render_as_string(False)), name


def pg_drop(url: str, name: str) -> None:
    with pg_admin(url).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="units in the memory")
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default=None, help="also run on PostgreSQL (server URL; a database is created)")
    parser.add_argument("--baseline-queries", type=int, default=50, help="queries of each kind timed for the baseline")
    parser.add_argument("--pg-only", action="store_true", help="skip SQLite")
    parser.add_argument("--keep", default=None, help="SQLite file to build (and keep) instead of a temporary one")
    parser.add_argument("--db", default=None, help="an existing store (any URL) built with the same --n, --seed")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"shared data not found at {DATA}")
    rng = random.Random(args.seed)
    corpus = load(args.n, rng)
    qs = queries(corpus, args.queries, rng)
    derived = sum(1 for *_, o in corpus.memory if o == "bench:derived")
    print(f"N = {len(corpus.memory)} units ({derived} derived), {sum(map(len, qs.values()))} queries\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or f"{tmp}/bench.sqlite3"
        targets = [] if args.pg_only or args.db else [("sqlite", Database(f"sqlite:///{path}"))]
        if args.db:
            db = Database(args.db)
            targets.append((db.engine.dialect.name, db))
        pg_name = None
        if args.pg:
            pg_db, pg_name = pg_database(args.pg)
            targets.append(("postgresql", pg_db))
        try:
            measure(targets, corpus, qs, args.limit, args.baseline_queries)
        finally:
            if args.pg and pg_name:
                pg_drop(args.pg, pg_name)


def measure(
    targets: list[tuple[str, Database]], corpus: Corpus, qs: dict[str, list[str]], limit: int, baseline_queries: int
) -> None:
    for name, db in targets:
        fresh = migrate.current(db) is None
        took = build(db, corpus) if fresh else 0.0
        # After a bulk load: statistics, and (PostgreSQL) the visibility map for index-only scans.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if name == "postgresql" else "ANALYZE"))
        print(f"### {name}: built in {took:.0f} s\n" if fresh else f"### {name}: reused\n", flush=True)
        run(db, qs, limit, baseline_queries)
        print(flush=True)
        db.dispose()


if __name__ == "__main__":
    main()
