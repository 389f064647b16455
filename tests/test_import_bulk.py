"""The bulk import path: worker processes, ids taken in advance, postings written late, triggers run once.

Every test imports through small batches (BATCH and the chunked reader's CHUNK_BYTES patched) so
that a handful of units crosses many batches and the worker pool is really used, and through small
posting runs (POSTING_RUN patched), so that postings are staged and moved as in a large import,
and with the variants' key index built at the end of every load (KEY_INDEX_LOAD patched).
"""

from __future__ import annotations

import gc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nato_tm.errors import FormatError
from nato_tm.formats import tmx_chunks, tmx_write
from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.services import importer
from nato_tm.services.importer import import_path
from nato_tm.services.stats import stats
from nato_tm.store import load_tuning, memory_bulk, migrate
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_index import TmEntry, TmPosting, TmVocab, entry_postings, unindex_units
from nato_tm.store.memory_repo import HASH_HEX, save_units
from nato_tm.store.revision import read_revision

FR = [
    "Le Conseil de l'Atlantique Nord s'est réuni le 9 novembre 2022 à Bruxelles.",
    "Les ministres ont approuvé 2 500 000 euros pour la formation.",
    "L'OTAN renforce sa posture de dissuasion et de défense.",
    "La réunion a duré 3,5 heures.",
    "Les Alliés ont réaffirmé leur soutien à l'Ukraine.",
    "?!",
]
EN = [
    "The North Atlantic Council met on 9 November 2022 in Brussels.",
    "Ministers approved 2,500,000 euros for training.",
    "NATO strengthens its deterrence and defence posture.",
    "The meeting lasted 3.5 hours.",
    "Allies reaffirmed their support for Ukraine.",
    "?!",
]


def unit(i: int, *, note: str | None = None) -> UnitRecord:
    """Unit i: a real pair with a number suffix, some with markup, context, dates and metadata."""
    k = i % len(FR)
    fr, en = f"{FR[k]} ({i})", f"{EN[k]} ({i})"
    markup = f'{fr} <ph x="{i}">&lt;br/&gt;</ph>' if i % 7 == 3 else None
    return UnitRecord(
        variants=[
            VariantRecord("fr-FR", fr, markup=markup, context_prev=FR[k - 1] if i % 3 == 0 else None),
            VariantRecord("en-GB", en, created_at=datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC) if i % 2 else None),
        ],
        tuid=f"t{i}",
        srclang="fr-FR",
        created_by="IMP" if i % 4 == 0 else None,
        usage_count=i % 3,
        props=[{"type": "x-n", "value": str(i)}] if i % 5 == 0 else [],
        notes=[{"text": note}] if note else [],
        attrs={"datatype": "plaintext"} if i % 6 == 0 else {},
    )


def write(path: Path, records: list[UnitRecord]) -> Path:
    with path.open("wb") as stream:
        tmx_write.write_header(stream, srclang="fr-FR")
        for rec in records:
            tmx_write.write_unit(stream, rec)
        tmx_write.write_footer(stream)
    return path


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "BATCH", 4)
    monkeypatch.setattr(tmx_chunks, "CHUNK_BYTES", 600)  # with workers, files are read in runs of a few units
    monkeypatch.setattr(memory_bulk, "POSTING_RUN", 10)  # postings go through runs (SQLite: the staging table)
    monkeypatch.setattr(load_tuning, "KEY_INDEX_LOAD", 1)  # SQLite: the key index is built at each load's end


def snapshot(db: Database) -> tuple[list[tuple[object, ...]], dict[int, int]]:
    """Every variant with its unit's identity and its index rows, keyed by content (not by id); the vocabulary."""
    with db.session() as s:
        entries = {e.variant_id: e for e in s.scalars(select(TmEntry))}
        posted: dict[int, set[tuple[int, int]]] = {}
        for p in s.scalars(select(TmPosting)):
            posted.setdefault(p.variant_id, set()).add((p.token_hash, p.ntok))
        rows = []
        for v, u in s.execute(select(Variant, Unit).join(Unit, Variant.unit_id == Unit.id)):
            e = entries[v.id]
            assert e.unit_id == u.id
            assert posted.get(v.id, set()) == {(h, e.ntok) for h in entry_postings(e.lang, e.keys, e.postings)}
            of_unit = (u.content_hash, u.tuid, u.usage_count, repr(u.props), repr(u.notes), repr(u.attrs), u.created_by)
            of_variant = (v.lang, v.lang_tag, v.text, v.markup, v.key_hash, v.prev_hash, v.created_at, repr(v.props))
            rows.append((*of_unit, *of_variant, e.lang, e.ntok, e.keys, e.bases, e.minor, e.nums, e.postings))
        vocab = {t.token_hash: t.df for t in s.scalars(select(TmVocab)) if t.df}
        counts = Counter(h for hs in posted.values() for h, _ in hs)
    assert vocab == dict(counts), "the vocabulary counts every posting once"
    return sorted(rows, key=repr), vocab


def clear(db: Database) -> None:
    with db.session(write=True) as s:
        unindex_units(s, s.scalars(select(Unit.id)).all())
        s.execute(delete(Variant))
        s.execute(delete(Unit))


