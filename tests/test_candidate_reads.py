"""A forced key is counted the same whether its postings are read or probed candidate by candidate.

Past the candidate cap, ``memory_candidates`` counts one more query key for the candidates it has.
On SQLite it either reads the key's postings in the length range or, when the candidates are few
next to the key's document frequency, seeks each candidate in the key's postings. Both must give
the same counts, for every key and length range, on the seed memory and its real sentences.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nato_tm.store import memory_candidates as mc
from nato_tm.store.db import Database


def _posted(db: Database) -> dict[int, set[int]]:
    """Packed (variant id, length) candidates of every posting hash of the seed memory."""
    out: dict[int, set[int]] = {}
    with db.session() as s:
        for h, ntok, vid in s.execute(text("SELECT token_hash, ntok, variant_id FROM tm_posting")):
            out.setdefault(h, set()).add((vid << mc.NTOK_BITS) | ntok)
    return out


@pytest.mark.parametrize("ratio", [0, 10**9], ids=["probe", "read"])
def test_a_forced_key_counts_exactly_the_candidates_posted_under_it(
    db: Database, ratio: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mc, "PROBE_RATIO", ratio)  # 0: probe wherever SQLite can; huge: always read
    posted = _posted(db)
    common = sorted(posted, key=lambda h: -len(posted[h]))[:12]
    assert len(posted[common[0]]) >= 20, "the seed memory has common keys"
    everyone = set().union(*posted.values())
    checked = 0
    with db.session() as s:
        for h in common:
            for lo, hi in [(1, 1000), (3, 12), (8, 9)]:
                # Candidates come from reads of the same length range: a third of the variants in it.
                total = dict.fromkeys([k for k in sorted(everyone) if lo <= k & mc.NTOK_MASK <= hi][::3], 1)
                mc._add_key(s, total, h, len(posted[h]), lo, hi)
                assert total == {k: 2 if k in posted[h] else 1 for k in total}
                checked += sum(c == 2 for c in total.values())
    assert checked > 50
