"""Server-rendered pages for translators: search, concept, segment and concordance views."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request

from nato_tm.errors import NatoTmError
from nato_tm.services.documents import to_jsonable
from nato_tm.services.stats import stats
from nato_tm.webapp import get_db
from nato_tm.webapp.params import MAX_QUERY, lang_param, text_param
from nato_tm.webapp.view_helpers import DIRECTIONS, diff_pieces, direction, mark_hits, ordered_terms

bp = Blueprint("ui", __name__)
TERM_QUERY = 200
SENTENCE_WORDS = 6


def search_both(query: str, src: str, tgt: str) -> dict[str, Any]:
    """Term-base results and memory matches for one query, as plain dicts for the templates.

    A sentence is not a term: for one (SENTENCE_WORDS words or more) the term base answers with the
    terms recognised inside it instead.
    """
    from nato_tm.services.recognize import recognize
    from nato_tm.services.term_search import search_terms
    from nato_tm.services.tm_lookup import lookup

    db = get_db(current_app)
    sentence = len(query.split()) >= SENTENCE_WORDS or len(query) > TERM_QUERY
    terms = {} if sentence else to_jsonable(search_terms(db, query, src=src, tgt=tgt, limit=10))
    hits = to_jsonable(recognize(db, query, src)).get("hits", []) if sentence else []
    memory = to_jsonable(lookup(db, query, src, tgt, min_score=50, limit=5)) if len(query) > 1 else {}
    for result in terms.get("results", []):
        result["ordered"] = {lang: ordered_terms(result.get("terms", {}).get(lang, [])) for lang in (src, tgt)}
    for match in memory.get("matches", []):
        match["pieces"] = diff_pieces(match, query)
    return {"terms": terms.get("results", []), "hits": hits, "matches": memory.get("matches", [])}


def _search_context() -> dict[str, Any]:
    query = text_param(request.args, "q", required=False, max_len=500).strip()
    src, tgt, dir_key = direction(request.args.get("dir"))
    found = search_both(query, src, tgt) if query else {"terms": [], "hits": [], "matches": []}
    return {"q": query, "src": src, "tgt": tgt, "dir": dir_key, "directions": DIRECTIONS, **found}


@bp.get("/")
def index() -> str:
    """The main page: one search box over the term base and the memory; works without JavaScript."""
    return render_template("index.html", stats=stats(get_db(current_app)), **_search_context())


@bp.get("/search/results")
def results_fragment() -> str:
    """Only the results block of the main page, for search-as-you-type."""
    return render_template("_results.html", **_search_context())


@bp.get("/concepts/<concept_id>")
def concept(concept_id: str) -> str:
    """A concept: its terms per language with status, type and reliability, definitions and sources."""
    from nato_tm.services.concepts import get_concept

    doc = to_jsonable(get_concept(get_db(current_app), concept_id))
    return render_template("concept.html", concept=doc)


def _segment_context(text: str, translation: str, src: str, tgt: str) -> dict[str, Any]:
    from nato_tm.services.recognize import recognize
    from nato_tm.services.term_qa import check_pair
    from nato_tm.services.tm_lookup import lookup

    db = get_db(current_app)
    hits = to_jsonable(recognize(db, text, src)).get("hits", [])
    matches = to_jsonable(lookup(db, text, src, tgt, min_score=50, limit=5)).get("matches", [])
    for match in matches:
        match["pieces"] = diff_pieces(match, text)
    findings = to_jsonable(check_pair(db, text, translation, src, tgt)).get("findings", []) if translation else None
    return {"pieces": mark_hits(text, hits), "hits": hits, "matches": matches, "findings": findings}


@bp.get("/segment")
def segment() -> str:
    """Paste a sentence: fuzzy matches, recognised terms highlighted, and QA of a typed translation."""
    text = text_param(request.args, "text", required=False, max_len=MAX_QUERY)
    translation = text_param(request.args, "translation", required=False, max_len=MAX_QUERY)
    src, tgt, dir_key = direction(request.args.get("dir"))
    context: dict[str, Any] = {"text": text, "translation": translation, "src": src, "tgt": tgt, "dir": dir_key}
    if text.strip():
        context.update(_segment_context(text, translation, src, tgt))
    return render_template("segment.html", directions=DIRECTIONS, **context)


@bp.get("/concordance")
def concordance() -> str:
    """Every unit whose text contains a phrase, the phrase highlighted."""
    from nato_tm.services.concordance import concordance as run

    phrase = text_param(request.args, "q", required=False, max_len=500).strip()
    lang = lang_param(request.args, "lang", None)
    hits: list[dict[str, Any]] = []
    error = None
    if phrase:
        try:
            hits = to_jsonable(run(get_db(current_app), phrase, lang=lang, limit=50)).get("hits", [])
        except NatoTmError as exc:
            error = exc.message
    return render_template("concordance.html", q=phrase, lang=lang or "", hits=hits, error=error)
