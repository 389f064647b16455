"""Fuzz targets: each reads one input fully; only NatoTmError may come out (anything else is a finding)."""

from __future__ import annotations

import io
from collections.abc import Callable

from nato_tm.errors import NatoTmError
from nato_tm.formats import glossary, tbx, tmx, tsv
from nato_tm.formats.records import Skipped, UnitRecord
from nato_tm.formats.registry import ReadOptions
from nato_tm.text import pipeline, placeables

OPTIONS = ReadOptions(origin="fuzz")


def _read(module: object, data: bytes) -> int:
    """Run a reader to the end; return how many records it gave (FormatError is an accepted outcome)."""
    read = module.read  # type: ignore[attr-defined]
    count = 0
    try:
        for rec in read(io.BytesIO(data), "fuzz", OPTIONS):
            if isinstance(rec, UnitRecord):
                assert len(rec.variants) >= 2, "a unit with fewer than two variants"
            elif not isinstance(rec, Skipped):
                assert rec.langs, "a concept without a language section"
            count += 1
    except NatoTmError:
        pass
    return count


def tmx_target(data: bytes) -> None:
    """The TMX reader."""
    _read(tmx, data)


def tbx_target(data: bytes) -> None:
    """The TBX reader."""
    _read(tbx, data)


def tsv_target(data: bytes) -> None:
    """The TSV reader."""
    _read(tsv, data)


def glossary_target(data: bytes) -> None:
    """The CSV/glossary reader."""
    _read(glossary, data)


def pipeline_target(data: bytes) -> None:
    """The text pipeline: offsets must point into the original text, keys must be computable."""
    text = data.decode("utf-8", errors="replace")
    pipeline.canonical(text)
    pipeline.fold_accents(text)
    for lang in ("fr", "en"):
        for tok in pipeline.tokenize(text, lang):
            assert 0 <= tok.start <= tok.end <= len(text), (tok, len(text))
        pipeline.match_key(text, lang)
        pipeline.stem_key(text, lang)
        pipeline.fold_key(text, lang)
        placeables.analyse(text, lang)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "tmx": tmx_target,
    "tbx": tbx_target,
    "tsv": tsv_target,
    "glossary": glossary_target,
    "pipeline": pipeline_target,
}
