"""Imports and exports tell how far they are; the command line draws it on stderr.

An import tells after each batch, and once more when only the index and the commit are left: on
both readers (the reference reader a batch at a time, the chunked reader a run at a time) and for
a term base. An export tells every thousand records and after the last. The command line's side
as a user runs it (``--progress`` on stderr, nothing on a pipe by default) and the line it draws,
in a terminal and in a log.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from test_cli import assert_user_error, run

from nato_tm.cli.progress import ProgressLine, describe
from nato_tm.formats import tmx_chunks
from nato_tm.services import exporter, importer
from nato_tm.services.importer import import_path
from nato_tm.services.progress import Progress, counted, duration
from nato_tm.store.db import Database

ROOT = Path(__file__).resolve().parents[1]
SEED_MEMORY = ROOT / "termbase" / "seed-memory.tmx"
TERMS = ROOT / "termbase" / "nato-bodies.tbx"


def watched(db: Database, path: Path, **kwargs: object) -> tuple[importer.ImportReport, list[Progress]]:
    told: list[Progress] = []
    report = import_path(db, str(path), progress=told.append, **kwargs)
    return report, told


def check_told(told: list[Progress], report: importer.ImportReport, size: int) -> None:
    """Counts and positions only grow, the last word says every record is read, and nothing comes after it."""
    steps, last = told[:-1], told[-1]
    assert last == Progress(report.records, size, size, finishing=True)
    assert all(not p.finishing for p in steps)
    assert [p.records for p in steps] == sorted(p.records for p in steps)
    assert steps[-1].records == report.records
    positions = [p.read for p in steps]
    assert None not in positions and positions == sorted(positions)  # type: ignore[type-var]
    assert all(p.size == size and 0 < (p.read or 0) <= size for p in steps)


def test_the_reference_reader_tells_after_each_batch(empty_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "BATCH", 5)
    report, told = watched(empty_db, SEED_MEMORY, workers=0)
    assert report.added == 24
    check_told(told, report, SEED_MEMORY.stat().st_size)
    assert [p.records for p in told[:-1]] == [5, 10, 15, 20, 24]


def test_the_chunked_reader_tells_after_each_run(empty_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tmx_chunks, "CHUNK_BYTES", 2000)  # the seed memory (16 KB) in several runs
    report, told = watched(empty_db, SEED_MEMORY, workers=1)
    assert report.added == 24
    check_told(told, report, SEED_MEMORY.stat().st_size)
    assert len(told) - 1 >= 4
    assert (told[-2].fraction or 0) > 0.9  # the last run ends near the file's end (only </body></tmx> after it)


def test_a_term_base_and_a_second_import_tell_too(empty_db: Database) -> None:
    report, told = watched(empty_db, TERMS)
    assert report.kind == "terms" and report.added > 0
    check_told(told, report, TERMS.stat().st_size)
    again, told_again = watched(empty_db, TERMS)
    assert again.unchanged == report.added and told_again[-1].records == report.added


def test_counted_tells_every_thousand_items_and_after_the_last() -> None:
    told: list[Progress] = []
    assert list(counted(range(2500), 2500, told.append)) == list(range(2500))
    assert told == [Progress(1000, 1000, 2500), Progress(2000, 2000, 2500), Progress(2500, 2500, 2500)]
    assert list(counted(range(3), None, None)) == [0, 1, 2]
    told.clear()
    assert list(counted(range(2000), None, told.append)) == list(range(2000))
    assert told == [Progress(1000, 1000, None), Progress(2000, 2000, None)]  # nothing twice at the end


@pytest.mark.parametrize(("fmt", "total"), [("tmx", 24), ("tbx", None), ("tbx2", None), ("tsv", None)])
def test_every_export_tells_how_many_of_all_are_written(
    db: Database, monkeypatch: pytest.MonkeyPatch, fmt: str, total: int | None
) -> None:
    monkeypatch.setattr("nato_tm.services.progress.EVERY", 10)
    told: list[Progress] = []
    count = exporter.export(db, fmt, io.BytesIO(), told.append)
    concepts = told[-1].size
    assert concepts is not None and (total is None or concepts == total)
    assert [p.records for p in told] == [*range(10, concepts, 10), concepts]
    assert all(p.read == p.records and p.size == concepts and not p.finishing for p in told)
    if fmt != "tsv":  # the glossary counts its lines: a concept gives one per pair of terms, or none
        assert count == concepts


def test_the_command_line_shows_progress_on_stderr_when_asked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    assert run("init", "--no-seed", db=url).returncode == 0
    shown = run("import", str(SEED_MEMORY), "--progress", db=url)
    assert shown.returncode == 0, shown.stderr
    assert "imported 24 new" in shown.stdout
    lines = shown.stderr.splitlines()
    assert lines[0].startswith("seed-memory.tmx: 24 records, 100 % read")
    assert lines[-1] == "seed-memory.tmx: all 24 records read; writing the index…"
    quiet = run("import", str(SEED_MEMORY), db=url)  # stderr is a pipe here: no progress unless asked
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert run("import", str(SEED_MEMORY), "--no-progress", db=url).stderr == ""
    out = tmp_path / "memory.tmx"
    exported = run("export", "--format", "tmx", "-o", str(out), "--progress", db=url)
    assert exported.returncode == 0, exported.stderr
    told = exported.stderr.splitlines()
    assert len(told) == 2 and told[0].startswith("memory.tmx: 24 records, 100 % written")
    assert told[1] == f"Wrote 24 entries to {out}"
    assert run("export", "--format", "tmx", "-o", str(out), db=url).stderr == f"Wrote 24 entries to {out}\n"


def test_a_failing_import_with_progress_still_ends_in_one_error_line(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "data" / "tmx" / "bad-not-wellformed.tmx"
    proc = run("import", str(bad), "--no-progress", db=f"sqlite:///{tmp_path / 's.sqlite3'}")
    assert_user_error(proc, "bad-not-wellformed.tmx")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_line_is_redrawn_in_place_at_most_four_times_a_second() -> None:
    out, clock = Terminal(), Clock()
    line = ProgressLine("mem.tmx", out, clock=clock)
    line(Progress(1000, 100, 1000))
    clock.now += 0.1
    line(Progress(2000, 200, 1000))  # too soon after the first: not drawn
    clock.now += 0.2
    line(Progress(3000, 300, 1000))
    line(Progress(10000, 1000, 1000, finishing=True))  # always drawn
    line.close()
    drawn = out.getvalue().split("\r")
    assert drawn == [
        "",
        "mem.tmx: 1,000 records, 10 % read\x1b[K",
        "mem.tmx: 3,000 records, 30 % read, 10,000/s\x1b[K",
        "mem.tmx: all 10,000 records read; writing the index…\x1b[K",
        "\x1b[K",
    ]


def test_a_log_gets_a_whole_line_every_ten_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    line = ProgressLine("mem.tmx", out, clock=clock)
    for second in range(25):
        clock.now = 100.0 + second
        line(Progress(1000 * second, None, None))
    line.close()  # nothing to erase in a log
    assert out.getvalue().splitlines() == [
        "mem.tmx: 0 records",
        "mem.tmx: 10,000 records, 1,000/s",
        "mem.tmx: 20,000 records, 1,000/s",
    ]


@pytest.mark.parametrize(
    ("progress", "elapsed", "expected"),
    [
        (Progress(0, 0, 100), 0.0, "f: 0 records, 0 % read"),
        (Progress(500, 25, 100), 2.0, "f: 500 records, 25 % read, 250/s"),  # too early to guess
        (Progress(500, 25, 100), 30.0, "f: 500 records, 25 % read, 17/s, the rest read in about 1 min 30 s"),
        (Progress(9, 100, 100), 30.0, "f: 9 records, 100 % read, 0/s"),
        (Progress(999, 999, 1000), 30.0, "f: 999 records, 100 % read, 33/s"),  # under a second left: unsaid
        (Progress(5, 7, None), 1.0, "f: 5 records, 5/s"),
    ],
)
def test_what_a_line_says(progress: Progress, elapsed: float, expected: str) -> None:
    assert describe("f", progress, elapsed) == expected


def test_an_export_says_written() -> None:
    line = describe("m.tmx", Progress(250, 250, 1000), 10.0, "written")
    assert line == "m.tmx: 250 records, 25 % written, 25/s, the rest written in about 30 s"


@pytest.mark.parametrize(
    ("seconds", "said"), [(0, "0 s"), (44.6, "45 s"), (60, "1 min 00 s"), (185, "3 min 05 s"), (3720, "1 h 02 min")]
)
def test_durations_as_people_say_them(seconds: float, said: str) -> None:
    assert duration(seconds) == said
