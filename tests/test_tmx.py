"""TMX import: the quirks real tools write, broken files rejected with the database unchanged."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from nato_tm import resources
from nato_tm.errors import FormatError
from nato_tm.formats import tmx
from nato_tm.formats.records import Skipped, UnitRecord
from nato_tm.formats.registry import ReadOptions
from nato_tm.services.importer import import_path
from nato_tm.services.setup import init_store
from nato_tm.services.stats import stats
from nato_tm.services.tm_exchange import export_tmx
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit
from nato_tm.store.memory_repo import HASH_HEX, key_hash, unit_records

DATA = Path(__file__).parent / "data" / "tmx"


def read(name: str) -> list[UnitRecord | Skipped]:
    with open(DATA / name, "rb") as stream:
        return [r for r in tmx.read(stream, name, ReadOptions()) if isinstance(r, UnitRecord | Skipped)]


def units(name: str) -> dict[str, UnitRecord]:
    return {r.tuid or str(i): r for i, r in enumerate(read(name)) if isinstance(r, UnitRecord)}


def stored(db: Database) -> list[Unit]:
    with db.session() as s:
        return list(s.scalars(select(Unit).options(selectinload(Unit.variants)).order_by(Unit.id)))


def test_dates_usage_notes_and_props_are_read() -> None:
    unit = units("quirks.tmx")["dates"]
    assert unit.created_at == datetime(2022, 11, 9, 10, 15, tzinfo=UTC)
    assert (unit.created_by, unit.changed_by) == ("alice", "bob")
    assert unit.changed_at == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert unit.usage_count == 7
    assert unit.last_used_at == datetime(2023, 6, 14, 12, 0, tzinfo=UTC)
    assert unit.notes == [{"text": "Relu par la section terminologie."}, {"text": "Reviewed.", "lang": "en"}]
    assert unit.props == [{"type": "x-domain", "value": "military", "lang": "en"}]
    assert unit.origin == "IMS news"  # an x-origin prop names the unit's collection
    assert unit.attrs == {"datatype": "plaintext"}
    fr = unit.variants[0]
    assert fr.lang_tag == "fr-FR" and fr.created_by == "alice"
    assert fr.context_prev == "Les pays partenaires abordent le renforcement de la coopération."


def test_inline_markup_is_kept_and_text_is_plain() -> None:
    fr, en = units("quirks.tmx")["inline"].variants
    assert fr.text == "Cliquez sur Enregistrer puis  maintenant."
    assert fr.markup is not None and '<bpt i="1" x="1">&lt;b&gt;</bpt>Enregistrer<ept i="1">' in fr.markup
    assert '<hi type="emphasis">maintenant</hi>' in fr.markup
    assert en.markup is not None and "<sub>alt text</sub>" in en.markup
    assert "alt text" not in en.text  # sub-flows belong to the code, not to the segment's text


def test_several_tuvs_per_language_and_tu_srclang() -> None:
    unit = units("quirks.tmx")["several"]
    assert unit.srclang == "en-US"
    assert [v.lang_tag for v in unit.variants] == ["en-US", "fr-FR", "fr-CA"]


def test_comments_are_ignored_everywhere() -> None:
    unit = units("quirks.tmx")["comment"]
    assert unit.variants[0].text == "Bonjour à tous."
    assert unit.variants[0].markup is None


def test_tmx_1_1_lang_attribute() -> None:
    found = list(units("tmx11-lang.tmx").values())
    assert [v.lang_tag for v in found[0].variants] == ["EN-US", "FR-FR"]
    assert found[0].variants[1].text == "Les pays partenaires sont d’importants pourvoyeurs de sécurité."


@pytest.mark.parametrize(
    "name", ["srclang-all.tmx", "utf16-bom.tmx", "utf16le-nobom.tmx", "utf16be-bom.tmx", "utf8-bom.tmx"]
)
def test_encodings_and_srclang_all(name: str) -> None:
    assert tmx.sniff((DATA / name).read_bytes()[:4096])
    found = list(units(name).values())
    assert [[(v.lang_tag, v.text) for v in u.variants] for u in found] == [
        [("en", "Cooperative security"), ("fr", "Sécurité coopérative")],
        [("fr", "Lutte contre le terrorisme"), ("en", "Counter-terrorism")],
    ]
    assert all(u.srclang is None for u in found)  # *all*: either side may be the source


@pytest.mark.parametrize(
    ("name", "message", "line", "column"),
    [
        ("bad-not-wellformed.tmx", "not well-formed XML", 5, 114),
        ("bad-no-header.tmx", "missing TMX header", 3, None),
        ("bad-header-no-srclang.tmx", "no srclang", 2, None),
        ("bad-version.tmx", "unsupported TMX version '2.0'", 2, None),
        ("bad-root.tmx", "not a TMX file", 2, None),
    ],
)
def test_broken_files_are_rejected_with_the_database_unchanged(
    empty_db: Database, name: str, message: str, line: int, column: int | None
) -> None:
    with pytest.raises(FormatError) as err:
        import_path(empty_db, str(DATA / name), fmt="tmx")
    assert message in err.value.message
    assert (err.value.line, err.value.column) == (line, column)
    assert stats(empty_db).units == 0


def test_a_tu_without_source_stops_the_import(empty_db: Database) -> None:
    with pytest.raises(FormatError) as err:
        import_path(empty_db, str(DATA / "bad-no-source.tmx"))
    assert "bad-no-source.tmx:5: tu (tuid no-source): no usable source" in err.value.message
    assert stats(empty_db).units == 0


def test_skip_invalid_imports_the_rest_and_reports_each_skip(empty_db: Database) -> None:
    report = import_path(empty_db, str(DATA / "bad-no-source.tmx"), skip_invalid=True)
    assert report.added == 2
    assert [(Path(s.where).name, s.reason) for s in report.skipped] == [
        ("bad-no-source.tmx:5: tu (tuid no-source)", "no usable source: no non-empty fr segment"),
        ("bad-no-source.tmx:6: tu (tuid empty-source)", "no usable source: no non-empty fr segment"),
    ]
    assert [u.tuid for u in stored(empty_db)] == ["ok-1", "ok-2"]


def test_dry_run_changes_nothing(empty_db: Database) -> None:
    report = import_path(empty_db, str(DATA / "quirks.tmx"), dry_run=True)
    assert (report.added, report.dry_run) == (4, True)
    assert stats(empty_db).units == 0


def test_reimport_adds_nothing_and_new_metadata_updates(empty_db: Database, tmp_path: Path) -> None:
    first = import_path(empty_db, str(DATA / "quirks.tmx"))
    assert (first.added, first.updated, first.unchanged) == (4, 0, 0)
    again = import_path(empty_db, str(DATA / "quirks.tmx"))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    richer = (
        (DATA / "quirks.tmx")
        .read_text(encoding="utf-8")
        .replace('<tu tuid="comment">', '<tu tuid="comment" usagecount="3"><note>Greeting.</note>')
    )
    (tmp_path / "richer.tmx").write_text(richer, encoding="utf-8")
    third = import_path(empty_db, str(tmp_path / "richer.tmx"))
    assert (third.added, third.updated, third.unchanged) == (0, 1, 3)
    greeting = next(u for u in stored(empty_db) if u.tuid == "comment")
    assert (greeting.usage_count, greeting.notes) == (3, [{"text": "Greeting."}])


def test_stored_units_keep_keys_and_context(empty_db: Database) -> None:
    import_path(empty_db, str(DATA / "quirks.tmx"))
    dated = next(u for u in stored(empty_db) if u.tuid == "dates")
    fr = dated.variants[0]
    assert (fr.lang, fr.lang_tag) == ("fr", "fr-FR")
    assert fr.key_hash == key_hash(fr.text, "fr") and len(fr.key_hash) == HASH_HEX
    assert fr.prev_hash == key_hash("Les pays partenaires abordent le renforcement de la coopération.", "fr")
    assert dated.origin == "IMS news"
    assert {u.origin for u in stored(empty_db)} == {"IMS news", "quirks.tmx"}


VALIDATOR = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "tmx-validate"


def other_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'second.sqlite3'}")
    init_store(db, load_seed=False)
    return db


def memory(db: Database) -> list[tuple[object, ...]]:
    """Everything a unit holds, as comparable tuples (ids and hashes aside)."""
    with db.session() as s:
        units = list(unit_records(s))
    return sorted(
        (
            (
                repr(u.variants[0].text),
                u.tuid,
                u.srclang,
                u.origin,
                u.created_at,
                u.created_by,
                u.changed_at,
                u.changed_by,
                u.usage_count,
            ),
            (u.last_used_at, repr(u.props), repr(u.notes), repr(sorted(u.attrs.items()))),
            tuple(
                (v.lang_tag, v.text, v.markup, v.context_prev, v.created_by, repr(v.props), repr(v.notes))
                for v in u.variants
            ),
        )
        for u in units
    )  # sorted by first text: ids differ between the two databases


def validate(path: Path) -> None:
    if not VALIDATOR.exists():
        pytest.skip(f"the TMX 1.4b validator is not at {VALIDATOR}")
    run = subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def export_of(db: Database, tmp_path: Path, *names: str) -> Path:
    for name in names:
        import_path(db, str(DATA / name))
    out = tmp_path / "out.tmx"
    with out.open("wb") as stream:
        assert export_tmx(db, stream) == stats(db).units
    return out


def test_export_is_valid_tmx_1_4b(empty_db: Database, tmp_path: Path) -> None:
    out = export_of(empty_db, tmp_path, "quirks.tmx", "tmx11-lang.tmx", "utf16-bom.tmx", "srclang-all.tmx")
    head = out.read_text(encoding="utf-8")[:600]
    assert '<!DOCTYPE tmx SYSTEM "tmx14.dtd">' in head and '<tmx version="1.4">' in head
    validate(out)


@pytest.mark.parametrize("names", [["quirks.tmx", "tmx11-lang.tmx"], ["utf16-bom.tmx", "utf16le-nobom.tmx"]])
def test_export_reads_back_into_an_equal_memory(empty_db: Database, tmp_path: Path, names: list[str]) -> None:
    out = export_of(empty_db, tmp_path, *names)
    second = other_db(tmp_path)
    report = import_path(second, str(out))
    assert (report.added, report.skipped) == (stats(empty_db).units, [])
    assert memory(second) == memory(empty_db)
    second.dispose()


def test_inline_tags_survive_the_round_trip(empty_db: Database, tmp_path: Path) -> None:
    import_path(empty_db, str(DATA / "quirks.tmx"))
    out = tmp_path / "out.tmx"
    with out.open("wb") as stream:
        export_tmx(empty_db, stream)
    back = {r.tuid: r for r in tmx.read(out.open("rb"), "out.tmx", ReadOptions()) if isinstance(r, UnitRecord)}
    original = units("quirks.tmx")["inline"]
    assert [(v.text, v.markup) for v in back["inline"].variants] == [(v.text, v.markup) for v in original.variants]


def test_shipped_memory_exports_valid_tmx(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "seed.tmx"
    run = subprocess.run(["nato-tm", "--db", db.url, "export", "--format", "tmx", "-o", str(out)], capture_output=True)
    assert run.returncode == 0, run.stderr
    records = [r for r in tmx.read(out.open("rb"), "seed.tmx", ReadOptions()) if isinstance(r, UnitRecord)]
    assert len(records) == stats(db).units
    assert {r.origin for r in records} == {"seed:seed-memory.tmx"}
    validate(out)


@pytest.mark.slow
def test_omegat_fills_the_article_from_the_exported_memory(db: Database, tmp_path: Path) -> None:
    checker = VALIDATOR.parent / "omegat-check"
    if not checker.exists() or not Path("/usr/share/omegat/OmegaT.jar").exists():
        pytest.skip("omegat-check or OmegaT is not installed here")
    out = tmp_path / "seed.tmx"
    with out.open("wb") as stream:
        export_tmx(db, stream)
    article = Path(str(resources.termbase() / "seed" / "article-2022-11-09.fr.txt"))
    run = subprocess.run([str(checker), str(out), "fr", "en", str(article)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "omegat-check: ok (24 segments translated from the TMX)" in run.stdout
