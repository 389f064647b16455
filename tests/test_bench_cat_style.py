"""The benchmark's CAT-style file (`python -m bench build --style cat`) reads back as it was meant.

Its figures stand for real files from CAT tools only if the reader sees what was written: dates
and authors on the tu (Trados) or on each tuv (OmegaT), and tags whose plain text is the segment.
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nato_tm.formats import tmx
from nato_tm.formats.records import UnitRecord
from nato_tm.formats.registry import ReadOptions
from nato_tm.formats.tmx_write import write_footer, write_header, write_unit

ROOT = Path(__file__).resolve().parents[1]
# Real sentences of the seed article, one with a number, one starting with punctuation.
PAIRS = [
    ("Les participants ont été accueillis par le président délégué du Comité militaire.",
     "Participants were welcomed by the Deputy Chairman of the NATO Military Committee."),
    ("« Le concept stratégique 2022 » a été adopté à Madrid.", '"The 2022 Strategic Concept" was adopted in Madrid.'),
]  # fmt: skip


@pytest.fixture(scope="module")
def build():  # type: ignore[no-untyped-def]
    if not (ROOT / "bench" / "build.py").is_file():
        pytest.skip("not run from a source checkout")
    sys.path.insert(0, str(ROOT))
    try:
        import bench.build as module
    finally:
        sys.path.remove(str(ROOT))
    return module


def read_back(records: list[UnitRecord]) -> list[UnitRecord]:
    out = io.BytesIO()
    write_header(out, srclang="fr")
    for rec in records:
        write_unit(out, rec)
    write_footer(out)
    out.seek(0)
    found = [r for r in tmx.read(out, "cat.tmx", ReadOptions()) if isinstance(r, UnitRecord)]
    assert len(found) == len(records)
    return found


def test_trados_units_are_dated_on_the_tu_and_omegat_units_on_each_tuv(build) -> None:  # type: ignore[no-untyped-def]
    trados, omegat = read_back([build.cat_record(i, fr, en, "bench:derived") for i, (fr, en) in enumerate(PAIRS)])
    assert trados.created_at == datetime(2019, 1, 7, 8, 30, tzinfo=UTC)
    assert (trados.created_by, trados.changed_by) == ("jdupont", "jdupont")
    assert all(v.created_at is None and v.changed_by is None for v in trados.variants)
    assert omegat.created_at is None and omegat.created_by is None
    assert [v.created_at for v in omegat.variants] == [datetime(2019, 1, 7, 8, 37, tzinfo=UTC)] * 2
    assert [v.changed_at for v in omegat.variants] == [datetime(2019, 1, 8, 8, 37, 1, tzinfo=UTC)] * 2
    assert [v.created_by for v in omegat.variants] == ["mlefebvre"] * 2


def test_one_unit_in_six_is_tagged_and_its_text_is_unchanged(build) -> None:  # type: ignore[no-untyped-def]
    made = [build.cat_record(i, *PAIRS[i % 2], "bench:derived") for i in range(24)]
    back = read_back(made)
    tagged = [i for i, rec in enumerate(back) if any(v.markup for v in rec.variants)]
    assert tagged == [0, 7, 12, 19]
    for sent, got in zip(made, back, strict=True):
        assert [v.text for v in got.variants] == [v.text for v in sent.variants]
    # The first word is the bold run, even after a guillemet; the rest is escaped text.
    fr = back[7].variants[0].markup
    assert fr is not None and fr.startswith('« <bpt i="1">&lt;b&gt;</bpt>Le<ept i="1">&lt;/b&gt;</ept> concept')
    assert back[7].variants[1].markup.startswith('"<bpt i="1">&lt;b&gt;</bpt>The<ept')  # type: ignore[union-attr]
