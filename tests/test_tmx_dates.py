"""TMX dates: TMX's own form read by fromisoformat gives exactly what strptime gave, valid or not."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nato_tm.formats import tmx
from nato_tm.formats.records import Skipped, UnitRecord
from nato_tm.formats.registry import ReadOptions


def strptime_date(value: str | None) -> datetime | None:
    """``tmx.parse_date`` with its fast path turned off: strptime, then ISO 8601, as before it (the oracle)."""
    with mock.patch.object(tmx, "_TMX_DATE", re.compile(r"(?!)")):  # a pattern that matches nothing
        return tmx.parse_date(value)


def outcome(parse: object, value: str | None) -> tuple[str, object]:
    """What a parser gives for ``value``: ("date", the datetime) or ("bad", BadUnit's message)."""
    try:
        return "date", parse(value)  # type: ignore[operator]
    except tmx.BadUnit as exc:
        return "bad", str(exc)


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=count, max_size=count)


# TMX's form with any digits: most fields out of range somewhere (month 13, day 31 in June, hour 24, second 60).
tmx_shaped = st.builds(lambda d, t: f"{d}T{t}Z", digits(8), digits(6))
# Dates that exist, in TMX's form.
real_dates = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
    lambda d: d.strftime("%Y%m%dT%H%M%SZ").rjust(16, "0")
)
near_misses = st.one_of(
    st.builds(lambda s: s[:-1], tmx_shaped),  # no Z
    st.builds(lambda s: s.replace("T", " "), tmx_shaped),
    st.builds(lambda s, pad: pad + s + pad, tmx_shaped, st.sampled_from([" ", "\t", "\n", "  "])),
    st.builds(lambda s, i, c: s[:i] + c + s[i + 1 :], real_dates, st.integers(0, 15), st.characters()),
)


@settings(max_examples=800, deadline=None)
@given(st.one_of(tmx_shaped, real_dates, near_misses))
def test_parse_date_gives_what_strptime_gave(value: str) -> None:
    assert outcome(tmx.parse_date, value) == outcome(strptime_date, value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20221109T101500Z", datetime(2022, 11, 9, 10, 15, tzinfo=UTC)),
        (" 20240229T235959Z\n", datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)),
        ("00010101T000000Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("2022-11-09T10:15:00Z", datetime(2022, 11, 9, 10, 15, tzinfo=UTC)),  # ISO 8601, as some tools write
        ("2022-11-09T12:15:00+02:00", datetime(2022, 11, 9, 10, 15, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_dates_real_tools_write(value: str | None, expected: datetime | None) -> None:
    assert tmx.parse_date(value) == expected
    assert tmx.parse_date(value) == strptime_date(value)


@pytest.mark.parametrize(
    "value",
    ["20221309T101500Z", "20230229T000000Z", "20221109T240000Z", "20221109T101560Z", "00000101T000000Z", "yesterday"],
)
def test_impossible_dates_are_refused_as_before(value: str) -> None:
    with pytest.raises(tmx.BadUnit, match="bad date"):
        tmx.parse_date(value)
    assert outcome(tmx.parse_date, value) == outcome(strptime_date, value)


def test_a_tu_with_an_impossible_date_is_skipped_and_its_neighbours_kept() -> None:
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><header srclang="fr" datatype="plaintext"'
        ' segtype="sentence" adminlang="en" o-tmf="x" creationtool="t" creationtoolversion="1"/><body>'
        '<tu tuid="ok" creationdate="20221109T101500Z"><tuv xml:lang="fr" changedate="20221110T080000Z">'
        '<seg>Le Comité militaire</seg></tuv><tuv xml:lang="en"><seg>The Military Committee</seg></tuv></tu>'
        '<tu tuid="bad" creationdate="20221131T101500Z"><tuv xml:lang="fr"><seg>sécurité coopérative</seg></tuv>'
        '<tuv xml:lang="en"><seg>cooperative security</seg></tuv></tu></body></tmx>'
    )
    records = list(tmx.read(io.BytesIO(doc.encode()), "dates.tmx", ReadOptions()))
    kept = [r for r in records if isinstance(r, UnitRecord)]
    skipped = [r for r in records if isinstance(r, Skipped)]
    assert [r.tuid for r in kept] == ["ok"]
    assert kept[0].created_at == datetime(2022, 11, 9, 10, 15, tzinfo=UTC)
    assert kept[0].variants[0].changed_at == datetime(2022, 11, 10, 8, tzinfo=UTC)
    assert len(skipped) == 1
    assert "tuid bad" in skipped[0].where
    assert skipped[0].reason == "bad date '20221131T101500Z' (TMX wants YYYYMMDDThhmmssZ)"
