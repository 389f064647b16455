"""``nato-tm job-run``: the process an import job runs in (started by the web edge, see services/jobs.py)."""

from __future__ import annotations

import click

from nato_tm.cli.base import db_option, state
from nato_tm.services import jobs
from nato_tm.services.importer import default_workers


@click.command(name="job-run", hidden=True)
@click.argument("job_id")
@click.option("--lock-fd", type=int, help="An open, locked descriptor of the job's lock file (from the web edge).")
@db_option
def job_run(job_id: str, lock_fd: int | None) -> None:
    """Run a queued import job: import its upload and record how far it gets in its job file."""
    store = jobs.Jobs(jobs.jobs_folder(state().settings.data_dir))
    # The lock proves the job alive to readers: the web edge's, inherited, or taken here.
    lock = store.hold(job_id) if lock_fd is None else None
    try:
        job = jobs.run(state().db, store, job_id, workers=default_workers())
    finally:
        if lock is not None:
            lock.close()
    click.echo(f"import job {job.id}: {job.state}")


COMMANDS = [job_run]
