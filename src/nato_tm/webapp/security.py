"""Security headers on every response and rate limits per token and per address."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from typing import Any, cast

from flask import Flask, Response, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

ADDRESS_LIMIT = "1200 per minute"  # all requests from one address, tokens or not
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POST only because their input is large or structured: they change nothing and are treated as reads.
READ_POSTS = frozenset({"api.recognize", "api.bulk_recognize", "api.check", "api.bulk_lookup"})

# No inline script or style anywhere: JS and CSS come from /static only.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
_HEADERS = tuple((name.lower(), name, value) for name, value in HEADERS.items())

SWEEP_SECONDS = 1.0  # how often the in-memory limiter drops expired counters


class SweepingMemoryStorage(MemoryStorage):
    """``memory://`` without a timer thread: expired counters are swept inline, at most once a second.

    limits' MemoryStorage starts a ``threading.Timer`` on every hit once the previous one has
    fired (10 ms later), i.e. a new thread for nearly every request: 7-10 % of a lookup's CPU.
    Counters are checked for expiry on read anyway; the sweep only bounds memory.
    """

    STORAGE_SCHEME = ["nato-memory"]  # noqa: RUF012 - limits' registry reads this class attribute

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the parent's private hook
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            getattr(self, "_MemoryStorage__expire_events")()  # noqa: B009 - name-mangled, unknown to mypy


def storage_uri(configured: str) -> str:
    """The limiter storage to use: the thread-free in-memory one in place of ``memory://``."""
    return "nato-memory://" if configured == "memory://" else configured


def rate_key() -> str:
    """Count requests per token when one is sent, else per client address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and header[7:].strip():
        return "token:" + hashlib.sha256(header[7:].strip().encode()).hexdigest()[:16]
    return "addr:" + (get_remote_address() or "unknown")


def _address() -> str:
    return "addr:" + (get_remote_address() or "unknown")


def _headers(response: Response) -> Response:
    # What setdefault() does for each header, with one pass over the response's headers instead
    # of a case-insensitive scan per header (a fifth of the web layer's own header work).
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers iterates (name, value) pairs
    for lower, name, value in _HEADERS:
        if lower not in present:
            headers.add(name, value)
    if request.path.startswith(("/api/", "/tmserver/", "/mymemory/")) and "access-control-allow-origin" not in present:
        # CAT tools and browser extensions on other origins read the API.
        headers.add("Access-Control-Allow-Origin", "*")
    return response


def init_app(app: Flask) -> None:
    """Install the headers and the limiter (storage and limits from the app config)."""
    app.after_request(_headers)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Also one budget per address whatever the token, so that inventing tokens buys no extra requests.
    per_address = app.config.get("RATELIMIT_ADDRESS") or os.environ.get("NATO_TM_RATE_LIMIT_ADDRESS", ADDRESS_LIMIT)
    limiter = Limiter(
        rate_key,
        default_limits=[app.config["RATELIMIT_DEFAULT"]],
        application_limits=[ApplicationLimit(per_address, key_function=_address, scope="address")],
        storage_uri=storage_uri(app.config["RATELIMIT_STORAGE_URI"]),
    )
    limiter.init_app(app)
    app.extensions["nato_tm.limiter"] = limiter


def apply_write_limits(app: Flask) -> None:
    """Give every view that accepts a write method the (stricter) write limit."""
    limiter: Limiter = app.extensions["nato_tm.limiter"]
    write_limit = app.config["RATELIMIT_WRITE"]
    rules = app.url_map.iter_rules()
    endpoints = {r.endpoint for r in rules if WRITE_METHODS & set(r.methods or ()) and r.endpoint not in READ_POSTS}
    for endpoint in endpoints:
        view = app.view_functions[endpoint]
        limit = app.config["RATELIMIT_SIGNIN"] if endpoint == "auth.signin" else write_limit
        limited = limiter.limit(limit, methods=sorted(WRITE_METHODS))(view)
        app.view_functions[endpoint] = cast(Callable[..., Any], limited)
    limiter.exempt(app.view_functions["static"])
