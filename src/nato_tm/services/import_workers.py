"""Analysing memory records in worker processes while the importing process reads and writes.

Tokenising, analysing and hashing a unit is pure CPU work with no database access, so forked
workers do it (``memory_repo.prepare``) for batches handed over in file order; the importing
process keeps reading the file and writing the store, the one writer. At most AHEAD batches per
worker are in flight, so memory stays flat whatever the file's length.

A plain UTF-8 TMX file goes further (``ready_chunks``): the importing process only cuts the file
into runs of whole tus (``formats.tmx_chunks``), and the workers parse them, build the records,
analyse them and build the rows to insert (``store.memory_load.ready``).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import signal
from collections import deque
from collections.abc import Generator, Iterator
from multiprocessing.pool import AsyncResult
from typing import Any

from sqlalchemy.engine import Dialect

from nato_tm.formats import tmx_chunks
from nato_tm.formats.records import Skipped, UnitRecord
from nato_tm.store.memory_load import Ready, ready
from nato_tm.store.memory_repo import Prepared, prepare, prepare_one, sketch

AHEAD = 3
WARM = 20  # records prepared before forking
PR_SET_PDEATHSIG = 1
Piece = tuple[bytes, int, bool]  # a run of tus, the file's lines before it, whether it is the last


def _worker_init() -> None:
    # Ctrl-C is the importing process's to handle (it stops the pool); a worker whose parent is
    # killed (kill -9) is killed too instead of waiting on its queue forever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(AttributeError, OSError):  # not Linux: no such call
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _local(batches: Iterator[list[UnitRecord]]) -> Iterator[tuple[list[UnitRecord], list[Prepared]]]:
    for batch in batches:
        yield batch, prepare([sketch(r) for r in batch])


def prepared_batches(
    batches: Iterator[list[UnitRecord]], workers: int
) -> Generator[tuple[list[UnitRecord], list[Prepared]], None, None]:
    """Each batch with ``prepare`` of it, in order; computed by ``workers`` forked processes when > 0.

    A file of one batch is prepared here (a pool would cost more than it saves).
    """
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None)
    if second is None or workers < 1 or not can_fork():
        yield from _local(itertools.chain([first], [second] if second else [], batches))
        return
    prepare([sketch(r) for r in first[:WARM]])  # imports and caches the workers then inherit
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
        rest = itertools.chain([first, second], batches)
        yield from _in_order(pool, ((b, ([sketch(r) for r in b],)) for b in rest), prepare, workers)


def can_fork() -> bool:
    """Whether worker processes can be forked here."""
    return "fork" in multiprocessing.get_all_start_methods()


def _in_order(pool: Any, tasks: Iterator[tuple[Any, tuple[Any, ...]]], func: Any, workers: int) -> Iterator[Any]:
    """(key, func(*args)) for each (key, args) of ``tasks``, in order, with at most AHEAD per worker in flight."""
    pending: deque[tuple[Any, AsyncResult[Any]]] = deque()
    task = next(tasks, None)
    while task is not None or pending:
        if task is not None:
            pending.append((task[0], pool.apply_async(func, task[1])))
            task = next(tasks, None)
        if task is None or len(pending) > AHEAD * workers:
            key, result = pending.popleft()
            yield key, result.get()


# What every chunk worker reads: set by the pool's initializer in each forked worker, never in the importer.
_CHUNK_STATE: dict[str, Any] = {}


def _chunk_init(head: tmx_chunks.Head, dialect: Dialect) -> None:
    _worker_init()
    _CHUNK_STATE.update(head=head, dialect=dialect)


def ready_items(head: tmx_chunks.Head, dialect: Dialect, piece: Piece) -> list[Skipped | Ready]:
    """The records of a run of tus, each new one as the rows it would be stored as (``memory_load.ready``)."""
    out: list[Skipped | Ready] = []
    for rec in tmx_chunks.records(head, *piece):
        if isinstance(rec, UnitRecord):
            out.append(ready(rec, prepare_one(sketch(rec)), dialect))
        elif isinstance(rec, Skipped):
            out.append(rec)
    return out


def _ready_piece(piece: Piece) -> list[Skipped | Ready]:
    return ready_items(_CHUNK_STATE["head"], _CHUNK_STATE["dialect"], piece)


def ready_chunks(
    head: tmx_chunks.Head, pieces: Iterator[Piece], dialect: Dialect, workers: int
) -> Generator[tuple[Piece, list[Skipped | Ready]], None, None]:
    """Each run of the file with ``ready_items`` of it, in file order, computed by ``workers`` (>= 1) processes."""
    first = next(pieces, None)
    if first is None:
        return
    warm = [r for r in tmx_chunks.records(head, *first)[:WARM] if isinstance(r, UnitRecord)]
    prepare([sketch(r) for r in warm])  # imports and caches the workers then inherit
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_chunk_init, initargs=(head, dialect)) as pool:
        tasks = ((p, (p,)) for p in itertools.chain([first], pieces))
        yield from _in_order(pool, tasks, _ready_piece, workers)
