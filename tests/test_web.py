"""Browser pages through the test client: escaping, headers, sign-in, CSRF, upload, and the write-route walk."""

from __future__ import annotations

import io
import re
import time

import pytest

from nato_tm.services import auth

WRITE = {"POST", "PUT", "PATCH", "DELETE"}
READ_POSTS = {"api.recognize", "api.bulk_recognize", "api.check", "api.bulk_lookup"}


def _csrf(client, path: str = "/signin") -> str:  # type: ignore[no-untyped-def]
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field on the form"
    return found.group(1)


@pytest.fixture
def editor(client, db):  # type: ignore[no-untyped-def]
    auth.create_user(db, "claire", "motdepasse-solide", "editor")
    token = _csrf(client)
    response = client.post("/signin", data={"username": "claire", "password": "motdepasse-solide", "csrf_token": token})
    assert response.status_code == 302
    return client


def test_every_write_route_refuses_a_request_without_credentials(app, client) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for rule in app.url_map.iter_rules():
        for method in sorted(WRITE & set(rule.methods)):
            if rule.endpoint in READ_POSTS or rule.endpoint == "auth.signin":
                continue
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1" if m.group(1).endswith("id") else "tbx", rule.rule)
            response = client.open(url, method=method, json={"source": "a", "target": "b"})
            assert response.status_code in (401, 403), (method, url, response.status_code)
            checked += 1
    assert checked >= 3  # import, units, signout, exchange at least


def test_signin_itself_needs_the_csrf_token(client, db) -> None:  # type: ignore[no-untyped-def]
    auth.create_user(db, "claire", "motdepasse-solide")
    response = client.post("/signin", data={"username": "claire", "password": "motdepasse-solide"})
    assert response.status_code == 403
    token = _csrf(client)
    bad = client.post("/signin", data={"username": "claire", "password": "wrong-password", "csrf_token": token})
    assert bad.status_code == 401 and "incorrect" in bad.get_data(as_text=True)


def test_session_writes_need_csrf(editor) -> None:  # type: ignore[no-untyped-def]
    data = {"file": (io.BytesIO(b"x"), "a.tmx")}
    assert editor.post("/exchange", data=data, content_type="multipart/form-data").status_code == 403


