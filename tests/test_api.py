"""The JSON API with Flask's test client: bodies equal the CLI's --json documents; every error path."""

from __future__ import annotations

import io
import json

import pytest

from nato_tm.services.documents import dumps
from nato_tm.services.term_search import search_terms

SENTENCE = (
    "Cette réunion semestrielle avec les pays partenaires s’est tenue sous l’égide de la Division "
    "Sécurité coopérative (CS) de l’État-major militaire international (EMI)."
)


def error_of(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert set(body) >= {"error"}, body
    assert body["error"]["status"] == response.status_code
    return body["error"]


def test_terms_body_is_the_cli_document(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/terms?q=EMI&from=fr&to=en")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == json.loads(dumps(search_terms(db, "EMI", src="fr", tgt="en")))
    english = [t["text"] for t in response.get_json()["results"][0]["terms"]["en"]]
    assert "International Military Staff" in english and "IMS" in english


def test_terms_accepts_regional_codes_and_keeps_french_typography(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/terms", query_string={"q": "sécurité coopérative", "from": "fr_FR", "to": "en-GB"})
    assert response.status_code == 200
    assert "sécurité coopérative" in response.get_data(as_text=True).lower()  # UTF-8, not \u escapes
    english = {t["text"] for r in response.get_json()["results"] for t in r["terms"].get("en", [])}
    assert "Cooperative Security" in english or "cooperative security" in {e.lower() for e in english}


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("", "q"),
        ("q=EMI&from=de", "from"),
        ("q=EMI&to=xx", "to"),
        ("q=EMI&limit=0", "limit"),
        ("q=EMI&limit=abc", "limit"),
        ("q=EMI&limit=101", "limit"),
        ("q=EMI&status=official", "status"),
        ("q=" + "a" * 201, "q"),
    ],
)
def test_terms_bad_parameters_are_400_naming_the_parameter(client, query, param) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/terms?{query}")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and error["param"] == param and error["message"]


def test_recognize_returns_offsets_into_the_text(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/terms/recognize", json={"text": SENTENCE, "lang": "fr"})
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["text"] == SENTENCE and doc["hits"]
    for hit in doc["hits"]:
        assert SENTENCE[hit["start"] : hit["end"]] == hit["surface"]
    assert "EMI" in {h["surface"] for h in doc["hits"]}


def test_recognize_errors(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/terms/recognize", data="text=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported"
    response = client.post("/api/v1/terms/recognize", json=["not", "an", "object"])
    assert response.status_code == 400 and error_of(response)["param"] == "body"
    response = client.post("/api/v1/terms/recognize", json={"text": SENTENCE, "lang": "de"})
    assert response.status_code == 400 and error_of(response)["param"] == "lang"
    response = client.post("/api/v1/terms/recognize", json={"lang": "fr"})
    assert response.status_code == 400 and error_of(response)["param"] == "text"


def test_bulk_recognize_gives_each_segment_what_the_single_call_gives(client) -> None:  # type: ignore[no-untyped-def]
    segments = [SENTENCE, "Rien ici.", "Le concept stratégique et la sécurité coopérative."]
    response = client.post("/api/v1/terms/recognize/bulk", json={"segments": segments, "lang": "fr"})
    assert response.status_code == 200
    results = response.get_json()
    assert [r["text"] for r in results] == segments
    for text, result in zip(segments, results, strict=True):
        single = client.post("/api/v1/terms/recognize", json={"text": text, "lang": "fr"}).get_json()
        assert result == single
    assert results[1]["hits"] == [] and results[0]["hits"] and results[2]["hits"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"segments": "Le Comité militaire"}, "segments"),
        ({"segments": []}, "segments"),
        ({"segments": ["ok", 3]}, "segments"),
        ({"segments": ["x"] * 101}, "segments"),
        ({"segments": ["OTAN " * 5000]}, "segments"),
        ({"segments": ["ok"], "lang": "de"}, "lang"),
    ],
)
def test_bulk_recognize_errors_name_the_parameter(client, body, param) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/terms/recognize/bulk", json=body)
    assert response.status_code == 400 and error_of(response)["param"] == param


def test_check_flags_a_missing_term(client) -> None:  # type: ignore[no-untyped-def]
    body = {
        "source": "La réunion s’est tenue sous l’égide de l’État-major militaire international.",
        "target": "The meeting was held under the auspices of the staff.",
        "from": "fr",
        "to": "en",
    }
    response = client.post("/api/v1/terms/check", json=body)
    assert response.status_code == 200
    findings = response.get_json()["findings"]
    assert any(f["kind"] == "missing_term" for f in findings)
    response = client.post("/api/v1/terms/check", json={"source": "x"})
    assert response.status_code == 400 and error_of(response)["param"] == "target"


