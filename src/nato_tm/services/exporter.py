"""Export the store in each exchange format, chosen by name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import IO

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
