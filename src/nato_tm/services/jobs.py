"""Imports run as jobs in a process of their own, so that a browser upload does not hold a web request.

An upload of a large memory takes minutes to import. Done inside the request, the browser shows a
spinner with no word of progress, the web worker is tied up, a proxy or gunicorn's timeout can
kill it (and the whole import with it), and the import runs without analysis workers (a web worker
must not fork). As a job, the request only stores the upload and a job file in the data
directory's ``jobs`` folder and starts ``nato-tm job-run ID`` detached; that process imports with
the command line's analysis workers and writes how far it is to the job file, which any web worker
reads. Files, not the store: on SQLite the import holds the store's write lock until it commits,
and its progress must be readable meanwhile.

Jobs import one at a time (``run.lock``); the others wait, queued. A user cancels a job with a
marker file (``ID.cancel``), which the job's process looks for while it waits its turn and after
each batch it imports; the import then rolls back. Once every record is read, the index and the
commit are not stopped. A job process holds a lock on its own ``ID.lock`` for as long as it lives,
so a reader can tell a job whose process died (the machine restarted, it was killed) from one still
at work, whatever became of its pid.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from nato_tm.errors import Cancelled, Conflict, InvalidInput, NatoTmError, NotFound, StoreUnavailable
from nato_tm.formats.registry import ReadOptions
from nato_tm.services.documents import to_jsonable
from nato_tm.services.importer import ImportReport, import_stream
from nato_tm.services.progress import Progress, Watcher, duration, time_left
from nato_tm.store.db import Database

log = logging.getLogger(__name__)

KEEP = timedelta(days=7)  # finished jobs older than this are removed when a new one starts
STARTING = timedelta(minutes=2)  # a queued job whose process has not taken its lock after this has died
SAVE_EVERY = 0.5  # seconds between two progress writes
MAX_OPEN = 8  # jobs queued or running at once: each holds a process and a copy of its upload
WAIT_STEP = 0.25  # seconds between two looks at the turn (and at a cancel) while queued
_ID = re.compile(r"^[0-9a-f]{24}$")
OPTION_NAMES = ("format", "dry_run", "skip_invalid", "src", "tgt", "origin")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Job:
    """One import job as its file stores it."""

    id: str
    file: str  # the uploaded file's name
    options: dict[str, Any]  # OPTION_NAMES: format, dry_run, skip_invalid, src, tgt, origin
    state: str = "queued"  # queued, running, done or failed
    created: str = field(default_factory=_now)
    started: str | None = None
    ended: str | None = None
    records: int = 0  # records read so far
    fraction: float | None = None  # share of the file read, when known
    finishing: bool = False  # every record read; the index and the commit are left
    pid: int | None = None  # the job's process, once it has started
    cancelling: bool = False  # a user asked to cancel it and it has not ended yet (read from its marker)
    report: dict[str, Any] | None = None  # the import report, once done
    error: dict[str, str] | None = None  # {"code", "message"}, once failed

    @property
    def finished(self) -> bool:
        """Whether the job has ended, well or not."""
        return self.state in ("done", "failed")

    def left(self, now: datetime | None = None) -> str | None:
        """About how long reading the rest of the file will take ("45 s"), when it can be guessed."""
        if self.state != "running" or self.finishing or self.started is None:
            return None
        elapsed = ((now or datetime.now(UTC)) - datetime.fromisoformat(self.started)).total_seconds()
        seconds = time_left(self.fraction, elapsed)
        return duration(seconds) if seconds is not None and seconds >= 1 else None


class Jobs:
    """The job files of one data directory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, job_id: str, suffix: str) -> Path:
        return self.folder / f"{job_id}.{suffix}"

    def upload_path(self, job_id: str) -> Path:
        """Where a job's uploaded file is kept until the job ends."""
        return self._path(job_id, "upload")

    def log_path(self, job_id: str) -> Path:
        """Where a job's process writes what it prints (a traceback, should it fail unexpectedly)."""
        return self._path(job_id, "log")

    def create(self, stream: IO[bytes], name: str, options: dict[str, Any]) -> Job:
        """Store an upload and its job, queued; old finished jobs are removed."""
        unknown = set(options) - set(OPTION_NAMES)
        if unknown:
            raise InvalidInput(f"unknown import option {sorted(unknown)[0]!r}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if sum(not job.finished for job in self.prune()) >= MAX_OPEN:
                raise StoreUnavailable(f"{MAX_OPEN} imports are queued or running already: try again once one ends")
            job = Job(id=secrets.token_hex(12), file=name, options=options)
            with self.upload_path(job.id).open("wb") as out:
                shutil.copyfileobj(stream, out, 1024 * 1024)
            self.save(job)
        except OSError as exc:  # a data directory that is full or not writable: the server's fault, not the user's
            raise StoreUnavailable(f"the upload cannot be kept for its import ({exc.strerror})") from exc
        return job

    def save(self, job: Job) -> None:
        """Write a job's file whole (readers never see half of it)."""
        tmp = self._path(job.id, "json.tmp")
        tmp.write_text(json.dumps(asdict(job), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self._path(job.id, "json"))

    def get(self, job_id: str) -> Job:
        """A job as it stands; one whose process died is told as failed."""
        if not _ID.match(job_id):
            raise NotFound(f"no import job {job_id!r}")
        job = self._load(job_id)
        job.cancelling = not job.finished and self.cancelled(job_id)
        if job.finished or self._alive(job):
            return job
        job = self._load(job_id)  # it may have ended between the two looks: its process saves before it exits
        if not job.finished:
            stopped = "the import process stopped before the end; nothing was stored"
            self.end(job, {"code": "stopped", "message": stopped})
        return job

    def end(self, job: Job, error: dict[str, str] | None = None) -> None:
        """Record that a job has ended (failed with ``error`` if given) and let its upload go."""
        if error is not None:
            job.state, job.error = "failed", error
        job.ended, job.cancelling = _now(), False
        self.save(job)
        self.upload_path(job.id).unlink(missing_ok=True)

    def recent(self, limit: int = 10) -> list[Job]:
        """The latest jobs, newest first."""
        return sorted(self._every(), key=lambda job: job.created, reverse=True)[:limit]

    def _every(self) -> list[Job]:
        """Every job (``get`` of each job file: one whose process died is told as failed)."""
        found = []
        for path in self.folder.glob("*.json"):
            with contextlib.suppress(NotFound, OSError, ValueError, TypeError):  # not a job file, or being replaced
                found.append(self.get(path.stem))
        return found

    def _load(self, job_id: str) -> Job:
        try:
            data = json.loads(self._path(job_id, "json").read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise NotFound(f"no import job {job_id!r}") from exc
        return Job(**data)

    def _alive(self, job: Job) -> bool:
        """Whether a job's process still holds its lock (or may yet take it, just started)."""
        path = self._path(job.id, "lock")
        if not path.exists():
            return datetime.now(UTC) - datetime.fromisoformat(job.created) < STARTING
        with path.open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(lock, fcntl.LOCK_UN)
            return False

    def hold(self, job_id: str) -> IO[str]:
        """Open and lock a job's lock file: whoever holds it is the job's process (see ``_alive``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = self._path(job_id, "lock").open("a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        return lock

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop (see the module's note); Conflict once it has ended."""
        job = self.get(job_id)
        if job.finished:
            raise Conflict(f"import job {job_id} has ended ({job.state}): there is nothing to cancel")
        self._path(job_id, "cancel").touch()
        job.cancelling = True
        return job

    def cancelled(self, job_id: str) -> bool:
        """Whether a user asked this job to stop."""
        return self._path(job_id, "cancel").exists()

    def _stop_if_cancelled(self, job_id: str | None) -> None:
        if job_id is not None and self.cancelled(job_id):
            raise Cancelled("cancelled by a user; nothing was stored")

    @contextlib.contextmanager
    def turn(self, job_id: str | None = None, waiting: Callable[[], None] | None = None) -> Iterator[None]:
        """Wait for the imports before this one (one imports at a time), unless job ``job_id`` is cancelled meanwhile.

        ``waiting`` is called once if there is an import to wait for (the command line says so).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "run.lock").open("a") as lock:
            told = False
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if waiting is not None and not told:
                        waiting()
                        told = True
                    self._stop_if_cancelled(job_id)
                    time.sleep(WAIT_STEP)
            try:
                self._stop_if_cancelled(job_id)
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def prune(self) -> list[Job]:
        """Remove the files of jobs that ended more than KEEP ago (a job whose process died has ended); the others."""
        cutoff = datetime.now(UTC) - KEEP
        kept = []
        for job in self._every():
            if job.ended and datetime.fromisoformat(job.ended) < cutoff:
                for suffix in ("json", "lock", "upload", "log", "cancel"):
                    self._path(job.id, suffix).unlink(missing_ok=True)
            else:
                kept.append(job)
        return kept

    def watcher(self, job: Job, clock: Callable[[], float] = time.monotonic) -> Watcher:
        """A progress watcher that writes the job's file at most every SAVE_EVERY seconds."""
        last = [float("-inf")]

        def watch(p: Progress) -> None:
            job.records, job.fraction, job.finishing = p.records, p.fraction, p.finishing
            self._stop_if_cancelled(job.id)  # raised inside the import: its transaction rolls back
            if p.finishing or clock() - last[0] >= SAVE_EVERY:
                last[0] = clock()
                self.save(job)

        return watch


def import_upload(
    db: Database,
    stream: IO[bytes],
    name: str,
    options: dict[str, Any],
    workers: int = 0,
    progress: Watcher | None = None,
) -> ImportReport:
    """Import an uploaded stream with its import options (OPTION_NAMES), in a job or inside a request."""
    reading = ReadOptions(src_lang=options.get("src") or "fr", tgt_lang=options.get("tgt") or "en",
                          origin=options.get("origin") or "")  # fmt: skip
    return import_stream(db, stream, name, fmt=options.get("format") or None, options=reading,
                         dry_run=bool(options.get("dry_run")), skip_invalid=bool(options.get("skip_invalid")),
                         workers=workers, progress=progress)  # fmt: skip


def run(db: Database, jobs: Jobs, job_id: str, *, workers: int) -> Job:
    """Import a queued job's upload, once the jobs before it are done; the job tells how it ended."""
    job = jobs.get(job_id)
    if job.state != "queued":
        raise InvalidInput(f"import job {job_id} is {job.state}, not queued")
    job.pid = os.getpid()
    jobs.save(job)
    try:
        with jobs.turn(job.id):
            job.state, job.started = "running", _now()
            jobs.save(job)
            job.report = to_jsonable(_import(db, jobs, job, workers))
            job.state = "done"
    except NatoTmError as exc:
        job.state, job.error = "failed", {"code": exc.code, "message": exc.message}
    except Exception:  # the job file must end, whatever went wrong; the log keeps the traceback
        log.exception("import job %s failed", job.id)
        job.state, job.error = "failed", {"code": "internal", "message": "the import failed; see the server log"}
    finally:
        jobs.end(job)
    return job


def _import(db: Database, jobs: Jobs, job: Job, workers: int) -> ImportReport:
    with jobs.upload_path(job.id).open("rb") as stream:
        return import_upload(db, stream, job.file, job.options, workers, jobs.watcher(job))


def launch(jobs: Jobs, job: Job, database_url: str) -> None:
    """Start ``nato-tm job-run`` for a queued job, detached, holding the job's lock from the start."""
    lock = jobs.hold(job.id)  # taken here and handed over: no moment when the job looks dead
    env = {**os.environ, "NATO_TM_DATABASE_URL": database_url, "NATO_TM_DATA_DIR": str(jobs.folder.parent)}
    command = [sys.executable, "-m", "nato_tm", "job-run", job.id, "--lock-fd", str(lock.fileno())]
    try:
        with jobs.log_path(job.id).open("ab") as out:
            proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    pass_fds=(lock.fileno(),), start_new_session=True)  # fmt: skip
        # Reaped by a thread of its own once it exits: unwaited, it stayed a zombie until the next launch.
        threading.Thread(target=proc.wait, name=f"import-job-{job.id}", daemon=True).start()
    except OSError as exc:
        jobs.end(job, {"code": "internal", "message": f"the import process could not start: {exc.strerror}"})
    finally:
        lock.close()  # the child's copy keeps the lock


def jobs_folder(data_dir: Path) -> Path:
    """The jobs folder of a data directory."""
    return data_dir / "jobs"
