"""The rate limits resolved once per app: same limits, same 429s, same headers; new or dynamic limits still apply."""

from __future__ import annotations

import inspect
import re
import time

import flask_limiter._limits as limits_module
import pytest
from flask import Flask
from flask_limiter import Limiter
from flask_limiter._manager import LimitManager

from nato_tm.store.db import Database
from nato_tm.webapp.security import ResolvedOnceLimitManager, resolved_once


def _client(db: Database, **limits: str):  # type: ignore[no-untyped-def]
    from nato_tm.webapp import create_app

    return create_app({"database_url": db.url, "secret_key": "t", **limits}).test_client()


def _limits(resp) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    h = resp.headers
    return resp.status_code, h["X-RateLimit-Limit"], h["X-RateLimit-Remaining"]


def test_it_overrides_methods_that_flask_limiter_still_has() -> None:
    # If Flask-Limiter renames or reshapes these, the overrides would silently stop applying.
    for name in ("resolve_limits", "exemption_scope", "set_application_limits", "set_default_limits",
                 "add_decorated_limit", "add_blueprint_limit", "add_route_exemption", "add_blueprint_exemption",
                 "add_endpoint_hint"):  # fmt: skip
        ours, theirs = getattr(ResolvedOnceLimitManager, name), getattr(LimitManager, name)
        assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters), name
    assert type(Limiter(lambda: "k").limit_manager) is LimitManager


def test_the_app_uses_it_and_parses_its_limits_once(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(db, RATELIMIT_DEFAULT="1000 per minute")
    manager = client.application.extensions["nato_tm.limiter"].limit_manager
    assert isinstance(manager, ResolvedOnceLimitManager)
    assert client.get("/api/v1/stats").status_code == 200
    parsed: list[str] = []
    original = limits_module.parse_many
    monkeypatch.setattr(limits_module, "parse_many", lambda s: parsed.append(s) or original(s))
    codes = [client.get("/api/v1/stats").status_code for _ in range(5)]
    assert codes == [200] * 5 and parsed == []


def test_headers_and_429s_per_token_per_address_and_for_writes(db: Database, editor_token: str) -> None:
    client = _client(
        db, RATELIMIT_DEFAULT="3 per minute", RATELIMIT_ADDRESS="5 per minute", RATELIMIT_WRITE="2 per minute"
    )
    auth = {"Authorization": f"Bearer {editor_token}"}
    first = [client.get("/api/v1/stats", headers=auth) for _ in range(4)]
    assert [_limits(r) for r in first] == [(200, "3", "2"), (200, "3", "1"), (200, "3", "0"), (429, "3", "0")]
    for r in first:
        assert int(r.headers["X-RateLimit-Reset"]) > time.time() and 0 < int(r.headers["Retry-After"]) <= 60
    assert first[-1].get_json()["error"] == {"status": 429, "code": "rate_limited", "message": "3 per 1 minute"}
    # The address's budget (5) is shared by the token's requests (4 counted) and the anonymous ones.
    anonymous = [client.get("/api/v1/stats") for _ in range(2)]
    assert [_limits(r) for r in anonymous] == [(200, "3", "2"), (429, "5", "0")]
    assert anonymous[-1].get_json()["error"]["message"] == "5 per 1 minute"
    # Another address, a token's write: the write limit is the one the headers report.
    other = {"REMOTE_ADDR": "10.1.2.3"}
    body = {"source": "Le Conseil de l'Atlantique Nord", "target": "The North Atlantic Council"}
    writes = [client.post("/api/v1/tm/units", json=body, headers=auth, environ_base=other) for _ in range(3)]
    assert [_limits(r)[1:] for r in writes] == [("2", "1"), ("2", "0"), ("2", "0")]
    assert [r.status_code for r in writes][2] == 429


def test_a_limit_that_applies_to_some_methods_only(db: Database) -> None:
    # /signin takes GET (default limit) and POST (sign-in limit): the method decides which applies.
    client = _client(db, RATELIMIT_DEFAULT="50 per minute", RATELIMIT_SIGNIN="3 per minute")
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token and _limits(page) == (200, "50", "49")
    posted = client.post("/signin", data={"username": "x", "password": "wrong", "csrf_token": token.group(1)})
    assert _limits(posted) == (401, "3", "2")
    # As Flask-Limiter does it: a view with its own limit for the method is not also counted in the default.
    assert _limits(client.get("/signin")) == (200, "50", "48")


def view_a() -> str:
    return "a"


def view_b() -> str:
    return "b"


def _tiny_app(limit: object) -> tuple[Flask, Limiter]:
    app = Flask(__name__)
    key = "one-client"
    limiter = Limiter(lambda: key, default_limits=[limit], storage_uri="memory://", headers_enabled=True)  # type: ignore[list-item]
    resolved_once(limiter).init_app(app)
    app.add_url_rule("/a", "a", view_a)
    app.add_url_rule("/b", "b", view_b)
    return app, limiter


def test_a_limit_given_as_a_callable_is_read_on_every_request() -> None:
    current = ["2 per minute"]
    app, _ = _tiny_app(lambda: current[0])
    client = app.test_client()
    assert [client.get("/a").status_code for _ in range(3)] == [200, 200, 429]
    current[0] = "10 per minute"
    assert client.get("/a").status_code == 200


def test_a_limit_or_exemption_added_later_applies_at_once() -> None:
    app, limiter = _tiny_app("100 per minute")
    client = app.test_client()
    assert client.get("/a").status_code == 200 and client.get("/b").status_code == 200
    app.view_functions["a"] = limiter.limit("1 per minute")(view_a)
    assert [client.get("/a").status_code for _ in range(2)] == [200, 429]
    assert client.get("/b").headers["X-RateLimit-Limit"] == "100"
    app.view_functions["b"] = limiter.exempt(view_b)
    assert "X-RateLimit-Limit" not in client.get("/b").headers


def test_outside_a_request_it_answers_as_flask_limiter_does() -> None:
    # Flask-Limiter's CLI resolves limits per route; nothing is remembered without a request.
    app, limiter = _tiny_app("7 per minute")
    manager = limiter.limit_manager
    with app.app_context():
        defaults, decorated = manager.resolve_limits(app, "a", None, None, True, False)
    assert [str(limit.limit) for limit in defaults] == ["7 per 1 minute"] and decorated == []
    assert manager._resolved == {}
