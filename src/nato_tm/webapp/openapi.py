"""The OpenAPI 3 document of the JSON API and the compatibility endpoints, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from nato_tm import __version__
from nato_tm.store.termbase import STATUSES, TERM_TYPES

bp = Blueprint("openapi", __name__)

OBJ: dict[str, Any] = {"type": "object", "additionalProperties": True}
ERRORS = {
    "400": "A bad parameter; `error.param` names it",
    "401": "Missing or invalid credentials",
    "403": "Credentials without the needed role, or a stale CSRF token",
    "404": "Not found",
    "409": "Conflicts with what is stored",
    "413": "Upload larger than the configured limit",
    "415": "Unsupported media type or file format",
    "429": "Rate limit exceeded; see Retry-After",
    "503": "The database is unavailable; see Retry-After",
}


def _param(name: str, where: str, desc: str, schema: dict[str, Any] | None = None, required: bool = False) -> Any:
    return {
        "name": name,
        "in": where,
        "description": desc,
        "required": required,
        "schema": schema or {"type": "string"},
    }


def _q(name: str, desc: str, *, required: bool = False, schema: dict[str, Any] | None = None) -> Any:
    return _param(name, "query", desc, schema, required)


LANG_PATTERN = "^([Ff][Rr]|[Ee][Nn])([-_][A-Za-z0-9]{1,8})*$"
LANG = {
    "type": "string",
    "example": "fr",
    "description": "fr or en (fr_FR, fr-FR accepted); empty means the default",
    "pattern": "^(|([Ff][Rr]|[Ee][Nn])([-_][A-Za-z0-9]{1,8})*)$",
    "nullable": True,
}
LANG_ANY = {**LANG, "pattern": "^(|([Ff][Rr]|[Ee][Nn])([-_][A-Za-z0-9]{1,8})*|[Aa][Nn][Yy])$"}


def _text(max_len: int) -> dict[str, Any]:
    """A text that must not be blank, within a length limit (longer is 400)."""
    return {"type": "string", "minLength": 1, "maxLength": max_len, "pattern": "\\S"}


def _int(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def _op(
    summary: str,
    params: list[Any] | None = None,
    body: dict[str, Any] | None = None,
    ok: str = "200",
    media: str = "application/json",
    write: bool = False,
    codes: tuple[str, ...] = ("400", "429", "503"),
) -> dict[str, Any]:
    responses: dict[str, Any] = {ok: {"description": "Success", "content": {media: {"schema": OBJ}}}}
    extra = ("415",) if body is not None else ()  # a body that is not JSON
    for code in (*codes, *extra, *(("401", "403") if write else ())):
        responses[code] = {"$ref": f"#/components/responses/E{code}"}
    op: dict[str, Any] = {"summary": summary, "parameters": params or [], "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if write:
        op["security"] = [{"bearer": []}, {"session": []}]
    return op


def _body(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741


PAIR = "^([Ff][Rr]|[Ee][Nn])([-_][A-Za-z0-9]{1,8})*\\|([Ff][Rr]|[Ee][Nn])([-_][A-Za-z0-9]{1,8})*$"
EXPORT_MEDIA = ("application/x-tmx+xml", "application/x-tbx+xml", "text/tab-separated-values")


TERM_FIELDS: dict[str, Any] = {
    "text": _text(1000),
    "type": {"enum": list(TERM_TYPES)},
    "status": {"enum": list(STATUSES)},
    "reliability": {**_int(1, 4), "nullable": True},
}


def _terms_by_lang() -> dict[str, Any]:
    """{"fr": [term, ...], "en": [...]}: at least one language with at least one term."""
    terms = {
        "type": "array",
        "minItems": 1,
        "items": {"type": "object", "required": ["text"], "properties": TERM_FIELDS},
    }
    return {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {"fr": terms, "en": terms},
    }


def _paths() -> dict[str, Any]:
    cid = _param("concept_id", "path", "Concept id", required=True)
    tid = _param("term_id", "path", "Term id", I, required=True)
    c409 = ("400", "404", "409")
    concept_body = {
        **OBJ,
        "description": "As GET returns it: id, subject_fields, source, note, definition {lang: text}, "
        "terms {lang: [{text, type, status, reliability, ...}]}",
        "required": ["terms"],
        "properties": {"terms": _terms_by_lang()},
    }
    term_body = {
        **OBJ,
        "description": "text, lang, type, status, reliability (1-4), note, source, context",
        "required": ["text", "lang"],
        "properties": {**TERM_FIELDS, "lang": {**LANG, "pattern": LANG_PATTERN}},
    }
    src_tgt = [_q("from", "Source language", schema=LANG), _q("to", "Target language", schema=LANG)]
    return {
        "/api/v1/terms": {
            "get": _op(
                "Search the term base (exact, accent-insensitive, stemmed, acronym, fuzzy)",
                [
                    _q("q", "Query, at most 200 characters", required=True, schema=_text(200)),
                    _q("from", "Query language: fr, en or any", schema=LANG_ANY),
                    _q("to", "Target language", schema=LANG),
                    _q("subject", "Subject field"),
                    _q("status", "Term status", schema={"enum": ["preferred", "admitted", "deprecated", "superseded"]}),
                    _q("type", "Term type", schema={"enum": list(TERM_TYPES)}),
                    _q("limit", "1-100 (default 20)", schema=_int(1, 100)),
                ],
            )
        },
        "/api/v1/terms/recognize": {
            "post": _op("Find term-base terms in a text (offsets)", body=_body(["text"], text=_text(20000), lang=LANG))
        },
        "/api/v1/terms/recognize/bulk": {
            "post": _op(
                "Find term-base terms in up to 100 segments (a list of results, one per segment)",
                body=_body(
                    ["segments"],
                    segments={"type": "array", "items": _text(20000), "minItems": 1, "maxItems": 100},
                    lang=LANG,
                ),
            )
        },
        "/api/v1/terms/check": {
            "post": _op(
                "Terminology QA of a translation",
                body=_body(
                    ["source", "target"], source=_text(20000), target=_text(20000), **{"from": LANG, "to": LANG}
                ),
            )
        },
        "/api/v1/tm/lookup": {
            "get": _op(
                "Fuzzy matches for one segment",
                [
                    _q("q", "Segment, at most 2000 characters", required=True, schema=_text(2000)),
                    *src_tgt,
                    _q("min", "Lowest score 0-101 (default 50)", schema=_int(0, 101)),
                    _q("limit", "1-100 (default 5)", schema=_int(1, 100)),
                    _q(
                        "prev",
                        "Previous segment, for context (101) matches",
                        schema={"type": "string", "maxLength": 2000},
                    ),
                ],
            ),
            "post": _op(
                "Fuzzy matches for up to 100 segments",
                body=_body(
                    ["segments"],
                    segments={"type": "array", "items": _text(2000), "minItems": 1, "maxItems": 100},
                    prevs={"type": "array", "items": S, "description": "previous segment of each, for 101"},
                    min=_int(0, 101),
                    limit=_int(1, 100),
                    **{"from": LANG, "to": LANG},
                ),
            ),
        },
        "/api/v1/tm/concordance": {
            "get": _op(
                "Units containing a phrase",
                [
                    _q("q", "Phrase, at most 500 characters", required=True, schema=_text(500)),
                    _q("lang", "fr or en (default both)", schema=LANG),
                    _q("limit", "1-100 (default 50)", schema=_int(1, 100)),
                ],
            )
        },
        "/api/v1/tm/units": {
            "post": _op(
                "Store a translation (CAT-tool write-back)",
                body=_body(
                    ["source", "target"],
                    source=_text(2000),
                    target=_text(2000),
                    prev={"type": "string", "maxLength": 2000},
                    **{"from": LANG, "to": LANG},
                ),
                ok="201",
                write=True,
            )
        },
        "/api/v1/concepts": {"post": _op("Create a concept", body=concept_body, ok="201", write=True, codes=c409)},
        "/api/v1/concepts/{concept_id}": {
            "get": _op("One concept", [cid], codes=("404", "429", "503")),
            "put": _op("Replace a concept's fields and terms", [cid], body=concept_body, write=True, codes=c409),
            "delete": _op("Delete a concept", [cid], ok="204", write=True, codes=("404",)),
        },
        "/api/v1/concepts/{concept_id}/terms": {
            "post": _op("Add a term to a concept", [cid], body=term_body, ok="201", write=True, codes=c409)
        },
        "/api/v1/concepts/{concept_id}/terms/{term_id}": {
            "put": _op("Replace a term", [cid, tid], body=term_body, write=True, codes=c409),
            "delete": _op("Delete a term (not the last one)", [cid, tid], ok="204", write=True, codes=("404", "409")),
        },
        "/api/v1/import": {
            "post": {
                **_op(
                    "Import a TMX, TBX, TSV or CSV file; answers the import report, or (202) a job to follow",
                    [
                        _q(
                            "async",
                            "1 (or the header Prefer: respond-async): answer 202 at once with an import "
                            "job, whose Location is /api/v1/jobs/{job_id}",
                        ),
                        _q("format", "Force the format (tmx, tbx, tsv, glossary, csv)"),
                        _q("dry_run", "1: report only"),
                        _q("skip_invalid", "1: import the valid entries, report the others"),
                        _q("src", "Source language of headerless glossaries", schema=LANG),
                        _q("tgt", "Target language of headerless glossaries", schema=LANG),
                        _q("name", "File name when the file is sent as the raw body"),
                    ],
                    write=True,
                    codes=("400", "413", "415"),
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {"schema": _body(["file"], file={"type": "string", "format": "binary"})},
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
            }
        },
        "/api/v1/jobs": {
            "get": {
                **_op("The latest import jobs (at most 50), newest first: {jobs: [...]}", codes=("401", "403", "429")),
                "security": [{"bearer": []}, {"session": []}],
            }
        },
        "/api/v1/jobs/{job_id}": {
            "get": {
                **_op(
                    "An import job: state (queued, running, done, failed), records read, share of the file, "
                    "then its report or error",
                    [_param("job_id", "path", "Job id, from the 202 answer of POST /api/v1/import", required=True)],
                    codes=("401", "403", "404", "429"),
                ),
                "security": [{"bearer": []}, {"session": []}],
            },
            "delete": _op(
                "Cancel an import job: 202, the job with cancelling true; it ends failed (cancelled), its import "
                "rolled back, unless it was already writing its index",
                [_param("job_id", "path", "Job id", required=True)],
                ok="202",
                write=True,
                codes=("404", "409", "429"),
            ),
        },
        "/api/v1/export/{fmt}": {
            "get": {
                **_op(
                    "Export: tmx (memory), tbx, tbx2, tsv (term base); ETag, Last-Modified, 304 on If-None-Match",
                    [
                        _param("fmt", "path", "tmx, tbx, tbx2 or tsv", {"enum": ["tmx", "tbx", "tbx2", "tsv"]}, True),
                        _param("If-None-Match", "header", "ETag of the copy the client holds"),
                        _param("If-Modified-Since", "header", "Date of the copy the client holds"),
                    ],
                    media="application/octet-stream",
                    codes=("415",),
                ),
            }
        },
        "/api/v1/stats": {"get": _op("Counts of concepts, terms and units", codes=("503",))},
        "/tmserver/languages/": {"get": _op("tmserver/amaGama: supported languages", codes=())},
        "/tmserver/{src}/{tgt}/unit/{text}": {
            "get": _op(
                "tmserver/amaGama lookup: [{source, target, quality, rank}]",
                [
                    _param("src", "path", "fr, fr_FR or fr-FR", {**LANG, "pattern": LANG_PATTERN}, required=True),
                    _param("tgt", "path", "en, en_GB or en-GB", {**LANG, "pattern": LANG_PATTERN}, required=True),
                    _param("text", "path", "URL-escaped segment (or ?source=)", required=True),
                    _q("min_similarity", "0-100 (default 70)", schema=_int(0, 100)),
                    _q("max_candidates", "1-50 (default 5)", schema=_int(1, 50)),
                ],
            )
        },
        "/mymemory/get": {
            "get": _op(
                "MyMemory-style lookup: responseData, responseStatus, matches[]",
                [
                    _q("q", "Segment, at most 2000 characters", required=True, schema=_text(2000)),
                    _q("langpair", "fr|en or en|fr", required=True, schema={"type": "string", "pattern": PAIR}),
                    _q("limit", "1-50 (default 5)", schema=_int(1, 50)),
                ],
            )
        },
    }


def _responses(paths: dict[str, Any]) -> dict[str, Any]:
    """What _op cannot say: export media types and 304, lists as bodies, 200 for a unit already stored, 202 jobs."""
    export = paths["/api/v1/export/{fmt}"]["get"]["responses"]
    export["200"]["content"] = {m: {"schema": {"type": "string", "format": "binary"}} for m in EXPORT_MEDIA}
    export["304"] = {"description": "Not modified: the client's copy (If-None-Match, If-Modified-Since) is current"}
    listed = {"application/json": {"schema": {"type": "array", "items": OBJ}}}
    paths["/api/v1/tm/lookup"]["post"]["responses"]["200"]["content"] = listed
    paths["/tmserver/{src}/{tgt}/unit/{text}"]["get"]["responses"]["200"]["content"] = listed
    stored = {
        "description": "The pair was stored already: the unit as stored",
        "content": {"application/json": {"schema": OBJ}},
    }
    paths["/api/v1/tm/units"]["post"]["responses"]["200"] = stored
    paths["/api/v1/import"]["post"]["responses"]["202"] = {
        "description": "Asked for as a job: the job, queued; Location is its /api/v1/jobs/{job_id}",
        "headers": {"Location": {"schema": {"type": "string"}}},
        "content": {"application/json": {"schema": OBJ}},
    }
    return paths


def build() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document."""
    error_schema = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message"],
                "properties": {
                    "status": {"type": "integer", "example": 400},
                    "code": {"type": "string", "example": "invalid"},
                    "message": {"type": "string"},
                    "param": {"type": "string", "description": "The parameter at fault, for 400", "example": "q"},
                },
            }
        },
    }
    ref = {"$ref": "#/components/schemas/Error"}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "nato-tm",
            "version": __version__,
            "description": "French/English NATO term base and translation memory. Reading is open unless the "
            "server requires a token; every write needs a Bearer token (role editor or admin) or a signed-in "
            "editor session with its CSRF token. Every error has the one shape `Error`.",
        },
        "paths": _responses(_paths()),
        "components": {
            "schemas": {"Error": error_schema},
            "responses": {
                f"E{c}": {"description": d, "content": {"application/json": {"schema": ref}}} for c, d in ERRORS.items()
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "nato-tm token create --role editor"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def document() -> Response:
    """The OpenAPI document."""
    return jsonify(build())
