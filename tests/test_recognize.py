"""Term recognition in segments of the seed article, on the shipped term base (both backends)."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from nato_tm.errors import InvalidInput
from nato_tm.formats.records import ConceptRecord, LangRecord, TermRecord
from nato_tm.services.documents import to_jsonable
from nato_tm.services.recognize import Hit, recognize
from nato_tm.store.db import Database
from nato_tm.store.termbase import Concept, Term
from nato_tm.store.termbase_repo import save_concepts
from nato_tm.text.pipeline import stem_key

# Sentences of the seed article (termbase/seed/article-2022-11-09.fr.txt), verbatim.
MEETING = (
    "Cette réunion semestrielle avec les pays partenaires s’est tenue sous l’égide de la Division "
    "Sécurité coopérative (CS) de l’État-major militaire international (EMI)."
)
SUPPORT = "Soulignant la détermination de l’OTAN à renforcer son ouverture aux partenaires, il a rappelé le soutien "
SUPPORT += "indéfectible de l’Alliance à l’Ukraine."
AMBITION = (
    "Évoquant plus en détail le nouveau concept stratégique de l’OTAN et le niveau d’ambition supérieur "
    "qui y est fixé en matière de partenariats, le général Adamczak a déclaré"
)
WELCOME = "Les participants ont été accueillis par le président délégué du Comité militaire"
WORKSHOPS = (
    "Le 9 novembre 2022, des représentants de plus de 30 pays partenaires ont participé à des ateliers "
    "informels organisés au siège de l’OTAN à Bruxelles"
)
EN_MEETING = (
    "This semi-annual meeting with partner countries was held under the auspices of the Cooperative "
    "Security (CS) Division of the International Military Staff (IMS)."
)


def concept_of(db: Database, text: str, lang: str) -> str:
    """The concept holding a term, read straight from the store."""
    with db.session() as s:
        found = s.scalars(select(Term.concept_id).where(Term.text == text, Term.lang == lang)).all()
    assert len(set(found)) == 1, f"{text!r} should name exactly one concept, found {found}"
    return found[0]


def by_surface(hits: list[Hit]) -> dict[str, Hit]:
    return {h.surface: h for h in hits}


def assert_well_formed(text: str, hits: list[Hit]) -> None:
    assert [h.start for h in hits] == sorted(h.start for h in hits)
    for hit, nxt in itertools.pairwise(hits):
        assert hit.end <= nxt.start, "hits overlap"
    for hit in hits:
        assert text[hit.start : hit.end] == hit.surface


def test_meeting_sentence(db: Database) -> None:
    doc = recognize(db, MEETING, "fr")
    assert_well_formed(MEETING, doc.hits)
    hits = by_surface(doc.hits)
    emi = concept_of(db, "EMI", "fr")
    assert hits["État-major militaire international"].concept_id == emi
    assert hits["EMI"].concept_id == emi
    assert hits["Division Sécurité coopérative"].concept_id == concept_of(db, "Division Sécurité coopérative", "fr")
    # Longest match first: the division, not the expression «sécurité coopérative» inside it,
    # and the meeting's name, not «pays partenaires» inside it.
    assert hits["réunion semestrielle avec les pays partenaires"].concept_id == concept_of(
        db, "réunion semestrielle avec les pays partenaires", "fr"
    )
    assert concept_of(db, "sécurité coopérative", "fr") not in {h.concept_id for h in doc.hits}
    assert {t.text for t in hits["EMI"].terms} >= {"IMS", "International Military Staff"}
    assert all(t.lang == "en" and t.status == "preferred" for t in hits["EMI"].terms)


def test_plural_finds_singular_term(db: Database) -> None:
    hits = by_surface(recognize(db, WORKSHOPS, "fr").hits)
    assert hits["pays partenaires"].concept_id == concept_of(db, "pays partenaire", "fr")
    hits = by_surface(recognize(db, AMBITION, "fr").hits)
    assert hits["partenariats"].concept_id == concept_of(db, "partenariat", "fr")
    en = by_surface(recognize(db, EN_MEETING, "en").hits)
    assert en["partner countries"].concept_id == concept_of(db, "partner country", "en")


def test_elision_with_both_apostrophes(db: Database) -> None:
    curly = recognize(db, SUPPORT, "fr").hits
    straight = recognize(db, SUPPORT.replace("’", "'"), "fr").hits
    assert [(h.start, h.end, h.concept_id) for h in curly] == [(h.start, h.end, h.concept_id) for h in straight]
    alliance = by_surface(curly)["Alliance"]
    assert SUPPORT[alliance.start - 2 : alliance.start] == "l’"  # the elided article is not part of the hit
    assert by_surface(curly)["OTAN"].concept_id == concept_of(db, "OTAN", "fr")
    ambition = by_surface(recognize(db, AMBITION, "fr").hits)
    assert ambition["niveau d’ambition"].concept_id == concept_of(db, "niveau d’ambition", "fr")
    assert "niveau d'ambition" in by_surface(recognize(db, AMBITION.replace("’", "'"), "fr").hits)


def test_nbsp_and_line_breaks_inside_terms(db: Database) -> None:
    text = (
        (WORKSHOPS + MEETING)
        .replace("30 pays partenaires", "30 pays\u00a0partenaires")
        .replace("État-major militaire international", "État-major militaire\ninternational")
    )
    hits = by_surface(recognize(db, text, "fr").hits)
    assert hits["pays\u00a0partenaires"].concept_id == concept_of(db, "pays partenaire", "fr")
    assert hits["État-major militaire\ninternational"].concept_id == concept_of(db, "EMI", "fr")
    wrapped = "de la Division Sécurité\r\ncoopérative de l’EMI"
    hits = by_surface(recognize(db, wrapped, "fr").hits)
    assert hits["Division Sécurité\r\ncoopérative"].concept_id == concept_of(db, "Division Sécurité coopérative", "fr")


def test_case_rule_of_acronyms(db: Database) -> None:
    emi = concept_of(db, "EMI", "fr")
    doc = recognize(db, "Le directeur de l’EMI et non émi, ni Emi, ni EMIS, ni ÉMI.", "fr")
    assert [h.surface for h in doc.hits if h.concept_id == emi] == ["EMI"]
    ims = concept_of(db, "IMS", "en")
    doc = recognize(db, "The IMS said ims and Ims are not acronyms.", "en")
    assert [h.surface for h in doc.hits if h.concept_id == ims] == ["IMS"]


def test_case_insensitive_terms_match_any_case(db: Database) -> None:
    doc = recognize(db, "LA SÉCURITÉ COOPÉRATIVE et la Sécurité Coopérative", "fr")
    sc = concept_of(db, "sécurité coopérative", "fr")
    assert [h.surface for h in doc.hits if h.concept_id == sc] == ["SÉCURITÉ COOPÉRATIVE", "Sécurité Coopérative"]


def test_derived_words_are_not_inflections(db: Database) -> None:
    # Snowball gives capable and capability, standard and standardization, the same stem.
    capability = concept_of(db, "capability", "en")
    text = "Allies are capable of meeting the standard; capabilities and standardization matter."
    hits = [
        h
        for h in recognize(db, text, "en").hits
        if h.concept_id in {capability, concept_of(db, "standardization", "en")}
    ]
    assert [h.surface for h in hits] == ["capabilities", "standardization"]


def test_longest_match_and_no_match_across_punctuation(db: Database) -> None:
    hits = recognize(db, WELCOME, "fr").hits
    assert [h.surface for h in hits if "Comité" in h.surface] == ["président délégué du Comité militaire"]
    sc = concept_of(db, "sécurité coopérative", "fr")
    assert sc not in {h.concept_id for h in recognize(db, "la sécurité, coopérative ou non", "fr").hits}


def test_whole_article_offsets_and_acronym_count(db: Database, seed_article: str) -> None:
    doc = recognize(db, seed_article, "fr")
    assert_well_formed(seed_article, doc.hits)
    # Every EMI of the article is recognised, alone or inside a longer term (directeur général de l’EMI).
    for m in re.finditer(r"\bEMI\b", seed_article):
        assert any(h.start <= m.start() and m.end() <= h.end for h in doc.hits), m.start()
    emi = concept_of(db, "EMI", "fr")
    assert sum(h.concept_id == emi for h in doc.hits) >= 3


def test_term_added_elsewhere_is_seen_on_next_request(db: Database) -> None:
    text = "Le bilan de l’après-midi a été présenté par le général Adamczak."
    assert "bilan" not in by_surface(recognize(db, text, "fr").hits)
    other = Database(db.url)  # another process's connection to the same store
    record = ConceptRecord(
        id="test-bilan",
        langs=[
            LangRecord("fr", terms=[TermRecord("bilan", "fr")]),
            LangRecord("en", terms=[TermRecord("summary", "en")]),
        ],
    )
    with other.session() as s:
        save_concepts(s, [record])
    other.dispose()
    hits = by_surface(recognize(db, text, "fr").hits)
    assert hits["bilan"].concept_id == "test-bilan"
    assert [t.text for t in hits["bilan"].terms] == ["summary"]


def test_deleted_term_is_forgotten_on_next_request(db: Database) -> None:
    emi = concept_of(db, "EMI", "fr")
    assert emi in {h.concept_id for h in recognize(db, MEETING, "fr").hits}
    with db.session() as s:
        s.delete(s.get(Concept, emi))
    assert emi not in {h.concept_id for h in recognize(db, MEETING, "fr").hits}


def test_term_edited_in_place_elsewhere_is_seen_on_next_request(db: Database) -> None:
    text = "Le bilan de l’après-midi a été présenté par le général Adamczak."
    assert "bilan" not in by_surface(recognize(db, text, "fr").hits)
    other = Database(db.url)
    with other.session() as s:
        term = s.scalars(select(Term).where(Term.lang == "fr", Term.text == "Comité militaire")).first()
        assert term is not None
        # A raw in-place edit, as another tool or process could make it: no id or count moves.
        term.text, term.key_stem = "bilan", stem_key("bilan", "fr")
    other.dispose()
    assert by_surface(recognize(db, text, "fr").hits)["bilan"].concept_id == term.concept_id


def test_bad_language(db: Database) -> None:
    with pytest.raises(InvalidInput) as err:
        recognize(db, MEETING, "de")
    assert err.value.param == "lang"


def test_cli_json_is_the_service_document(db: Database) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nato_tm", "recognize", "-", "--lang", "fr", "--json", "--db", db.url],
        input=MEETING,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == to_jsonable(recognize(db, MEETING, "fr"))


def test_cli_human_output(db: Database) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nato_tm", "recognize", EN_MEETING, "--lang", "en", "--db", db.url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "«International Military Staff»" in proc.stdout and "État-major militaire international" in proc.stdout