def test_workers_store_exactly_what_one_process_stores(empty_db: Database, tmp_path: Path) -> None:
    records = [unit(i) for i in range(30)]
    # Duplicates: within a batch, across batches, and one bringing a note (an update).
    records[5:5] = [unit(4)]
    records += [unit(1), unit(12, note="again")]
    path = write(tmp_path / "mem.tmx", records)
    report = import_path(empty_db, str(path), workers=2)
    assert (report.added, report.updated, report.unchanged) == (30, 1, 2)
    with_workers = snapshot(empty_db)
    clear(empty_db)
    again = import_path(empty_db, str(path), workers=0)
    assert (again.added, again.updated, again.unchanged) == (30, 1, 2)
    assert snapshot(empty_db) == with_workers
    notes = {u.tuid: u.notes for u in in_units(empty_db)}
    assert notes["t12"] == [{"text": "again"}] and notes["t11"] == []


def in_units(db: Database) -> list[Unit]:
    with db.session() as s:
        return list(s.scalars(select(Unit)))


def test_bulk_rows_hold_what_the_orm_would_store(empty_db: Database) -> None:
    rec = unit(30)  # props, attrs, a dated variant, context
    with empty_db.session(write=True) as s:
        save_units(s, [rec])
        bulk = s.scalars(select(Unit).where(Unit.tuid == "t30")).one()
        orm = Unit(
            content_hash="x" * HASH_HEX, **{k: getattr(bulk, k) for k in ("tuid", "origin", "srclang", "created_by")}
        )
        orm.created_at, orm.usage_count, orm.props, orm.attrs = bulk.created_at, bulk.usage_count, rec.props, rec.attrs
        orm.notes = []
        orm.variants = [
            Variant(lang=v.lang, lang_tag=v.lang_tag, text=v.text, markup=v.markup, key_hash=v.key_hash,
                    prev_hash=v.prev_hash, created_at=r.created_at, props=r.props, notes=[], attrs={})
            for v, r in zip(bulk.variants, rec.variants, strict=True)
        ]  # fmt: skip
        s.add(orm)
        s.flush()
        cols = "tuid, origin, srclang, created_at, usage_count, props, notes, attrs"
        raw = [tuple(r) for r in s.execute(text(f"SELECT {cols} FROM unit WHERE tuid = 't30' ORDER BY id"))]
        vcols = "lang, lang_tag, text, markup, key_hash, prev_hash, created_at, props, notes, attrs"
        vraw = [tuple(r) for r in s.execute(text(f"SELECT {vcols} FROM variant WHERE unit_id IN "
                                                 f"({bulk.id}, {orm.id}) ORDER BY unit_id, id"))]  # fmt: skip
    assert raw[0] == raw[1]
    assert vraw[:2] == vraw[2:]


def triggers(db: Database) -> list[tuple[str, str]]:
    """SQLite's triggers and indexes, which a load may drop and make again inside its transaction."""
    if db.dialect != "sqlite":
        return []
    with db.session() as s:
        rows = s.execute(text("SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'index') ORDER BY name"))
        return [tuple(r) for r in rows]


def memory_revision(db: Database) -> int:
    with db.session() as s:
        return read_revision(s, "memory").value


def test_the_memory_revision_moves_once_per_import_that_changes_something(empty_db: Database, tmp_path: Path) -> None:
    before, start = triggers(empty_db), memory_revision(empty_db)
    path = write(tmp_path / "mem.tmx", [unit(i) for i in range(12)])
    import_path(empty_db, str(path), workers=2)
    assert memory_revision(empty_db) > start
    assert triggers(empty_db) == before
    moved = memory_revision(empty_db)
    import_path(empty_db, str(path), workers=2)  # nothing new
    assert memory_revision(empty_db) == moved
    import_path(empty_db, str(write(tmp_path / "more.tmx", [unit(3, note="n")])))
    assert memory_revision(empty_db) > moved
    assert triggers(empty_db) == before


def test_a_failed_or_dry_import_leaves_the_store_and_its_triggers_as_they_were(
    empty_db: Database, tmp_path: Path
) -> None:
    before, start = triggers(empty_db), memory_revision(empty_db)
    bad = unit(99)
    bad.variants = [VariantRecord("en-GB", "Only English.")]
    path = write(tmp_path / "mem.tmx", [*(unit(i) for i in range(20)), bad])
    with pytest.raises(FormatError):
        import_path(empty_db, str(path), workers=2)
    report = import_path(empty_db, str(path), workers=2, dry_run=True, skip_invalid=True)
    assert report.added == 20
    assert stats(empty_db).units == 0
    assert (triggers(empty_db), memory_revision(empty_db)) == (before, start)
    with empty_db.session() as s:
        assert s.scalar(select(TmPosting.variant_id).limit(1)) is None


