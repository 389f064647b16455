"""An import's or an export's progress on stderr: one line redrawn in a terminal, a line now and then in a log file."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from nato_tm.services.progress import Progress, duration, time_left

TTY_INTERVAL = 0.25  # seconds between redraws of the terminal line
LOG_INTERVAL = 10.0  # seconds between lines when stderr is a file or a pipe


def describe(name: str, p: Progress, elapsed: float, done: str = "read") -> str:
    """Where an import (``done``: "read") or an export ("written") of ``name`` stands after ``elapsed`` seconds."""
    if p.finishing:
        return f"{name}: all {p.records:,} records read; writing the index…"
    parts = [f"{p.records:,} records"]
    fraction = p.fraction
    if fraction is not None:
        parts.append(f"{100 * fraction:.0f} % {done}")
    if elapsed > 0:
        parts.append(f"{p.records / elapsed:,.0f}/s")
    left = time_left(fraction, elapsed) or 0.0
    if left >= 1:
        parts.append(f"the rest {done} in about {duration(left)}")
    return f"{name}: " + ", ".join(parts)


class ProgressLine:
    """A watcher for an import or export that draws on ``out``: redrawn in place on a terminal, else a line at times."""

    def __init__(
        self, name: str, out: TextIO, *, done: str = "read", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.done = done
        self.out = out
        self.tty = out.isatty()
        self.clock = clock
        self.started = clock()
        self.last: float | None = None  # when a line was last drawn
        self.interval = TTY_INTERVAL if self.tty else LOG_INTERVAL

    def __call__(self, p: Progress) -> None:
        """Draw ``p`` if the last line is old enough, and always the line saying that every record is read."""
        now = self.clock()
        if not p.finishing and self.last is not None and now - self.last < self.interval:
            return
        line = describe(self.name, p, now - self.started, self.done)
        if self.tty:
            self.out.write(f"\r{line}\x1b[K")  # back to the line's start, then erase what a longer line left
        else:
            self.out.write(line + "\n")
        self.out.flush()
        self.last = now

    def close(self) -> None:
        """Erase the terminal line, so that the report (or an error) prints on a clean line."""
        if self.tty and self.last is not None:
            self.out.write("\r\x1b[K")
            self.out.flush()
