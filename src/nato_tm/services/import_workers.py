"""Analysing memory records in worker processes while the importing process reads and writes.

Tokenising, analysing and hashing a unit is pure CPU work with no database access, so forked
workers do it (``memory_repo.prepare``) for batches handed over in file order; the importing
process keeps reading the file and writing the store, the one writer. At most AHEAD batches per
worker are in flight, so memory stays flat whatever the file's length.
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

from nato_tm.formats.records import UnitRecord
from nato_tm.store.memory_repo import Prepared, prepare, sketch

AHEAD = 3
WARM = 20  # records prepared before forking
PR_SET_PDEATHSIG = 1


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
    if second is None or workers < 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from _local(itertools.chain([first], [second] if second else [], batches))
        return
    prepare([sketch(r) for r in first[:WARM]])  # imports and caches the workers then inherit
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
        pending: deque[tuple[list[UnitRecord], AsyncResult[Any]]] = deque()
        rest = itertools.chain([first, second], batches)
        batch = next(rest, None)
        while batch is not None or pending:
            if batch is not None:
                pending.append((batch, pool.apply_async(prepare, ([sketch(r) for r in batch],))))
                batch = next(rest, None)
            if batch is None or len(pending) > AHEAD * workers:
                done, result = pending.popleft()
                yield done, result.get()
