"""Term search on the shipped term base: each match kind, the filters, flags and the CLI (both backends)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from nato_tm.errors import InvalidInput
from nato_tm.formats.records import ConceptRecord, LangRecord, TermRecord
from nato_tm.services.documents import to_jsonable
from nato_tm.services.term_search import KINDS, SearchDocument, SearchResult, search_terms
from nato_tm.store.db import Database
from nato_tm.store.termbase import Term
from nato_tm.store.termbase_repo import save_concepts


def concept_of(db: Database, text: str, lang: str) -> str:
    with db.session() as s:
        found = set(s.scalars(select(Term.concept_id).where(Term.text == text, Term.lang == lang)))
    assert len(found) == 1, f"{text!r} should name exactly one concept, found {found}"
    return found.pop()


def top(doc: SearchDocument) -> SearchResult:
    assert doc.results, f"nothing found for {doc.query!r}"
    return doc.results[0]


def texts(result: SearchResult, lang: str) -> list[str]:
    return [t.text for t in result.terms[lang]]


def test_exact(db: Database) -> None:
    res = top(search_terms(db, "sécurité coopérative"))
    assert res.match == "exact" and res.score == 1.0
    assert res.concept_id == concept_of(db, "sécurité coopérative", "fr")
    assert "cooperative security" in [t.text for t in res.equivalents]
    assert res.definition["fr"] and res.definition["en"] and res.subject_fields and res.source


@pytest.mark.parametrize(
    "query",
    ["SÉCURITÉ COOPÉRATIVE", "securite cooperative", "sécurité\u00a0coopérative", " Sécurité  coopérative "],
)
def test_ignoring_case_accents_and_spaces(db: Database, query: str) -> None:
    res = top(search_terms(db, query, src="fr"))
    assert (res.match, res.concept_id) == ("normalized", concept_of(db, "sécurité coopérative", "fr"))


def test_apostrophe_style(db: Database) -> None:
    # The term base writes «siège de l’OTAN» with a typographic apostrophe.
    res = top(search_terms(db, "siège de l'OTAN"))
    assert (res.match, res.matched.text) == ("normalized", "siège de l’OTAN")
    assert "NATO Headquarters" in [t.text for t in res.equivalents]


def test_inflected_forms(db: Database) -> None:
    fr = top(search_terms(db, "pays partenaires", src="fr", tgt="en"))
    assert (fr.match, fr.concept_id) == ("stem", concept_of(db, "pays partenaire", "fr"))
    assert "partner country" in [t.text for t in fr.equivalents]
    en = top(search_terms(db, "partner countries", src="en"))
    assert (en.match, en.concept_id) == ("stem", fr.concept_id)
    assert "pays partenaire" in [t.text for t in en.equivalents]


def test_acronym_finds_its_concept_and_full_forms(db: Database) -> None:
    emi = top(search_terms(db, "EMI", src="fr"))
    assert emi.match == "exact"
    assert {"IMS", "International Military Staff"} <= {t.text for t in emi.equivalents}
    # From French, the English acronym IMS still finds the concept (acronym <-> full form).
    ims = top(search_terms(db, "IMS", src="fr"))
    assert (ims.match, ims.concept_id) == ("acronym", emi.concept_id)
    assert "État-major militaire international" in [t.text for t in ims.equivalents]
    # Initials of a full form: CSD -> Cooperative Security Division.
    csd = top(search_terms(db, "CSD", src="en"))
    assert (csd.match, csd.concept_id) == ("acronym", concept_of(db, "Cooperative Security Division", "en"))


def test_search_is_lenient_about_case(db: Database) -> None:
    res = top(search_terms(db, "emi"))
    assert (res.match, res.matched.text) == ("normalized", "EMI")
    assert next(t for t in res.terms["fr"] if t.text == "EMI").case_sensitive


def test_prefix_for_autocomplete(db: Database) -> None:
    doc = search_terms(db, "Comité mil", src="fr")
    assert top(doc).concept_id == concept_of(db, "Comité militaire", "fr")
    assert top(doc).match == "prefix"
    assert all(r.matched.text.casefold().startswith("comité mil") for r in doc.results if r.match == "prefix")
    # Shorter completions come first.
    prefix_lengths = [len(r.matched.text) for r in doc.results if r.match == "prefix"]
    assert prefix_lengths == sorted(prefix_lengths)


def test_fuzzy_typos(db: Database) -> None:
    res = top(search_terms(db, "securite cooperatve"))
    assert (res.match, res.concept_id) == ("fuzzy", concept_of(db, "sécurité coopérative", "fr"))
    assert 0 < res.score < 0.7


def test_results_are_ranked_by_match_kind(db: Database) -> None:
    doc = search_terms(db, "sécurité", limit=50)
    ranks = [KINDS.index(r.match) for r in doc.results]
    assert ranks == sorted(ranks)
    assert len({r.concept_id for r in doc.results}) == len(doc.results)


def test_superseded_term_is_flagged_with_the_preferred_term(db: Database) -> None:
    res = top(search_terms(db, "Director of the International Military Staff", src="en"))
    assert res.matched.status == "superseded" and res.match == "exact"
    assert res.flags and "superseded" in res.flags[0]
    assert "Director General of the International Military Staff" in res.flags[0]
    assert res.preferred["en"] == ["Director General of the International Military Staff", "DGIMS"]


def test_deprecated_term_is_flagged(db: Database) -> None:
    # A test-only concept: the shipped base records no deprecated term.
    record = ConceptRecord(
        id="test-only-deprecated",
        langs=[
            LangRecord(
                "en",
                terms=[TermRecord("test preferred form", "en"), TermRecord("test old form", "en", status="deprecated")],
            ),
            LangRecord("fr", terms=[TermRecord("forme de test", "fr")]),
        ],
    )
    with db.session() as s:
        save_concepts(s, [record])
    res = top(search_terms(db, "test old form", src="en"))
    assert res.matched.status == "deprecated"
    assert "deprecated" in res.flags[0] and "test preferred form" in res.flags[0]
    assert [t.text for t in res.equivalents] == ["forme de test"]


def test_filters(db: Database) -> None:
    emi = concept_of(db, "EMI", "fr")
    full = top(search_terms(db, "EMI", term_type="fullForm"))
    assert full.concept_id == emi and full.matched.type == "fullForm"
    assert search_terms(db, "EMI", subject="appointments").results == []
    subject = next(iter(top(search_terms(db, "EMI")).subject_fields))
    assert top(search_terms(db, "EMI", subject=subject.upper())).concept_id == emi
    for status in ("preferred", "superseded"):
        doc = search_terms(db, "Director of the International Military Staff", status=status)
        assert doc.results and all(r.matched.status == status for r in doc.results)


def test_direction_and_limit(db: Database) -> None:
    assert all(r.matched.lang == "en" for r in search_terms(db, "Alliance", src="en").results)
    assert len(search_terms(db, "s", limit=3).results) <= 3
    res = top(search_terms(db, "Alliance", src="fr", tgt="en"))
    assert all(t.lang == "en" for t in res.equivalents)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"query": "  "}, "query"),
        ({"query": "x" * 301}, "query"),
        ({"query": "EMI", "src": "de"}, "src"),
        ({"query": "EMI", "tgt": "es"}, "tgt"),
        ({"query": "EMI", "status": "official"}, "status"),
        ({"query": "EMI", "term_type": "slogan"}, "type"),
        ({"query": "EMI", "limit": 0}, "limit"),
    ],
)
def test_invalid_input(db: Database, kwargs: dict[str, object], param: str) -> None:
    options = dict(kwargs)
    query = str(options.pop("query"))
    with pytest.raises(InvalidInput) as err:
        search_terms(db, query, **options)  # type: ignore[arg-type]
    assert err.value.param == param


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nato_tm", *args], capture_output=True, text=True, check=False)


def test_cli_json_is_the_service_document(db: Database) -> None:
    proc = run_cli("terms", "pays partenaires", "--from", "fr", "--to", "en", "--json", "--db", db.url)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == to_jsonable(search_terms(db, "pays partenaires", src="fr", tgt="en"))


def test_cli_human_output_marks_status(db: Database) -> None:
    proc = run_cli("terms", "Director of the International Military Staff", "--db", db.url)
    assert proc.returncode == 0, proc.stderr
    assert "[exact" in proc.stdout and "[SUPERSEDED]" in proc.stdout and "! " in proc.stdout


def test_cli_user_error(db: Database) -> None:
    proc = run_cli("terms", "EMI", "--limit", "0", "--db", db.url)
    assert proc.returncode == 1 and proc.stderr.startswith("Error: limit")
