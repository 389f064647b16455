"""Security and CORS headers: on every response, once each, never over a value a view set itself."""

from __future__ import annotations

from flask import Response

from nato_tm.webapp.security import HEADERS


def _once(response: Response, name: str) -> str:
    values = response.headers.getlist(name)
    assert len(values) == 1, (name, values)
    return values[0]


def test_every_response_carries_each_header_once(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/api/v1/stats", "/api/v1/tm/lookup?q=OTAN", "/api/v1/nothing", "/signin"):
        response = client.get(path)
        for name, value in HEADERS.items():
            assert _once(response, name) == value, (path, name)


def test_only_machine_paths_allow_other_origins(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/api/v1/stats", "/api/v1/nothing"):
        assert _once(client.get(path), "Access-Control-Allow-Origin") == "*"
    for path in ("/", "/signin"):
        assert "Access-Control-Allow-Origin" not in client.get(path).headers


def test_a_header_the_view_set_is_kept(app) -> None:  # type: ignore[no-untyped-def]
    @app.get("/api/v1/own-headers")
    def own_headers() -> Response:
        response = Response("{}", mimetype="application/json")
        response.headers["x-frame-options"] = "SAMEORIGIN"  # any case: header names are case-insensitive
        response.headers["Access-Control-Allow-Origin"] = "https://example.org"
        return response

    response = app.test_client().get("/api/v1/own-headers")
    assert _once(response, "X-Frame-Options") == "SAMEORIGIN"
    assert _once(response, "Access-Control-Allow-Origin") == "https://example.org"
    assert _once(response, "Content-Security-Policy") == HEADERS["Content-Security-Policy"]
