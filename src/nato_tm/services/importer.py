"""Import any supported file into the store in one transaction, with a report."""

from __future__ import annotations

import gc
import importlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any

from sqlalchemy.orm import Session

from nato_tm.errors import FormatError, InvalidInput
from nato_tm.formats import tmx_chunks
from nato_tm.formats.records import Skipped, UnitRecord
from nato_tm.formats.registry import Format, ReadOptions, Record, by_name, detect
from nato_tm.services.import_workers import Piece, can_fork, prepared_batches, ready_chunks
from nato_tm.services.progress import Tracker, Watcher, stream_size
from nato_tm.store.db import ATTEMPTS, Database
from nato_tm.store.load_tuning import key_index_later, larger_cache, revision_triggers_once
from nato_tm.store.memory_bulk import Loader
from nato_tm.store.memory_load import Ready, prepared_of, save_ready
from nato_tm.store.memory_repo import save_units

log = logging.getLogger(__name__)

BATCH = 1000
# Allocations between two young-generation collections during a memory import (Python's default: 700).
GC_YOUNG = 100_000
HEAD_BYTES = 4096
BYTES_PER_VARIANT = 100  # a generous guess of a file's variants from its size (the bench's TMX: 119 bytes each)
# The store module and function that save each kind of record, a batch at a time.
SAVERS = {
    "terms": ("nato_tm.store.termbase_repo", "save_concepts"),
    "memory": ("nato_tm.store.memory_repo", "save_units"),
}


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    file: str
    format: str
    kind: str
    dry_run: bool
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the store was (or would be) changed."""
        return bool(self.added or self.updated)

    @property
    def records(self) -> int:
        """Records read so far: added, updated, unchanged or skipped."""
        return self.added + self.updated + self.unchanged + len(self.skipped)

    def count(self, outcome: str) -> None:
        """Count one record's outcome: added, updated or unchanged."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def _saver(kind: str) -> Callable[[Session, list[Any]], list[str]]:
    module, func = SAVERS[kind]
    saver: Callable[[Session, list[Any]], list[str]] = getattr(importlib.import_module(module), func)
    return saver


def _skip(rec: Skipped, report: ImportReport, skip_invalid: bool) -> None:
    if not skip_invalid:
        raise FormatError(f"{rec.where}: {rec.reason} (use --skip-invalid to import the rest)")
    report.skipped.append(rec)


