"""JSON API, writing side (token or editor session required, see auth.py) and exports with ETags."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from flask import Blueprint, Response, current_app, request

from nato_tm.errors import InvalidInput
from nato_tm.services import exporter, jobs
from nato_tm.services.freshness import Freshness, freshness
from nato_tm.webapp import auth, get_db, get_settings
from nato_tm.webapp.params import document, json_body, lang_param, text_param

bp = Blueprint("api_write", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)

CHUNK = 64 * 1024
SPOOL = 8 * 1024 * 1024
MEMORY_FORMATS = frozenset({"tmx"})
JOBS_LISTED = 50


def _user() -> str:
    found = auth.current()
    return found.name if found else "anonymous"


@bp.post("/tm/units")
def add_unit() -> Response:
    """Store a translation from a CAT tool: {"source", "target", "from", "to", "prev"?}; 201 when new."""
    from nato_tm.services.tm_write import add_unit as run

    body = json_body()
    source = text_param(body, "source")
    target = text_param(body, "target")
    src = lang_param(body, "from", "fr") or "fr"
    tgt = lang_param(body, "to", "en" if src == "fr" else "fr") or "en"
    if src == tgt:
        raise InvalidInput("'from' and 'to' must differ", param="to")
    prev = text_param(body, "prev", required=False) or None
    doc = run(get_db(current_app), source, target, src, tgt, user=_user(), origin="api", context_prev=prev)
    return document(doc, 201 if doc.outcome == "added" else 200)


def _flag(name: str) -> bool:
    return (request.values.get(name) or "").lower() in ("1", "true", "yes", "on")


def _import_options(name: str) -> dict[str, Any]:
    """The request's import options (services/jobs.py's OPTION_NAMES), for an upload named ``name``."""
    values = request.values
    return {
        "format": values.get("format") or None,
        "dry_run": _flag("dry_run"),
        "skip_invalid": _flag("skip_invalid"),
        "src": lang_param(values, "src", "fr") or "fr",
        "tgt": lang_param(values, "tgt", "en") or "en",
        "origin": values.get("origin") or f"upload:{name}",
    }


def job_store() -> jobs.Jobs:
    """The import jobs of the app's data directory."""
    return jobs.Jobs(jobs.jobs_folder(get_settings(current_app).data_dir))


def start_job(stream: IO[bytes], name: str) -> jobs.Job:
    """Store an upload with the request's import options and start its job (see services/jobs.py)."""
    store = job_store()
    job = store.create(stream, name, _import_options(name))
    jobs.launch(store, job, get_db(current_app).url)
    return job


def _wants_job() -> bool:
    # RFC 7240's "Prefer: respond-async", or ?async=1 for clients that cannot set a header.
    prefer = request.headers.get("Prefer", "").replace(" ", "").lower().split(",")
    return "respond-async" in prefer or _flag("async")


def _imported(stream: IO[bytes], name: str) -> Response:
    if not _wants_job():
        return document(jobs.import_upload(get_db(current_app), stream, name, _import_options(name)))
    job = start_job(stream, name)
    response = document(job, 202)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    response.headers["Preference-Applied"] = "respond-async"
    return response


@bp.post("/import")
def import_file() -> Response:
    """Import a TMX, TBX, TSV or CSV file sent as multipart 'file' or as the raw body (?name=)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return _imported(upload.stream, os.path.basename(upload.filename))
    if request.mimetype.startswith("multipart/"):
        raise InvalidInput("the multipart form has no 'file' part", param="file")
    data = request.get_data(cache=False)
    if not data:
        raise InvalidInput("send the file as multipart 'file' or as the request body", param="file")
    with tempfile.SpooledTemporaryFile(SPOOL) as stream:
        stream.write(data)
        stream.seek(0)
        return _imported(stream, request.args.get("name") or "upload")


@bp.get("/jobs")
def job_list() -> Response:
    """The latest import jobs, newest first (token)."""
    auth.require_writer("reading import jobs", "import")  # what importing needs
    return document({"jobs": job_store().recent(limit=JOBS_LISTED)})


@bp.get("/jobs/<job_id>")
def job_status(job_id: str) -> Response:
    """An import job: its state, how far it has read, and its report or error once ended (token)."""
    auth.require_writer("reading import jobs", "import")  # what importing needs
    return document(job_store().get(job_id))


@bp.delete("/jobs/<job_id>")
def cancel_job(job_id: str) -> Response:
    """Ask an import job to stop: 202 with the job (``cancelling``); its state says when it has (token)."""
    return document(job_store().cancel(job_id), 202)


def export_state(fmt: str) -> Freshness:
    """The fingerprint of what format ``fmt`` exports."""
    return freshness(get_db(current_app), "memory" if fmt in MEMORY_FORMATS else "terms")


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    finally:
        stream.close()


def _export_file(fmt: str, tag: str) -> IO[bytes]:
    """The export as an open file: the data directory's copy for this tag, or one written now if it cannot keep one."""
    db = get_db(current_app)
    try:
        return exporter.cached_export(db, fmt, get_settings(current_app).data_dir / "exports", tag).open("rb")
    except OSError:  # a data directory that is full or read-only: export as before, for this download only
        log.warning("export %s: the data directory cannot keep a copy; written for this download only", fmt)
        stream = tempfile.SpooledTemporaryFile(SPOOL)  # noqa: SIM115 - closed by _chunks
        exporter.export(db, fmt, stream)
        return stream


def export_response(fmt: str) -> Response:
    """The export in format ``fmt``, or 304 when the client's copy (ETag/date) is current."""
    exporter.exporter(fmt)  # 415 for an unknown format, before any work
    state = export_state(fmt)
    etag = f"{fmt}-{state.etag}"
    not_modified = request.if_none_match.contains(etag) if request.if_none_match else None
    if not_modified is None and request.if_modified_since and state.last_modified:
        not_modified = state.last_modified.replace(microsecond=0) <= request.if_modified_since
    if not_modified:
        response = Response(status=304)
    else:
        stream = _export_file(fmt, state.etag)
        response = Response(_chunks(stream), mimetype=exporter.media_type(fmt))
        response.headers["Content-Length"] = str(stream.seek(0, os.SEEK_END))
        stream.seek(0)
        ext = exporter.EXPORTERS[fmt][3]
        response.headers["Content-Disposition"] = f'attachment; filename="nato-tm-{fmt}.{ext}"'
    response.set_etag(etag)
    if state.last_modified:
        response.last_modified = state.last_modified
    response.cache_control.no_cache = True  # always revalidate: cheap with the ETag
    return response


@bp.get("/export/<fmt>")
def export(fmt: str) -> Response:
    """Download the memory (tmx) or the term base (tbx, tbx2, tsv), with ETag and Last-Modified."""
    return export_response(fmt)
