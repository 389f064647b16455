"""Two real server processes on one store: what is written through one is found through the other at once.

Each server is a separate ``nato-tm serve`` process (its own interpreter, engine and caches), as
two gunicorn workers are. Server B answers a request *before* the write, so that whatever it caches
per process is warm, then again right after A's write: a stale cache would miss the new data.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nato_tm import resources
from nato_tm.services.auth import create_token
from nato_tm.store.db import Database

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``nato-tm serve`` process on a free loopback port."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "NATO_TM_SECRET_KEY": "multiprocess-test", "NATO_TM_RATE_LIMIT": "10000 per minute"}
        self.log = log.open("wb")
        cmd = [sys.executable, "-m", "nato_tm", "--db", url, "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the server process exited"
            try:
                self.call("GET", "/api/v1/stats")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError(f"server on port {self.port} did not answer in {START_TIMEOUT} s")

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def servers(empty_db: Database, tmp_path: Path) -> Iterator[tuple[Server, Server, str]]:
    token = create_token(empty_db, "editor", "multiprocess test").token
    pair = [Server(empty_db.url, tmp_path / f"server-{name}.log") for name in "ab"]
    try:
        for server in pair:
            server.wait_ready()
        yield pair[0], pair[1], token
    finally:
        for server in pair:
            server.stop()


def seed_sentences(lang: str) -> list[str]:
    """The first two sentences of the seed article's first paragraph (they align one to one)."""
    text = (resources.termbase() / "seed" / f"article-2022-11-09.{lang}.txt").read_text(encoding="utf-8")
    paragraph = [row for row in text.splitlines() if row.strip()][1]
    first, second = paragraph.split(". ")[:2]
    return [first + ".", second]


def lookup(server: Server, q: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"q": q, "from": "fr", "to": "en"})
    matches: list[dict[str, Any]] = server.call("GET", f"/api/v1/tm/lookup?{query}")["matches"]
    return matches


def test_a_unit_written_through_a_is_found_by_b_on_the_next_request(servers: tuple[Server, Server, str]) -> None:
    a, b, token = servers
    (fr, fr2), (en, en2) = seed_sentences("fr"), seed_sentences("en")
    assert fr.startswith("Le 9 novembre 2022") and en.startswith("On 9 November 2022")
    assert lookup(b, fr) == []  # B has answered (and cached whatever it caches) before the write
    a.call("POST", "/api/v1/tm/units", {"source": fr, "target": en, "from": "fr", "to": "en"}, token)
    found = lookup(b, fr)
    assert [m["target"] for m in found] == [en]
    assert found[0]["score"] >= 100
    # And the other way round, with a fuzzy rather than an exact match.
    assert all(m["target"] != en2 for m in lookup(a, fr2))
    b.call("POST", "/api/v1/tm/units", {"source": fr2, "target": en2, "from": "fr", "to": "en"}, token)
    near = fr2.replace("semestrielle", "annuelle")
    assert near != fr2
    assert en2 in [m["target"] for m in lookup(a, near)]


CONCEPT = {
    "id": "test-multiprocess-cs",
    "subject_fields": ["organisation"],
    "source": "seed article 2022-11-09 (test entry)",
    "terms": {
        "fr": [{"text": "Division Sécurité coopérative", "status": "preferred"}],
        "en": [{"text": "Cooperative Security Division", "status": "preferred"}],
    },
}


def test_a_term_written_through_a_is_recognised_by_b_on_the_next_request(servers: tuple[Server, Server, str]) -> None:
    pytest.importorskip("nato_tm.services.concepts", reason="the concept service has not landed")
    a, b, token = servers
    sentence = seed_sentences("fr")[1]
    assert "Division Sécurité coopérative" in sentence
    body = {"text": sentence, "lang": "fr"}
    assert b.call("POST", "/api/v1/terms/recognize", body)["hits"] == []
    search = "/api/v1/terms?" + urllib.parse.urlencode({"q": "Division Sécurité coopérative"})
    assert "test-multiprocess-cs" not in json.dumps(b.call("GET", search), ensure_ascii=False)
    a.call("POST", "/api/v1/concepts", CONCEPT, token)
    hits = b.call("POST", "/api/v1/terms/recognize", body)["hits"]
    assert [h["concept_id"] for h in hits] == ["test-multiprocess-cs"]
    assert hits[0]["surface"] == "Division Sécurité coopérative"
    # Term search through B finds the new term too.
    assert "test-multiprocess-cs" in json.dumps(b.call("GET", search), ensure_ascii=False)
