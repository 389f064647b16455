"""The local PostgreSQL server's processes seen from /proc: CPU time and memory of what serves one database.

A client's CPU time leaves out the server's: on PostgreSQL a lookup's or an import's cost is the
client's CPU plus that of the backend serving it (and of the server's own writers: WAL writer,
checkpointer, background writer). The server runs on the same machine, so /proc shows both.
Backends set their title to "postgres: USER DATABASE HOST(PORT) STATE", which names the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds of one process (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def pss_mb(pid: int) -> float:
    """Proportional set size of one process in MB (shared pages divided among their users)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def server_processes() -> dict[int, str]:
    """Every PostgreSQL server process (postmaster, backends, background workers) and its title."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if title.startswith("postgres:") or title.split(" ", 1)[0].endswith("/bin/postgres"):
            found[int(entry.name)] = title
    return found


def serves(title: str, database: str) -> bool:
    """Whether a server process title is a backend (or autovacuum worker) of ``database``."""
    return f" {database} " in f"{title} "


@dataclass
class ServerSampler:
    """CPU used since creation by the server's processes, and the peak PSS of one database's backends."""

    database: str
    start: dict[int, float] = field(default_factory=dict)
    last: dict[int, tuple[float, bool]] = field(default_factory=dict)
    peak_backend_pss_mb: float = 0.0

    def __post_init__(self) -> None:
        self.start = {pid: cpu_s(pid) for pid in server_processes()}

    def sample(self, exclude: frozenset[int] | set[int] = frozenset()) -> None:
        """Read every server process's CPU now (a backend's CPU after its last sample is lost).

        ``exclude``: backends of the database that are not the measured work's (e.g. concurrent lookups).
        """
        pss = 0.0
        for pid, title in server_processes().items():
            mine = serves(title, self.database) and pid not in exclude
            self.last[pid] = (cpu_s(pid) or self.last.get(pid, (0.0, mine))[0], mine)
            if mine:
                pss += pss_mb(pid)
        self.peak_backend_pss_mb = max(self.peak_backend_pss_mb, pss)

    def cpu(self, *, database_only: bool) -> float:
        """CPU seconds since creation: the database's backends only, or every server process."""
        return sum(
            max(0.0, cpu - self.start.get(pid, 0.0))
            for pid, (cpu, mine) in self.last.items()
            if mine or not database_only
        )