def test_stats_and_unknown_route(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/stats").get_json()
    assert doc["concepts"] > 0 and doc["terms"] > doc["concepts"]
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = client.delete("/api/v1/stats")
    assert response.status_code in (401, 405)


def test_lookup_and_bulk(client) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("nato_tm.services.tm_lookup", reason="the fuzzy lookup service (M2) has not landed")
    response = client.get("/api/v1/tm/lookup", query_string={"q": SENTENCE, "from": "fr", "to": "en"})
    assert response.status_code == 200
    matches = response.get_json()["matches"]
    assert matches and matches[0]["score"] >= 95
    response = client.post("/api/v1/tm/lookup", json={"segments": [SENTENCE, "Le 9 novembre 2022"], "from": "fr"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"segments": []}, "segments"),
        ({"segments": "one"}, "segments"),
        ({"segments": ["x"] * 101}, "segments"),
        ({"segments": ["ok", 3]}, "segments"),
        ({"segments": ["ok"], "from": "zz"}, "from"),
    ],
)
def test_bulk_lookup_limits(client, body, param) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/tm/lookup", json=body)
    assert response.status_code == 400 and error_of(response)["param"] == param


def test_lookup_parameter_errors(client) -> None:  # type: ignore[no-untyped-def]
    for query, param in [("", "q"), ("q=x&min=200", "min"), ("q=x&limit=1000", "limit"), ("q=" + "a" * 2001, "q")]:
        response = client.get(f"/api/v1/tm/lookup?{query}")
        assert response.status_code == 400 and error_of(response)["param"] == param


def test_concordance(client) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("nato_tm.services.concordance", reason="the concordance service (M2) has not landed")
    response = client.get("/api/v1/tm/concordance", query_string={"q": "pays partenaires", "lang": "fr"})
    assert response.status_code == 200 and response.get_json()["hits"]
    assert client.get("/api/v1/tm/concordance?lang=fr").status_code == 400


