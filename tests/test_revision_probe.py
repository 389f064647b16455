"""RevisionProbe: the cheap per-request read that validates per-process caches (recognition)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

from nato_tm.formats.records import ConceptRecord, LangRecord, TermRecord
from nato_tm.store import migrate
from nato_tm.store.db import Database
from nato_tm.store.revision import RevisionProbe, read_revision
from nato_tm.store.termbase_repo import save_concepts


def terms_revision(db: Database) -> int:
    with db.session() as s:
        return read_revision(s, "terms").value


def test_probe_reads_each_commit_as_soon_as_it_lands(db: Database) -> None:
    probe = RevisionProbe(db.engine)
    before = terms_revision(db)
    assert probe.read("terms") == before
    record = ConceptRecord(
        id="test-bilan",
        langs=[
            LangRecord("fr", terms=[TermRecord("bilan", "fr")]),
            LangRecord("en", terms=[TermRecord("summary", "en")]),
        ],
    )
    with db.session() as s:
        save_concepts(s, [record])
    after = terms_revision(db)
    assert after > before
    assert probe.read("terms") == after  # its autocommit read holds no old snapshot
    probe.close()


def test_probe_answers_none_where_nothing_can_be_read_then_recovers(tmp_path: Path) -> None:
    bare = Database(f"sqlite:///{tmp_path}/bare.sqlite3")
    probe = RevisionProbe(bare.engine)
    assert probe.read("terms") is None  # no store_revision table yet: the caller takes the full path
    migrate.upgrade(bare)
    assert probe.read("terms") == terms_revision(bare)
    probe.close()
    assert probe.read("terms") == terms_revision(bare)  # closed, then reopened on demand
    probe.close()
    bare.dispose()


def test_each_thread_reads_through_its_own_connection(db: Database) -> None:
    probe = RevisionProbe(db.engine)
    expected = terms_revision(db)
    seen: list[int | None] = []
    threads = [threading.Thread(target=lambda: seen.append(probe.read("terms"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [expected] * 4
    assert len(probe.opened) == 4
    probe.close()
    assert probe.opened == []


def test_on_either_backend_a_store_without_revisions_reads_none_then_the_migrated_value(
    templates: Any, backend: str
) -> None:
    url = templates._new(backend, f"bare_{uuid.uuid4().hex[:8]}")  # an empty database: no tables at all
    bare = Database(url)
    probe = RevisionProbe(bare.engine)
    assert probe.read("terms") is None  # PostgreSQL: preparing the read fails, and no connection is kept
    assert probe.opened == []
    migrate.upgrade(bare)
    assert probe.read("terms") == terms_revision(bare)
    before = probe.read("terms")
    with bare.session() as s:  # a write through another connection moves it at once
        save_concepts(s, [ConceptRecord(id="probe-check", langs=[LangRecord("fr", terms=[TermRecord("sonde", "fr")])])])
    assert probe.read("terms") == terms_revision(bare) != before
    probe.close()
    bare.dispose()
    templates.drop(url)
