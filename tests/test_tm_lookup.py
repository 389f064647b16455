"""Fuzzy lookup through the index, on the shipped seed memory, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from nato_tm.errors import InvalidInput, NotFound
from nato_tm.services.tm_lookup import bulk_lookup, lookup, record_use
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_index import TmEntry, TmPosting, index_units, unindex_units
from nato_tm.store.memory_repo import key_hash


def seed_pairs(db: Database) -> list[tuple[str, str]]:
    """The seed memory's (fr, en) pairs in article order."""
    with db.session() as s:
        units = s.scalars(select(Unit).where(Unit.origin.like("seed:%")).order_by(Unit.id)).all()
        pairs = []
        for u in units:
            texts = {v.lang: v.text for v in u.variants}
            pairs.append((texts["fr"], texts["en"]))
    return pairs


def pair_with(db: Database, needle: str) -> tuple[str, str]:
    return next(p for p in seed_pairs(db) if needle in p[0])


def add_unit(
    db: Database,
    fr: str,
    en: str,
    *,
    origin: str = "test",
    prev: str | None = None,
    when: datetime | None = None,
    fr_tag: str = "fr-FR",
    props: list[dict[str, str]] | None = None,
) -> int:
    """Insert a unit with the ORM and index it, as save_units does."""
    with db.session() as s:
        unit = Unit(content_hash=uuid.uuid4().hex, origin=origin, created_at=when or datetime.now(UTC))
        unit.props = props or []
        unit.variants = [
            Variant(
                lang="fr",
                lang_tag=fr_tag,
                text=fr,
                key_hash=key_hash(fr, "fr"),
                prev_hash=prev and key_hash(prev, "fr"),
            ),
            Variant(lang="en", lang_tag="en-GB", text=en, key_hash=key_hash(en, "en")),
        ]
        unit.variants[0].prev_hash = key_hash(prev, "fr") if prev else None
        s.add(unit)
        s.flush()
        index_units(s, [unit])
        return unit.id


def test_the_seed_memory_is_indexed(db: Database) -> None:
    with db.session() as s:
        variants = s.scalar(select(func.count()).select_from(Variant))
        assert variants and s.scalar(select(func.count()).select_from(TmEntry)) == variants
        assert (s.scalar(select(func.count()).select_from(TmPosting)) or 0) > variants


def test_exact_match_returns_the_seed_translation(db: Database) -> None:
    fr, en = pair_with(db, "Le 9 novembre 2022")
    res = lookup(db, fr, "fr", "en")
    top = res.matches[0]
    assert (top.score, top.band, top.source, top.target, top.target_original) == (100, "exact", fr, en, None)
    assert top.edits == [] and top.reviewed and top.origin.startswith("seed:")
    assert {h.surface for h in top.terms} >= {"sécurité coopérative"}  # term-base hits in the source


def test_same_units_serve_the_other_direction(db: Database) -> None:
    fr, en = pair_with(db, "Le 9 novembre 2022")
    res = lookup(db, en, "en-US", "fr-CA")
    assert (res.src, res.tgt) == ("en", "fr")
    assert res.matches[0].score == 100 and res.matches[0].target == fr


def test_date_change_is_substituted_in_the_proposal(db: Database) -> None:
    fr, en = pair_with(db, "Le 9 novembre 2022")
    top = lookup(db, fr.replace("9 novembre 2022", "14 juin 2023"), "fr", "en").matches[0]
    assert 95 <= top.score <= 99 and top.band == "near" and "numbers" in top.differences
    assert top.target == en.replace("9 November 2022", "14 June 2023")
    assert top.target_original == en
    assert [(x.original, x.replacement) for x in top.substitutions] == [("9 November 2022", "14 June 2023")]


def test_number_substitution_en_to_fr(db: Database) -> None:
    fr, en = pair_with(db, "Le 9 novembre 2022")
    top = lookup(db, en.replace("more than 30", "more than 1,250"), "en", "fr").matches[0]
    assert "plus de 1\u00a0250 pays partenaires" in top.target and top.target_original == fr


