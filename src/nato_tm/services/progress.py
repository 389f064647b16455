"""How far an import or an export has got, told to whoever watches it (the command line draws it on stderr).

A 1M-unit memory takes minutes to import and a minute and a half to export, and an import's last
half-minute (the index sorted into place, the commit) reads no record at all: without word from
them, a user sees a terminal that looks hung. The importer tells a watcher after each batch of
records and once more when every record is read; an exporter after each thousand records written.
Drawing is the edge's business.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TypeVar

T = TypeVar("T")
EVERY = 1000  # records between two words to the watcher of an export
ETA_AFTER = 3.0  # seconds of reading before a time left is guessed (the first batches include the start)


@dataclass(frozen=True)
class Progress:
    """Where an import or an export stands."""

    records: int  # records read (added, updated, unchanged or skipped) or written so far
    read: int | None  # how far through: bytes of the imported file, records of the export (None: unknown)
    size: int | None  # the whole, in the same measure (None when unknown)
    finishing: bool = False  # an import's records are all read; what is left is the index and the commit

    @property
    def fraction(self) -> float | None:
        """The share done, 0 to 1, when both the whole and how far through it are known."""
        if self.read is None or not self.size:
            return None
        return min(1.0, max(0.0, self.read / self.size))


Watcher = Callable[[Progress], None]


def stream_size(stream: IO[bytes]) -> int | None:
    """Bytes from the stream's position to its end, or None if it cannot seek; the position is kept."""
    try:
        if not stream.seekable():
            return None
        at = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(at)
    except (OSError, ValueError):
        return None
    return end - at


class Tracker:
    """Tells a watcher (if any) how many records an import has read and how far into its stream it is."""

    def __init__(self, watcher: Watcher | None, stream: IO[bytes]) -> None:
        self.watcher = watcher
        self.stream = stream
        self.start = _position(stream) if watcher else None
        self.size = stream_size(stream) if watcher else None

    def step(self, records: int, read: int | None = None) -> None:
        """Tell the watcher after a batch: ``records`` so far, from ``read`` bytes (default: the stream position)."""
        if self.watcher is not None:
            self.watcher(Progress(records, self._read() if read is None else read, self.size))

    def finishing(self, records: int) -> None:
        """Tell the watcher that all ``records`` are read and the import is writing its last part."""
        if self.watcher is not None:
            self.watcher(Progress(records, self.size, self.size, finishing=True))

    def _read(self) -> int | None:
        at = _position(self.stream)
        return None if at is None or self.start is None else at - self.start


def _position(stream: IO[bytes]) -> int | None:
    try:
        return stream.tell()
    except (OSError, ValueError):  # a pipe, or a stream closed under us
        return None


def counted(items: Iterable[T], total: int | None, watcher: Watcher | None) -> Iterator[T]:
    """The items, telling ``watcher`` (if any) every EVERY items and after the last how many of ``total`` went by."""
    if watcher is None:
        yield from items
        return
    done = 0
    for item in items:
        yield item
        done += 1
        if done % EVERY == 0:
            watcher(Progress(done, done, total))
    if done % EVERY:
        watcher(Progress(done, done, total))


def time_left(fraction: float | None, elapsed: float) -> float | None:
    """Seconds left at the rate so far, once ETA_AFTER seconds have gone by and the share done is known."""
    if not fraction or elapsed < ETA_AFTER:
        return None
    return elapsed * (1 - fraction) / fraction


def duration(seconds: float) -> str:
    """A duration as people say it, in English and in French: 45 s, 3 min 05 s, 1 h 02 min."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
