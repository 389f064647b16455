"""Terminology QA on seed-article sentences and their translation (both backends)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from nato_tm import resources
from nato_tm.errors import FormatError, InvalidInput
from nato_tm.services.documents import to_jsonable
from nato_tm.services.term_qa import Finding, check_file, check_pair, check_units
from nato_tm.store.db import Database

# Paragraph 2 of the seed article and its in-house English translation (termbase/seed/), first sentences.
FR = (
    "Cette réunion semestrielle avec les pays partenaires s’est tenue sous l’égide de la Division "
    "Sécurité coopérative (CS) de l’État-major militaire international (EMI)."
)
EN = (
    "This semi-annual meeting with partner countries was held under the auspices of the Cooperative "
    "Security (CS) Division of the International Military Staff (IMS)."
)
PARTNERS = [
    ("Les pays partenaires ont participé aux ateliers.", "The partner countries attended the workshops."),
    ("Les représentants des pays partenaires se sont ensuite répartis.", "The Partner Countries then split up."),
    ("Avec les pays partenaires de l’OTAN.", "With NATO’s partner nations."),
]


def of_kind(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def test_missing_term_with_offsets_and_expected_term(db: Database) -> None:
    before = check_pair(db, FR, EN)
    wrong = EN.replace("International Military Staff (IMS)", "International Army Staff (IAS)")
    after = check_pair(db, FR, wrong)
    new = [f for f in after.findings if f not in before.findings]
    assert [f.kind for f in new] == ["missing_term", "missing_term"]
    spans = [f.source_span for f in new]
    assert [s.text for s in spans if s] == ["État-major militaire international", "EMI"]
    assert all(s and FR[s.start : s.end] == s.text for s in spans)
    assert all("International Military Staff" in f.expected and "IMS" in f.expected for f in new)
    assert all(f.target_span is None and f.concept_id == new[0].concept_id for f in new)


def test_inflection_and_case_are_not_false_alarms(db: Database) -> None:
    for source, target in PARTNERS:
        doc = check_pair(db, source, target)
        assert of_kind(doc.findings, "missing_term") == [], doc.findings


def test_superseded_target_term(db: Database) -> None:
    source = "Le directeur général de l’État-major militaire international a clos la réunion."
    target = "The Director of the International Military Staff closed the meeting."
    doc = check_pair(db, source, target)
    found = of_kind(doc.findings, "deprecated_term")
    assert len(found) == 1 and "superseded" in found[0].message
    span = found[0].target_span
    assert span and target[span.start : span.end] == span.text == "Director of the International Military Staff"
    assert found[0].expected[0] == "Director General of the International Military Staff"
    # The concept is rendered (by a superseded term): that is one finding, not also a missing term.
    assert of_kind(doc.findings, "missing_term") == []


def test_inconsistent_renderings_across_units(db: Database) -> None:
    doc = check_units(db, PARTNERS)
    assert doc.units == 3 and doc.counts["inconsistent"] == 1
    (pair,) = [p for p in doc.pairs if of_kind(p.findings, "inconsistent")]
    (finding,) = of_kind(pair.findings, "inconsistent")
    assert pair.unit == "3" and finding.expected == ["partner country"]
    assert finding.target_span and finding.target_span.text == "partner nations"
    assert finding.source_span and finding.source_span.text == "pays partenaires"


def test_missing_terms_in_the_article_translation_are_real(db: Database) -> None:
    seed = resources.termbase() / "seed"
    fr = (seed / "article-2022-11-09.fr.txt").read_text(encoding="utf-8").splitlines()
    en = (seed / "article-2022-11-09.en.txt").read_text(encoding="utf-8").splitlines()
    doc = check_units(db, list(zip(fr, en, strict=True)))
    assert doc.units == len(fr)
    for pair in doc.pairs:
        for f in of_kind(pair.findings, "missing_term"):
            assert f.source_span and pair.source[f.source_span.start : f.source_span.end] == f.source_span.text
            # Whatever is reported missing really is absent from the translation, in any case.
            assert all(e.casefold() not in pair.target.casefold() for e in f.expected)


def write_tmx(path: Path, pairs: list[tuple[str, str]], *, extra: str = "") -> Path:
    units = "".join(
        f'<tu tuid="u{n}"><tuv xml:lang="fr-FR"><seg>{escape(s)}</seg></tuv>'
        f'<tuv xml:lang="en-GB"><seg>{escape(t)}</seg></tuv></tu>\n'
        for n, (s, t) in enumerate(pairs, start=1)
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="test" '
        'creationtoolversion="1" segtype="sentence" o-tmf="test" adminlang="en" srclang="fr-FR" '
        f'datatype="plaintext"/><body>\n{units}{extra}</body></tmx>\n',
        encoding="utf-8",
    )
    return path


def test_check_file(db: Database, tmp_path: Path) -> None:
    monolingual = '<tu tuid="lonely"><tuv xml:lang="fr-FR"><seg>Le Comité militaire</seg></tuv></tu>\n'
    path = write_tmx(tmp_path / "partners.tmx", [*PARTNERS, (FR, EN)], extra=monolingual)
    doc = check_file(db, str(path))
    assert doc.units == 4 and doc.file == str(path)
    assert doc.counts == check_units(db, [*PARTNERS, (FR, EN)]).counts
    assert [p.unit for p in doc.pairs if of_kind(p.findings, "inconsistent")] == ["u3"]
    assert len(doc.skipped) == 1  # the monolingual unit, reported by the TMX reader


def test_errors(db: Database, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        check_file(db, str(tmp_path / "absent.tmx"))
    with pytest.raises(InvalidInput) as err:
        check_pair(db, FR, EN, src="fr", tgt="fr")
    assert err.value.param == "tgt"
    with pytest.raises(InvalidInput):
        check_pair(db, FR, EN, src="de")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nato_tm", *args], capture_output=True, text=True, check=False)


def test_cli_json_is_the_service_document(db: Database, tmp_path: Path) -> None:
    target = EN.replace("International Military Staff (IMS)", "International Army Staff (IAS)")
    proc = run_cli("check", FR, target, "--from", "fr", "--to", "en", "--json", "--db", db.url)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == to_jsonable(check_pair(db, FR, target, "fr", "en"))
    path = write_tmx(tmp_path / "p.tmx", PARTNERS)
    proc = run_cli("check", "--file", str(path), "--json", "--db", db.url)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == to_jsonable(check_file(db, str(path)))


def test_cli_human_output_and_errors(db: Database, tmp_path: Path) -> None:
    wrong = EN.replace("International Military Staff (IMS)", "International Army Staff (IAS)")
    proc = run_cli("check", FR, wrong, "--db", db.url)
    assert proc.returncode == 0 and "missing_term (source " in proc.stdout and "«IMS»" in proc.stdout
    proc = run_cli("check", FR, "--db", db.url)
    assert proc.returncode == 1 and proc.stderr.startswith("Error: give SOURCE and TARGET")
    proc = run_cli("check", "--file", str(tmp_path / "absent.tmx"), "--db", db.url)
    assert proc.returncode == 1 and "no such file" in proc.stderr
