"""A PostgreSQL server that drops its connections (a restart, an idle timeout, an operator) costs no request.

The pool checks a connection before handing it out (pre-ping) and opens a new one for a dead one;
the term base's revision probe, which keeps a connection of its own, opens a new one when its
read fails. Both are exercised here by terminating every server process of the test's database
between two requests, as a server restart would.
"""

from __future__ import annotations

import psycopg
import pytest
from flask.testing import FlaskClient

from nato_tm.services.tm_lookup import lookup
from nato_tm.store.db import Database

SENTENCE = (
    "Cette réunion semestrielle avec les pays partenaires s’est tenue sous l’égide de la Division "
    "Sécurité coopérative (CS) de l’État-major militaire international (EMI)."
)


def drop_every_connection(db: Database) -> int:
    """Terminate every other server process of the database, as a restart would; return how many there were."""
    with psycopg.connect(db.url.replace("+psycopg", ""), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


@pytest.fixture(autouse=True)
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")


def test_a_lookup_after_the_server_dropped_its_connections(db: Database) -> None:
    before = lookup(db, SENTENCE)
    assert before.matches and before.matches[0].score == 100 and before.matches[0].terms
    assert drop_every_connection(db) >= 1  # the pool's connection, and the revision probe's
    after = lookup(db, SENTENCE)
    assert [(m.score, m.target, [t.term_id for t in m.terms]) for m in after.matches] == [
        (m.score, m.target, [t.term_id for t in m.terms]) for m in before.matches
    ]


def test_the_api_answers_after_the_server_dropped_its_connections(db: Database, client: FlaskClient) -> None:
    query = {"q": SENTENCE, "from": "fr", "to": "en"}
    first = client.get("/api/v1/tm/lookup", query_string=query)
    assert first.status_code == 200
    assert drop_every_connection(db) >= 1
    second = client.get("/api/v1/tm/lookup", query_string=query)
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["matches"] == first.get_json()["matches"]
    terms = client.get("/api/v1/terms", query_string={"q": "EMI"})
    assert terms.status_code == 200 and terms.get_json()["results"]
