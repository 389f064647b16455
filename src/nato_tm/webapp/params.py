"""Reading request parameters: every bad value becomes InvalidInput naming the parameter (HTTP 400)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, request

from nato_tm.errors import InvalidInput, Unsupported
from nato_tm.services.documents import dumps
from nato_tm.text.pipeline import LANGS, primary_lang

MAX_QUERY = 2000  # characters in one query or segment
MAX_LIMIT = 100
MAX_BULK = 100


def text_param(args: Mapping[str, Any], name: str, *, required: bool = True, max_len: int = MAX_QUERY) -> str:
    """A text parameter, stripped of nothing (segments keep their spaces), within the length limit."""
    value = args.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"the parameter {name!r} is required and must not be empty", param=name)
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"the parameter {name!r} must be a string", param=name)
    if len(value) > max_len:
        raise InvalidInput(f"the parameter {name!r} is longer than {max_len} characters", param=name)
    return value


def lang_param(args: Mapping[str, Any], name: str, default: str | None, *, allow_any: bool = False) -> str | None:
    """A language: fr or en, also given as fr_FR, fr-FR or FR; 'any' where allowed."""
    value = args.get(name)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise InvalidInput(f"the parameter {name!r} must be a language code", param=name)
    if allow_any and value.lower() == "any":
        return "any"
    lang = primary_lang(value)
    if lang not in LANGS:
        known = ", ".join(LANGS) + (", any" if allow_any else "")
        raise InvalidInput(f"unsupported language {value!r} for {name!r} (use {known})", param=name)
    return lang


def int_param(args: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"the parameter {name!r} must be an integer", param=name) from None
    if isinstance(value, bool) or not low <= number <= high:
        raise InvalidInput(f"the parameter {name!r} must be between {low} and {high}", param=name)
    return number


def json_body() -> dict[str, Any]:
    """The request's JSON object; anything else is 415 (wrong type) or 400 (not an object)."""
    if not request.is_json:
        raise Unsupported("send the body as application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", param="body")
    return body


def document(doc: Any, status: int = 200) -> Response:
    """A service result as the same JSON the CLI prints with --json, without the indentation."""
    # Compact: the json module's C encoder only runs without indent (pretty printing took
    # about 0.8 ms of a lookup response).
    return current_app.response_class(dumps(doc, indent=None), status=status, mimetype="application/json")
