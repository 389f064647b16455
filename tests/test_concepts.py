"""Concept and term CRUD, as the API's write endpoints call it; every error path."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from nato_tm.errors import Conflict, InvalidInput, NotFound
from nato_tm.formats.records import ConceptRecord, LangRecord, TermRecord
from nato_tm.services import concepts
from nato_tm.services.documents import dumps
from nato_tm.services.stats import stats
from nato_tm.store.db import Database
from nato_tm.store.termbase import Term


def cs_division(cid: str | None = "test-cs-division") -> ConceptRecord:
    return ConceptRecord(
        id=cid,
        subject_fields=["NATO bodies"],
        source="NATO IMS article, 9 November 2022 (seed article)",
        langs=[
            LangRecord("fr", definition="Division de l’EMI chargée de la sécurité coopérative.", terms=[
                TermRecord("Division Sécurité coopérative", "fr", gender="feminine", reliability=2),
                TermRecord("CS", "fr", term_type="acronym"),
            ]),
            LangRecord("en", terms=[TermRecord("Cooperative Security Division", "en", reliability=2)]),
        ],
    )  # fmt: skip


def find_id(db: Database, text: str) -> str:
    with db.session() as session:
        return session.scalars(select(Term.concept_id).where(Term.text == text)).first() or ""


def test_get_a_shipped_concept(db: Database) -> None:
    doc = concepts.get_concept(db, find_id(db, "EMI"))
    assert "État-major militaire international" in [t.text for t in doc.terms["fr"]]
    assert "IMS" in [t.text for t in doc.terms["en"]]
    emi = next(t for t in doc.terms["fr"] if t.text == "EMI")
    assert (emi.type, emi.case_sensitive) == ("acronym", True) and emi.reliability in (1, 2, 3, 4)
    assert doc.definition["fr"] and doc.definition["en"] and doc.source
    assert '"type": "acronym"' in dumps(doc)  # the serialiser handles the document


def test_missing_concept_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound, match="no concept 'nope'"):
        concepts.get_concept(db, "nope")
    with pytest.raises(NotFound):
        concepts.delete_concept(db, "nope")
    with pytest.raises(NotFound):
        concepts.update_concept(db, "nope", cs_division(None))


def test_create_then_conflict(empty_db: Database) -> None:
    doc = concepts.create_concept(empty_db, cs_division())
    assert doc.id == "test-cs-division" and [t.text for t in doc.terms["fr"]][1] == "CS"
    cs = doc.terms["fr"][1]
    assert cs.case_sensitive and doc.definition["en"] is None
    with pytest.raises(Conflict, match="already exists"):
        concepts.create_concept(empty_db, cs_division())
    generated = concepts.create_concept(empty_db, cs_division(None))
    assert generated.id.startswith("c-")


def test_create_refuses_what_the_model_cannot_hold(empty_db: Database) -> None:
    bad = cs_division()
    bad.langs[0].terms[0].status = "official"
    with pytest.raises(InvalidInput, match="status must be one of") as caught:
        concepts.create_concept(empty_db, bad)
    assert caught.value.param == "status"
    bad = cs_division()
    bad.langs[1].lang_tag = "de"
    with pytest.raises(InvalidInput, match="unknown language 'de'"):
        concepts.create_concept(empty_db, bad)
    with pytest.raises(InvalidInput, match="at least one term"):
        concepts.create_concept(empty_db, ConceptRecord(id="empty", langs=[LangRecord("fr")]))
    bad = cs_division()
    bad.langs[0].terms[0].reliability = 5
    with pytest.raises(InvalidInput, match="reliability"):
        concepts.create_concept(empty_db, bad)
    assert stats(empty_db).concepts == 0


def test_update_replaces_everything_and_keys_follow(empty_db: Database) -> None:
    concepts.create_concept(empty_db, cs_division())
    changed = cs_division()
    changed.langs[1].terms[0].text = "Cooperative Security Divisions"
    changed.note = "Renamed for the test."
    doc = concepts.update_concept(empty_db, "test-cs-division", changed)
    assert doc.note == "Renamed for the test." and doc.terms["en"][0].text == "Cooperative Security Divisions"
    with empty_db.session() as session:
        term = session.scalars(select(Term).where(Term.lang == "en")).one()
    assert term.key_stem == "cooper secur divis"
    with pytest.raises(InvalidInput, match="is not"):
        concepts.update_concept(empty_db, "test-cs-division", cs_division("other"))


def test_delete_concept(empty_db: Database) -> None:
    concepts.create_concept(empty_db, cs_division())
    concepts.delete_concept(empty_db, "test-cs-division")
    assert stats(empty_db).concepts == 0 and stats(empty_db).terms == 0


def test_single_terms_add_update_delete(empty_db: Database) -> None:
    concepts.create_concept(empty_db, cs_division())
    added = concepts.add_term(empty_db, "test-cs-division", TermRecord("CS", "en", term_type="acronym"))
    assert added.lang == "en" and added.case_sensitive
    with pytest.raises(Conflict, match="already has"):
        concepts.add_term(empty_db, "test-cs-division", TermRecord("CS", "en", term_type="acronym"))
    updated = concepts.update_term(
        empty_db, "test-cs-division", added.id, TermRecord("CS", "en", term_type="acronym", status="admitted")
    )
    assert (updated.id, updated.status) == (added.id, "admitted")
    concepts.delete_term(empty_db, "test-cs-division", added.id)
    doc = concepts.get_concept(empty_db, "test-cs-division")
    assert [t.text for t in doc.terms["en"]] == ["Cooperative Security Division"]
    with pytest.raises(NotFound, match="no term"):
        concepts.delete_term(empty_db, "test-cs-division", added.id)
    with pytest.raises(NotFound):
        concepts.add_term(empty_db, "nope", TermRecord("CS", "en"))
    with pytest.raises(InvalidInput, match="text is empty"):
        concepts.add_term(empty_db, "test-cs-division", TermRecord("  ", "en"))


def test_the_last_term_cannot_go(empty_db: Database) -> None:
    rec = ConceptRecord(id="one", langs=[LangRecord("fr", terms=[TermRecord("sécurité humaine", "fr")])])
    doc = concepts.create_concept(empty_db, rec)
    with pytest.raises(Conflict, match="last term"):
        concepts.delete_term(empty_db, "one", doc.terms["fr"][0].id)


def test_records_from_json_documents(empty_db: Database) -> None:
    data = {
        "id": "json-mc",
        "subject_fields": ["NATO bodies"],
        "definition": {"en": "NATO's senior military authority."},
        "terms": {
            "fr": [{"text": "Comité militaire", "type": "fullForm", "gender": "masculine"}],
            "en": [{"text": "Military Committee"}, {"text": "MC", "type": "acronym"}],
        },
    }
    doc = concepts.create_concept(empty_db, concepts.concept_record(data))
    assert doc.terms["fr"][0].gender == "masculine" and doc.terms["en"][1].case_sensitive
    assert doc.definition == {"en": "NATO's senior military authority.", "fr": None}
    with pytest.raises(InvalidInput, match="needs 'text'"):
        concepts.concept_record({"terms": {"fr": [{"type": "acronym"}]}})
    with pytest.raises(InvalidInput, match="type must be one of"):
        concepts.term_record({"text": "MC", "lang": "en", "type": "initialism"})


def test_a_document_edited_as_json_comes_back_unchanged(db: Database) -> None:
    """The edit page and the API send back the JSON document they got: nothing may be lost on the way."""
    from nato_tm.services.documents import to_jsonable
    from nato_tm.store.termbase_repo import iter_records, record_state

    with db.session() as session:
        stored = {r.id: record_state(r) for r in iter_records(session)}
    for cid in sorted(stored)[:40]:
        record = concepts.concept_record(to_jsonable(concepts.get_concept(db, cid)))
        assert record_state(record) == stored[cid], cid
    cid = find_id(db, "EMI")
    before = concepts.get_concept(db, cid)
    after = concepts.update_concept(db, cid, concepts.concept_record(to_jsonable(before)))

    def without_ids(doc: concepts.ConceptDoc) -> object:
        terms = to_jsonable(doc.terms)
        for lang_terms in terms.values():
            for term in lang_terms:
                term.pop("id")  # an update rewrites the concept's term rows
        return terms

    assert without_ids(after) == without_ids(before) and after.langs == before.langs