def test_one_word_changed_is_a_high_fuzzy_match_with_its_edit(db: Database) -> None:
    fr, _ = pair_with(db, "Le 9 novembre 2022")
    query = fr.replace("informels", "formels")
    top = lookup(db, query, "fr", "en").matches[0]
    assert top.band == "fuzzy-high" and 85 <= top.score <= 94 and top.source == fr
    assert [(e.op, query[e.query_start : e.query_end], fr[e.source_start : e.source_end]) for e in top.edits] == [
        ("replace", "formels", "informels")
    ]


def test_context_match_scores_101(db: Database) -> None:
    pairs = seed_pairs(db)
    (prev_fr, _), (fr, en) = pairs[1], pairs[2]
    with_context = lookup(db, fr, prev=prev_fr).matches[0]
    assert (with_context.score, with_context.band, with_context.target) == (101, "context", en)
    assert lookup(db, fr, prev="Une autre phrase.").matches[0].score == 100


def test_several_translations_cost_a_point_each(db: Database) -> None:
    fr, en = pair_with(db, "Le 9 novembre 2022")
    other = en.replace("took part in", "attended")
    add_unit(db, fr, other)
    res = lookup(db, fr, "fr", "en")
    assert [m.score for m in res.matches[:2]] == [99, 99]
    assert {m.target for m in res.matches[:2]} == {en, other}
    assert all(m.translations == 2 and "translations" in m.differences for m in res.matches[:2])
    assert res.matches[0].reviewed and res.matches[0].target == en  # the seed (reviewed) unit ranks first


def test_ranking_is_deterministic_reviewed_then_newest_then_id(db: Database) -> None:
    fr = "Le Comité militaire se réunit à Bruxelles."
    old = datetime(2020, 1, 1, tzinfo=UTC)
    a = add_unit(db, fr, "The Military Committee meets in Brussels.", when=old)
    b = add_unit(db, fr, "The Military Committee meets in Brussels.", when=old + timedelta(days=1))
    c = add_unit(db, fr, "The Military Committee meets in Brussels.", when=old)
    d = add_unit(
        db, fr, "The Military Committee meets in Brussels.", when=old, props=[{"type": "x-reviewed", "value": "yes"}]
    )
    first = [m.unit_id for m in lookup(db, fr, limit=10).matches]
    assert first == [d, b, a, c]
    assert [m.unit_id for m in lookup(db, fr, limit=10).matches] == first


@pytest.mark.parametrize(
    ("query", "band"),
    [("Sécurité coopérative", "exact"), ("sécurité coopérative", "near"), ("securite cooperatives", "fuzzy-medium")],
)
def test_short_queries(db: Database, query: str, band: str) -> None:
    add_unit(db, "Sécurité coopérative", "Cooperative Security")
    add_unit(db, "OTAN", "NATO")
    top = lookup(db, query, "fr", "en").matches[0]
    assert top.band == band and top.target == "Cooperative Security"


def test_one_word_query_and_elision(db: Database) -> None:
    add_unit(db, "l’OTAN", "NATO")
    assert [(m.score, m.target) for m in lookup(db, "OTAN").matches] == [(99, "NATO")]
    assert lookup(db, "l'Otan").matches[0].score == 99  # case only: the apostrophe style is no difference


def test_regional_tags_match_on_the_primary_language(db: Database) -> None:
    add_unit(db, "Le courriel est arrivé.", "The email has arrived.", fr_tag="fr-CA")
    top = lookup(db, "Le courriel est arrivé.", "fr-FR", "en-US").matches[0]
    assert top.score == 100 and top.source_lang == "fr-CA" and top.target_lang == "en-GB"


