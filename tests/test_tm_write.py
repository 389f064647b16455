"""CAT-tool write-back: add a pair (content-keyed), delete a unit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from nato_tm.errors import InvalidInput, NotFound
from nato_tm.services.documents import to_jsonable
from nato_tm.services.stats import stats
from nato_tm.services.tm_write import add_unit, delete_unit
from nato_tm.store.db import Database
from nato_tm.store.memory import Variant
from nato_tm.store.memory_repo import key_hash

FR = "Les participants ont ensuite assisté à un exposé du représentant militaire de l’Ukraine auprès de l’OTAN."
EN = "The participants then attended a briefing by the Military Representative of Ukraine to NATO."


def test_adding_the_same_pair_twice_returns_the_stored_unit(db: Database) -> None:
    before = stats(db).units
    first = add_unit(db, FR, EN, "fr-FR", "en-GB", user="alice")
    assert first.outcome == "added" and first.created_by == "alice" and first.origin == "api"
    assert [(v.lang, v.lang_tag, v.text) for v in first.variants] == [("fr", "fr-FR", FR), ("en", "en-GB", EN)]
    again = add_unit(db, FR, EN, "fr-FR", "en-GB", user="bob")
    assert (again.id, again.outcome, again.created_by) == (first.id, "unchanged", "alice")
    assert stats(db).units == before + 1
    assert to_jsonable(first)["variants"][0]["text"] == FR


def test_a_pair_already_in_the_seed_memory_is_not_duplicated(db: Database) -> None:
    fr = (
        "Les participants ont été accueillis par le président délégué du Comité militaire, "
        "le général de corps aérien Lance Landrum."
    )
    en = (
        "The participants were welcomed by the Deputy Chairman of the Military Committee, "
        "Lieutenant General Lance Landrum."
    )
    doc = add_unit(db, fr, en, "fr", "en", user="alice")
    assert doc.outcome == "unchanged" and doc.origin == "seed:seed-memory.tmx"


def test_context_is_stored_for_context_matches(db: Database) -> None:
    previous = "Soulignant la détermination de l’OTAN, il a rappelé le soutien de l’Alliance."
    doc = add_unit(db, FR, EN, "fr", "en", user="alice", origin="omegat", context_prev=previous)
    with db.session() as s:
        fr = s.scalars(select(Variant).where(Variant.unit_id == doc.id, Variant.lang == "fr")).one()
    assert fr.prev_hash == key_hash(previous, "fr")
    assert doc.origin == "omegat"


@pytest.mark.parametrize(
    ("args", "param"),
    [
        (("", EN, "fr", "en"), "source"),
        ((FR, "  ", "fr", "en"), "target"),
        ((FR, EN, "de", "en"), "src"),
        ((FR, EN, "fr", "fr-CA"), "tgt"),
        ((FR * 200, EN, "fr", "en"), "source"),
    ],
)
def test_bad_input_is_refused(db: Database, args: tuple[str, str, str, str], param: str) -> None:
    before = stats(db).units
    with pytest.raises(InvalidInput) as err:
        add_unit(db, *args, user="alice")
    assert err.value.param == param
    assert stats(db).units == before


def test_delete_removes_the_unit_and_a_second_delete_is_not_found(db: Database) -> None:
    doc = add_unit(db, FR, EN, "fr", "en", user="alice")
    before = stats(db)
    delete_unit(db, doc.id)
    after = stats(db)
    assert (after.units, after.variants) == (before.units - 1, before.variants - 2)
    with pytest.raises(NotFound):
        delete_unit(db, doc.id)
    assert add_unit(db, FR, EN, "fr", "en", user="alice").outcome == "added"