def test_an_import_leaves_the_write_ahead_log_empty(tmp_path: Path) -> None:
    # Readers look every page up in the log first: after a large import they would pay for it until
    # SQLite's own checkpoints could reset it, which concurrent readers can put off indefinitely.
    db = Database(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate.upgrade(db)
    report = import_path(db, str(write(tmp_path / "mem.tmx", [unit(i) for i in range(300)])), workers=0)
    assert report.added == 300
    wal = tmp_path / "store.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Unit)) == 300


def test_an_import_keeps_what_the_process_froze_frozen(empty_db: Database, tmp_path: Path) -> None:
    # A web worker freezes its recognition cache out of the collector's way (services.recognize);
    # an import in that process must not thaw it (gc.unfreeze is not nested).
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        import_path(empty_db, str(write(tmp_path / "mem.tmx", [unit(i) for i in range(5)])), workers=0)
        assert gc.get_freeze_count() > 0  # thawed, it would be 0 (frozen objects freed meanwhile leave it)
    finally:
        gc.unfreeze()
    with importer.fewer_collections():  # a process that froze nothing gets everything back
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_an_import_leaves_the_planner_statistics_and_visibility_map_of_what_it_loaded(
    empty_db: Database, tmp_path: Path
) -> None:
    # Without them (autovacuum off, or not round yet) PostgreSQL planned lookups on a fresh 1M store
    # at 0.7-1.8 s of server CPU each.
    if empty_db.dialect != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    import_path(empty_db, str(write(tmp_path / "mem.tmx", [unit(i) for i in range(40)])), workers=0)
    with empty_db.session() as s:
        tuples, visible = s.execute(
            text("SELECT reltuples, relallvisible FROM pg_class WHERE relname = 'tm_posting'")
        ).one()
    assert tuples is not None and tuples > 0  # -1 until the table is analysed
    assert visible > 0  # 0 until the table is vacuumed: no index-only scans of the postings


def test_a_memory_import_leaves_foreign_keys_whole_and_enforced_again(empty_db: Database, tmp_path: Path) -> None:
    # SQLite: the load runs with enforcement off (it would keep a statement journal per INSERT);
    # every row must still point at its parent, and the pooled connection enforce keys afterwards.
    records = [unit(i) for i in range(25)] + [unit(3, note="again")]
    report = import_path(empty_db, str(write(tmp_path / "mem.tmx", records)), workers=2)
    assert (report.added, report.updated) == (25, 1)
    with empty_db.engine.connect() as conn:
        if empty_db.dialect == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        orphans = conn.execute(
            select(func.count()).select_from(Variant).where(~select(Unit.id).where(Unit.id == Variant.unit_id).exists())
        ).scalar()
        assert orphans == 0


def test_keys_are_enforced_again_after_an_unchecked_write_fails(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate.upgrade(db)

    def orphan(session: Session) -> None:
        session.execute(text("INSERT INTO tm_entry VALUES (42, 7, 'fr', 0, '', '', '', '', '')"))
        raise RuntimeError("the load failed")

    with pytest.raises(RuntimeError):
        db.write(orphan, foreign_keys=False)
    with db.engine.connect() as conn:  # the pool's only idle connection: the one that wrote
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM tm_entry").scalar() == 0
    with pytest.raises(IntegrityError):  # enforced again: the same orphan is refused
        db.write(lambda s: s.execute(text("INSERT INTO tm_entry VALUES (42, 7, 'fr', 0, '', '', '', '', '')")))


def test_a_load_that_outgrows_the_store_builds_the_key_index_whole_at_its_end(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate.upgrade(db)
    before = triggers(db)
    seen: list[bool] = []
    real = load_tuning._key_index_to_defer

    def spy(session: Session, variants: int) -> str | None:
        sql = real(session, variants)
        seen.append(sql is not None)
        return sql

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(load_tuning, "_key_index_to_defer", spy)
        records = [unit(i) for i in range(40)]
        assert import_path(db, str(write(tmp_path / "mem.tmx", records)), workers=2).added == 40
    assert seen == [True]
    assert triggers(db) == before  # the index is back, as migrations made it
    with db.session() as s:
        assert s.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"  # and holds every variant
        plan = s.execute(text("EXPLAIN QUERY PLAN SELECT id FROM variant WHERE lang = 'fr' AND key_hash = 'x'")).all()
        assert "ix_variant_lang_key_hash" in str(plan)
        key = s.scalars(select(Variant.key_hash).where(Variant.lang == "fr").limit(1)).one()
        assert s.scalar(select(func.count()).select_from(Variant).where(Variant.key_hash == key)) >= 1


def test_the_key_index_stays_for_loads_small_beside_the_store(empty_db: Database, tmp_path: Path) -> None:
    import_path(empty_db, str(write(tmp_path / "mem.tmx", [unit(i) for i in range(40)])), workers=0)
    with empty_db.session(write=True) as s:
        stored = s.scalar(select(func.max(Variant.id)))
        assert stored is not None and stored >= 80
        choice = load_tuning._key_index_to_defer
        assert choice(s, stored // 4 - 1) is None  # a quarter of the store or less: inserted as it goes
        deferred = choice(s, stored)
        if empty_db.dialect == "sqlite":
            assert deferred is not None and "ix_variant_lang_key_hash" in deferred
        else:
            assert deferred is None  # PostgreSQL keeps its indexes