def _follow_job(editor, url: str) -> str:  # type: ignore[no-untyped-def]
    """The job page once the job has ended (the page a browser's script or refresh would show)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        page = editor.get(url).get_data(as_text=True)
        if "data-follow" not in page:
            return page  # type: ignore[no-any-return]
        assert 'http-equiv="refresh"' in page  # a browser without scripts asks again by itself
        time.sleep(0.1)
    raise AssertionError(f"{url} still follows a running job")


def test_upload_tmx_runs_a_job_whose_page_shows_the_report(editor) -> None:  # type: ignore[no-untyped-def]
    tmx = (
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><header srclang="fr" datatype="plaintext" '
        'segtype="sentence" adminlang="en" o-tmf="x" creationtool="t" creationtoolversion="1"/><body>'
        '<tu><tuv xml:lang="fr"><seg>Le 9 novembre 2022, des représentants ont participé.</seg></tuv>'
        '<tuv xml:lang="en"><seg>On 9 November 2022, representatives took part.</seg></tuv></tu></body></tmx>'
    ).encode()
    token = _csrf(editor, "/exchange")
    data = {"file": (io.BytesIO(tmx), "seed.tmx"), "csrf_token": token}
    response = editor.post("/exchange", data=data, content_type="multipart/form-data")
    assert response.status_code == 303 and re.search(r"/exchange/jobs/[0-9a-f]{24}$", response.headers["Location"])
    page = _follow_job(editor, response.headers["Location"])
    assert "Import terminé" in page and "Rapport d’import" in page and "seed.tmx" in page
    assert re.search(r"<dt>ajoutées</dt><dd>1</dd>", page)
    listed = editor.get("/exchange").get_data(as_text=True).split('id="h-jobs"', 1)[1]
    assert response.headers["Location"] in listed and "seed.tmx</a> · terminé" in listed and "1 ajoutées" in listed


def test_a_broken_upload_ends_its_job_refused(editor) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(editor, "/exchange")
    data = {"file": (io.BytesIO(b"<tmx version='1.4'><body><tu>"), "cut.tmx"), "csrf_token": token}
    response = editor.post("/exchange", data=data, content_type="multipart/form-data")
    page = _follow_job(editor, response.headers["Location"])
    assert "Import refusé" in page and "cut.tmx" in page and "Rien n’a été enregistré" in page


def test_an_editor_cancels_an_import_from_its_page(editor, web_jobs) -> None:  # type: ignore[no-untyped-def]
    with web_jobs.turn("f" * 24):  # an import before it keeps it queued
        token = _csrf(editor, "/exchange")
        data = {"file": (io.BytesIO(b"<tmx version='1.4'/>"), "later.tmx"), "csrf_token": token}
        url = editor.post("/exchange", data=data, content_type="multipart/form-data").headers["Location"]
        page = editor.get(url).get_data(as_text=True)
        assert "En attente" in page and "Annuler l’import" in page
        assert editor.post(url + "/cancel", data={}).status_code == 403  # a form without its CSRF token
        response = editor.post(url + "/cancel", data={"csrf_token": _csrf(editor, url)})
        assert response.status_code == 303 and response.headers["Location"] == url
        page = _follow_job(editor, url)
    assert "Import refusé" in page and "cancelled by a user" in page and "Annuler l’import" not in page
    again = editor.post(url + "/cancel", data={"csrf_token": _csrf(editor, url)}, follow_redirects=True)
    assert "has ended (failed)" in again.get_data(as_text=True)


def test_an_upload_without_a_file_stays_on_the_form(editor) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(editor, "/exchange")
    response = editor.post("/exchange", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400 and "choose a file to import" in response.get_data(as_text=True)


def test_job_pages_are_for_editors_and_unknown_jobs_are_404(app, editor) -> None:  # type: ignore[no-untyped-def]
    missing = editor.get("/exchange/jobs/" + "0" * 24)
    assert missing.status_code == 404 and "no import job" in missing.get_data(as_text=True)
    anonymous = app.test_client().get("/exchange/jobs/" + "0" * 24)
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]


def test_editor_pages_redirect_to_signin(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/exchange")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_signin_never_redirects_off_site(client, db) -> None:  # type: ignore[no-untyped-def]
    auth.create_user(db, "claire", "motdepasse-solide")
    token = _csrf(client)
    data = {"username": "claire", "password": "motdepasse-solide", "csrf_token": token, "next": "//evil.example/x"}
    response = client.post("/signin", data=data)
    assert response.headers["Location"] == "/"


def test_security_headers_on_pages_and_api(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/api/v1/stats", "/signin"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"]


def test_no_inline_script_in_pages(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/?q=EMI", "/segment", "/concordance", "/signin"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert not re.search(r"<[^>]+\son[a-z]+=", page), path  # no inline event handlers either


def test_script_in_a_query_renders_as_text(client) -> None:  # type: ignore[no-untyped-def]
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    for path in ("/", "/segment", "/concordance"):
        key = "text" if path == "/segment" else "q"
        page = client.get(path, query_string={key: evil}).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_search_page_works_without_javascript(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/", query_string={"q": "EMI", "dir": "fr-en"}).get_data(as_text=True)
    assert "International Military Staff" in page and 'lang="en"' in page
    page = client.get("/", query_string={"q": "IMS", "dir": "en-fr"}).get_data(as_text=True)
    assert "État-major militaire international" in page
    fragment = client.get("/search/results", query_string={"q": "EMI"}).get_data(as_text=True)
    assert "International Military Staff" in fragment and "<html" not in fragment


def test_segment_view_highlights_terms(client) -> None:  # type: ignore[no-untyped-def]
    text = "Cette réunion s’est tenue sous l’égide de l’État-major militaire international (EMI)."
    page = client.get("/segment", query_string={"text": text}).get_data(as_text=True)
    assert re.search(r'<a class="hit[^"]*" href="/concepts/[^"]+"[^>]*>EMI</a>', page)
    page = client.get("/segment", query_string={"text": text, "translation": "It was held by the staff."})
    assert "Contrôle terminologique" in page.get_data(as_text=True)


def test_bad_parameter_on_a_page_is_an_error_page(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/segment", query_string={"text": "x" * 3000})
    assert response.status_code == 400 and "text/html" in response.content_type
    assert "paramètre «\u00a0text\u00a0»" in response.get_data(as_text=True)  # French spacing


def test_create_app_without_arguments_reads_the_environment(monkeypatch, db) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.webapp import create_app

    monkeypatch.setenv("NATO_TM_DATABASE_URL", db.url)
    monkeypatch.setenv("NATO_TM_READ_REQUIRES_TOKEN", "1")
    app = create_app()
    assert app.test_client().get("/api/v1/stats").status_code == 401


def test_stored_markup_renders_as_text(client, editor_token) -> None:  # type: ignore[no-untyped-def]
    tmx = (
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><header srclang="fr" datatype="plaintext" '
        'segtype="sentence" adminlang="en" o-tmf="x" creationtool="t" creationtoolversion="1"/><body>'
        "<tu><tuv xml:lang='fr'><seg>Le chef a écrit &lt;script&gt;alert(1)&lt;/script&gt; dans le rapport.</seg></tuv>"
        "<tuv xml:lang='en'><seg>The chief wrote &lt;script&gt;alert(1)&lt;/script&gt; in the report.</seg></tuv>"
        "</tu></body></tmx>"
    ).encode()
    headers = {"Authorization": f"Bearer {editor_token}"}
    assert client.post("/api/v1/import?name=xss.tmx", data=tmx, headers=headers).get_json()["added"] == 1
    for path, key in (("/", "q"), ("/concordance", "q"), ("/segment", "text")):
        query = "Le chef a écrit alert(1) dans le rapport." if key != "q" or path == "/" else "chef a écrit"
        page = client.get(path, query_string={key: query}).get_data(as_text=True)
        assert "The chief wrote &lt;script&gt;alert(1)&lt;/script&gt;" in page, path
        assert "<script>alert(1)" not in page


def test_sign_in_attempts_are_limited(db) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.webapp import create_app

    client = create_app({"database_url": db.url, "RATELIMIT_SIGNIN": "3 per minute"}).test_client()
    token = _csrf(client)
    codes = [
        client.post("/signin", data={"username": "x", "password": "wrong-password", "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]


def test_the_app_refuses_a_store_at_an_older_schema_but_not_an_unreachable_one(empty_db) -> None:  # type: ignore[no-untyped-def]
    from nato_tm.errors import StoreOutdated
    from nato_tm.store import migrate
    from nato_tm.webapp import create_app

    migrate.downgrade(empty_db, "0003")
    with pytest.raises(StoreOutdated, match="run `nato-tm init`"):
        create_app({"database_url": empty_db.url})  # what gunicorn's workers build
    migrate.upgrade(empty_db)
    assert create_app({"database_url": empty_db.url}).test_client().get("/api/v1/stats").status_code == 200
    unreachable = create_app({"database_url": "postgresql://postgres@127.0.0.1:1/none"})
    assert unreachable.test_client().get("/api/v1/stats").status_code == 503
