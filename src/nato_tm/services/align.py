"""Sentence alignment of a text and its translation: Gale–Church lengths, strengthened by anchors.

Each text is split into paragraphs (lines) and sentences (``text.sentences``). When both texts
have the same number of paragraphs, each paragraph is aligned with its counterpart; otherwise
the whole texts are aligned as one sequence. A dynamic programme chooses beads of 1-1, 1-2, 2-1,
1-0 and 0-1 sentences, minimising

    -log P(bead kind) - log P(length difference)  [Gale & Church 1993]  - log P(anchors)

where the anchors are what a sentence and its translation share: numbers, capitalised names
that occur in both texts, and term-base concepts (EMI/IMS, Comité militaire/Military Committee)
found on both sides. Each bead gets a confidence in [0, 1] (see ``confidence``); beads below
WEAK, and every 1-0 or 0-1 bead, are reported as weak.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from nato_tm.errors import InvalidInput, StoreUnavailable
from nato_tm.formats.records import UnitRecord, VariantRecord
from nato_tm.formats.tmx import CONTEXT_PROP
from nato_tm.store.db import Database
from nato_tm.store.memory_repo import term_rows
from nato_tm.text.pipeline import primary_lang, tokenize
from nato_tm.text.sentences import Sentence, split

# Gale & Church's priors for each bead kind (source count, target count).
PRIORS = {(1, 1): 0.89, (1, 0): 0.0099 / 2, (0, 1): 0.0099 / 2, (2, 1): 0.089 / 2, (1, 2): 0.089 / 2}
VARIANCE = 6.8  # Gale & Church's variance of target length per source character
WEAK = 0.5
BAND = 12  # how far (in sentences) the global alignment may stray from the diagonal


@dataclass
class TermIndex:
    """Term-base forms by language: stem sequences -> concept id, for anchor detection."""

    forms: dict[str, dict[str, list[tuple[tuple[str, ...], str]]]] = field(default_factory=dict)
    count: int = 0

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str]]) -> TermIndex:
        """Index (concept id, language, term text) rows."""
        index = cls()
        for concept, lang, text in rows:
            lang = primary_lang(lang)
            stems = tuple(t.stem for t in tokenize(text, lang) if t.kind in ("word", "number"))
            if stems:
                index.forms.setdefault(lang, {}).setdefault(stems[0], []).append((stems, concept))
                index.count += 1
        return index

    def concepts(self, stems: Sequence[str], lang: str) -> set[str]:
        """The concepts whose terms occur in a stem sequence."""
        found: set[str] = set()
        table = self.forms.get(lang, {})
        for i, s in enumerate(stems):
            for form, concept in table.get(s, ()):
                if tuple(stems[i : i + len(form)]) == form:
                    found.add(concept)
        return found


@dataclass
class AlignedPair:
    """A bead: source sentences aligned with target sentences, and how sure the aligner is."""

    source: str
    target: str
    kind: str  # "1-1", "2-1", "1-2", "1-0" or "0-1"
    source_sentences: list[int]  # indexes into the split source text
    target_sentences: list[int]
    paragraph: int | None
    confidence: float
    weak: bool
    anchors: list[str]
    source_context: str | None = None  # the previous source segment
    target_context: str | None = None


@dataclass
class Alignment:
    """The result of aligning two texts."""

    source_lang: str
    target_lang: str
    source_sentences: int
    target_sentences: int
    length_ratio: float  # target characters per source character
    terms_used: int
    pairs: list[AlignedPair]
    weak: list[int] = field(default_factory=list)  # indexes into pairs of those a reviser should check


_DIGITS = re.compile(r"\D")


def _anchors(sentence: str, lang: str, terms: TermIndex | None) -> set[str]:
    tokens = tokenize(sentence, lang)
    found: set[str] = set()
    for i, tok in enumerate(tokens):
        if tok.kind == "number":
            found.add("num:" + _DIGITS.sub("", tok.text))
        elif tok.kind == "word" and i > 0 and tok.text[:1].isupper() and len(tok.text) > 1:
            found.add("name:" + tok.base)
    if terms is not None:
        stems = [t.stem for t in tokens if t.kind in ("word", "number")]
        found |= {"term:" + c for c in terms.concepts(stems, lang)}
    return found


def _norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def length_probability(src_len: int, tgt_len: int, ratio: float) -> float:
    """Two-sided probability of a length difference at least this large (Gale & Church's delta)."""
    mean = max(src_len, 1) * ratio
    delta = (tgt_len - mean) / math.sqrt(max(src_len, 1) * VARIANCE)
    return 2.0 * (1.0 - _norm_cdf(abs(delta)))


def anchor_agreement(src: set[str], tgt: set[str]) -> float | None:
    """Dice overlap of two anchor sets; None when neither side has any."""
    if not src and not tgt:
        return None
    return 2 * len(src & tgt) / (len(src) + len(tgt))


def confidence(kind: tuple[int, int], p_len: float, agreement: float | None) -> float:
    """How sure a bead is: 0 for an unmatched sentence, else lengths and anchors averaged.

    Without anchors the length probability alone decides, damped (0.25 + 0.5 p) because
    length is weak evidence on its own; 2-1 and 1-2 beads are scaled by 0.9.
    """
    if 0 in kind:
        return 0.0
    score = 0.25 + 0.5 * p_len if agreement is None else 0.4 * p_len + 0.6 * agreement
    return round(min(1.0, score * (1.0 if kind == (1, 1) else 0.9)), 3)


@dataclass
class _Side:
    sentences: list[Sentence]
    anchors: list[set[str]]
    first: int = 0  # index of sentences[0] in the whole text


def _bead_cost(src: _Side, tgt: _Side, i: int, j: int, kind: tuple[int, int], ratio: float) -> float:
    ds, dt = kind
    src_len = sum(len(s.text) for s in src.sentences[i - ds : i])
    tgt_len = sum(len(s.text) for s in tgt.sentences[j - dt : j])
    a_src: set[str] = set().union(*src.anchors[i - ds : i])
    a_tgt: set[str] = set().union(*tgt.anchors[j - dt : j])
    cost = -math.log(PRIORS[kind])
    if ds and dt:
        cost -= math.log(max(length_probability(src_len, tgt_len, ratio), 1e-12))
    cost -= math.log((1 + 2 * len(a_src & a_tgt)) / (1 + len(a_src) + len(a_tgt)))
    return cost


def _dp(src: _Side, tgt: _Side, ratio: float) -> list[tuple[int, int, tuple[int, int]]]:
    """The cheapest bead sequence, as (source end, target end, kind) triples in order."""
    n, m = len(src.sentences), len(tgt.sentences)
    inf = float("inf")
    cost = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    for i in range(n + 1):
        centre = round(i * m / n) if n else 0
        for j in range(max(0, centre - BAND), min(m, centre + BAND) + 1):
            if (i, j) == (0, 0):
                continue
            best, how = inf, (0, 0)
            for kind in PRIORS:
                prev = cost.get((i - kind[0], j - kind[1]), inf)
                if prev < inf:
                    c = prev + _bead_cost(src, tgt, i, j, kind, ratio)
                    if c < best:
                        best, how = c, kind
            if best < inf:
                cost[(i, j)], back[(i, j)] = best, how
    path: list[tuple[int, int, tuple[int, int]]] = []
    i, j = n, m
    while (i, j) != (0, 0):
        kind = back[(i, j)]
        path.append((i, j, kind))
        i, j = i - kind[0], j - kind[1]
    return path[::-1]


def _pair(src: _Side, tgt: _Side, i: int, j: int, kind: tuple[int, int], ratio: float) -> AlignedPair:
    ds, dt = kind
    s_sent, t_sent = src.sentences[i - ds : i], tgt.sentences[j - dt : j]
    a_src: set[str] = set().union(*src.anchors[i - ds : i])
    a_tgt: set[str] = set().union(*tgt.anchors[j - dt : j])
    p_len = length_probability(sum(len(s.text) for s in s_sent), sum(len(s.text) for s in t_sent), ratio)
    conf = confidence(kind, p_len, anchor_agreement(a_src, a_tgt))
    para = (s_sent or t_sent)[0].paragraph
    return AlignedPair(
        source=" ".join(s.text for s in s_sent),
        target=" ".join(s.text for s in t_sent),
        kind=f"{ds}-{dt}",
        source_sentences=list(range(src.first + i - ds, src.first + i)),
        target_sentences=list(range(tgt.first + j - dt, tgt.first + j)),
        paragraph=para,
        confidence=conf,
        weak=conf < WEAK,
        anchors=sorted(a_src & a_tgt),
    )


def _groups(src: list[Sentence], tgt: list[Sentence]) -> list[tuple[range, range]]:
    """Index ranges to align together: paragraph by paragraph when the counts agree, else everything."""
    s_paras = sorted({s.paragraph for s in src})
    t_paras = sorted({s.paragraph for s in tgt})
    if len(s_paras) != len(t_paras):
        return [(range(len(src)), range(len(tgt)))]

    def ranges(sents: list[Sentence], paras: list[int]) -> list[range]:
        idx = [[k for k, s in enumerate(sents) if s.paragraph == p] for p in paras]
        return [range(g[0], g[-1] + 1) for g in idx]

    return list(zip(ranges(src, s_paras), ranges(tgt, t_paras), strict=True))


def _beads(src: _Side, tgt: _Side, ratio: float) -> list[tuple[int, int, tuple[int, int]]]:
    n, m = len(src.sentences), len(tgt.sentences)
    if n and m:
        return _dp(src, tgt, ratio)
    return [(i, 0, (1, 0)) for i in range(1, n + 1)] + [(0, j, (0, 1)) for j in range(1, m + 1)]


def align_texts(
    source: str, target: str, source_lang: str = "fr", target_lang: str = "en", terms: TermIndex | None = None
) -> Alignment:
    """Split both texts into sentences and align them; see the module docstring for the model."""
    s_sents, t_sents = split(source, source_lang), split(target, target_lang)
    s_anchors = [_anchors(s.text, source_lang, terms) for s in s_sents]
    t_anchors = [_anchors(s.text, target_lang, terms) for s in t_sents]
    # An anchor counts only if it occurs on both sides somewhere (a name left untranslated, a shared number).
    shared = set().union(*s_anchors) & set().union(*t_anchors)
    s_anchors = [a & shared for a in s_anchors]
    t_anchors = [a & shared for a in t_anchors]
    ratio = sum(len(s.text) for s in t_sents) / max(1, sum(len(s.text) for s in s_sents))
    pairs: list[AlignedPair] = []
    for s_range, t_range in _groups(s_sents, t_sents):
        src = _Side(s_sents[s_range.start : s_range.stop], s_anchors[s_range.start : s_range.stop], s_range.start)
        tgt = _Side(t_sents[t_range.start : t_range.stop], t_anchors[t_range.start : t_range.stop], t_range.start)
        pairs.extend(_pair(src, tgt, i, j, kind, ratio) for i, j, kind in _beads(src, tgt, ratio))
    for pair in pairs:
        if pair.source_sentences and pair.source_sentences[0] > 0:
            pair.source_context = s_sents[pair.source_sentences[0] - 1].text
        if pair.target_sentences and pair.target_sentences[0] > 0:
            pair.target_context = t_sents[pair.target_sentences[0] - 1].text
    return Alignment(
        source_lang=source_lang,
        target_lang=target_lang,
        source_sentences=len(s_sents),
        target_sentences=len(t_sents),
        length_ratio=round(ratio, 3),
        terms_used=terms.count if terms else 0,
        pairs=pairs,
        weak=[k for k, p in enumerate(pairs) if p.weak],
    )


def term_index(db: Database | None, langs: Sequence[str]) -> TermIndex | None:
    """The term base's forms as anchors; None when there is no usable database."""
    if db is None:
        return None
    try:
        with db.session() as session:
            return TermIndex.build(term_rows(session, [primary_lang(x) for x in langs]))
    except (SQLAlchemyError, StoreUnavailable):  # no schema yet, or no server: align on lengths and names
        return None


def align_files(
    source: str, target: str, source_lang: str = "fr", target_lang: str = "en", db: Database | None = None
) -> Alignment:
    """Align two UTF-8 text files (one paragraph a line), with the term base of ``db`` as anchors."""
    texts = []
    for path in (source, target):
        try:
            with open(path, encoding="utf-8-sig") as stream:
                texts.append(stream.read())
        except FileNotFoundError as exc:
            raise InvalidInput(f"{path}: no such file", param="file") from exc
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason})", param="file") from exc
    return align_texts(texts[0], texts[1], source_lang, target_lang, term_index(db, [source_lang, target_lang]))


def to_records(alignment: Alignment, source_name: str, target_name: str) -> list[UnitRecord]:
    """The aligned pairs (1-0 and 0-1 left out) as unit records, with context and confidence props."""
    records: list[UnitRecord] = []
    for pair in alignment.pairs:
        if not pair.source or not pair.target:
            continue
        variants = []
        for lang, text, context in (
            (alignment.source_lang, pair.source, pair.source_context),
            (alignment.target_lang, pair.target, pair.target_context),
        ):
            props = [{"type": CONTEXT_PROP, "value": context}] if context else []
            variants.append(VariantRecord(lang_tag=lang, text=text, context_prev=context, props=props))
        props = [
            {"type": "x-align-source", "value": f"{source_name} #{','.join(map(str, pair.source_sentences))}"},
            {"type": "x-align-target", "value": f"{target_name} #{','.join(map(str, pair.target_sentences))}"},
            {"type": "x-align-kind", "value": pair.kind},
            {"type": "x-align-confidence", "value": f"{pair.confidence:.3f}"},
        ]
        records.append(UnitRecord(variants=variants, srclang=alignment.source_lang, props=props))
    return records
