"""Translation-memory TSV import: slices of the real shared files, props, bad lines and headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from nato_tm.errors import FormatError
from nato_tm.services.importer import import_path
from nato_tm.services.stats import stats
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit

FILES = ["europarl-v7-head", "newstest-2008-2010", "software-strings", "tatoeba-2017"]
SLICE = 300


def slice_of(shared_data: Path, stem: str, tmp_path: Path, lines: int = SLICE) -> tuple[Path, list[list[str]]]:
    """The header and the first ``lines`` rows of a real file, written to tmp_path; also the rows."""
    out = tmp_path / f"{stem}.tsv"
    with open(shared_data / f"{stem}.en-fr.tsv", encoding="utf-8") as src:
        head = [next(src) for _ in range(lines + 1)]
    out.write_text("".join(head), encoding="utf-8")
    return out, [row.rstrip("\n").split("\t") for row in head]


@pytest.mark.parametrize("stem", FILES)
def test_real_tsv_slices_import_every_distinct_pair(
    empty_db: Database, shared_data: Path, tmp_path: Path, stem: str
) -> None:
    path, (header, *rows) = slice_of(shared_data, stem, tmp_path)
    en, fr = header.index("en"), header.index("fr")
    usable = [r for r in rows if r[en].strip() and r[fr].strip()]
    report = import_path(empty_db, str(path))  # recognised as TSV from its header row
    assert report.format == "tsv"
    assert report.added == len({(r[en], r[fr]) for r in usable})
    assert report.added + report.unchanged == len(usable)
    assert stats(empty_db).units == report.added
    again = import_path(empty_db, str(path), fmt="tsv")
    assert (again.added, again.updated) == (0, 0)


def test_other_columns_become_props(empty_db: Database, shared_data: Path, tmp_path: Path) -> None:
    path, (header, first, *_rows) = slice_of(shared_data, "software-strings", tmp_path, lines=20)
    import_path(empty_db, str(path), fmt="tsv")
    with empty_db.session() as s:
        unit = s.scalars(select(Unit).options(selectinload(Unit.variants)).order_by(Unit.id)).first()
    assert header == ["en", "fr", "catalogue"]
    assert unit is not None
    assert unit.props == [{"type": "x-catalogue", "value": first[2]}]
    assert [(v.lang_tag, v.text) for v in unit.variants] == [("en", first[0]), ("fr", first[1])]
    assert unit.srclang == "en" and unit.origin == "software-strings.tsv"


def write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "memory.tsv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_bad_line_stops_the_import_unless_skip_invalid(empty_db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "fr\ten\nLe Comité militaire\tthe Military Committee\nune seule colonne\nla sécurité humaine\t\n"
        "la sécurité coopérative\tcooperative security\n",
    )
    with pytest.raises(FormatError) as err:
        import_path(empty_db, path, fmt="tsv")
    assert "memory.tsv:3: 1 fields where the header has 2" in err.value.message
    assert stats(empty_db).units == 0
    report = import_path(empty_db, path, fmt="tsv", skip_invalid=True)
    assert report.added == 2
    assert [(s.where.rsplit("/", 1)[-1], s.reason) for s in report.skipped] == [
        ("memory.tsv:3", "1 fields where the header has 2"),
        ("memory.tsv:4", "text in fewer than two languages"),
    ]


def test_a_header_without_languages_is_rejected(empty_db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "source\ttarget\nLe Comité militaire\tthe Military Committee\n")
    with pytest.raises(FormatError) as err:
        import_path(empty_db, path, fmt="tsv")
    assert "at least two language columns" in err.value.message and err.value.line == 1
    assert stats(empty_db).units == 0


def test_text_that_is_not_utf8_is_rejected_with_its_line(empty_db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "fr\ten\nLe Comité\tthe Committee\n".encode() + "la sécurité\tsecurity\n".encode("latin-1"))
    with pytest.raises(FormatError) as err:
        import_path(empty_db, path, fmt="tsv")
    assert "not UTF-8" in err.value.message and err.value.line == 3
    assert stats(empty_db).units == 0


def test_dry_run_and_bom(empty_db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffen\tfr\tset\nMilitary Committee\tComité militaire\tdemo\n")
    report = import_path(empty_db, path, dry_run=True)
    assert (report.format, report.added, report.dry_run) == ("tsv", 1, True)
    assert stats(empty_db).units == 0
