"""Pages for signed-in editors: import with its report, export downloads, concept and term editing."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from nato_tm.errors import Conflict, InvalidInput, NatoTmError
from nato_tm.services import concepts, exporter
from nato_tm.services.documents import to_jsonable
from nato_tm.store.termbase import STATUSES, TERM_TYPES
from nato_tm.webapp import auth, get_db
from nato_tm.webapp.api_write import export_response, job_store, start_job

bp = Blueprint("ui_edit", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def editor_page(view: F) -> F:
    """Send visitors who are not signed-in editors to the sign-in page (GET pages only)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        me = auth.current()
        if me is None or not me.can_write:
            return redirect(url_for("auth.signin", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _exports() -> list[dict[str, str]]:
    labels = {"tmx": "Mémoire (TMX 1.4b)", "tbx": "Terminologie (TBX)", "tbx2": "Terminologie (TBX v2)"}
    labels["tsv"] = "Terminologie (TSV)"
    return [{"fmt": f, "label": labels.get(f, f)} for f in exporter.EXPORTERS]


@bp.route("/exchange", methods=["GET", "POST"])
@editor_page
def exchange() -> ResponseReturnValue:
    """Upload a TMX, TBX or TSV file (imported as a job, whose page follows it); download the exports."""
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise InvalidInput("choose a file to import", param="file")
            job = start_job(upload.stream, os.path.basename(upload.filename))
        except InvalidInput as exc:
            return _exchange_page(exc.message), 400
        return redirect(url_for("ui_edit.import_job", job_id=job.id), 303)
    return _exchange_page(None)


def _exchange_page(error: str | None) -> str:
    return render_template("exchange.html", error=error, exports=_exports(), jobs=job_store().recent())


@bp.get("/exchange/jobs/<job_id>")
@editor_page
def import_job(job_id: str) -> ResponseReturnValue:
    """An import job's page: how far it is while it runs (the page follows it), then its report or error."""
    return render_template("import_job.html", job=job_store().get(job_id))


@bp.post("/exchange/jobs/<job_id>/cancel")
def cancel_import(job_id: str) -> ResponseReturnValue:
    """Ask an import job to stop, then back to its page (which says when it has)."""
    try:
        job_store().cancel(job_id)
    except Conflict as exc:  # it ended meanwhile: its page tells how
        flash(exc.message, "error")
    return redirect(url_for("ui_edit.import_job", job_id=job_id), 303)


@bp.get("/exchange/export/<fmt>")
def download(fmt: str) -> Response:
    """An export download (the same bytes, ETag and Last-Modified as the API)."""
    return export_response(fmt)


def _term_form(prefix: str = "") -> dict[str, Any]:
    form = request.form
    reliability = form.get(prefix + "reliability") or ""
    if reliability and not reliability.isdigit():
        raise InvalidInput("reliability is a number from 1 to 4", param="reliability")
    return {
        "text": (form.get(prefix + "text") or "").strip(),
        "lang": form.get(prefix + "lang") or "",
        "type": form.get(prefix + "type") or "fullForm",
        "status": form.get(prefix + "status") or "preferred",
        "reliability": int(reliability) if reliability else None,
        "source": form.get(prefix + "source") or None,
        "note": form.get(prefix + "note") or None,
    }


def _concept_fields(data: dict[str, Any]) -> dict[str, Any]:
    form = request.form
    data["subject_fields"] = [f.strip() for f in (form.get("subject_fields") or "").split(",") if f.strip()]
    for name in ("source", "note"):
        data[name] = (form.get(name) or "").strip() or None
    data["definition"] = {lang: (form.get(f"definition_{lang}") or "").strip() or None for lang in ("fr", "en")}
    data.pop("langs", None)  # the definitions above replace the sections' definitions
    return data


def _after(concept_id: str, done: str) -> ResponseReturnValue:
    flash(done, "ok")
    return redirect(url_for("ui_edit.edit_concept", concept_id=concept_id))


def _edit_page(doc: dict[str, Any], status: int = 200) -> ResponseReturnValue:
    choices = {"types": TERM_TYPES, "statuses": STATUSES}
    return render_template("concept_edit.html", concept=doc, **choices), status


@bp.route("/concepts/new", methods=["GET", "POST"])
@editor_page
def new_concept() -> ResponseReturnValue:
    """Create a concept with a French and an English term."""
    if request.method == "GET":
        return render_template("concept_new.html", form={}, error=None, statuses=STATUSES)
    terms = {}
    for lang in ("fr", "en"):
        term = _term_form(f"{lang}_") | {"lang": lang}
        if term["text"]:
            terms[lang] = [term]
    data = _concept_fields({"id": (request.form.get("id") or "").strip() or None, "terms": terms})
    try:
        doc = concepts.create_concept(get_db(current_app), concepts.concept_record(data))
    except NatoTmError as exc:
        page = render_template("concept_new.html", form=request.form, error=exc.message, statuses=STATUSES)
        return page, 409 if exc.code == "conflict" else 400
    return _after(doc.id, "Concept créé.")


@bp.route("/concepts/<concept_id>/edit", methods=["GET", "POST"])
@editor_page
def edit_concept(concept_id: str) -> ResponseReturnValue:
    """Edit a concept's subject fields, source, note and definitions, and its terms."""
    db = get_db(current_app)
    doc = to_jsonable(concepts.get_concept(db, concept_id))
    if request.method == "GET":
        return _edit_page(doc)
    try:
        concepts.update_concept(db, concept_id, concepts.concept_record(_concept_fields(doc)))
    except NatoTmError as exc:
        flash(exc.message, "error")
        return _edit_page(doc, 400)
    return _after(concept_id, "Fiche enregistrée.")


@bp.post("/concepts/<concept_id>/delete")
def delete_concept(concept_id: str) -> ResponseReturnValue:
    """Delete a concept and its terms."""
    concepts.delete_concept(get_db(current_app), concept_id)
    flash(f"Concept {concept_id} supprimé.", "ok")
    return redirect(url_for("ui.index"))


def _term_action(concept_id: str, action: Callable[[], object], done: str) -> ResponseReturnValue:
    try:
        action()
    except NatoTmError as exc:
        if exc.code == "not_found":
            raise
        flash(exc.message, "error")
        return redirect(url_for("ui_edit.edit_concept", concept_id=concept_id))
    return _after(concept_id, done)


@bp.post("/concepts/<concept_id>/terms")
def add_term(concept_id: str) -> ResponseReturnValue:
    """Add a term to a concept."""
    db = get_db(current_app)
    return _term_action(
        concept_id, lambda: concepts.add_term(db, concept_id, concepts.term_record(_term_form())), "Terme ajouté."
    )


@bp.post("/concepts/<concept_id>/terms/<int:term_id>")
def update_term(concept_id: str, term_id: int) -> ResponseReturnValue:
    """Save one term's text, type, status and reliability."""
    db = get_db(current_app)

    def run() -> object:
        return concepts.update_term(db, concept_id, term_id, concepts.term_record(_term_form()))

    return _term_action(concept_id, run, "Terme enregistré.")


@bp.post("/concepts/<concept_id>/terms/<int:term_id>/delete")
def delete_term(concept_id: str, term_id: int) -> ResponseReturnValue:
    """Delete one term."""
    db = get_db(current_app)
    return _term_action(concept_id, lambda: concepts.delete_term(db, concept_id, term_id), "Terme supprimé.")
