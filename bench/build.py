"""Benchmark memories: TMX files of N units from the real corpora, and stores imported from them.

The units are the (fr, en) pairs of ../shared/data/*.tsv that bench.lookup keeps (newstest held
out entirely, every tenth row of the other corpora held out as queries); beyond the ~245k real
pairs, derived variants of real pairs (a word dropped, numbers changed) fill up to N. Every unit
says what it is in a prop: ``x-bench-origin`` = the corpus file, or ``derived``.

    python -m bench build --n 100000            # writes /tmp/nato-bench/mem-100000.tmx
    python -m bench build --n 100000 --import   # and imports it into /tmp/nato-bench/mem-100000.sqlite3
    python -m bench build --n 100000 --style cat  # the same units as CAT tools write them: mem-100000-cat.tmx

``--style cat`` dresses the same units as files from CAT tools come: every tu dated, with its
author, in Trados's way (dates, ids and usage on the tu) or OmegaT's (dates and ids on each tuv),
alternately, and one unit in six with inline formatting tags (a ``bpt``/``ept`` pair around the
first word of each segment, as a bold run), so that an import pays what real files make it pay.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from bench.lookup import Corpus, load
from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.formats.tmx_write import write_footer, write_header, write_unit

WORK = Path("/tmp/nato-bench")
SEED = 1
ORIGIN_PROP = "x-bench-origin"


def corpus(n: int, seed: int = SEED) -> Corpus:
    """The benchmark corpus of N memory units and its held-out queries (same seed, same corpus)."""
    return load(n, random.Random(seed))


STYLES = ("plain", "cat")
CAT_START = datetime(2019, 1, 7, 8, 30, tzinfo=UTC)
CAT_USERS = ("jdupont", "mlefebvre", "asmith", "kwalker", "ROOT")
TAGGED = (0, 7)  # the units i with i % 12 in TAGGED have inline tags (--style cat): one in six, of either style
_FIRST_WORD = re.compile(r"\w+")


def tmx_path(n: int, style: str = "plain", seed: int = SEED) -> Path:
    """Where the N-unit TMX file of a style and corpus seed lives."""
    return WORK / f"mem-{n}{'' if seed == SEED else f'-seed{seed}'}{'' if style == 'plain' else '-' + style}.tmx"


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


def _bold_first_word(text: str) -> str | None:
    """The segment's inner XML with its first word in a bold run (bpt/ept), or None if it has no word."""
    found = _FIRST_WORD.search(text)
    if found is None:
        return None
    s, e = found.span()
    bold = f'<bpt i="1">&lt;b&gt;</bpt>{escape(text[s:e])}<ept i="1">&lt;/b&gt;</ept>'
    return escape(text[:s]) + bold + escape(text[e:])


def cat_record(i: int, fr: str, en: str, origin: str) -> UnitRecord:
    """One benchmark unit as a CAT tool writes it: dated and signed, in Trados's or OmegaT's way, sometimes tagged."""
    rec = record(i, fr, en, origin)
    created = CAT_START + timedelta(minutes=7 * i)
    changed = created + timedelta(days=i % 90, seconds=i % 3600)
    author, editor = CAT_USERS[i % len(CAT_USERS)], CAT_USERS[(i // 7) % len(CAT_USERS)]
    if i % 2 == 0:  # Trados: on the tu
        rec.created_at, rec.created_by, rec.changed_at, rec.changed_by = created, author, changed, editor
        rec.usage_count, rec.last_used_at = i % 5, changed + timedelta(days=3)
    else:  # OmegaT: on each tuv
        for v in rec.variants:
            v.created_at, v.created_by, v.changed_at, v.changed_by = created, author, changed, editor
    if i % 12 in TAGGED:
        for v in rec.variants:
            v.markup = _bold_first_word(v.text)
    return rec


def write_tmx(n: int, seed: int = SEED, style: str = "plain") -> Path:
    """Write the N-unit TMX file of a seed and style (once: an existing one is reused)."""
    path = tmx_path(n, style, seed)
    if path.exists():
        return path
    make = cat_record if style == "cat" else record
    mem = corpus(n, seed).memory
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as stream:
        write_header(stream, srclang="fr", props=[{"type": "x-bench", "value": f"n={n} seed={seed}"}])
        for i, (fr, en, origin) in enumerate(mem):
            write_unit(stream, make(i, fr, en, origin))
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
    parser.add_argument("--style", choices=STYLES, default="plain", help="cat: dated, signed, some tags")
    args = parser.parse_args(argv)
    for n in args.n or [10_000, 100_000, 1_000_000]:
        check_disk(4000 * n)
        t0 = time.perf_counter()
        path = write_tmx(n, seed=args.seed, style=args.style)
        print(f"{path}: {path.stat().st_size >> 20} MiB ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