def _batches(records: Iterable[Record], report: ImportReport, skip_invalid: bool) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for rec in records:
        if isinstance(rec, Skipped):
            _skip(rec, report, skip_invalid)
            continue
        batch.append(rec)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def fewer_collections(young: int = GC_YOUNG) -> Iterator[None]:
    """Run the cyclic garbage collector rarely, and never over what exists already, while a bulk load runs.

    An import allocates millions of short-lived tuples, lists and dicts (no cycles among them):
    with the default threshold the collector ran every 700 allocations and walked the large
    caches and buffers each time (25-30 % of the import's CPU). Objects that exist now are frozen
    (never walked: also no copy-on-write of them in forked workers); the workers inherit both.
    """
    before = gc.get_threshold()
    # A process that froze objects itself (a web worker's recognition cache) keeps them frozen:
    # unfreezing is not nested, it would thaw theirs too.
    mine = gc.get_freeze_count() == 0
    if mine:
        gc.freeze()
    gc.set_threshold(young, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if mine:
            gc.unfreeze()


@contextmanager
def _bulk(session: Session, variants: int) -> Iterator[list[bool]]:
    """What a memory load of about ``variants`` variants runs under; yields revision_triggers_once's flag."""
    with (
        fewer_collections(),
        larger_cache(session),
        key_index_later(session, variants),
        revision_triggers_once(session) as changed,
    ):
        yield changed


def _variants_in(stream: IO[bytes]) -> int:
    """A generous guess of the variants in the rest of a memory file, from its size (0 if unknown)."""
    return (stream_size(stream) or 0) // BYTES_PER_VARIANT


def _save_memory(
    session: Session, batches: Iterator[list[Any]], report: ImportReport, workers: int, variants: int, tracker: Tracker
) -> None:
    # Postings and vocabulary counts are written sorted, in large runs, and once at the end.
    loader = Loader(session)
    with _bulk(session, variants) as changed, closing(prepared_batches(batches, workers)) as pairs:
        for batch, prepared in pairs:
            for outcome in save_units(session, batch, prepared, loader):
                report.count(outcome)
            tracker.step(report.records)
        tracker.finishing(report.records)
        loader.flush()
        changed[0] = report.changed


def _save_chunks(
    session: Session,
    stream: IO[bytes],
    head: tmx_chunks.Head,
    report: ImportReport,
    workers: int,
    skip_invalid: bool,
    tracker: Tracker,
) -> None:
    # The workers parse, analyse and build rows; this process numbers and inserts them (memory_load).
    loader = Loader(session)
    variants = _variants_in(stream)
    results = ready_chunks(head, tmx_chunks.pieces(stream, head), session.get_bind().dialect, workers)
    done = len(head.prolog)
    with _bulk(session, variants) as changed, closing(results):
        for piece, items in results:
            units: list[Ready] = []
            for item in items:
                if isinstance(item, Skipped):
                    _skip(item, report, skip_invalid)
                else:
                    units.append(item)
            _save_piece(session, head, piece, units, report, loader)
            done += len(piece[0])  # the stream's position runs ahead: the pool reads runs in advance
            tracker.step(report.records, done)
        tracker.finishing(report.records)
        loader.flush()
        changed[0] = report.changed


def _save_piece(
    session: Session,
    head: tmx_chunks.Head,
    piece: Piece,
    units: list[Ready],
    report: ImportReport,
    loader: Loader,
) -> None:
    """Insert one run's new units; a run with a duplicate (rare) is read again here and merged as save_units does."""
    if save_ready(session, units, loader):
        report.added += len(units)
        return
    records = [r for r in tmx_chunks.records(head, *piece) if isinstance(r, UnitRecord)]
    for outcome in save_units(session, records, [prepared_of(u) for u in units], loader):
        report.count(outcome)


def _chunk_head(
    found: Format, stream: IO[bytes], name: str, options: ReadOptions, workers: int
) -> tmx_chunks.Head | None:
    """The head of a TMX file that workers can read in runs (tmx_chunks), or None."""
    if found.name != "tmx" or workers < 1 or not stream.seekable() or not can_fork():
        return None
    if (stream_size(stream) or 0) < 2 * tmx_chunks.CHUNK_BYTES:  # a pool would cost more than it saves
        return None
    return tmx_chunks.read_head(stream, name, options)


def resolve_format(stream: IO[bytes], name: str, fmt: str | None) -> Format:
    """The format named, or the one recognised from the stream's first bytes and the name."""
    if fmt:
        return by_name(fmt)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    return detect(head, name)


def import_stream(
    db: Database,
    stream: IO[bytes],
    name: str,
    *,
    fmt: str | None = None,
    options: ReadOptions | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    workers: int = 0,
    progress: Watcher | None = None,
) -> ImportReport:
    """Read ``stream`` and save every record in one transaction; nothing is kept on error or dry run.

    ``workers`` > 0 analyses memory records in that many forked processes (for the command line:
    a web worker should not fork). ``progress`` is told after each batch how far the import is
    (``progress.Progress``), and once more when only the index and the commit are left.
    """
    found = resolve_format(stream, name, fmt)
    save = _saver(found.kind)
    start = stream.tell() if stream.seekable() else None

    options = options or ReadOptions()

    def work(session: Session, head: tmx_chunks.Head | None = None) -> ImportReport:
        if start is not None:
            stream.seek(start)
        report = ImportReport(file=name, format=found.name, kind=found.kind, dry_run=dry_run)
        tracker = Tracker(progress, stream)
        if head is not None:
            _save_chunks(session, stream, head, report, workers, skip_invalid, tracker)
            return report
        variants = _variants_in(stream) if found.kind == "memory" else 0  # only a memory load uses it
        records = found.read(stream, name, options)
        batches = _batches(records, report, skip_invalid)
        if found.kind == "memory":
            _save_memory(session, batches, report, workers, variants, tracker)
            return report
        for batch in batches:
            for outcome in save(session, batch):
                report.count(outcome)
            tracker.step(report.records)
        tracker.finishing(report.records)
        return report

    # One transaction; a rewindable stream is read again when a concurrent writer forces a retry. A
    # memory load only inserts units, variants and index rows under ids it takes itself, and merges
    # metadata: SQLite need not check their foreign keys (Database.write).
    attempts = ATTEMPTS if start is not None else 1
    write = partial(db.write, attempts=attempts, commit=not dry_run, bulk=True, foreign_keys=found.kind != "memory")
    head = _chunk_head(found, stream, name, options, workers)
    if head is not None:
        try:
            return _settled(db, write(lambda session: work(session, head)))
        except tmx_chunks.Unsure as exc:
            # Rolled back: the reference reader reads the file again and gives its records or its error.
            log.info("%s: read by the reference reader (%s)", name, str(exc)[:200])
    return _settled(db, write(work))


def _settled(db: Database, report: ImportReport) -> ImportReport:
    """The report, once a load that changed the store has been settled (``Database.settle``)."""
    # Readers would otherwise look every page up in a log of the load's size (SQLite), or be
    # planned without statistics (PostgreSQL).
    if report.changed and not report.dry_run and not db.settle():
        log.info("%s: readers kept the write-ahead log busy; SQLite will empty it later", report.file)
    return report


def default_workers() -> int:
    """Worker processes that analyse memory records while this one reads and writes: NATO_TM_IMPORT_WORKERS."""
    # Read per call, not at import time, so that a wrong value is a user's error, not a traceback.
    raw = os.environ.get("NATO_TM_IMPORT_WORKERS", "").strip()
    if not raw:
        return os.cpu_count() or 1
    if not raw.isdigit():
        raise InvalidInput(f"NATO_TM_IMPORT_WORKERS must be a whole number, 0 or more (got {raw!r})")
    return int(raw)


def import_path(db: Database, path: str, **kwargs: Any) -> ImportReport:
    """Import a file from disk, with default_workers() analysis processes unless told otherwise (import_stream)."""
    if "workers" not in kwargs:
        kwargs["workers"] = default_workers()
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, after the import
    except FileNotFoundError as exc:
        raise FormatError("no such file", file=path) from exc
    except IsADirectoryError as exc:
        raise FormatError("is a directory, not a file", file=path) from exc
    with stream:
        return import_stream(db, stream, path, **kwargs)
