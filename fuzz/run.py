"""Run the fuzzers outside CI: ``nice python -m fuzz.run --inputs 1000000 [--engine mutate|hypothesis|atheris]``.

Every input goes to one target (TMX, TBX, TSV, glossary readers, text pipeline); a target may only
raise NatoTmError. Anything else is a finding: its input is saved under ``fuzz/findings/`` and the
run goes on. The summary (inputs per target, findings) is printed as JSON at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from fuzz import gen
from fuzz.targets import TARGETS

FINDINGS = Path(__file__).resolve().parent / "findings"


class Tally:
    """Counts inputs per target and keeps one saved input per distinct failure."""

    def __init__(self) -> None:
        self.inputs: Counter[str] = Counter()
        self.findings: dict[str, str] = {}

    def run(self, target: str, data: bytes) -> None:
        """Feed one input to a target, recording an unexpected exception."""
        self.inputs[target] += 1
        total = sum(self.inputs.values())
        if total % 10_000 == 0:
            counts = dict(self.inputs)
            print(f"progress {total} inputs {counts} findings {len(self.findings)}", file=sys.stderr, flush=True)
        try:
            TARGETS[target](data)
        except Exception as exc:  # a finding: anything but NatoTmError escaped
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{target}:{type(exc).__name__}:{Path(frame.filename).name}:{frame.lineno}"
            if key not in self.findings:
                FINDINGS.mkdir(exist_ok=True)
                path = FINDINGS / f"{target}-{hashlib.sha1(data).hexdigest()[:12]}.bin"
                path.write_bytes(data)
                self.findings[key] = f"{exc!r}"[:300] + f" (input: {path.name})"
                print(f"FINDING {key}: {exc!r}"[:400], file=sys.stderr, flush=True)


# The pipeline costs ~100 times a reader per input (Moses tokenisation), so it gets fewer inputs.
SCHEDULE = ["tmx", "tbx"] * 6 + ["tsv", "glossary"] * 3 + ["pipeline"]


def run_mutate(tally: Tally, n: int, seed: int) -> None:
    """Corpus mutation, round robin over the targets."""
    rng = random.Random(seed)
    pool = gen.corpus()
    for i in range(n):
        target = SCHEDULE[i % len(SCHEDULE)]
        data = gen.mutate(rng, rng.choice(pool), pool)
        tally.run(target, data[:200] if target == "pipeline" else data)


def _feeder(tally: Tally, target: str):  # type: ignore[no-untyped-def]
    def feed(data: bytes) -> None:
        tally.run(target, data)

    return feed


def run_hypothesis(tally: Tally, n: int, seed: int) -> None:
    """Structured documents from hypothesis strategies (TMX and TBX vocabularies) and free text."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    plans = [
        ("tmx", gen.document(gen.TMX_TAGS, "tmx")),
        ("tbx", gen.document(gen.TBX_TAGS, "tbx")),
        ("pipeline", st.text(max_size=80).map(lambda s: s.encode("utf-8", "surrogatepass"))),
    ]
    per = n // len(plans)
    for target, strategy in plans:
        done = 0
        while done < per:
            chunk = min(50_000, per - done)
            conf = settings(
                max_examples=chunk,
                deadline=None,
                database=None,
                derandomize=False,
                suppress_health_check=list(HealthCheck),
            )

            one = hseed(seed + done)(conf(given(strategy)(_feeder(tally, target))))
            one()
            done += chunk


def run_atheris(tally: Tally, n: int, seed: int) -> None:
    """Coverage-guided (Python coverage of nato_tm) with atheris/libFuzzer; the first byte picks the target."""
    import atheris

    # Readers only: the pipeline under per-line coverage tracing runs at a few inputs a second.
    readers = [t for t in SCHEDULE if t != "pipeline"]

    def one(data: bytes) -> None:
        if data:
            tally.run(readers[data[0] % len(readers)], data[1:])

    atheris.instrument_all()  # the readers are imported already: instrument the loaded code
    seeds = Path(tempfile.mkdtemp(prefix="fuzz-corpus-"))
    for i, data in enumerate(gen.corpus()):
        for k, target in enumerate(("tmx", "tbx", "tsv", "glossary")):  # a byte choosing the target, then the file
            pick = readers.index(target)
            (seeds / f"{i}-{k}").write_bytes(bytes([pick]) + data[:2048])
    argv = [sys.argv[0], f"-runs={n}", f"-seed={seed}", "-max_len=2048", "-print_final_stats=1", str(seeds)]
    atheris.Setup(argv, one)
    with contextlib.suppress(SystemExit):
        atheris.Fuzz()


ENGINES = {"mutate": run_mutate, "hypothesis": run_hypothesis, "atheris": run_atheris}


def main() -> None:
    """Parse the options, run the engines in turn, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inputs", type=int, default=1_000_000, help="inputs in total, shared by the engines")
    parser.add_argument("--engine", action="append", choices=sorted(ENGINES), help="default: all three")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    engines = args.engine or ["hypothesis", "mutate", "atheris"]
    tally = Tally()
    started = time.time()
    per = args.inputs // len(engines)
    for name in engines:
        before = sum(tally.inputs.values())
        t0 = time.time()
        ENGINES[name](tally, per, args.seed)
        ran = sum(tally.inputs.values()) - before
        print(f"{name}: {ran} inputs in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    summary = {
        "inputs": sum(tally.inputs.values()),
        "per_target": dict(tally.inputs),
        "seconds": round(time.time() - started),
        "findings": tally.findings,
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
