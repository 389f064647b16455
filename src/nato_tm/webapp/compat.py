"""Endpoints that existing tools already speak: amaGama/tmserver (Weblate, Virtaal) and MyMemory."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from nato_tm.errors import InvalidInput, NatoTmError
from nato_tm.services.documents import to_jsonable
from nato_tm.webapp import get_db
from nato_tm.webapp.params import MAX_QUERY, int_param, lang_param, text_param

bp = Blueprint("compat", __name__)

# Weblate lower-cases codes and uses underscores (fr, en_gb) and asks only for pairs listed here.
TMSERVER_LANGUAGES = ["fr", "fr_fr", "fr_be", "fr_ca", "fr_ch", "en", "en_gb", "en_us", "en_ca", "en_au"]


def _matches(text: str, src: str, tgt: str, min_score: int, limit: int) -> list[dict[str, Any]]:
    from nato_tm.services.tm_lookup import lookup

    if src == tgt:
        raise InvalidInput("source and target languages must differ", param="langpair")
    doc = to_jsonable(lookup(get_db(current_app), text, src, tgt, min_score=min_score, limit=limit))
    matches: list[dict[str, Any]] = doc.get("matches", [])
    return matches


@bp.get("/tmserver/languages/")
def tmserver_languages() -> Response:
    """The language lists Weblate's tmserver backend reads to know which pairs to ask for."""
    return jsonify({"sourceLanguages": TMSERVER_LANGUAGES, "targetLanguages": TMSERVER_LANGUAGES})


@bp.get("/tmserver/<src>/<tgt>/unit/", defaults={"text": ""})
@bp.get("/tmserver/<src>/<tgt>/unit/<path:text>")
def tmserver_unit(src: str, tgt: str, text: str) -> Response:
    """Matches as amaGama answers them: [{"source", "target", "quality", "rank"}], best first."""
    args = request.args
    query = text or text_param(args, "source", max_len=MAX_QUERY)
    query = text_param({"source": query}, "source", max_len=MAX_QUERY)
    source_lang = lang_param({"src": src}, "src", None) or "fr"
    target_lang = lang_param({"tgt": tgt}, "tgt", None) or "en"
    min_score = int_param(args, "min_similarity", 70, 0, 100)
    limit = int_param(args, "max_candidates", 5, 1, 50)
    rows = []
    for match in _matches(query, source_lang, target_lang, min_score, limit):
        score = float(min(100, match.get("score", 0)))
        rows.append({"source": match.get("source"), "target": match.get("target"), "quality": score, "rank": score})
    return jsonify(rows)


def _langpair() -> tuple[str, str]:
    pair = request.args.get("langpair", "")
    src, sep, tgt = pair.partition("|")
    if not sep:
        raise InvalidInput("langpair must look like fr|en", param="langpair")
    source = lang_param({"langpair": src}, "langpair", None)
    target = lang_param({"langpair": tgt}, "langpair", None)
    if not source or not target:
        raise InvalidInput("langpair must look like fr|en", param="langpair")
    return source, target


def _mymemory_match(index: int, match: dict[str, Any]) -> dict[str, Any]:
    score = int(min(100, match.get("score", 0)))
    created_by = match.get("created_by") or match.get("origin") or ""
    created = match.get("created_at") or ""
    changed = match.get("changed_at") or created
    return {
        "id": str(match.get("unit_id") or match.get("id") or index),
        "segment": match.get("source"),
        "translation": match.get("target"),
        "source": match.get("source_lang") or "",
        "target": match.get("target_lang") or "",
        "quality": str(score),
        "reference": match.get("origin") or None,
        "usage-count": match.get("usage_count", 0),
        "subject": "",
        "created-by": created_by,
        "last-updated-by": match.get("changed_by") or created_by,
        "create-date": str(created),
        "last-update-date": str(changed),
        "match": round(score / 100, 2),
    }


def _mymemory_error(exc: NatoTmError) -> Response:
    # The one error shape, plus the fields MyMemory clients read before anything else.
    body = {
        "error": {"status": 400, "code": exc.code, "message": exc.message, "param": exc.param},
        "responseData": {"translatedText": None, "match": 0},
        "responseDetails": exc.message.upper(),
        "responseStatus": 400,
        "matches": [],
    }
    response = jsonify(body)
    response.status_code = 400
    return response


@bp.get("/mymemory/get")
@bp.get("/mymemory/api/get")
def mymemory_get() -> Response:
    """A MyMemory-style lookup: q, langpair=fr|en; answers responseData, responseStatus and matches."""
    try:
        query = text_param(request.args, "q", max_len=MAX_QUERY)
        src, tgt = _langpair()
        found = _matches(query, src, tgt, 50, int_param(request.args, "limit", 5, 1, 50))
    except InvalidInput as exc:
        return _mymemory_error(exc)
    matches = [_mymemory_match(i, m) for i, m in enumerate(found, start=1)]
    for m in matches:
        m["source"] = m["source"] or src
        m["target"] = m["target"] or tgt
    best = matches[0] if matches else None
    return jsonify(
        {
            "responseData": {
                "translatedText": best["translation"] if best else "",
                "match": best["match"] if best else 0,
            },
            "quotaFinished": False,
            "mtLangSupported": None,
            "responseDetails": "",
            "responseStatus": 200,
            "responderId": None,
            "exception_code": None,
            "matches": matches,
        }
    )
