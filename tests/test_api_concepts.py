"""Editing the term base through the API and the editor pages."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("nato_tm.services.concepts", reason="the concept service (T1) has not landed")

NEW = {
    "id": "test-cimic",
    "subject_fields": ["operations"],
    "source": "AAP-06 (test entry)",
    "definition": {"fr": "Coordination entre forces militaires et acteurs civils.", "en": None},
    "terms": {
        "fr": [{"text": "coopération civilo-militaire", "status": "preferred", "reliability": 3}],
        "en": [{"text": "civil-military cooperation", "status": "preferred"}, {"text": "CIMIC", "type": "acronym"}],
    },
}


def test_concept_lifecycle(client, editor_token) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {editor_token}"}
    assert client.post("/api/v1/concepts", json=NEW).status_code == 401
    created = client.post("/api/v1/concepts", json=NEW, headers=auth)
    assert created.status_code == 201 and created.headers["Location"].endswith("/api/v1/concepts/test-cimic")
    assert client.post("/api/v1/concepts", json=NEW, headers=auth).status_code == 409
    found = client.get("/api/v1/terms", query_string={"q": "CIMIC", "from": "en", "to": "fr"}).get_json()
    assert "test-cimic" in [r["concept_id"] for r in found["results"]]

    term = client.post(
        "/api/v1/concepts/test-cimic/terms", json={"text": "CIMIC", "lang": "fr", "type": "acronym"}, headers=auth
    )
    assert term.status_code == 201
    term_id = term.get_json()["id"]
    changed = client.put(
        f"/api/v1/concepts/test-cimic/terms/{term_id}",
        json={"text": "CIMIC", "lang": "fr", "type": "acronym", "status": "admitted"},
        headers=auth,
    )
    assert changed.status_code == 200 and changed.get_json()["status"] == "admitted"
    assert client.delete(f"/api/v1/concepts/test-cimic/terms/{term_id}", headers=auth).status_code == 204
    assert client.delete(f"/api/v1/concepts/test-cimic/terms/{term_id}", headers=auth).status_code == 404

    doc = client.get("/api/v1/concepts/test-cimic").get_json()
    doc["note"] = "révisé"
    assert client.put("/api/v1/concepts/test-cimic", json=doc, headers=auth).get_json()["note"] == "révisé"
    deleted = client.delete("/api/v1/concepts/test-cimic", headers=auth)
    assert deleted.status_code == 204 and "Content-Type" not in deleted.headers
    missing = client.get("/api/v1/concepts/test-cimic")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"id": "x", "terms": {}}, "terms"),
        ({"id": "x", "terms": {"fr": [{"text": "a", "status": "official"}]}}, "status"),
        ({"id": "x", "terms": {"fr": [{"text": "a", "reliability": 9}]}}, "reliability"),
        ({"id": "x", "terms": {"de": [{"text": "a"}]}}, "lang"),
    ],
)
def test_bad_concepts_are_400_naming_the_field(client, editor_token, body, param) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/concepts", json=body, headers={"Authorization": f"Bearer {editor_token}"})
    assert response.status_code == 400 and response.get_json()["error"]["param"] == param


def _signed_in(client, db):  # type: ignore[no-untyped-def]
    from nato_tm.services.auth import create_user

    create_user(db, "claire", "motdepasse-solide")
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/signin", data={"username": "claire", "password": "motdepasse-solide", "csrf_token": token})
    # Signing in rotates the token: take the new one from a form.
    page = client.get("/exchange").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def test_editor_edits_a_concept_in_the_browser_forms(client, db) -> None:  # type: ignore[no-untyped-def]
    token = _signed_in(client, db)
    page = client.get("/concepts/nato-b-0003/edit")
    assert page.status_code == 200 and "État-major militaire international" in page.get_data(as_text=True)
    form = {
        "csrf_token": token,
        "subject_fields": "organisation",
        "source": "NATO IMS",
        "note": "vérifiée",
        "definition_fr": "L’organe exécutif du Comité militaire.",
        "definition_en": "",
    }
    assert client.post("/concepts/nato-b-0003/edit", data=form).status_code == 302
    shown = client.get("/concepts/nato-b-0003").get_data(as_text=True)
    assert "L’organe exécutif du Comité militaire." in shown and "vérifiée" in shown
    added = client.post(
        "/concepts/nato-b-0003/terms",
        data={
            "csrf_token": token,
            "text": "EM militaire intl",
            "lang": "fr",
            "type": "shortForm",
            "status": "deprecated",
        },
    )
    assert added.status_code == 302
    shown = client.get("/concepts/nato-b-0003").get_data(as_text=True)
    assert "EM militaire intl" in shown and "déconseillé" in shown
    no_csrf = client.post("/concepts/nato-b-0003/terms", data={"text": "x", "lang": "fr"})
    assert no_csrf.status_code == 403


def test_new_concept_form(client, db) -> None:  # type: ignore[no-untyped-def]
    token = _signed_in(client, db)
    data = {
        "csrf_token": token,
        "fr_text": "cyberdéfense",
        "en_text": "cyber defence",
        "source": "test",
        "id": "t-cyber",
    }
    response = client.post("/concepts/new", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/concepts/t-cyber/edit")
    again = client.post("/concepts/new", data=data)
    assert again.status_code == 409 and "already exists" in again.get_data(as_text=True)
