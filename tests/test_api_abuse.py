"""API abuse: every size limit answers its documented 400/413, rate limits answer 429, every write needs a token."""

from __future__ import annotations

import re

import pytest

from nato_tm.store.db import Database

LONG = "mot " * 600  # 2,400 characters


def _error(resp) -> dict:  # type: ignore[no-untyped-def, type-arg]
    body = resp.get_json()
    assert set(body) == {"error"}, body
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("method", "url", "body", "param"),
    [
        ("GET", "/api/v1/tm/lookup?q=" + LONG, None, "q"),
        ("GET", "/api/v1/tm/lookup?q=OTAN&limit=101", None, "limit"),
        ("GET", "/api/v1/tm/lookup?q=OTAN&limit=0", None, "limit"),
        ("GET", "/api/v1/tm/lookup?q=OTAN&limit=cent", None, "limit"),
        ("GET", "/api/v1/tm/lookup?q=OTAN&min=102", None, "min"),
        ("GET", "/api/v1/tm/lookup?q=OTAN&prev=" + LONG, None, "prev"),
        ("GET", "/api/v1/terms?q=" + "a" * 201, None, "q"),
        ("GET", "/api/v1/terms?q=OTAN&limit=1000000", None, "limit"),
        ("GET", "/api/v1/tm/concordance?q=" + "a" * 501, None, "q"),
        ("POST", "/api/v1/tm/lookup", {"segments": ["OTAN"] * 101}, "segments"),
        ("POST", "/api/v1/tm/lookup", {"segments": [LONG]}, "segments"),
        ("POST", "/api/v1/tm/lookup", {"segments": ["OTAN"], "limit": 500}, "limit"),
        ("POST", "/api/v1/terms/recognize", {"text": "OTAN " * 5000}, "text"),
        ("GET", "/mymemory/get?q=" + LONG + "&langpair=fr|en", None, "source"),
        ("GET", "/tmserver/fr/en/unit/OTAN?max_candidates=51", None, "max_candidates"),
    ],
)
def test_limits_answer_400_naming_the_parameter(client, method: str, url: str, body, param: str) -> None:  # type: ignore[no-untyped-def]
    resp = client.open(url, method=method, json=body)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:200]
    if url.startswith("/mymemory"):
        return  # MyMemory's own error shape (responseStatus 400), checked in test_compat
    err = _error(resp)
    assert err["code"] == "invalid" and err["param"] == param


def test_oversized_writes_are_400_and_store_nothing(client, editor_token: str) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {editor_token}"}
    before = client.get("/api/v1/stats").get_json()
    resp = client.post("/api/v1/tm/units", json={"source": LONG, "target": "x", "from": "fr", "to": "en"}, headers=auth)
    assert resp.status_code == 400 and _error(resp)["param"] == "source"
    resp = client.post("/api/v1/tm/units", data="not json", headers=auth, content_type="text/plain")
    assert resp.status_code == 415
    assert client.get("/api/v1/stats").get_json() == before


