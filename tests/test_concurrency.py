"""Concurrent writers, readers and an import on one store (SQLite WAL and PostgreSQL): nothing lost or doubled."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from nato_tm.errors import StoreUnavailable
from nato_tm.formats.records import TermRecord
from nato_tm.services.concepts import add_term
from nato_tm.services.importer import import_path
from nato_tm.services.tm_lookup import lookup
from nato_tm.services.tm_write import add_unit
from nato_tm.store import db as dbmod
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit
from nato_tm.store.termbase import Concept, Term

WRITERS, UNITS_EACH, READERS = 4, 12, 2
SHARED = 5  # pairs every writer also writes: stored once
CONCEPT = "x-concurrency"


def _pair(writer: int, n: int) -> tuple[str, str]:
    return (
        f"Le groupe {writer} a examiné la question numéro {n} avec les Alliés.",
        f"Group {writer} examined question number {n} with the Allies.",
    )


def _writer(url: str, writer: int) -> str:
    try:
        db = Database(url)
        for n in range(UNITS_EACH):
            add_unit(db, *_pair(writer, n), "fr", "en", user=f"w{writer}")
            if n < SHARED:
                add_unit(db, *_pair(99, n), "fr", "en", user=f"w{writer}")
        for n in range(3):
            add_term(db, CONCEPT, TermRecord(text=f"terme {writer}-{n}", lang_tag="fr"))
        return ""
    except Exception:
        return traceback.format_exc()


def _reader(url: str, _n: int) -> str:
    try:
        db = Database(url)
        for n in range(6):
            lookup(db, _pair(n % WRITERS, n)[0], "fr", "en")
        return ""
    except Exception:
        return traceback.format_exc()


def _importer(url: str, path: str) -> str:
    try:
        report = import_path(Database(url), path)
        return "" if report.added + report.unchanged + report.updated == 60 else f"report {report}"
    except Exception:
        return traceback.format_exc()


def _tmx(path: Path) -> None:
    units = "".join(
        f'<tu><tuv xml:lang="fr"><seg>{fr}</seg></tuv><tuv xml:lang="en"><seg>{en}</seg></tuv></tu>\n'
        for fr, en in [_pair(50, n) for n in range(55)] + [_pair(0, n) for n in range(5)]  # 5 also written by w0
    )
    path.write_text(
        f'<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="fr"/><body>\n{units}</body></tmx>\n',
        encoding="utf-8",
    )


def test_concurrent_writers_readers_and_import_lose_nothing(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        session.add(Concept(id=CONCEPT, subject_fields=[], extra={}))
        units_before = session.scalar(select(func.count()).select_from(Unit))
    _tmx(tmp_path / "batch.tmx")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WRITERS + READERS + 1) as pool:
        jobs = [pool.apply_async(_writer, (db.url, w)) for w in range(WRITERS)]
        jobs += [pool.apply_async(_reader, (db.url, r)) for r in range(READERS)]
        jobs.append(pool.apply_async(_importer, (db.url, str(tmp_path / "batch.tmx"))))
        failures = [f for f in (j.get(timeout=600) for j in jobs) if f]
    assert failures == []  # in particular no "database is locked" reached a caller
    expected = {_pair(w, n) for w in range(WRITERS) for n in range(UNITS_EACH)}
    expected |= {_pair(99, n) for n in range(SHARED)} | {_pair(50, n) for n in range(55)}
    with db.session() as session:
        units = session.scalar(select(func.count()).select_from(Unit))
        hashes = session.scalar(select(func.count(func.distinct(Unit.content_hash))))
        terms = session.scalars(select(Term.text).where(Term.concept_id == CONCEPT)).all()
    assert units - units_before == len(expected)  # nothing lost, shared pairs stored once
    assert hashes == units
    assert sorted(terms) == sorted(f"terme {w}-{n}" for w in range(WRITERS) for n in range(3))


def _locked() -> OperationalError:
    return OperationalError("INSERT ...", {}, Exception("database is locked"))


def test_write_retries_a_locked_store_then_succeeds(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbmod, "BASE_DELAY", 0.001)
    calls = []

    def work(session: object) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return "done"

    assert db.write(work) == "done" and len(calls) == 3


def test_write_gives_up_with_store_unavailable(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbmod, "BASE_DELAY", 0.001)
    calls = []

    def work(session: object) -> None:
        calls.append(1)
        raise _locked()

    with pytest.raises(StoreUnavailable, match="stayed busy through 8 attempts"):
        db.write(work)
    assert len(calls) == dbmod.ATTEMPTS


def test_a_real_error_is_not_retried(db: Database) -> None:
    calls = []

    def work(session: object) -> None:
        calls.append(1)
        raise OperationalError("SELECT", {}, Exception("no such table: nowhere"))

    with pytest.raises(StoreUnavailable):
        db.write(work)
    assert len(calls) == 1


def test_api_answers_503_with_retry_after_when_the_store_stays_locked(  # type: ignore[no-untyped-def]
    client, editor_token, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nato_tm.services.tm_write as tm_write

    monkeypatch.setattr(dbmod, "BASE_DELAY", 0.001)

    def locked(session: object) -> None:
        raise _locked()

    monkeypatch.setattr(tm_write, "save_units", lambda session, recs: locked(session))
    resp = client.post(
        "/api/v1/tm/units",
        json={"source": "Bonjour", "target": "Hello", "from": "fr", "to": "en"},
        headers={"Authorization": f"Bearer {editor_token}"},
    )
    assert resp.status_code == 503 and resp.headers["Retry-After"]
    assert resp.get_json()["error"]["code"] == "unavailable"
