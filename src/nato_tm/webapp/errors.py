"""One error handler: domain and HTTP errors become one JSON shape (API) or an error page (UI)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from nato_tm import errors as e

log = logging.getLogger(__name__)

STATUS: dict[type[e.NatoTmError], int] = {
    e.InvalidInput: 400,
    e.FormatError: 400,
    e.Unauthorized: 401,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.TooLarge: 413,
    e.Unsupported: 415,
    e.StoreUnavailable: 503,
}
HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported",
    429: "rate_limited",
    503: "unavailable",
}
RETRY_AFTER_SECONDS = 5
MACHINE_PREFIXES = ("/api/", "/tmserver/", "/mymemory/")


def wants_json() -> bool:
    """Whether the client is a program (API paths) rather than a browser page."""
    return request.path.startswith(MACHINE_PREFIXES) or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str, param: str | None = None) -> Response:
    """The one error shape, as JSON or as a page."""
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if param:
        body["param"] = param
    if wants_json():
        response = jsonify({"error": body})
    else:
        response = Response(render_template("error.html", error=body), mimetype="text/html")
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="nato-tm"'
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _domain(exc: e.NatoTmError) -> Response:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    param = exc.param or ("file" if isinstance(exc, e.FormatError) else None)
    return error_response(status, exc.code, " ".join(exc.message.split()), param)


def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = HTTP_CODES.get(status, "error")
    message = exc.description or exc.name
    if status == 413:
        message = "the request body is larger than the configured limit"
    response = error_response(status, code, message)
    valid = getattr(exc, "valid_methods", None)
    if status == 405 and valid:  # RFC 9110: a 405 lists the methods the resource allows
        response.headers["Allow"] = ", ".join(valid)
    if status == 429 and exc.response is not None:
        retry = exc.response.headers.get("Retry-After")
        response.headers["Retry-After"] = retry or "60"
    elif status == 429:
        response.headers.setdefault("Retry-After", "60")
    return response


def _database(exc: OperationalError) -> Response:
    log.warning("database unavailable: %s", exc.orig)
    return error_response(503, "unavailable", "the database is unavailable; try again shortly")


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _http(exc)
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal", "an unexpected error occurred; it has been logged")


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(e.NatoTmError, _domain)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(OperationalError, _database)
    app.register_error_handler(Exception, _unexpected)
