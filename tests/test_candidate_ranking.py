"""Candidate ranking by class equals ranking each candidate on its own.

``memory_candidates`` ranks candidates by classes of (length, overlap) because thousands of
candidates share a few hundred classes. The definition it must keep is the per-candidate one below:
a candidate's bound is its overlap plus the keys it was not checked against, over the longer
length; those that can reach t are ordered by bound, then overlap, then id, and the first
MAX_CANDIDATES kept. Ties at the cut are the case that matters (ids decide among equal bounds).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nato_tm.store import memory_candidates as mc


def _reference(total: dict[int, int], n: int, lo: int, slack: list[int], t: float) -> list[tuple[int, int]]:
    ranked = []
    for key, c in total.items():
        ntok, vid = key & mc.NTOK_MASK, key >> mc.NTOK_BITS
        num = min(c + slack[ntok - lo], ntok, n)
        den = max(n, ntok)
        if num >= (t - 1e-9) * den:
            ranked.append((-num / den, -c, vid, mc.score_bound(num, den)))
    ranked.sort()
    return [(bound, vid) for *_, vid, bound in ranked]


Case = tuple[dict[int, int], int, int, list[int], float]  # candidates, n, lo, slack by length, t


@st.composite
def _cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 12))
    t = draw(st.sampled_from([0.5, 0.6, 0.75, 0.9, 1.0]))
    lo, hi = math.ceil(t * n - 1e-9), math.floor(n / t + 1e-9)
    lengths = st.integers(max(lo, 1), max(hi, 1))
    slack = draw(st.lists(st.integers(0, n), min_size=hi - lo + 1, max_size=hi - lo + 1))
    cands = draw(st.dictionaries(st.integers(1, 400), st.tuples(lengths, st.integers(1, n)), max_size=120))
    total = {(vid << mc.NTOK_BITS) | ntok: c for vid, (ntok, c) in cands.items()}
    return total, n, lo, slack, t


@pytest.mark.parametrize("cap", [5, 40, 1500])
@settings(max_examples=150, deadline=None)
@given(case=_cases())
def test_ranking_by_class_is_the_per_candidate_ranking(
    cap: int, case: tuple[dict[int, int], int, int, list[int], float]
) -> None:
    total, n, lo, slack, t = case
    original = mc.MAX_CANDIDATES
    mc.MAX_CANDIDATES = cap  # small caps put the cut among tied candidates
    try:
        least = mc._least(n, lo, slack, t)
        want = _reference(total, n, lo, slack, t)
        assert mc._over_cap(total, lo, least) == (len(want) > cap)
        assert mc._rank(total, n, lo, slack, least) == want[:cap]
    finally:
        mc.MAX_CANDIDATES = original


def test_bounds_keep_exactly_the_candidates_that_can_reach_t() -> None:
    # n = 4, t = 0.75: lengths 3..5. Slack 0 everywhere: a candidate passes on its overlap alone.
    total = {
        (1 << mc.NTOK_BITS) | 4: 4,  # 4/4: passes, bound 101
        (2 << mc.NTOK_BITS) | 4: 3,  # 3/4: passes, bound 75
        (3 << mc.NTOK_BITS) | 5: 3,  # 3/5: fails
        (4 << mc.NTOK_BITS) | 3: 3,  # 3/4 (the query is longer): passes, bound 75
        (5 << mc.NTOK_BITS) | 3: 2,  # 2/4: fails
    }
    least = mc._least(4, 3, [0, 0, 0], 0.75)
    assert least == [3, 3, 4]  # 3 shared keys at lengths 3 and 4; at 5, all 4 of the query (4/5 >= 0.75)
    assert mc._rank(total, 4, 3, [0, 0, 0], least) == [(101, 1), (75, 2), (75, 4)]


def test_tied_classes_at_the_cut_compete_by_id(monkeypatch: pytest.MonkeyPatch) -> None:
    # n = 4: a 3-key candidate sharing 3 keys and a 4-key one sharing 3 are both 3/4, tied; the cut
    # at 5 must take the 5 lowest ids across both lengths, not fill up from one length first.
    monkeypatch.setattr(mc, "MAX_CANDIDATES", 5)
    total = {(vid << mc.NTOK_BITS) | (3 if vid % 2 else 4): 3 for vid in range(1, 30)}
    least = mc._least(4, 3, [0, 0, 0], 0.75)
    assert mc._over_cap(total, 3, least)
    assert mc._rank(total, 4, 3, [0, 0, 0], least) == [(75, vid) for vid in range(1, 6)]
