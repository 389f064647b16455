"""Import any supported file into the store in one transaction, with a report."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy.orm import Session

from nato_tm.errors import FormatError, InvalidInput
from nato_tm.formats.records import Skipped
from nato_tm.formats.registry import Format, ReadOptions, Record, by_name, detect
from nato_tm.services.import_workers import prepared_batches
from nato_tm.store.db import ATTEMPTS, Database
from nato_tm.store.memory_bulk import Loader, larger_cache, revision_triggers_once
from nato_tm.store.memory_repo import save_units

BATCH = 1000
HEAD_BYTES = 4096
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

    def count(self, outcome: str) -> None:
        """Count one record's outcome: added, updated or unchanged."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def _saver(kind: str) -> Callable[[Session, list[Any]], list[str]]:
    module, func = SAVERS[kind]
    saver: Callable[[Session, list[Any]], list[str]] = getattr(importlib.import_module(module), func)
    return saver


def _batches(records: Iterable[Record], report: ImportReport, skip_invalid: bool) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for rec in records:
        if isinstance(rec, Skipped):
            if not skip_invalid:
                raise FormatError(f"{rec.where}: {rec.reason} (use --skip-invalid to import the rest)")
            report.skipped.append(rec)
            continue
        batch.append(rec)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _save_memory(session: Session, batches: Iterator[list[Any]], report: ImportReport, workers: int) -> None:
    # Postings and vocabulary counts are written sorted, in large runs, and once at the end.
    loader = Loader(session)
    with (
        larger_cache(session),
        revision_triggers_once(session) as changed,
        closing(prepared_batches(batches, workers)) as pairs,
    ):
        for batch, prepared in pairs:
            for outcome in save_units(session, batch, prepared, loader):
                report.count(outcome)
        loader.flush()
        changed[0] = report.changed


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
) -> ImportReport:
    """Read ``stream`` and save every record in one transaction; nothing is kept on error or dry run.

    ``workers`` > 0 analyses memory records in that many forked processes (for the command line:
    a web worker should not fork).
    """
    found = resolve_format(stream, name, fmt)
    save = _saver(found.kind)
    start = stream.tell() if stream.seekable() else None

    def work(session: Session) -> ImportReport:
        if start is not None:
            stream.seek(start)
        report = ImportReport(file=name, format=found.name, kind=found.kind, dry_run=dry_run)
        records = found.read(stream, name, options or ReadOptions())
        batches = _batches(records, report, skip_invalid)
        if found.kind == "memory":
            _save_memory(session, batches, report, workers)
            return report
        for batch in batches:
            for outcome in save(session, batch):
                report.count(outcome)
        return report

    # One transaction; a rewindable stream is read again when a concurrent writer forces a retry.
    return db.write(work, attempts=ATTEMPTS if start is not None else 1, commit=not dry_run)


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
