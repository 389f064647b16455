"""TBX: reading every dialect and style, round trips through the store, exports, bad files."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from nato_tm import resources
from nato_tm.errors import FormatError
from nato_tm.formats import tbx, tbx_write
from nato_tm.formats.records import ConceptRecord, TermRecord
from nato_tm.formats.registry import ReadOptions, detect
from nato_tm.services.importer import import_path, import_stream
from nato_tm.services.stats import stats
from nato_tm.services.term_exchange import export_tbx, export_tbx2, export_tsv
from nato_tm.store.db import Database
from nato_tm.store.termbase import Term
from nato_tm.store.termbase_repo import record_state, save_concepts

DATA = Path(__file__).parent / "data" / "tbx"
VALIDATOR = Path(__file__).resolve().parents[2] / "shared" / "tools" / "tbx-validate"
CURATED = sorted(p.name for p in resources.termbase().iterdir() if p.name.endswith(".tbx"))


def read(path: Path) -> list[ConceptRecord]:
    with path.open("rb") as stream:
        records = list(tbx.read(stream, path.name, ReadOptions()))
    assert all(isinstance(r, ConceptRecord) for r in records)
    return records  # type: ignore[return-value]


def read_bytes(data: bytes, name: str = "export.tbx") -> list[ConceptRecord]:
    return list(tbx.read(io.BytesIO(data), name, ReadOptions()))  # type: ignore[arg-type]


def without_lines(records: list[ConceptRecord]) -> list[ConceptRecord]:
    return [dataclasses.replace(r, line=None) for r in records]


def terms(rec: ConceptRecord, lang: str) -> dict[str, TermRecord]:
    return {t.text: t for sec in rec.langs if sec.lang_tag.lower().startswith(lang) for t in sec.terms}


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    if not VALIDATOR.exists():
        pytest.skip(f"tbx-validate not found at {VALIDATOR}")
    return subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, check=False)


def export(db: Database, func: object) -> bytes:
    out = io.BytesIO()
    func(db, out)  # type: ignore[operator]
    return out.getvalue()


# --- reading each dialect and style ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["tbx3-basic-dca.tbx", "tbx3-basic-dct.tbx"])
def test_tbx_basic_dca_and_dct_give_the_same_fields(name: str) -> None:
    ims = read(DATA / name)[0]
    assert ims.id == "fx-ims" and ims.subject_fields == ["NATO bodies"]
    assert ims.source == "NATO IMS article, 9 November 2022 (seed article)"
    fr = ims.langs[0]
    assert fr.definition == "État-major qui appuie le Comité militaire de l’OTAN."
    assert fr.definition_source == "nato-tm tests (own wording)"
    emi, full = terms(ims, "fr")["EMI"], terms(ims, "fr")["État-major militaire international"]
    assert (emi.term_type, emi.status, emi.reliability, emi.case_sensitive) == ("acronym", "preferred", 4, True)
    assert emi.note == "Sigle ; ne pas confondre avec le mot « émi »."
    assert (full.gender, full.part_of_speech, full.case_sensitive) == ("masculine", "noun", False)
    assert full.context is not None and full.context.endswith("de l’État-major militaire international (EMI).")
    assert full.context_source == "NATO IMS article, 9 November 2022 (seed article)"
    assert ims.langs[1].lang_tag == "en-GB" and terms(ims, "en")["IMS"].case_sensitive is None
    # customerSubset has no field in the model: kept, in DCA form whatever the style
    assert terms(ims, "en")["International Military Staff"].extra["xml"] == ['<admin type="customerSubset">IMS</admin>']


def test_tbx_core_and_min_in_both_styles() -> None:
    core = read(DATA / "tbx3-core.tbx")[0]
    assert core.note == "Terme de l’article du 9 novembre 2022." and core.langs[0].lang_tag == "fr-FR"
    assert terms(core, "en")["cooperative security"].note == "One of NATO’s core tasks."
    dca, dct = read(DATA / "tbx3-min-dca.tbx"), read(DATA / "tbx3-min-dct.tbx")
    assert without_lines(dca) == without_lines(dct)
    assert terms(dca[0], "en")["Partner Nations"].status == "admitted"
    assert dca[0].subject_fields == ["partnerships"]


def test_tbx2_multiterm_export_in_utf16_with_its_own_spellings() -> None:
    raw = (DATA / "tbx2-multiterm.tbx").read_bytes()
    assert raw.startswith(b"\xff\xfe") and detect(raw[:4096], "x.tbx").name == "tbx"
    rec = read(DATA / "tbx2-multiterm.tbx")[0]
    assert rec.subject_fields == ["strategy"]  # <descrip type="Subject Field">
    assert rec.langs[0].lang_tag == "FR" and rec.langs[0].definition is not None
    concept = terms(rec, "fr")["concept stratégique"]
    assert (concept.part_of_speech, concept.gender) == ("noun", "masculine")
    assert terms(rec, "en")["Strategic Concept"].context is not None
    assert "SUPERVISOR" in rec.extra["xml"][0]  # transacGrp kept


def test_tbx2_iate_ntig_and_reliability() -> None:
    rec = read(DATA / "tbx2-iate.tbx")[0]
    assert rec.subject_fields == ["INTERNATIONAL RELATIONS"]
    assert terms(rec, "fr")["lutte contre le terrorisme"].reliability == 3
    old = terms(rec, "en")["counterterrorism"]
    assert (old.status, old.reliability, old.term_type) == ("deprecated", 2, "fullForm")
    assert old.extra == {"termType": "Term"}  # IATE's own spelling, kept


def test_tbx2_omegat_and_weblate_shapes() -> None:
    omegat = read(DATA / "tbx2-omegat.tbx")[0]
    assert omegat.id is None and [t.text for s in omegat.langs for t in s.terms] == [
        "réunion semestrielle",
        "semi-annual meeting",
    ]
    weblate = read(DATA / "tbx2-weblate.tbx")
    assert [r.id for r in weblate] == ["Military Committee", "human security"]
    assert weblate[0].langs[1].lang_tag == "fr-FR"  # fr_FR written as BCP 47
    assert weblate[0].extra["xml"] == ['<note from="developer">NATO\'s senior military authority</note>']


def test_curated_files_read_with_the_conventions() -> None:
    for name in CURATED:
        with (resources.termbase() / name).open("rb") as stream:
            records = [r for r in tbx.read(stream, name, ReadOptions()) if isinstance(r, ConceptRecord)]
        all_terms = [t for r in records for s in r.langs for t in s.terms]
        assert records and all(t.reliability in (1, 2, 3, 4) for t in all_terms), name
        assert all(t.case_sensitive is not None for t in all_terms), name
        assert not any(t.extra for t in all_terms), name  # every field of the curated files has a place


# --- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CURATED)
def test_curated_round_trip_loses_no_field(empty_db: Database, name: str) -> None:
    with (resources.termbase() / name).open("rb") as stream:
        original = [r for r in tbx.read(stream, name, ReadOptions()) if isinstance(r, ConceptRecord)]
    with empty_db.session() as session:
        assert set(save_concepts(session, list(original))) == {"added"}
    again = read_bytes(export(empty_db, export_tbx))
    by_id = {r.id: r for r in again}
    assert len(again) == len(original)
    for rec in without_lines(original):
        copy = dataclasses.replace(by_id[rec.id], line=None)
        assert copy == rec, rec.id


def test_round_trip_keeps_what_the_model_does_not_name(empty_db: Database, tmp_path: Path) -> None:
    for name in ("tbx3-basic-dca.tbx", "tbx2-iate.tbx", "tbx2-multiterm.tbx", "tbx2-weblate.tbx", "tbx3-core.tbx"):
        import_path(empty_db, str(DATA / name))
    with empty_db.session() as session:
        before = [record_state(r) for r in _stored(session)]
    out = tmp_path / "export.tbx"
    out.write_bytes(export(empty_db, export_tbx))
    proc = validate(out)
    assert proc.returncode == 0, proc.stdout
    assert "tbx-extra: " in out.read_text(encoding="utf-8")  # MultiTerm's transacGrp, Weblate's note
    reread = {r.id: record_state(r) for r in read_bytes(out.read_bytes())}
    for state, rec in zip(before, _ids(empty_db), strict=True):
        key = rec if rec in reread else tbx_write.safe_id(rec)  # "Military Committee" is no xsd:ID
        assert reread[key] == state, rec


def _stored(session: object) -> list[ConceptRecord]:
    from nato_tm.store.termbase_repo import iter_records

    return list(iter_records(session))  # type: ignore[arg-type]


def _ids(db: Database) -> list[str]:
    with db.session() as session:
        return [r.id or "" for r in _stored(session)]


def test_tbx2_export_reads_back_the_same(db: Database) -> None:
    data = export(db, export_tbx2)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<martif type="TBX"')
    with db.session() as session:
        stored = [record_state(r) for r in _stored(session)]
    assert [record_state(r) for r in read_bytes(data, "export2.tbx")] == stored
    assert b"<termEntry id=" in data and b"<tig>" in data and b"<langSet xml:lang=" in data


def test_shipped_base_exports_valid_tbx_basic(db: Database, tmp_path: Path) -> None:
    out = tmp_path / "nato.tbx"
    out.write_bytes(export(db, export_tbx))
    proc = validate(out)
    assert proc.returncode == 0 and proc.stdout.startswith("valid:"), proc.stdout
    assert export(db, export_tbx) == out.read_bytes()  # deterministic


def test_omegat_tsv_export_pairs_preferred_terms(db: Database) -> None:
    lines = export(db, export_tsv).decode("utf-8").splitlines()
    rows = [line.split("\t") for line in lines]
    assert all(len(r) == 3 for r in rows)
    pairs = {(r[0], r[1]) for r in rows}
    assert ("EMI", "IMS") in pairs and ("État-major militaire international", "International Military Staff") in pairs
    assert ("Comité militaire", "Military Committee") in pairs
    assert export(db, export_tsv).decode("utf-8").splitlines() == lines
    with db.session() as session:
        deprecated = {
            t.text for t in session.scalars(select(Term).where(Term.status == "deprecated", Term.lang == "en"))
        }
    assert not deprecated & {r[1] for r in rows}


# --- store: outcomes and keys ---------------------------------------------------------------------


def test_outcomes_added_unchanged_updated(empty_db: Database) -> None:
    records = read(DATA / "tbx3-basic-dca.tbx")
    with empty_db.session() as session:
        assert save_concepts(session, records) == ["added", "added"]
    with empty_db.session() as session:
        assert save_concepts(session, read(DATA / "tbx3-basic-dca.tbx")) == ["unchanged", "unchanged"]
    changed = read(DATA / "tbx3-basic-dca.tbx")
    terms(changed[1], "en")["Military Committee"].reliability = 3
    with empty_db.session() as session:
        assert save_concepts(session, changed) == ["unchanged", "updated"]
    with empty_db.session() as session:
        emi = session.scalars(select(Term).where(Term.text == "EMI")).one()
        ims = session.scalars(select(Term).where(Term.text == "IMS")).one()
        full = session.scalars(select(Term).where(Term.text == "État-major militaire international")).one()
    assert emi.case_sensitive and ims.case_sensitive  # explicit rule, then the acronym default
    assert not full.case_sensitive
    assert (full.key_fold, full.key_base) == (
        "état-major militaire international",
        "etat-major militaire international",
    )


def test_concepts_without_id_get_a_stable_one(empty_db: Database) -> None:
    first = import_path(empty_db, str(DATA / "tbx2-omegat.tbx"))
    second = import_path(empty_db, str(DATA / "tbx2-omegat.tbx"))
    assert (first.added, second.unchanged, second.added) == (1, 1, 0)


# --- bad files --------------------------------------------------------------------------------------

BROKEN = [
    ("broken-not-well-formed.tbx", ":10:", "not well-formed XML"),
    ("broken-wrong-root.tbx", ":2:", "root element is <xliff>"),
    ("broken-unknown-lang.tbx", ":11:", "unknown language 'de'"),
    ("broken-duplicate-id.tbx", ":9:", "duplicate concept id 'fx-mc' (first at line 5)"),
    ("broken-latin1.tbx", ":6:", "declared encoding"),
]


@pytest.mark.parametrize(("name", "line", "problem"), BROKEN)
def test_bad_file_names_file_line_problem_and_imports_nothing(db: Database, name: str, line: str, problem: str) -> None:
    before = stats(db)
    with pytest.raises(FormatError) as caught:
        import_path(db, str(DATA / name))
    message = caught.value.message
    assert name in message and line in message and problem in message, message
    assert stats(db) == before


def test_cli_reports_a_bad_file_in_one_line(db: Database) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nato_tm", "--db", db.url, "import", str(DATA / "broken-duplicate-id.tbx")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("Error: ") and "broken-duplicate-id.tbx:9: duplicate" in proc.stderr


def test_dry_run_reports_and_changes_nothing(db: Database) -> None:
    before = stats(db)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nato_tm",
            "--db",
            db.url,
            "import",
            "--dry-run",
            "--json",
            str(DATA / "tbx3-basic-dca.tbx"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["dry_run"], report["format"], report["added"]) == (True, "tbx", 2)
    assert stats(db) == before


def test_a_failure_late_in_a_file_keeps_nothing_of_its_start(empty_db: Database) -> None:
    good = (DATA / "tbx3-basic-dca.tbx").read_text(encoding="utf-8")
    late_error = good.replace('<langSec xml:lang="en">', '<langSec xml:lang="es">')  # in the 2nd concept
    with pytest.raises(FormatError, match="unknown language 'es'"):
        import_stream(empty_db, io.BytesIO(late_error.encode()), "late.tbx")
    assert stats(empty_db).concepts == 0


def test_copy_of_validator_input_is_not_needed_for_reading(tmp_path: Path) -> None:
    # A file the reader accepts is not assumed to be valid TBX-Basic: the validator is only for exports.
    src = DATA / "tbx2-iate.tbx"
    shutil.copy(src, tmp_path / "iate.tbx")
    assert validate(tmp_path / "iate.tbx").returncode == 1
    assert read(tmp_path / "iate.tbx")[0].id == "fx-iate-1"


OMEGAT_JAR = Path("/usr/share/omegat/OmegaT.jar")


@pytest.mark.slow
def test_omegat_reads_the_tbx2_export(db: Database, tmp_path: Path) -> None:
    """OmegaT's own TBX glossary reader (Debian's OmegaT, Java) loads the v2 export."""
    if not OMEGAT_JAR.exists() or not shutil.which("javac"):
        pytest.skip("OmegaT (/usr/share/omegat) or a JDK is not installed")
    with zipfile.ZipFile(OMEGAT_JAR) as jar:
        manifest = jar.read("META-INF/MANIFEST.MF").decode().replace("\r\n ", "").replace("\n ", "")
    libs = next(line for line in manifest.splitlines() if line.startswith("Class-Path:")).split()[1:]
    classpath = ":".join([str(OMEGAT_JAR), *libs, str(tmp_path)])
    shutil.copy(DATA / "OmegatReadTbx.java", tmp_path)
    subprocess.run(["javac", "-cp", classpath, "-d", str(tmp_path), str(tmp_path / "OmegatReadTbx.java")], check=True)
    (tmp_path / "export.tbx").write_bytes(export(db, export_tbx2))
    (tmp_path / "project").mkdir()
    proc = subprocess.run(
        ["java", "-cp", classpath, "OmegatReadTbx", str(tmp_path / "export.tbx"), str(tmp_path / "project")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert int(lines[0].removeprefix("entries: ")) == len(lines) - 1 > 300
    assert {"EMI\tIMS", "Comité militaire\tMilitary Committee", "sécurité coopérative\tcooperative security"} <= set(
        lines
    )
