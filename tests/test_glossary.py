"""Glossaries: OmegaT's three columns and CSV with a header; sniffing next to the memory TSV."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from nato_tm.errors import FormatError
from nato_tm.formats import glossary
from nato_tm.formats.records import ConceptRecord, Skipped
from nato_tm.formats.registry import ReadOptions, by_name, detect
from nato_tm.services.importer import import_path, import_stream
from nato_tm.services.stats import stats
from nato_tm.services.term_exchange import export_tsv
from nato_tm.store.db import Database
from nato_tm.store.termbase import Concept, Term

DATA = Path(__file__).parent / "data" / "tbx"
OMEGAT = DATA / "omegat-glossary.utf8"
CSV = DATA / "glossary-header.csv"


def read(data: bytes, name: str, options: ReadOptions | None = None) -> list[ConceptRecord | Skipped]:
    return list(glossary.read(io.BytesIO(data), name, options or ReadOptions()))  # type: ignore[arg-type]


def pairs(records: list[ConceptRecord | Skipped]) -> list[tuple[str, ...]]:
    return [
        tuple(f"{s.lang_tag}:{t.text}" for s in r.langs for t in s.terms)
        for r in records
        if isinstance(r, ConceptRecord)
    ]


def test_omegat_three_columns_with_comments_and_blank_lines() -> None:
    records = read(OMEGAT.read_bytes(), OMEGAT.name)
    assert pairs(records) == [
        ("fr:État-major militaire international", "en:International Military Staff"),
        ("fr:EMI", "en:IMS"),
        ("fr:Comité militaire", "en:Military Committee"),
        ("fr:concept stratégique", "en:Strategic Concept"),
    ]
    notes = [r.note for r in records if isinstance(r, ConceptRecord)]
    assert notes == ["seed article, paragraph 1", None, "le président délégué du Comité militaire", None]
    assert [r.line for r in records if isinstance(r, ConceptRecord)] == [2, 3, 4, 6]


def test_omegat_languages_come_from_the_options() -> None:
    records = read(b"IMS\tEMI\n", "en-fr.txt", ReadOptions(src_lang="en", tgt_lang="fr-CA"))
    assert pairs(records) == [("en:IMS", "fr-CA:EMI")]
    with pytest.raises(FormatError, match="unknown language 'de'"):
        read(b"EMI\tIMS\n", "x.txt", ReadOptions(src_lang="fr", tgt_lang="de"))


def test_csv_with_a_header_naming_the_languages() -> None:
    records = [r for r in read(CSV.read_bytes(), CSV.name) if isinstance(r, ConceptRecord)]
    division, partners, security = records
    assert pairs(records)[0] == ("fr:Division Sécurité coopérative", "en:Cooperative Security Division")
    assert division.langs[0].definition == "Division de l'EMI chargée des partenariats, dont la réunion semestrielle."
    assert division.subject_fields == ["NATO bodies", "partnerships"]
    assert (division.note, division.source) == ("Écrit avec deux majuscules.", "NATO IMS article (seed)")
    assert division.extra == {"columns": {"reviewer": "tests"}}  # a column the model does not name
    assert partners.note is None and partners.extra == {}
    assert security.note == 'Une des tâches fondamentales, "core task".'  # RFC 4180 quoting


def test_csv_header_in_the_other_order_and_without_header() -> None:
    records = read("en,fr\nMilitary Committee,Comité militaire\n".encode(), "g.csv")
    assert pairs(records) == [("en:Military Committee", "fr:Comité militaire")]
    records = read("Comité militaire,Military Committee,seed\n".encode(), "g.csv")
    assert pairs(records) == [("fr:Comité militaire", "en:Military Committee")]
    with pytest.raises(FormatError, match=r"g.csv:1: unknown language 'de'"):
        read("fr,de\nComité militaire,Militärausschuss\n".encode(), "g.csv")


def test_acronyms_are_case_sensitive_other_terms_not(empty_db: Database) -> None:
    report = import_path(empty_db, str(OMEGAT))
    assert (report.format, report.added) == ("glossary", 4)
    with empty_db.session() as session:
        rows = {t.text: t for t in session.scalars(select(Term))}
    assert rows["EMI"].term_type == "acronym" and rows["EMI"].case_sensitive
    assert rows["IMS"].case_sensitive and not rows["Comité militaire"].case_sensitive
    assert rows["concept stratégique"].key_stem == "concept strateg"


def test_importing_twice_changes_nothing(empty_db: Database) -> None:
    import_path(empty_db, str(CSV))
    again = import_path(empty_db, str(CSV))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    with empty_db.session() as session:
        ids = sorted(session.scalars(select(Concept.id)))
    assert all(i.startswith("c-") for i in ids) and len(ids) == 3


def test_not_utf8_names_the_line(db: Database) -> None:
    data = "EMI\tIMS\nComité militaire\tMilitary Committee\n".encode("latin-1")
    before = stats(db)
    with pytest.raises(FormatError, match=r"latin\.txt:2: not UTF-8"):
        import_stream(db, io.BytesIO(data), "latin.txt")
    assert stats(db) == before


def test_a_line_without_target_fails_unless_skipped(empty_db: Database) -> None:
    data = "EMI\tIMS\nComité militaire\n".encode()
    with pytest.raises(FormatError, match=r"short\.txt:2: a glossary line needs"):
        import_stream(empty_db, io.BytesIO(data), "short.txt")
    assert stats(empty_db).concepts == 0
    report = import_stream(empty_db, io.BytesIO(data), "short.txt", skip_invalid=True)
    assert report.added == 1 and [s.where for s in report.skipped] == ["short.txt:2"]


@pytest.mark.parametrize(
    ("data", "name"),
    [("EMI\tIMS\nComité\x0fmilitaire\tMilitary Committee\n", "ctl.txt"), ("fr,en\nEMI,IMS\nCS,C\x01S\n", "ctl.csv")],
)
def test_a_line_with_a_control_character_is_refused(empty_db: Database, data: str, name: str) -> None:
    # TBX cannot carry U+000F or U+0001: stored, such a term would break every export.
    with pytest.raises(FormatError, match=rf"{name}:\d: the control character"):
        import_stream(empty_db, io.BytesIO(data.encode()), name)
    assert stats(empty_db).concepts == 0
    report = import_stream(empty_db, io.BytesIO(data.encode()), name, skip_invalid=True)
    assert report.added == 1 and len(report.skipped) == 1


def test_format_names_and_extensions() -> None:
    assert by_name("csv") is by_name("omegat") is by_name("glossary")
    assert detect(CSV.read_bytes()[:4096], CSV.name).name == "glossary"
    assert detect(OMEGAT.read_bytes()[:4096], OMEGAT.name).name == "glossary"
    assert detect(b"Comit\xc3\xa9 militaire;Military Committee\n", "g.txt").name == "glossary"


def test_sniff_takes_only_the_omegat_shape() -> None:
    assert glossary.sniff(OMEGAT.read_bytes())
    assert glossary.sniff("Comité militaire\tMilitary Committee\n".encode())  # one line is enough
    assert detect(b"EMI\tIMS\tsigle\n", "nato.tsv").name == "glossary"  # not the memory TSV
    assert detect(b"en\tfr\nIMS\tEMI\n", "nato.tsv").name == "tsv"
    assert not glossary.sniff(b"en\tfr\tset\nFood: Where European inflation slipped up\tL'inflation\tnews\n")
    assert not glossary.sniff(b"fr\ten\nComit\xc3\xa9 militaire\tMilitary Committee\n")
    assert not glossary.sniff(CSV.read_bytes())
    assert not glossary.sniff((DATA / "tbx3-core.tbx").read_bytes())
    long_sentence = " ".join(["word"] * 20)
    assert not glossary.sniff(f"{long_sentence}\t{long_sentence}\n{long_sentence}\tx\n".encode())


def test_sniff_leaves_the_shared_memory_tsv_alone(shared_data: Path) -> None:
    for path in sorted(shared_data.glob("*.tsv")):
        with path.open("rb") as stream:
            assert not glossary.sniff(stream.read(4096)), path.name


def test_exported_omegat_glossary_reads_back(db: Database, tmp_path: Path) -> None:
    out = io.BytesIO()
    count = export_tsv(db, out)
    path = tmp_path / "nato.utf8"
    path.write_bytes(out.getvalue())
    records = read(path.read_bytes(), path.name)
    assert len(records) == count and all(isinstance(r, ConceptRecord) for r in records)
    assert ("fr:sécurité coopérative", "en:cooperative security") in pairs(records)
