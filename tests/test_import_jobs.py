"""Import jobs: an upload imported in a process of its own, followed through its job file (services/jobs.py)."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nato_tm import resources
from nato_tm.errors import Conflict, InvalidInput, NotFound, StoreUnavailable
from nato_tm.services import jobs
from nato_tm.services.progress import Progress
from nato_tm.services.stats import stats
from nato_tm.store.db import Database

SEED_TMX = (resources.termbase() / "seed-memory.tmx").read_bytes()
SEED_UNITS = SEED_TMX.count(b"<tu ") + SEED_TMX.count(b"<tu>")
OPTIONS = {"format": None, "dry_run": False, "skip_invalid": False, "src": "fr", "tgt": "en", "origin": "upload:t"}


@pytest.fixture
def store(tmp_path: Path) -> jobs.Jobs:
    return jobs.Jobs(tmp_path / "jobs")


def _units(db: Database) -> int:
    return int(stats(db).units)


def _until_finished(store: jobs.Jobs, job_id: str, seconds: float = 90) -> jobs.Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {store.get(job_id).state} after {seconds} s")


def test_a_job_imports_its_upload_and_reports(empty_db: Database, store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    assert job.state == "queued" and store.upload_path(job.id).read_bytes() == SEED_TMX
    done = jobs.run(empty_db, store, job.id, workers=0)
    assert done.state == "done" and done.error is None and done.pid == os.getpid()
    assert done.report is not None and done.report["added"] == SEED_UNITS == _units(empty_db)
    assert done.records == SEED_UNITS and done.finishing and done.fraction == 1.0
    assert store.get(job.id) == done  # what its file says
    assert not store.upload_path(job.id).exists()  # the upload goes once imported
    assert done.started is not None and done.ended is not None and done.started <= done.ended


def test_a_dry_run_job_changes_nothing(empty_db: Database, store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", {**OPTIONS, "dry_run": True})
    done = jobs.run(empty_db, store, job.id, workers=0)
    assert done.state == "done" and done.report is not None and done.report["dry_run"] is True
    assert done.report["added"] == SEED_UNITS and _units(empty_db) == 0


def test_a_broken_file_fails_its_job_with_the_readers_message(empty_db: Database, store: jobs.Jobs) -> None:
    broken = SEED_TMX[: len(SEED_TMX) // 2]  # cut in the middle of a unit
    job = store.create(io.BytesIO(broken), "cut.tmx", OPTIONS)
    failed = jobs.run(empty_db, store, job.id, workers=0)
    assert failed.state == "failed" and failed.report is None and failed.error is not None
    assert failed.error["code"] == "bad_file" and "cut.tmx" in failed.error["message"]
    assert _units(empty_db) == 0 and not store.upload_path(job.id).exists()


def test_a_job_runs_once(empty_db: Database, store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    jobs.run(empty_db, store, job.id, workers=0)
    with pytest.raises(InvalidInput, match="done, not queued"):
        jobs.run(empty_db, store, job.id, workers=0)


@pytest.mark.parametrize("job_id", ["0" * 24, "../../etc/passwd", "", "A" * 24])
def test_unknown_or_malformed_job_ids_are_not_found(store: jobs.Jobs, job_id: str) -> None:
    with pytest.raises(NotFound):
        store.get(job_id)


def test_unknown_options_are_refused(store: jobs.Jobs) -> None:
    with pytest.raises(InvalidInput, match="unknown import option 'workers'"):
        store.create(io.BytesIO(b""), "x.tmx", {"workers": 8})


def test_a_job_whose_process_died_is_told_failed(store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    assert store.get(job.id).state == "queued"  # just created: its process may not have started yet
    lock = store.hold(job.id)  # a live process holds the job's lock
    assert store.get(job.id).state == "queued"
    lock.close()  # ... and the process is gone
    gone = store.get(job.id)
    assert gone.state == "failed" and gone.error is not None and gone.error["code"] == "stopped"
    assert "nothing was stored" in gone.error["message"] and gone.ended is not None
    assert not store.upload_path(job.id).exists()


def test_a_job_that_never_started_is_told_failed(store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    job.created = (datetime.now(UTC) - jobs.STARTING - timedelta(seconds=1)).isoformat()
    store.save(job)
    assert store.get(job.id).state == "failed"


def test_jobs_wait_their_turn(empty_db: Database, store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    lock = store.hold(job.id)
    result: list[jobs.Job] = []
    with store.turn("f" * 24):  # an import before this one
        thread = threading.Thread(target=lambda: result.append(jobs.run(empty_db, store, job.id, workers=0)))
        thread.start()
        time.sleep(0.5)
        waiting = store.get(job.id)
        assert waiting.state == "queued" and waiting.pid == os.getpid() and _units(empty_db) == 0
    thread.join(60)
    lock.close()
    assert result and result[0].state == "done" and _units(empty_db) == SEED_UNITS


def test_old_finished_jobs_are_pruned_when_a_new_one_starts(store: jobs.Jobs) -> None:
    old = store.create(io.BytesIO(b"old"), "old.tmx", OPTIONS)
    old.state, old.ended = "done", (datetime.now(UTC) - jobs.KEEP - timedelta(hours=1)).isoformat()
    store.save(old)
    recent = store.create(io.BytesIO(b"recent"), "recent.tmx", OPTIONS)
    recent.state, recent.ended = "done", datetime.now(UTC).isoformat()
    store.save(recent)
    store.create(io.BytesIO(b"new"), "new.tmx", OPTIONS)
    with pytest.raises(NotFound):
        store.get(old.id)
    assert not store.upload_path(old.id).exists()
    assert store.get(recent.id).state == "done"


def test_progress_is_written_at_most_twice_a_second_and_always_at_the_end(store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(b"x"), "x.tmx", OPTIONS)
    now = [100.0]
    watch = store.watcher(job, clock=lambda: now[0])
    watch(Progress(1000, 10, 100))
    assert store.get(job.id).records == 1000
    now[0] += 0.1
    watch(Progress(2000, 20, 100))
    assert store.get(job.id).records == 1000  # too soon after the last write
    now[0] += 0.5
    watch(Progress(3000, 30, 100))
    assert (store.get(job.id).records, store.get(job.id).fraction) == (3000, 0.3)
    watch(Progress(3500, 100, 100, finishing=True))
    assert store.get(job.id).finishing and store.get(job.id).records == 3500


def test_a_launched_job_imports_in_its_own_process(empty_db: Database, store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    jobs.launch(store, job, empty_db.url)
    done = _until_finished(store, job.id)
    assert done.state == "done", (done.error, store.log_path(job.id).read_text())
    assert done.pid != os.getpid() and _units(empty_db) == SEED_UNITS
    # The launching process reaps it once it exits: no zombie is left until the next launch.
    proc = Path(f"/proc/{done.pid}")
    deadline = time.monotonic() + 30
    while proc.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not proc.exists()


def test_a_killed_job_process_leaves_the_store_as_it_was(empty_db: Database, store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    with store.turn("f" * 24):  # hold it queued, so that it is killed before it has imported
        jobs.launch(store, job, empty_db.url)
        deadline = time.monotonic() + 60
        while store.get(job.id).pid is None and time.monotonic() < deadline:
            time.sleep(0.1)
        pid = store.get(job.id).pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        gone = _until_finished(store, job.id)
    assert gone.state == "failed" and gone.error is not None and gone.error["code"] == "stopped"
    assert _units(empty_db) == 0


def _poll_api(client, job_id: str, headers: dict[str, str]) -> dict:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        doc = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()
        if doc["state"] in ("done", "failed"):
            return doc  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


@pytest.mark.parametrize("ask", [{"query_string": {"async": "1"}}, {"headers": {"Prefer": "respond-async, wait=5"}}])
def test_the_api_imports_as_a_job_when_asked(client, editor_token, ask) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {editor_token}", **ask.get("headers", {})}
    data = {"file": (io.BytesIO(SEED_TMX), "seed-memory.tmx")}
    response = client.post("/api/v1/import", data=data, headers=headers, content_type="multipart/form-data",
                           query_string=ask.get("query_string"))  # fmt: skip
    assert response.status_code == 202, response.get_data(as_text=True)
    job = response.get_json()
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}" and job["state"] == "queued"
    assert response.headers["Preference-Applied"] == "respond-async"
    done = _poll_api(client, job["id"], {"Authorization": f"Bearer {editor_token}"})
    assert done["state"] == "done", done
    assert done["report"]["file"] == "seed-memory.tmx" and done["report"]["unchanged"] == SEED_UNITS  # seeded store


def test_a_raw_body_import_job(client, editor_token) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {editor_token}", "Prefer": "respond-async"}
    response = client.post("/api/v1/import?name=cut.tmx", data=SEED_TMX[:500], headers=headers,
                           content_type="application/octet-stream")  # fmt: skip
    assert response.status_code == 202
    failed = _poll_api(client, response.get_json()["id"], headers)
    assert failed["state"] == "failed" and failed["error"]["code"] == "bad_file" and failed["report"] is None


def test_job_status_needs_a_writer(client, db: Database, editor_token) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.services.auth import hash_token
    from nato_tm.store.accounts import ApiToken

    headers = {"Authorization": f"Bearer {editor_token}", "Prefer": "respond-async"}
    data = {"file": (io.BytesIO(SEED_TMX), "seed-memory.tmx")}
    response = client.post("/api/v1/import", data=data, headers=headers, content_type="multipart/form-data")
    job_id = response.get_json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 401
    reader = "ntm_a-reader-token-written-straight-to-the-store"  # no service makes readers; the store allows them
    with db.session() as s:
        s.add(ApiToken(name="reader", role="reader", token_hash=hash_token(reader)))
    response = client.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {reader}"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    missing = client.get("/api/v1/jobs/" + "0" * 24, headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    _poll_api(client, job_id, headers)  # let it end before the store goes


def _many_units_tmx(n: int) -> bytes:
    """A TMX file of ``n`` numbered units built from a seed-article sentence (several import batches)."""
    head = SEED_TMX[: SEED_TMX.index(b"<body>") + len(b"<body>")]
    units = b"".join(
        f'<tu><tuv xml:lang="fr"><seg>Le Comité militaire s’est réuni {i} fois.</seg></tuv>'
        f'<tuv xml:lang="en"><seg>The Military Committee met {i} times.</seg></tuv></tu>'.encode()
        for i in range(n)
    )
    return head + units + b"</body></tmx>"


def test_a_queued_job_cancelled_never_imports(empty_db: Database, store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    lock = store.hold(job.id)
    result: list[jobs.Job] = []
    with store.turn("f" * 24):  # an import before this one, which the cancelled job does not wait for
        thread = threading.Thread(target=lambda: result.append(jobs.run(empty_db, store, job.id, workers=0)))
        thread.start()
        time.sleep(0.3)
        asked = store.cancel(job.id)
        assert asked.cancelling and asked.state == "queued"
        thread.join(10)
        assert result, "the cancelled job still waited for its turn"
    lock.close()
    done = store.get(job.id)
    assert done.state == "failed" and done.error == {"code": "cancelled", "message": result[0].error["message"]}
    assert not done.cancelling and "nothing was stored" in done.error["message"] and _units(empty_db) == 0


class _CancelledMidway(jobs.Jobs):
    """Jobs whose user cancels each import once its first batch is read."""

    def watcher(self, job: jobs.Job, clock=time.monotonic):  # type: ignore[no-untyped-def]
        watch = super().watcher(job, clock)

        def cancel_then_watch(p: Progress) -> None:
            if p.records and not self.cancelled(job.id):
                self.cancel(job.id)
            watch(p)

        return cancel_then_watch


@pytest.mark.parametrize("workers", [0, 2])
def test_a_running_job_cancelled_rolls_its_import_back(empty_db: Database, tmp_path: Path, workers: int) -> None:
    store = _CancelledMidway(tmp_path / "jobs")
    job = store.create(io.BytesIO(_many_units_tmx(5000)), "many.tmx", OPTIONS)
    done = jobs.run(empty_db, store, job.id, workers=workers)
    assert done.state == "failed" and done.error is not None and done.error["code"] == "cancelled"
    assert 0 < done.records < 5000 and _units(empty_db) == 0


def test_an_ended_job_cannot_be_cancelled(empty_db: Database, store: jobs.Jobs) -> None:
    job = store.create(io.BytesIO(SEED_TMX), "seed-memory.tmx", OPTIONS)
    jobs.run(empty_db, store, job.id, workers=0)
    with pytest.raises(Conflict, match="has ended"):
        store.cancel(job.id)


def test_the_api_cancels_a_job(client, editor_token, web_jobs) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {editor_token}", "Prefer": "respond-async"}
    auth_only = {"Authorization": f"Bearer {editor_token}"}
    with web_jobs.turn("f" * 24):  # keep it queued
        data = {"file": (io.BytesIO(SEED_TMX), "seed-memory.tmx")}
        posted = client.post("/api/v1/import", data=data, headers=headers, content_type="multipart/form-data")
        job_id = posted.json["id"]
        assert client.delete(f"/api/v1/jobs/{job_id}").status_code == 401
        asked = client.delete(f"/api/v1/jobs/{job_id}", headers=auth_only)
        assert asked.status_code == 202 and asked.json["cancelling"] is True
        failed = _poll_api(client, job_id, auth_only)
    assert failed["state"] == "failed" and failed["error"]["code"] == "cancelled" and failed["cancelling"] is False
    again = client.delete(f"/api/v1/jobs/{job_id}", headers=auth_only)
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"


def test_at_most_max_open_jobs_wait_at_once(store: jobs.Jobs) -> None:
    waiting = [store.create(io.BytesIO(b"x"), f"{i}.tmx", OPTIONS) for i in range(jobs.MAX_OPEN)]
    with pytest.raises(StoreUnavailable, match="imports are queued or running already"):
        store.create(io.BytesIO(b"x"), "one-too-many.tmx", OPTIONS)
    waiting[0].state, waiting[0].ended = "done", datetime.now(UTC).isoformat()
    store.save(waiting[0])
    assert store.create(io.BytesIO(b"x"), "now.tmx", OPTIONS).state == "queued"


def test_a_data_directory_that_cannot_keep_the_upload_is_the_servers_fault(tmp_path: Path) -> None:
    (tmp_path / "jobs").write_text("a file where the jobs folder should be")
    with pytest.raises(StoreUnavailable, match="the upload cannot be kept"):
        jobs.Jobs(tmp_path / "jobs").create(io.BytesIO(b"x"), "x.tmx", OPTIONS)


def test_the_api_says_503_when_too_many_jobs_wait(client, editor_token, web_jobs) -> None:  # type: ignore[no-untyped-def]
    for i in range(jobs.MAX_OPEN):
        web_jobs.create(io.BytesIO(b"x"), f"{i}.tmx", OPTIONS)
    headers = {"Authorization": f"Bearer {editor_token}", "Prefer": "respond-async"}
    data = {"file": (io.BytesIO(SEED_TMX), "seed-memory.tmx")}
    response = client.post("/api/v1/import", data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.json["error"]["code"] == "unavailable"


def test_a_running_job_guesses_the_time_left_to_read() -> None:
    started = datetime(2026, 11, 29, 16, 0, 0, tzinfo=UTC)
    job = jobs.Job(id="a" * 24, file="x.tmx", options=OPTIONS, state="running", started=started.isoformat())
    job.fraction = 0.25
    assert job.left(started + timedelta(seconds=10)) == "30 s"  # a quarter in 10 s: 30 s more
    assert job.left(started + timedelta(seconds=2)) is None  # too early to say
    job.fraction = None
    assert job.left(started + timedelta(seconds=10)) is None  # a stream of unknown size
    job.fraction, job.finishing = 1.0, True
    assert job.left(started + timedelta(seconds=40)) is None  # all read: the index is not timed
    job.finishing, job.state = False, "queued"
    assert job.left(started + timedelta(seconds=40)) is None


def test_the_api_lists_the_latest_jobs(client, editor_token, web_jobs) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {editor_token}"}
    assert client.get("/api/v1/jobs").status_code == 401
    assert client.get("/api/v1/jobs", headers=headers).json == {"jobs": []}
    store = web_jobs
    older = store.create(io.BytesIO(b"x"), "older.tmx", OPTIONS)
    older.created = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    store.save(older)
    newer = store.create(io.BytesIO(b"x"), "newer.tmx", OPTIONS)
    listed = client.get("/api/v1/jobs", headers=headers).json["jobs"]
    assert [(j["id"], j["file"]) for j in listed] == [(newer.id, "newer.tmx"), (older.id, "older.tmx")]


def _cli_import(db: Database, tmp_path: Path) -> Any:
    """``nato-tm --db URL import`` of the seed memory, as a user types it (click's test runner)."""
    from click.testing import CliRunner

    from nato_tm.cli.main import _register, cli

    _register()
    path = tmp_path / "seed-memory.tmx"
    path.write_bytes(SEED_TMX)
    return CliRunner().invoke(cli, ["--db", db.url, "import", str(path)])


def test_the_command_line_import_waits_for_a_web_import_and_says_so(
    empty_db: Database, tmp_path: Path, web_jobs: jobs.Jobs
) -> None:
    result: list[Any] = []
    with web_jobs.turn("f" * 24):  # a web upload importing
        thread = threading.Thread(target=lambda: result.append(_cli_import(empty_db, tmp_path)))
        thread.start()
        time.sleep(0.6)
        assert not result and _units(empty_db) == 0  # it waits instead of failing on the store's lock
    thread.join(60)
    assert result and result[0].exit_code == 0, result and result[0].output
    assert "Waiting for the import before this one (a web upload)" in result[0].stderr
    assert _units(empty_db) == SEED_UNITS


def test_the_command_line_imports_where_the_data_directory_cannot_hold_the_turn(
    empty_db: Database, tmp_path: Path, web_jobs: jobs.Jobs
) -> None:
    web_jobs.folder.write_text("a file where the jobs folder should be")
    result = _cli_import(empty_db, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Waiting" not in result.stderr and _units(empty_db) == SEED_UNITS
