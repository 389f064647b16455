"""Benchmark term recognition and term search, on the shipped base and on a 50,000-term base.

    cd /work/main && python -m bench.terms [--db URL] [--terms 50000] [--segments 3000]

(Run it as a module: bench/http.py would shadow the standard library's http as a script.)

--db must name an EMPTY database (it is migrated and filled); by default a temporary SQLite file.
The large base is the shipped base plus PSEUDO-TERMS: short user-interface strings (1 to 5 words,
letters only) from ../shared/data/software-strings.en-fr.tsv, then short tatoeba sentences, each
pair saved as one concept «pseudo-NNNNN» (subject field «pseudo-terms»). They are not terminology;
they only give the automaton and the fuzzy search a realistic size and vocabulary.
Segments are real sentences: the seed article (split into sentences), newstest 2008-2010 (news,
about 25 words) and tatoeba (short everyday sentences, about 8 words).
The tokenizer's cache is cleared before every timed pass, so each segment is tokenised for real;
the per-word caches (stems, keys) are warmed by one untimed pass first, as in a running server.
A set smaller than 1,000 segments (the seed article's 24 sentences) is timed over as many passes
as give 1,000 calls: one pass of 24 calls is a few milliseconds, where one pause of the machine
moved the figure by half (a single 4 ms call among 24 of 0.19 ms read as 2,800 segments/s).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from nato_tm import resources
from nato_tm.formats.records import ConceptRecord, LangRecord, TermRecord
from nato_tm.services.recognize import recognize, recognize_many, term_index
from nato_tm.services.setup import init_store
from nato_tm.services.stats import stats
from nato_tm.services.term_search import search_terms
from nato_tm.store.db import Database
from nato_tm.store.termbase_repo import save_concepts
from nato_tm.text.pipeline import tokenize
from nato_tm.text.sentences import sentences

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_PLAIN = re.compile(r"^[^\W\d_]+(?:[ '’-][^\W\d_]+){0,4}$")
MIN_CALLS = 1000
QUERIES = ["EMI", "sécurité coopérative", "pays partenaires", "Comité mil", "securite cooperatve", "IMS", "save fil"]


def tsv(name: str, limit: int | None = None) -> Iterator[list[str]]:
    with (DATA / name).open(encoding="utf-8") as f:
        next(f)
        for n, line in enumerate(f):
            if limit is not None and n >= limit:
                return
            yield line.rstrip("\n").split("\t")


def article_segments(lang: str) -> list[str]:
    text = (resources.termbase() / "seed" / f"article-2022-11-09.{lang}.txt").read_text(encoding="utf-8")
    return sentences(text, lang)


def news_segments(lang: str, count: int) -> list[str]:
    col = 0 if lang == "en" else 1
    return [row[col] for row in tsv("newstest-2008-2010.en-fr.tsv", count)]


def short_segments(lang: str, count: int) -> list[str]:
    col = 0 if lang == "en" else 1
    # From the end of the file: pseudo-terms, if they ever reach tatoeba, come from its start.
    rows = list(tsv("tatoeba-2017.en-fr.tsv"))[-count:]
    return [row[col] for row in rows]


def pseudo_pairs() -> Iterator[tuple[str, str, str]]:
    seen: set[str] = set()
    for name in ("software-strings.en-fr.tsv", "tatoeba-2017.en-fr.tsv"):
        for row in tsv(name):
            en, fr = row[0].strip().rstrip(".!?"), row[1].strip().rstrip(".!? \u00a0\u202f")
            if _PLAIN.match(en) and _PLAIN.match(fr) and 3 <= len(en) <= 60 and en.casefold() not in seen:
                seen.add(en.casefold())
                yield en, fr, name


def add_pseudo_terms(db: Database, target_terms: int) -> int:
    have = stats(db).terms
    batch: list[ConceptRecord] = []
    added = 0
    for n, (en, fr, origin) in enumerate(pseudo_pairs()):
        if have + added >= target_terms:
            break
        batch.append(
            ConceptRecord(
                id=f"pseudo-{n:05d}",
                subject_fields=["pseudo-terms"],
                source=f"pseudo-term for benchmarking only, from {origin}",
                langs=[LangRecord("en", terms=[TermRecord(en, "en")]), LangRecord("fr", terms=[TermRecord(fr, "fr")])],
            )
        )
        added += 2
        if len(batch) == 1000:
            with db.session() as s:
                save_concepts(s, batch)
            batch = []
    if batch:
        with db.session() as s:
            save_concepts(s, batch)
    return added


def timed(label: str, segments: list[str], run: Callable[[str], object], passes: int = 1) -> list[float]:
    cpu = time.process_time()
    times = []
    for _ in range(passes):
        tokenize.cache_clear()  # every pass tokenises every segment for real
        for seg in segments:
            t0 = time.perf_counter()
            run(seg)
            times.append(time.perf_counter() - t0)
    total, calls = sum(times), len(times)
    ms = sorted(t * 1000 for t in times)
    print(
        f"  {label:<44} {calls:>5} calls {calls / total:>8.0f} seg/s  "
        f"mean {statistics.fmean(ms):.3f} ms  p50 {ms[calls // 2]:.3f}  p95 {ms[int(calls * 0.95)]:.3f}  "
        f"max {ms[-1]:.3f} ms  (CPU of this process: {(time.process_time() - cpu) / calls * 1000:.3f} ms/seg)"
    )
    return times


def passes_for(segments: list[str]) -> int:
    """Passes over a small set (the seed article: 24 sentences) so that a figure rests on >= MIN_CALLS calls."""
    return max(1, -(-MIN_CALLS // max(1, len(segments))))


def recognition(db: Database, segments: dict[str, list[str]]) -> None:
    for name, segs in segments.items():
        lang, passes = name[:2], passes_for(segs)
        # One untimed pass first: the per-word caches (stems, keys) are warm, as in a running
        # server; the per-segment tokenize cache is cleared before every timed pass.
        recognize_many(db, segs, lang)
        timed(f"recognize() per call, {name}", segs, lambda s, lang=lang: recognize(db, s, lang), passes)  # type: ignore[misc]
        took = cpu = 0.0
        for _ in range(passes):
            tokenize.cache_clear()
            t0, c0 = time.perf_counter(), time.process_time()
            recognize_many(db, segs, lang)
            took, cpu = took + time.perf_counter() - t0, cpu + time.process_time() - c0
        calls = len(segs) * passes
        label = "recognize_many() batch, " + name
        print(f"  {label:<44} {calls:>5} calls {calls / took:>8.0f} seg/s  (CPU: {calls / cpu:.0f} seg/s)")
        timed(f"tokenize only (pipeline), {name}", segs, lambda s, lang=lang: tokenize(s, lang), passes)  # type: ignore[misc]


def searching(db: Database) -> None:
    for query in QUERIES:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            doc = search_terms(db, query)
            times.append(time.perf_counter() - t0)
        kinds = ",".join(sorted({r.match for r in doc.results})) or "-"
        median = statistics.median(times) * 1000
        print(f"  search {query!r:<26} median {median:7.2f} ms  {len(doc.results)} results ({kinds})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--terms", type=int, default=50_000)
    parser.add_argument("--segments", type=int, default=3000)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"shared data not found at {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.db or f"sqlite:///{tmp}/bench.sqlite3")
        init_store(db)
        segments = {
            "fr article sentences": article_segments("fr"),
            "en article sentences": article_segments("en"),
            "fr newstest": news_segments("fr", args.segments),
            "en newstest": news_segments("en", args.segments),
            "fr tatoeba (short)": short_segments("fr", args.segments),
            "en tatoeba (short)": short_segments("en", args.segments),
        }
        print(f"backend {db.dialect}; shipped base: {stats(db).terms} terms")
        t0 = time.perf_counter()
        term_index(db)
        print(f"  automaton build: {time.perf_counter() - t0:.2f} s")
        recognition(db, segments)
        searching(db)
        t0 = time.perf_counter()
        added = add_pseudo_terms(db, args.terms)
        print(f"\nadded {added} pseudo-terms in {time.perf_counter() - t0:.1f} s; base: {stats(db).terms} terms")
        t0 = time.perf_counter()
        term_index(db)
        print(f"  automaton build: {time.perf_counter() - t0:.2f} s")
        recognition(db, {k: v for k, v in segments.items() if "article" not in k})
        searching(db)
        db.dispose()


if __name__ == "__main__":
    main()
