"""JSON API for editing the term base: concepts and their terms (token or editor session required)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, url_for

from nato_tm.services import concepts
from nato_tm.webapp import get_db
from nato_tm.webapp.params import document, json_body

bp = Blueprint("api_concepts", __name__, url_prefix="/api/v1")


def _no_content() -> Response:
    response = Response(status=204)
    del response.headers["Content-Type"]  # no body, so no media type (Werkzeug would say text/html)
    return response


@bp.post("/concepts")
def create_concept() -> Response:
    """Create a concept from a ConceptDoc-shaped body (terms and definition by language)."""
    doc = concepts.create_concept(get_db(current_app), concepts.concept_record(json_body()))
    response = document(doc, 201)
    response.headers["Location"] = url_for("api.concept", concept_id=doc.id)
    return response


@bp.put("/concepts/<concept_id>")
def update_concept(concept_id: str) -> Response:
    """Replace a concept's fields, sections and terms."""
    record = concepts.concept_record(json_body())
    return document(concepts.update_concept(get_db(current_app), concept_id, record))


@bp.delete("/concepts/<concept_id>")
def delete_concept(concept_id: str) -> Response:
    """Delete a concept with its terms."""
    concepts.delete_concept(get_db(current_app), concept_id)
    return _no_content()


@bp.post("/concepts/<concept_id>/terms")
def add_term(concept_id: str) -> Response:
    """Add a term: {"text", "lang", "type", "status", "reliability", ...}."""
    term = concepts.add_term(get_db(current_app), concept_id, concepts.term_record(json_body()))
    return document(term, 201)


@bp.put("/concepts/<concept_id>/terms/<int:term_id>")
def update_term(concept_id: str, term_id: int) -> Response:
    """Replace every field of one term."""
    term = concepts.update_term(get_db(current_app), concept_id, term_id, concepts.term_record(json_body()))
    return document(term)


@bp.delete("/concepts/<concept_id>/terms/<int:term_id>")
def delete_term(concept_id: str, term_id: int) -> Response:
    """Delete one term (a concept keeps at least one)."""
    concepts.delete_term(get_db(current_app), concept_id, term_id)
    return _no_content()
