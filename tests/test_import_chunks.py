"""The chunked TMX reader (formats.tmx_chunks): the records tmx.read yields, or Unsure, never anything else.

Runs are made tiny (CHUNK_BYTES patched) so that a few units cross many runs, and imports of small
files take the chunked path; every import is compared with the reference reader's (workers=0).
"""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from test_hostile_files import GOOD, TU, hostile_xml, tmx_doc
from test_import_bulk import clear, snapshot

from nato_tm.errors import FormatError
from nato_tm.formats import tmx, tmx_chunks
from nato_tm.formats.registry import ReadOptions, Record
from nato_tm.services.importer import import_path
from nato_tm.store.db import Database

PLAIN = "\n".join(
    TU.format(fr=f"Le Comité s'est réuni {i} fois.", en=f"The Committee met {i} times.") for i in range(40)
)
SKIPPED = '<tu tuid="bad"><tuv xml:lang="fr"><seg>seul</seg></tuv></tu>'
NS = 'xmlns="http://www.lisa.org/tmx14"'


@pytest.fixture(autouse=True)
def small_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tmx_chunks, "CHUNK_BYTES", 300)


def chunked(data: bytes) -> list[Record] | None:
    """What the chunked reader makes of ``data``: its records, or None where it declines the file at once."""
    stream = io.BytesIO(data)
    head = tmx_chunks.read_head(stream, "f.tmx", ReadOptions())
    if head is None:
        return None
    return [rec for piece in tmx_chunks.pieces(stream, head) for rec in tmx_chunks.records(head, *piece)]


def reference(data: bytes) -> list[Record]:
    return list(tmx.read(io.BytesIO(data), "f.tmx", ReadOptions()))


PLAIN_DOCS = {
    "plain": tmx_doc(PLAIN),
    "skipped units and comments between units": tmx_doc(f"{GOOD}\n<!-- a comment -->\n{SKIPPED}\n{PLAIN}\n{SKIPPED}"),
    "default namespace": tmx_doc(PLAIN).replace('<tmx version="1.4">', f'<tmx {NS} version="1.4">'),
    "metadata and markup": tmx_doc(
        '<tu tuid="t1" creationdate="20230102T030405Z" usagecount="3" datatype="html"><prop type="x-a">v</prop>'
        '<note>n</note><tuv xml:lang="fr-FR"><prop type="x-context-pre">Avant.</prop><seg>Le <bpt i="1">&lt;b&gt;'
        '</bpt>Comité<ept i="1">&lt;/b&gt;</ept> &amp; co</seg></tuv><tuv xml:lang="en"><seg>The Committee</seg>'
        "</tuv></tu>\n" + PLAIN
    ),
    "no line breaks": tmx_doc(PLAIN.replace("\n", "")),
    # Within the guard's depth limit but near it: that run is read by the guarded reader.
    "deep inline markup within the limit": tmx_doc(PLAIN + TU.format(fr="<hi>" * 57 + "x" + "</hi>" * 57, en="y")),
    "a doctype and a header with props": tmx_doc(PLAIN, '<!DOCTYPE tmx SYSTEM "tmx14.dtd">').replace(
        '<header srclang="fr"/>', '<header srclang="fr"><prop type="x-h">h</prop></header>'
    ),
}

ODD_DOCS = {
    "a comment holding </tu>": tmx_doc(f"{GOOD}<!-- </tu> -->{PLAIN}<!-- </tu> <tu> -->{GOOD}"),
    "CDATA holding </tu>": tmx_doc(PLAIN + TU.format(fr="<![CDATA[a </tu> b]]>", en="x") + PLAIN),
    "a tu inside a seg": tmx_doc(PLAIN + TU.format(fr="<tu>x</tu>y", en="x") + PLAIN),
    "a second body": tmx_doc(PLAIN).replace("</body></tmx>", f"</body><body>{GOOD}</body></tmx>"),
    "a header after the body": tmx_doc(PLAIN).replace("</body></tmx>", '</body><header srclang="en"/></tmx>'),
    "deep inline markup": tmx_doc(PLAIN + TU.format(fr="<hi>" * 70 + "x" + "</hi>" * 70, en="y") + PLAIN),
    "a tu in the header": tmx_doc(PLAIN).replace('<header srclang="fr"/>', f'<header srclang="fr">{GOOD}</header>'),
    "an undeclared prefix": tmx_doc(PLAIN + GOOD.replace("<seg>", "<x:seg>", 1).replace("</seg>", "</x:seg>", 1)),
    "latin-1": tmx_doc(PLAIN, decl='<?xml version="1.0" encoding="ISO-8859-1"?>'),
    "truncated": tmx_doc(PLAIN)[:-40],
    "junk after the root": tmx_doc(PLAIN) + "<junk/>",
}


@pytest.mark.parametrize("name", PLAIN_DOCS)
def test_plain_files_are_read_in_runs_as_the_reference_reads_them(name: str) -> None:
    data = PLAIN_DOCS[name].encode()
    got = chunked(data)
    assert got is not None
    assert got == reference(data)  # line numbers included


