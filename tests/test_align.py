"""Alignment of the seed article and of deliberately altered versions of it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nato_tm import resources
from nato_tm.formats import tmx
from nato_tm.formats.records import UnitRecord
from nato_tm.formats.registry import ReadOptions
from nato_tm.services.align import WEAK, align_texts, term_index
from nato_tm.store.db import Database
from nato_tm.text.sentences import sentences

VALIDATOR = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "tmx-validate"


def article(lang: str) -> str:
    return (resources.termbase() / "seed" / f"article-2022-11-09.{lang}.txt").read_text(encoding="utf-8")


def test_seed_article_aligns_one_to_one_and_confidently() -> None:
    fr, en = article("fr"), article("en")
    doc = align_texts(fr, en, "fr", "en")
    assert [p.kind for p in doc.pairs] == ["1-1"] * len(sentences(fr, "fr"))
    assert [p.source for p in doc.pairs] == sentences(fr, "fr")
    assert [p.target for p in doc.pairs] == sentences(en, "en")
    assert doc.weak == []
    assert all(WEAK <= p.confidence <= 1 for p in doc.pairs)


def test_term_base_equivalents_are_anchors(db: Database) -> None:
    terms = term_index(db, ["fr", "en"])
    assert terms is not None and terms.count > 0
    doc = align_texts(article("fr"), article("en"), "fr", "en", terms)
    # "(EMI)" / "(IMS)": the acronyms differ, only the term base knows they are one concept.
    ims = next(p for p in doc.pairs if "(EMI)" in p.source)
    assert "(IMS)" in ims.target
    assert any(a.startswith("term:") for a in ims.anchors)
    assert doc.terms_used == terms.count and doc.weak == []


def test_a_merged_translation_still_aligns() -> None:
    en = article("en").replace("human security. This semi-annual", "human security; this semi-annual", 1)
    doc = align_texts(article("fr"), en, "fr", "en")
    merged = [p for p in doc.pairs if p.kind != "1-1"]
    assert [(p.kind, p.source_sentences, p.target_sentences) for p in merged] == [("2-1", [1, 2], [1])]
    assert merged[0].target.startswith("On 9 November 2022") and not merged[0].weak
    assert len(doc.pairs) == 23


def test_a_split_translation_still_aligns() -> None:
    en = article("en").replace(
        "Military Committee, Lieutenant General Lance Landrum.",
        "Military Committee. He is Lieutenant General Lance Landrum.",
        1,
    )
    doc = align_texts(article("fr"), en, "fr", "en")
    split = [p for p in doc.pairs if p.kind != "1-1"]
    assert [(p.kind, p.source_sentences, p.target_sentences) for p in split] == [("1-2", [3], [3, 4])]
    assert split[0].target.endswith("He is Lieutenant General Lance Landrum.")


def test_a_missing_translation_is_reported_weak(db: Database) -> None:
    en_lines = article("en").splitlines()
    en_lines[5] = en_lines[5].replace(" Such exchanges allow partners", "\x00").split("\x00")[0]
    doc = align_texts(article("fr"), "\n".join(en_lines), "fr", "en", term_index(db, ["fr", "en"]))
    lone = [p for p in doc.pairs if p.kind == "1-0"]
    assert len(lone) == 1 and lone[0].source.startswith("De tels échanges") and lone[0].weak
    assert lone[0].confidence == 0.0
    assert [doc.pairs.index(p) for p in lone] == doc.weak


def test_texts_without_matching_paragraphs_align_as_one_sequence() -> None:
    title, *body = article("en").splitlines()
    en = title + "\n" + " ".join(body)  # two paragraphs instead of ten
    doc = align_texts(article("fr"), en, "fr", "en")
    assert [p.kind for p in doc.pairs] == ["1-1"] * 24


def test_context_is_the_previous_sentence() -> None:
    doc = align_texts(article("fr"), article("en"), "fr", "en")
    assert doc.pairs[0].source_context is None
    assert doc.pairs[1].source_context == doc.pairs[0].source
    assert doc.pairs[1].target_context == doc.pairs[0].target


def test_align_command_writes_tmx_and_reports(tmp_path: Path, db: Database) -> None:
    seed = resources.termbase() / "seed"
    fr, en = tmp_path / "a.fr.txt", tmp_path / "a.en.txt"
    fr.write_text((seed / "article-2022-11-09.fr.txt").read_text(encoding="utf-8"), encoding="utf-8")
    lines = (seed / "article-2022-11-09.en.txt").read_text(encoding="utf-8").splitlines()
    lines[8] = ""  # a paragraph the translator forgot
    en.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out.tmx"
    cmd = ["nato-tm", "--db", db.url, "align", str(fr), str(en), "-o", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "weak pair" in run.stdout and "(nothing)" in run.stdout
    records = [r for r in tmx.read(out.open("rb"), "out.tmx", ReadOptions()) if isinstance(r, UnitRecord)]
    assert 20 <= len(records) < 24
    assert all(r.variants[0].lang_tag == "fr" and r.variants[1].lang_tag == "en" for r in records)
    assert records[1].variants[0].context_prev == records[0].variants[0].text
    doc = json.loads(subprocess.run([*cmd[:-2], "--json"], capture_output=True, text=True, check=True).stdout)
    assert doc["weak"] and doc["terms_used"] > 0
    if shutil.which("xmllint") and VALIDATOR.exists():
        subprocess.run([str(VALIDATOR), str(out)], check=True, capture_output=True)


def test_align_command_reports_a_missing_file(tmp_path: Path) -> None:
    run = subprocess.run(
        ["nato-tm", "align", str(tmp_path / "nope.txt"), str(tmp_path / "nope2.txt"), "--no-terms"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and run.stderr.startswith("Error: ") and "no such file" in run.stderr


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_shipped_seed_memory_matches_the_article(lang: str) -> None:
    with (resources.termbase() / "seed-memory.tmx").open("rb") as stream:
        records = [r for r in tmx.read(stream, "seed-memory.tmx", ReadOptions()) if isinstance(r, UnitRecord)]
    texts = [v.text for r in records for v in r.variants if v.lang_tag == lang]
    assert texts == sentences(article(lang), lang)
