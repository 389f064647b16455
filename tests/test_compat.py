"""tmserver/amaGama and MyMemory endpoints, called the way Weblate, Virtaal and MyMemory clients call them."""

from __future__ import annotations

from urllib.parse import quote

import pytest

pytest.importorskip("nato_tm.services.tm_lookup", reason="the fuzzy lookup service (M2) has not landed")

FR = "Le Comité militaire s’est réuni au siège de l’OTAN à Bruxelles / Belgique."
EN = "The Military Committee met at NATO Headquarters in Brussels / Belgium."


@pytest.fixture
def stored(client, editor_token):  # type: ignore[no-untyped-def]
    """One unit imported through the API."""
    tmx = (
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><header srclang="fr" datatype="plaintext" '
        'segtype="sentence" adminlang="en" o-tmf="x" creationtool="t" creationtoolversion="1"/><body>'
        f'<tu><tuv xml:lang="fr"><seg>{FR}</seg></tuv><tuv xml:lang="en"><seg>{EN}</seg></tuv></tu></body></tmx>'
    ).encode()
    headers = {"Authorization": f"Bearer {editor_token}"}
    response = client.post("/api/v1/import?name=compat.tmx", data=tmx, headers=headers)
    assert response.status_code == 200 and response.get_json()["added"] == 1
    return client


def test_languages_as_weblate_reads_them(client) -> None:  # type: ignore[no-untyped-def]
    data = client.get("/tmserver/languages/").get_json()
    pairs = [(s, t) for s in data["sourceLanguages"] for t in data["targetLanguages"]]
    assert ("fr", "en") in pairs and ("en_gb", "fr") in pairs


@pytest.mark.parametrize(("src", "tgt"), [("fr", "en"), ("fr_fr", "en_gb"), ("fr-FR", "en-GB"), ("FR", "EN")])
def test_unit_url_as_weblate_builds_it(stored, src, tgt) -> None:  # type: ignore[no-untyped-def]
    # Weblate: "/".join([base, quote(src, b""), quote(tgt, b""), "unit", quote(text.encode(), b"")])
    url = "/".join(["/tmserver", quote(src, safe=""), quote(tgt, safe=""), "unit", quote(FR.encode(), safe="")])
    response = stored.get(url)
    assert response.status_code == 200
    rows = response.get_json()
    assert rows and rows[0]["source"] == FR and rows[0]["target"] == EN
    assert int(rows[0]["quality"]) == 100 and set(rows[0]) == {"source", "target", "quality", "rank"}


def test_unit_with_source_parameter_and_thresholds(stored) -> None:  # type: ignore[no-untyped-def]
    near = FR.replace("Bruxelles", "Mons")
    rows = stored.get("/tmserver/fr/en/unit/", query_string={"source": near, "min_similarity": 50}).get_json()
    assert rows and rows[0]["target"] == EN and 50 <= rows[0]["quality"] < 100
    assert stored.get("/tmserver/fr/en/unit/", query_string={"source": near, "min_similarity": 100}).get_json() == []
    one = stored.get("/tmserver/fr/en/unit/x", query_string={"max_candidates": 1, "min_similarity": 0}).get_json()
    assert len(one) <= 1


def test_tmserver_errors(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/tmserver/de/en/unit/Hallo")
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "src"
    response = client.get("/tmserver/fr/en/unit/", query_string={"source": ""})
    assert response.status_code == 400
    response = client.get("/tmserver/fr/en/unit/x?max_candidates=0")
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "max_candidates"


def test_mymemory_shape(stored) -> None:  # type: ignore[no-untyped-def]
    response = stored.get("/mymemory/get", query_string={"q": FR, "langpair": "fr|en"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["responseStatus"] == 200
    assert data["responseData"]["translatedText"] == EN and data["responseData"]["match"] == 1
    match = data["matches"][0]
    for key in (
        "segment",
        "translation",
        "quality",
        "match",
        "created-by",
        "create-date",
        "last-updated-by",
        "reference",
    ):
        assert key in match
    assert match["segment"] == FR and 0 <= match["match"] <= 1
    # The same through /mymemory/api/get, with regional tags.
    again = stored.get("/mymemory/api/get", query_string={"q": FR, "langpair": "fr-FR|en-GB"}).get_json()
    assert again["responseData"]["translatedText"] == EN


def test_mymemory_no_match_and_errors(client) -> None:  # type: ignore[no-untyped-def]
    data = client.get("/mymemory/get", query_string={"q": "zzz qqq www", "langpair": "fr|en"}).get_json()
    assert data["responseStatus"] == 200 and data["matches"] == [] and data["responseData"]["match"] == 0
    for query in ({"q": "x", "langpair": "fr-en"}, {"q": "x", "langpair": "fr|de"}, {"langpair": "fr|en"}):
        response = client.get("/mymemory/get", query_string=query)
        body = response.get_json()
        assert response.status_code == 400 and body["responseStatus"] == 400
        assert body["error"]["param"] in ("q", "langpair")
