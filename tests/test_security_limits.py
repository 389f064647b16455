"""The rate limits as clients see them: limit headers and 429s per token, per address, for writes and per method."""

from __future__ import annotations

import re
import time

from nato_tm.store.db import Database


def _client(db: Database, **limits: str):  # type: ignore[no-untyped-def]
    from nato_tm.webapp import create_app

    return create_app({"database_url": db.url, "secret_key": "t", **limits}).test_client()


def _limits(resp) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    h = resp.headers
    return resp.status_code, h["X-RateLimit-Limit"], h["X-RateLimit-Remaining"]


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