def test_min_score_and_limit(db: Database) -> None:
    fr, _ = pair_with(db, "Le 9 novembre 2022")
    words = fr.split()
    query = " ".join(words[: len(words) * 2 // 3])
    assert all(m.score >= 60 for m in lookup(db, query, min_score=60).matches)
    assert lookup(db, query, min_score=95).matches == []
    assert len(lookup(db, "partenaires", min_score=0, limit=2).matches) <= 2


def test_a_unit_written_through_one_process_is_found_by_another(db: Database) -> None:
    other = Database(db.url)  # a second engine and pool, as a second gunicorn worker has
    try:
        assert lookup(other, "Le bureau ferme à midi.").matches == []
        add_unit(db, "Le bureau ferme à midi.", "The office closes at noon.")
        assert lookup(other, "Le bureau ferme à midi.").matches[0].target == "The office closes at noon."
    finally:
        other.dispose()


def test_unindexed_units_are_not_found(db: Database) -> None:
    uid = add_unit(db, "Le bureau ferme à midi.", "The office closes at noon.")
    with db.session() as s:
        unindex_units(s, [uid])
        assert s.scalar(select(func.count()).select_from(TmEntry).where(TmEntry.unit_id == uid)) == 0
    assert [m.unit_id for m in lookup(db, "Le bureau ferme à minuit.").matches if m.unit_id == uid] == []


def test_reading_does_not_count_uses_but_record_use_does(db: Database) -> None:
    fr, _ = pair_with(db, "Le 9 novembre 2022")
    top = lookup(db, fr).matches[0]
    assert lookup(db, fr).matches[0].usage_count == top.usage_count
    assert record_use(db, top.unit_id) == top.usage_count + 1
    again = lookup(db, fr).matches[0]
    assert again.usage_count == top.usage_count + 1 and again.last_used_at is not None
    with pytest.raises(NotFound):
        record_use(db, 10**9)


def test_bulk_lookup(db: Database) -> None:
    pairs = seed_pairs(db)
    results = bulk_lookup(db, [p[0] for p in pairs[:3]], "fr", "en", prevs=[None, pairs[0][0], None])
    assert [r.matches[0].target for r in results] == [p[1] for p in pairs[:3]]
    assert [r.matches[0].score for r in results] == [100, 101, 100]
    with pytest.raises(InvalidInput):
        bulk_lookup(db, ["x"] * 101)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"src": "de"}, "src"),
        ({"tgt": "fr"}, "tgt"),
        ({"min_score": 102}, "min"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_parameters(db: Database, kwargs: dict[str, object], param: str) -> None:
    args: dict[str, object] = {"text": "OTAN", "src": "fr", "tgt": "en", **kwargs}
    with pytest.raises(InvalidInput) as err:
        lookup(db, **args)  # type: ignore[arg-type]
    assert err.value.param == param


def test_cli_lookup_json_and_human(db: Database) -> None:
    fr, en = pair_with(db, "Le 9 novembre 2022")
    query = fr.replace("9 novembre 2022", "14 juin 2023")
    base = [sys.executable, "-m", "nato_tm", "--db", db.url, "lookup", query, "--from", "fr", "--to", "en"]
    out = subprocess.run([*base, "--json", "--limit", "1"], capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    assert doc["query"] == query and doc["matches"][0]["target"] == en.replace("9 November 2022", "14 June 2023")
    human = subprocess.run(base, capture_output=True, text=True, check=True).stdout
    assert "near" in human and "[-9 novembre 2022-]{+14 juin 2023+}" in human and "14 June 2023" in human
    bad = subprocess.run([*base[:-4], "--from", "de"], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: unsupported language")


def test_segments_without_words_match_each_other(db: Database) -> None:
    add_unit(db, "(…)", "(…)")
    assert [(m.score, m.target) for m in lookup(db, "(…)").matches] == [(100, "(…)")]
    assert [(m.score, m.band, m.differences) for m in lookup(db, "…").matches] == [(99, "near", ["punctuation"])]
