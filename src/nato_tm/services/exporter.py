"""Export the store in each exchange format, chosen by name."""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from nato_tm import __version__
from nato_tm.errors import Unsupported
from nato_tm.services.progress import Watcher
from nato_tm.store.db import Database

# name -> (module, function, media type, file extension); each function writes bytes, returns a count.
EXPORTERS = {
    "tbx": ("nato_tm.services.term_exchange", "export_tbx", "application/x-tbx+xml", "tbx"),
    "tbx2": ("nato_tm.services.term_exchange", "export_tbx2", "application/x-tbx+xml", "tbx"),
    "tsv": ("nato_tm.services.term_exchange", "export_tsv", "text/tab-separated-values", "tsv"),
    "tmx": ("nato_tm.services.tm_exchange", "export_tmx", "application/x-tmx+xml", "tmx"),
}

Exporter = Callable[[Database, IO[bytes], Watcher | None], int]  # (db, stream, progress) -> count


def exporter(name: str) -> Exporter:
    """The export function for a format name."""
    if name not in EXPORTERS:
        raise Unsupported(f"unknown export format {name!r} (known: {', '.join(EXPORTERS)})")
    module, func, _media, _ext = EXPORTERS[name]
    found: Exporter = getattr(importlib.import_module(module), func)
    return found


def media_type(name: str) -> str:
    """The media type an export is served with."""
    return EXPORTERS[name][2]


def export(db: Database, name: str, stream: IO[bytes], progress: Watcher | None = None) -> int:
    """Write the store in format ``name`` to ``stream``; return how many entries were written.

    ``progress`` is told every thousand entries, and after the last, how many of all are written.
    """
    return exporter(name)(db, stream, progress)


def cached_export(db: Database, name: str, folder: Path, tag: str) -> Path:
    """The export in format ``name`` as a file in ``folder``, written once per ``tag`` (the store's fingerprint).

    A 1M-unit memory takes over a minute to export, and every download without a cached copy of
    its own wrote it again. The file is named by the part of the store's fingerprint that the
    format exports (``freshness``), read before the export, and this release's version: its content
    is never older than its name says. A file under an older tag of the same format is removed once the new one is in
    place (a download still reading it keeps it open).
    """
    exporter(name)  # Unsupported for an unknown name, before any file is touched
    ext = EXPORTERS[name][3]
    # The version too: another release may write the same store differently.
    path = folder / f"{name}-{tag}-{__version__}.{ext}"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            export(db, name, out)
        os.replace(tmp, path)  # whole or not at all: two first downloads both write, the last one stays
    finally:
        Path(tmp).unlink(missing_ok=True)
    for older in folder.glob(f"{name}-*.{ext}"):
        if older != path:
            older.unlink(missing_ok=True)
    return path
