"""Reading the memory back for export: every unit whole, in id order, whatever the batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from nato_tm.store.db import Database
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_repo import key_hash, unit_records

SEED = [
    ("Les participants ont été accueillis par le président délégué du Comité militaire.",
     "The participants were welcomed by the Deputy Chairman of the Military Committee."),
    ("Les pays partenaires abordent le renforcement de la coopération.",
     "Partner countries discuss strengthening cooperation."),
    ("La sécurité coopérative est l'une des tâches fondamentales de l'OTAN.",
     "Cooperative security is one of NATO's core tasks."),
]  # fmt: skip


def variant(lang: str, text: str, **extra: object) -> Variant:
    return Variant(lang=lang, lang_tag=f"{lang}-{lang.upper()}", text=text, key_hash=key_hash(text, lang), **extra)


def fill(db: Database) -> None:
    """Three units, then a variant added to the first one: its id comes after every other variant's."""
    with db.session(write=True) as s:
        for i, (fr, en) in enumerate(SEED):
            s.add(
                Unit(
                    content_hash=f"h{i}",
                    origin="seed-article",
                    tuid=f"t{i}",
                    srclang="fr",
                    created_at=datetime(2022, 11, 9, 10, i, tzinfo=UTC),
                    props=[{"type": "x-domain", "value": "NATO"}] if i == 1 else [],
                    notes=[{"text": "reviewed", "lang": "en"}] if i == 2 else [],
                    attrs={"datatype": "plaintext"},
                    variants=[
                        variant("fr", fr, props=[{"type": "x-context-pre", "value": "avant"}] if i == 0 else []),
                        variant("en", en, changed_at=datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC), changed_by="bob"),
                    ],
                )
            )
            s.flush()
        first = s.scalars(select(Unit).order_by(Unit.id)).first()
        assert first is not None
        first.variants.append(variant("en", "The participants were welcomed by the Military Committee's deputy chair."))


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_every_unit_comes_back_whole_in_id_order(empty_db: Database, batch: int) -> None:
    fill(empty_db)
    with empty_db.session() as s:
        got = list(unit_records(s, batch=batch))
    assert [r.tuid for r in got] == ["t0", "t1", "t2"]
    late = "The participants were welcomed by the Military Committee's deputy chair."  # added last, listed last
    assert [[(v.lang_tag, v.text) for v in r.variants] for r in got] == [
        [("fr-FR", SEED[0][0]), ("en-EN", SEED[0][1]), ("en-EN", late)],
        [("fr-FR", SEED[1][0]), ("en-EN", SEED[1][1])],
        [("fr-FR", SEED[2][0]), ("en-EN", SEED[2][1])],
    ]  # fmt: skip
    for i, r in enumerate(got):
        assert (r.srclang, r.origin, r.usage_count, r.attrs) == ("fr", "seed-article", 0, {"datatype": "plaintext"})
        assert r.created_at == datetime(2022, 11, 9, 10, i, tzinfo=UTC)
        assert r.changed_at is None and r.last_used_at is None
        assert r.variants[1].changed_at == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert r.variants[1].changed_by == "bob"
    assert got[0].variants[0].context_prev == "avant"
    assert got[0].variants[0].props == [{"type": "x-context-pre", "value": "avant"}]
    assert [r.props for r in got] == [[], [{"type": "x-domain", "value": "NATO"}], []]
    assert [r.notes for r in got] == [[], [], [{"text": "reviewed", "lang": "en"}]]


def test_an_empty_memory_gives_no_records(empty_db: Database) -> None:
    with empty_db.session() as s:
        assert list(unit_records(s)) == []


def test_a_unit_committed_between_a_batchs_two_reads_waits_for_the_next_export(empty_db: Database) -> None:
    """The units and their variants are two statements: a unit committed in between is not half-read."""
    with empty_db.session(write=True) as s:
        for uid, (fr, en) in zip((1, 2, 10), SEED, strict=True):
            s.add(
                Unit(
                    id=uid,
                    content_hash=f"h{uid}",
                    origin="seed-article",
                    variants=[variant("fr", fr), variant("en", en)],
                )
            )

    def commit_unit_5(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM unit" in statement and not done:
            done.append(True)
            with empty_db.session(write=True) as other:
                other.add(
                    Unit(
                        id=5,
                        content_hash="h5",
                        origin="late",
                        variants=[variant("fr", "Bonjour."), variant("en", "Hello.")],
                    )
                )

    done: list[bool] = []
    event.listen(empty_db.engine, "after_cursor_execute", commit_unit_5)
    try:
        with empty_db.session() as s:
            first = list(unit_records(s))
    finally:
        event.remove(empty_db.engine, "after_cursor_execute", commit_unit_5)
    assert done
    assert [(r.origin, len(r.variants)) for r in first] == [("seed-article", 2)] * 3
    with empty_db.session() as s:
        assert [r.origin for r in unit_records(s)] == ["seed-article", "seed-article", "late", "seed-article"]