@pytest.mark.parametrize("name", ODD_DOCS)
def test_odd_files_give_the_reference_records_or_unsure(name: str) -> None:
    data = ODD_DOCS[name].encode("latin-1" if name == "latin-1" else "utf-8")
    try:
        want: list[Record] | FormatError = reference(data)
    except FormatError as exc:
        want = exc
    try:
        got = chunked(data)
    except tmx_chunks.Unsure:
        return
    assert got is None or (not isinstance(want, FormatError) and got == want)


@pytest.mark.parametrize("name", [*PLAIN_DOCS, *ODD_DOCS])
def test_imports_store_what_the_reference_reader_stores(name: str, empty_db: Database, tmp_path: Path) -> None:
    text = {**PLAIN_DOCS, **ODD_DOCS}[name]
    path = tmp_path / "f.tmx"
    path.write_bytes(text.encode("latin-1" if name == "latin-1" else "utf-8"))
    outcomes = []
    for workers in (2, 0):
        try:
            report = import_path(empty_db, str(path), workers=workers, skip_invalid=True)
            outcomes.append((report.added, report.updated, report.unchanged, report.skipped, snapshot(empty_db)))
        except FormatError as exc:
            outcomes.append(exc.message)
        clear(empty_db)
    assert outcomes[0] == outcomes[1]


def test_hostile_files_fail_as_with_the_reference_reader(empty_db: Database, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        cases = hostile_xml(tmp_path / "no-such-canary", port)
    for name, (text, _, _) in cases.items():
        path = tmp_path / f"{name}.tmx"
        path.write_text(text.replace("<body>", "<body>" + PLAIN, 1), encoding="utf-8")
        messages = []
        for workers in (2, 0):
            with pytest.raises(FormatError) as caught:
                import_path(empty_db, str(path), workers=workers)
            messages.append((caught.value.message, caught.value.line))
        assert messages[0] == messages[1], name


def test_a_skipped_unit_far_in_the_file_is_reported_at_its_line(empty_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "f.tmx"
    path.write_text(tmx_doc(PLAIN + "\n" + SKIPPED + "\n" + PLAIN), encoding="utf-8")
    line = path.read_text().splitlines().index(SKIPPED) + 1
    with pytest.raises(FormatError, match=f"f.tmx:{line}: tu \\(tuid bad\\)"):
        import_path(empty_db, str(path), workers=2)
    report = import_path(empty_db, str(path), workers=2, skip_invalid=True)
    assert [s.where for s in report.skipped] == [f"{path}:{line}: tu (tuid bad)"]


def test_a_workers_keys_and_index_rows_are_those_of_the_cached_pipeline() -> None:
    """prepare_one tokenises each text once, outside the caches: the hashes and rows key_hash and index_row give."""
    from nato_tm.store.memory_index import index_row
    from nato_tm.store.memory_repo import content_hash, key_hash, prepare_one

    seed = Path(__file__).resolve().parents[1] / "termbase" / "seed"
    fr, en = ([line for line in (seed / f"article-2022-11-09.{lang}.txt").read_text("utf-8").splitlines() if line]
              for lang in ("fr", "en"))  # fmt: skip
    odd = ["Le 1er août 2023 : 2 500 000 euros.", "\u0301abc", "?!", "", "L\u2019OTAN\u00a0! e\u0301te\u0301"]
    sketches = [(("fr-FR", f, None, prev), ("en_GB", e, "<b>x</b>", None))
                for f, e, prev in zip(fr, en, [None, *fr[:-1]], strict=True)]  # fmt: skip
    sketches += [(("FR", text, None, text or None), ("x-klingon-abc", text, None, None)) for text in odd]
    assert len(sketches) >= 15
    for sk in sketches:
        digest, keys, prevs, rows = prepare_one(sk)
        langs = [tag.replace("_", "-").split("-")[0].lower()[:8] for tag, _, _, _ in sk]
        want = [(key_hash(text, lang), key_hash(prev, lang) if prev else None, index_row(text, lang))
                for lang, (_, text, _, prev) in zip(langs, sk, strict=True)]  # fmt: skip
        assert (keys, prevs, rows) == tuple(zip(*want, strict=True)), sk
        assert digest == content_hash([(lang, v[2] or v[1]) for lang, v in zip(langs, sk, strict=True)])


def test_index_row_is_the_profile_and_posting_hashes_of_variant_keys() -> None:
    from nato_tm.store.memory_index import _join, entry_postings, index_row, variant_keys

    segments = [
        ("Le 1er août 2023 et en mars 2024, puis le 3 mai : 2 500 000 euros, 3,5 heures.", "fr-FR"),
        ("On November 9, 2022 the Council met; 2,500,000 euros, 3.5 hours, 30 30 30.", "en"),
        ("L'OTAN, l'OTAN et l'Ukraine ; aujourd'hui « oui » ?!", "fr"),
        ("?!", "en"),
        ("", "fr"),
        *[(line, lang) for line in PLAIN.split("\n")[:5] for lang in ("fr", "en")],
    ]
    for text, lang in segments:
        prof, hashes = variant_keys(text, lang)
        want = (lang[:2], len(prof.keys), _join(prof.keys), _join(prof.bases), _join(prof.minor), _join(prof.values))
        row = index_row(text, lang)
        assert row[:6] == want and row[7] == tuple(sorted(hashes)), text
        # What tm_entry stores, with what its keys give, is every hash it is posted under.
        assert entry_postings(row[0], row[2], row[6]) == hashes, text
