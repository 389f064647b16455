"""Check the one-pass Moses scanner against sacremoses on every corpus segment, and time both.

    cd /work/main && python -m bench tokenize [--limit N] [--passes 3]

Every fr and en segment of ../shared/data/*.tsv is canonicalised as the pipeline does, then
tokenised by sacremoses (``tokenize(escape=False, aggressive_dash_splits=False)``) and by
``MosesSpans``; any difference is printed (the exit status is 1 if there is one). Segments that
``MosesSpans`` hands to sacremoses itself are counted. The timing passes give the median per
segment of: sacremoses alone, the scanner alone, and the whole ``pipeline.tokenize`` (cache
cleared, so every segment is tokenised for real).
"""

from __future__ import annotations

import argparse
import csv
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sacremoses import MosesTokenizer

from nato_tm.text import pipeline
from nato_tm.text.moses import _HARD, MosesSpans

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def corpus(limit: int | None) -> dict[str, list[str]]:
    """The canonical fr and en segments of every corpus file."""
    csv.field_size_limit(sys.maxsize)
    out: dict[str, list[str]] = {"fr": [], "en": []}
    for path in sorted(DATA.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as stream:
            for i, row in enumerate(csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE)):
                if limit is not None and i >= limit:
                    break
                for lang in out:
                    out[lang].append(pipeline.canonical(row[lang] or ""))
    return out


def check(segments: dict[str, list[str]]) -> int:
    """Compare the two tokenizers on every segment; return the number of differences."""
    differences = 0
    for lang, texts in segments.items():
        moses = MosesTokenizer(lang=lang)
        fast = MosesSpans(moses, lang)
        hard = sum(1 for t in texts if _HARD.search(t))
        for text in texts:
            expected = moses.tokenize(text, escape=False, aggressive_dash_splits=False)
            if fast.tokens(text) != expected:
                differences += 1
                print(f"  DIFFERENT ({lang}): {text!r}\n    sacremoses {expected}\n    scanner    {fast.tokens(text)}")
        print(f"{lang}: {len(texts)} segments compared, {hard} handed to sacremoses itself")
    return differences


def per_segment(texts: list[str], run: Callable[[str], object], passes: int) -> float:
    """Median over passes of the mean CPU microseconds per segment."""
    means = []
    for _ in range(passes):
        pipeline.tokenize.cache_clear()
        t0 = time.process_time()
        for text in texts:
            run(text)
        means.append((time.process_time() - t0) / len(texts) * 1e6)
    return statistics.median(means)


def timing(segments: dict[str, list[str]], passes: int, sample: int) -> None:
    """Print the CPU cost per segment of sacremoses, the scanner and the whole pipeline."""
    for lang, texts in segments.items():
        step = max(1, len(texts) // sample)
        texts = texts[::step][:sample]
        moses = MosesTokenizer(lang=lang)
        fast = MosesSpans(moses, lang)
        slow = per_segment(texts, functools.partial(moses.tokenize, escape=False, aggressive_dash_splits=False), passes)
        quick = per_segment(texts, fast.spans, passes)
        whole = per_segment(texts, functools.partial(pipeline.tokenize, lang=lang), passes)
        print(
            f"{lang}: {len(texts)} segments, CPU µs/segment (median of {passes}): sacremoses {slow:.1f}, "
            f"scanner {quick:.1f} ({slow / quick:.1f}× faster), pipeline.tokenize {whole:.1f}"
        )


def main() -> None:
    """Parse the options, check equality on the corpus, then time."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="rows per corpus file (default: all)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20_000, help="segments per language in the timing passes")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"shared data not found at {DATA}")
    segments = corpus(args.limit)
    differences = check(segments)
    timing(segments, args.passes, args.sample)
    print(f"{differences} differences")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
