"""JSON API, reading side: term search, recognition, QA, fuzzy lookup, concordance, concepts, stats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, request

from nato_tm.errors import InvalidInput
from nato_tm.webapp import get_db
from nato_tm.webapp.params import (
    MAX_BULK,
    MAX_LIMIT,
    MAX_QUERY,
    document,
    int_param,
    json_body,
    lang_param,
    text_param,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_TEXT = 20000  # characters of running text for recognition
TERM_STATUSES = ("preferred", "admitted", "deprecated", "superseded")


def _other(lang: str | None, default: str = "en") -> str:
    return {"fr": "en", "en": "fr"}.get(lang or "", default)


@bp.get("/terms")
def terms() -> Response:
    """Search the term base: q, from (fr|en|any), to, subject, status, type, limit."""
    from nato_tm.services.term_search import search_terms

    args = request.args
    query = text_param(args, "q", max_len=200)
    src = lang_param(args, "from", "any", allow_any=True) or "any"
    tgt = lang_param(args, "to", None)
    status = args.get("status") or None
    if status is not None and status not in TERM_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(TERM_STATUSES)}", param="status")
    doc = search_terms(
        get_db(current_app),
        query,
        src=src,
        tgt=tgt,
        subject=args.get("subject") or None,
        status=status,
        term_type=args.get("type") or None,
        limit=int_param(args, "limit", 20, 1, MAX_LIMIT),
    )
    return document(doc)


@bp.post("/terms/recognize")
def recognize() -> Response:
    """Find the term base's terms in a text: {"text", "lang"}; answers hits with offsets."""
    from nato_tm.services.recognize import recognize as run

    body = json_body()
    text = text_param(body, "text", max_len=MAX_TEXT)
    lang = lang_param(body, "lang", "fr") or "fr"
    return document(run(get_db(current_app), text, lang))


def _segments(body: Mapping[str, Any], max_len: int = MAX_QUERY) -> list[str]:
    """The body's "segments": 1 to MAX_BULK strings, each checked as text_param checks one."""
    segments = body.get("segments")
    if not isinstance(segments, list) or not segments:
        raise InvalidInput("'segments' must be a non-empty list of strings", param="segments")
    if len(segments) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} segments per request", param="segments")
    return [text_param({"segments": s}, "segments", max_len=max_len) for s in segments]


@bp.post("/terms/recognize/bulk")
def bulk_recognize() -> Response:
    """Terms in up to 100 segments against one term-base state: {"segments": [...], "lang"}; a list of results."""
    from nato_tm.services.recognize import recognize_many as run

    body = json_body()
    texts = _segments(body, max_len=MAX_TEXT)
    lang = lang_param(body, "lang", "fr") or "fr"
    return document(run(get_db(current_app), texts, lang))


@bp.post("/terms/check")
def check() -> Response:
    """Terminology QA of a translation: {"source", "target", "from", "to"}."""
    from nato_tm.services.term_qa import check_pair

    body = json_body()
    source = text_param(body, "source", max_len=MAX_TEXT)
    target = text_param(body, "target", max_len=MAX_TEXT)
    src = lang_param(body, "from", "fr") or "fr"
    tgt = lang_param(body, "to", _other(src)) or _other(src)
    return document(check_pair(get_db(current_app), source, target, src, tgt))


def _lookup_options(params: Mapping[str, Any]) -> tuple[str, str, dict[str, int]]:
    """Languages, lowest score and number of matches, as the single and the bulk lookup take them."""
    src = lang_param(params, "from", "fr") or "fr"
    tgt = lang_param(params, "to", _other(src)) or _other(src)
    return (
        src,
        tgt,
        {"min_score": int_param(params, "min", 50, 0, 101), "limit": int_param(params, "limit", 5, 1, MAX_LIMIT)},
    )


@bp.get("/tm/lookup")
def lookup() -> Response:
    """Fuzzy matches for one segment: q, from, to, min (0-101), limit, prev (the previous segment)."""
    from nato_tm.services.tm_lookup import lookup as run

    args = request.args
    text = text_param(args, "q")
    src, tgt, options = _lookup_options(args)
    doc = run(get_db(current_app), text, src, tgt, prev=text_param(args, "prev", required=False) or None, **options)
    return document(doc)


@bp.post("/tm/lookup")
def bulk_lookup() -> Response:
    """Fuzzy matches for up to 100 segments: {"segments": [...], "prevs"?: [...], "from", "to", "min", "limit"}."""
    from nato_tm.services.tm_lookup import bulk_lookup as run

    body = json_body()
    texts = _segments(body)
    prevs = body.get("prevs")
    if prevs is not None and (not isinstance(prevs, list) or len(prevs) != len(texts)):
        raise InvalidInput("'prevs' must be a list with one previous segment (or null) per segment", param="prevs")
    if prevs is not None:
        prevs = [text_param({"prevs": p}, "prevs", required=False) or None for p in prevs]
    src, tgt, options = _lookup_options(body)
    doc = run(get_db(current_app), texts, src, tgt, prevs=prevs, **options)
    return document(doc)


@bp.get("/tm/concordance")
def concordance() -> Response:
    """Units whose text contains a phrase: q, lang (fr|en, default both), limit."""
    from nato_tm.services.concordance import concordance as run

    args = request.args
    phrase = text_param(args, "q", max_len=500)
    lang = lang_param(args, "lang", None)
    return document(run(get_db(current_app), phrase, lang=lang, limit=int_param(args, "limit", 50, 1, MAX_LIMIT)))


@bp.get("/concepts/<concept_id>")
def concept(concept_id: str) -> Response:
    """One concept with its terms per language."""
    from nato_tm.services.concepts import get_concept

    return document(get_concept(get_db(current_app), concept_id))


@bp.get("/stats")
def stats() -> Response:
    """Counts of concepts, terms, units and variants."""
    from nato_tm.services.stats import stats as run

    return document(run(get_db(current_app)))