def test_upload_limit_is_413_by_multipart_too(db: Database, editor_token: str) -> None:
    import io

    from nato_tm.webapp import create_app

    client = create_app({"database_url": db.url, "secret_key": "t", "max_upload_bytes": 2048}).test_client()
    data = {"file": (io.BytesIO(b"en\tfr\n" + b"word\tmot\n" * 500), "big.tsv")}
    resp = client.post(
        "/api/v1/import",
        data=data,
        headers={"Authorization": f"Bearer {editor_token}"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413 and _error(resp)["code"] == "too_large"


def _limited(db: Database, **limits: str):  # type: ignore[no-untyped-def]
    from nato_tm.webapp import create_app

    return create_app({"database_url": db.url, "secret_key": "t", **limits}).test_client()


def test_rate_limit_per_token_keeps_tokens_apart(db: Database, editor_token: str) -> None:
    from nato_tm.services.auth import create_token

    other = create_token(db, "editor", "second tool").token
    client = _limited(db, RATELIMIT_DEFAULT="3 per minute")
    first = [client.get("/api/v1/stats", headers={"Authorization": f"Bearer {editor_token}"}) for _ in range(4)]
    assert [r.status_code for r in first] == [200, 200, 200, 429]
    assert _error(first[-1])["code"] == "rate_limited" and int(first[-1].headers["Retry-After"]) > 0
    # The same address with another token has its own budget.
    assert client.get("/api/v1/stats", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_rate_limit_per_address(db: Database) -> None:
    client = _limited(db, RATELIMIT_DEFAULT="3 per minute")
    here = [client.get("/api/v1/stats", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code for _ in range(4)]
    assert here == [200, 200, 200, 429]
    assert client.get("/api/v1/stats", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200


def test_inventing_tokens_buys_no_requests(db: Database) -> None:
    # Without the per-address budget each made-up token would be a fresh bucket.
    client = _limited(db, RATELIMIT_ADDRESS="3 per minute")
    codes = [client.get("/api/v1/stats", headers={"Authorization": f"Bearer guess-{n}"}).status_code for n in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert client.get("/api/v1/stats", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 200


def test_write_limit_is_stricter_than_the_read_limit(db: Database, editor_token: str) -> None:
    client = _limited(db, RATELIMIT_WRITE="2 per minute")
    auth = {"Authorization": f"Bearer {editor_token}"}
    body = {"source": "Le Conseil de l'Atlantique Nord", "target": "The North Atlantic Council"}
    codes = [client.post("/api/v1/tm/units", json=body, headers=auth).status_code for _ in range(3)]
    assert codes[:2] in ([201, 200], [200, 200]) and codes[2] == 429
    assert client.get("/api/v1/stats", headers=auth).status_code == 200


WRITE = {"POST", "PUT", "PATCH", "DELETE"}
READ_POSTS = {"api.recognize", "api.bulk_recognize", "api.check", "api.bulk_lookup"}


def test_every_write_route_refuses_a_bad_or_revoked_token(app, client, db: Database) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.services.auth import create_token, revoke_token

    revoked = create_token(db, "editor", "old")
    revoke_token(db, revoked.id)
    checked = 0
    for rule in app.url_map.iter_rules():
        for method in sorted(WRITE & set(rule.methods)):
            if rule.endpoint in READ_POSTS or rule.endpoint in ("auth.signin", "auth.signout"):
                continue
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1).endswith("id") else "tbx", rule.rule)
            for header in ("Bearer not-a-token", f"Bearer {revoked.token}", "Basic dXNlcjpwYXNz", "Bearer "):
                resp = client.open(url, method=method, json={"source": "a"}, headers={"Authorization": header})
                assert resp.status_code == 401, (method, url, header, resp.status_code)
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize(
    "body",
    [
        {"terms": {"en": "a string, not a list"}},
        {"terms": {"fr": [["a", "list"]]}},
        {"terms": {"fr": [{"text": "mot"}]}, "definition": ["not", "an", "object"]},
        {"terms": {"fr": [{"text": "mot", "note": {"nested": 1}}]}},
        {"terms": {"fr": [{"text": "mot"}]}, "extra": "x"},
        {"terms": {"fr": [{"text": "mot"}]}, "definition": {"fr": [1, 2]}},
    ],
)
def test_malformed_concept_bodies_are_400_not_500(client, editor_token: str, body: dict) -> None:  # type: ignore[no-untyped-def, type-arg]
    # Found by schemathesis: these raised AttributeError (HTTP 500) in concepts.concept_record.
    resp = client.post("/api/v1/concepts", json=body, headers={"Authorization": f"Bearer {editor_token}"})
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert _error(resp)["code"] == "invalid"


def test_text_xml_cannot_carry_is_refused_so_exports_keep_working(client, editor_token: str) -> None:  # type: ignore[no-untyped-def]
    # Found by schemathesis: a term with U+000F was stored, then every TBX export answered 500.
    auth = {"Authorization": f"Bearer {editor_token}"}
    unit = {"source": "Le Conseil\x01 de l'Atlantique Nord", "target": "The North Atlantic Council"}
    resp = client.post("/api/v1/tm/units", json=unit, headers=auth)
    assert resp.status_code == 400 and "U+0001" in _error(resp)["message"]
    concept = {"terms": {"fr": [{"text": "bouclier\x0f"}], "en": [{"text": "shield"}]}}
    resp = client.post("/api/v1/concepts", json=concept, headers=auth)
    assert resp.status_code == 400 and "U+000F" in _error(resp)["message"]
    for fmt in ("tmx", "tbx", "tbx2", "tsv"):
        assert client.get(f"/api/v1/export/{fmt}").status_code == 200


def test_tsv_line_with_a_control_character_is_skipped(tmp_path, db: Database) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.services.importer import import_path

    path = tmp_path / "ctl.tsv"
    path.write_text("en\tfr\nShield\tBouclier\nBell\x07\tCloche\n", encoding="utf-8")
    report = import_path(db, str(path), skip_invalid=True)
    assert report.added == 1 and "U+0007" in report.skipped[0].reason