def test_openapi_documents_every_api_route_and_the_error_shape(app, client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert {"status", "code", "message", "param"} <= set(error)
    documented = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/tmserver/", "/mymemory/")) or rule.endpoint == "openapi.document":
            continue
        path = rule.rule.replace("<", "{").replace(">", "}").replace("path:", "").replace("int:", "")
        if path.endswith("/unit/"):
            continue  # the ?source= form of the documented /unit/{text}
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented or (path.replace("/api/get", "/get"), method) in documented, (
                path,
                method,
            )


def test_import_needs_a_token_and_reports(client, editor_token) -> None:  # type: ignore[no-untyped-def]
    tmx = _tmx("Le Comité militaire s’est réuni à Bruxelles.", "The Military Committee met in Brussels.")
    data = {"file": (io.BytesIO(tmx), "meeting.tmx")}
    assert client.post("/api/v1/import", data=data, content_type="multipart/form-data").status_code == 401
    headers = {"Authorization": f"Bearer {editor_token}"}
    data = {"file": (io.BytesIO(tmx), "meeting.tmx")}
    response = client.post("/api/v1/import?dry_run=1", data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    report = response.get_json()
    assert report["format"] == "tmx" and report["dry_run"] is True and report["added"] == 1
    response = client.post("/api/v1/import?name=meeting.tmx", data=tmx, headers=headers)
    assert response.status_code == 200 and response.get_json()["added"] == 1
    response = client.post("/api/v1/import?name=meeting.tmx", data=tmx, headers=headers)
    assert response.get_json()["unchanged"] == 1 and response.get_json()["added"] == 0


def test_import_errors(client, editor_token) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {editor_token}"}
    response = client.post("/api/v1/import", headers=headers)
    assert response.status_code == 400 and error_of(response)["param"] == "file"
    response = client.post("/api/v1/import?name=x.bin", data=b"\x00\x01binary junk", headers=headers)
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported"
    response = client.post("/api/v1/import?name=bad.tmx", data=b"<?xml version='1.0'?><tmx><body><tu>", headers=headers)
    assert response.status_code == 400 and error_of(response)["param"] == "file"


def test_upload_over_the_limit_is_413(db, editor_token) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.webapp import create_app

    small = create_app({"database_url": db.url, "max_upload_bytes": 1000}).test_client()
    headers = {"Authorization": f"Bearer {editor_token}"}
    response = small.post("/api/v1/import?name=big.tmx", data=b"x" * 5000, headers=headers)
    assert response.status_code == 413 and error_of(response)["code"] == "too_large"


def test_token_roles_and_revocation(client, db) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.services import auth

    body = {"segments": ["x"]}
    response = client.post("/api/v1/tm/units", json=body, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    response = client.post("/api/v1/tm/units", json=body, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    new = auth.create_token(db, "editor", "revoked soon")
    auth.revoke_token(db, new.id)
    response = client.post("/api/v1/tm/units", json=body, headers={"Authorization": f"Bearer {new.token}"})
    assert response.status_code == 401


def test_store_unavailable_is_503_with_retry_after() -> None:
    from nato_tm.webapp import create_app

    # Nothing listens on port 1: the store is unavailable, the request itself is fine.
    client = create_app({"database_url": "postgresql://postgres@127.0.0.1:1/none"}).test_client()
    response = client.get("/api/v1/stats")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert error_of(response)["code"] == "unavailable"


def test_rate_limit_is_429_in_the_error_shape(db) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.webapp import create_app

    client = create_app({"database_url": db.url, "RATELIMIT_DEFAULT": "2 per minute"}).test_client()
    codes = [client.get("/api/v1/stats").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = client.get("/api/v1/stats")
    assert error_of(response)["code"] == "rate_limited" and response.headers.get("Retry-After")
    # Another token is another bucket.
    other = client.get("/api/v1/stats", headers={"Authorization": "Bearer someone-else"})
    assert other.status_code == 401


def test_read_requires_token_setting(db, editor_token) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.webapp import create_app

    client = create_app({"database_url": db.url, "read_requires_token": True}).test_client()
    assert client.get("/api/v1/terms?q=EMI").status_code == 401
    ok = client.get("/api/v1/terms?q=EMI", headers={"Authorization": f"Bearer {editor_token}"})
    assert ok.status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def _tmx(fr: str, en: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="test" '
        'creationtoolversion="1" segtype="sentence" o-tmf="none" adminlang="en" srclang="fr" datatype="plaintext"/>'
        f'<body><tu><tuv xml:lang="fr"><seg>{fr}</seg></tuv><tuv xml:lang="en"><seg>{en}</seg></tuv></tu></body></tmx>'
    ).encode()


def test_write_back_then_find_it(client, editor_token) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("nato_tm.services.tm_write", reason="the TM write service (M1) has not landed")
    unit = {
        "source": "Le Comité militaire s’est réuni à Mons le 14 juin 2023.",
        "target": "The Military Committee met in Mons on 14 June 2023.",
        "from": "fr",
        "to": "en",
    }
    assert client.post("/api/v1/tm/units", json=unit).status_code == 401
    headers = {"Authorization": f"Bearer {editor_token}"}
    first = client.post("/api/v1/tm/units", json=unit, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json()["outcome"] == "added" and first.get_json()["created_by"] == "tests"
    again = client.post("/api/v1/tm/units", json=unit, headers=headers)
    assert again.status_code == 200 and again.get_json()["outcome"] == "unchanged"
    found = client.get("/api/v1/tm/lookup", query_string={"q": unit["source"], "from": "fr", "to": "en"}).get_json()
    assert found["matches"][0]["target"] == unit["target"] and found["matches"][0]["score"] >= 100
    same_langs = client.post("/api/v1/tm/units", json={**unit, "to": "fr"}, headers=headers)
    assert same_langs.status_code == 400 and error_of(same_langs)["param"] == "to"
    missing = client.post("/api/v1/tm/units", json={"source": "x", "from": "fr"}, headers=headers)
    assert missing.status_code == 400 and error_of(missing)["param"] == "target"


def test_bulk_lookup_with_previous_segments(client) -> None:  # type: ignore[no-untyped-def]
    first = "Le 9 novembre 2022, des représentants de plus de 30 pays partenaires ont participé à des ateliers"
    body = {"segments": [SENTENCE, first], "prevs": [None, None], "from": "fr", "to": "en"}
    response = client.post("/api/v1/tm/lookup", json=body)
    assert response.status_code == 200 and len(response.get_json()) == 2
    response = client.post("/api/v1/tm/lookup", json={**body, "prevs": [None]})
    assert response.status_code == 400 and error_of(response)["param"] == "prevs"


def test_openapi_document_is_valid_openapi_3(client) -> None:  # type: ignore[no-untyped-def]
    validator = pytest.importorskip("openapi_spec_validator", reason="pip install openapi-spec-validator")
    validator.validate(client.get("/api/v1/openapi.json").get_json())
