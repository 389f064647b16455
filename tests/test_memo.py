"""The bounded per-language memos behind the per-token hot paths (text.memo)."""

from __future__ import annotations

import hashlib

from nato_tm.store.memory_index import occurrence_hashes, token_hash
from nato_tm.text.memo import LangMemo
from nato_tm.text.pipeline import stem, tokenize


class Upper(LangMemo[str]):
    LIMIT = 3

    def __init__(self, lang: str) -> None:
        super().__init__(lang)
        self.computed: list[str] = []

    def compute(self, key: str) -> str:
        self.computed.append(key)
        return f"{self.lang}:{key.upper()}"


def test_a_memo_computes_a_key_once_and_starts_again_empty_when_full() -> None:
    memo = Upper("fr")
    assert [memo["otan"], memo["emi"], memo["otan"]] == ["fr:OTAN", "fr:EMI", "fr:OTAN"]
    assert memo.computed == ["otan", "emi"]
    memo["cmi"]
    assert len(memo) == 3
    assert memo["pfp"] == "fr:PFP"  # a fourth key: the memo was full, so it holds that one alone
    assert dict(memo) == {"pfp": "fr:PFP"}
    assert memo["otan"] == "fr:OTAN" and memo.computed[-1] == "otan"


def test_the_token_hash_memo_gives_the_stored_hash_of_each_language() -> None:
    def blake(lang: str, key: str) -> int:
        digest = hashlib.blake2b(f"{lang}\x1f{key}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    for lang, key in [("fr", "sécur"), ("en", "sécur"), ("fr", "#num"), ("en", "strateg")]:
        assert token_hash(lang, key) == blake(lang, key)
    assert token_hash("fr", "coopér") != token_hash("en", "coopér")
    assert occurrence_hashes("fr", ["comit", "comit"]) == [blake("fr", "comit"), blake("fr", "comit\x1e2")]


def test_the_token_memo_derives_the_keys_of_the_seed_articles_words() -> None:
    toks = {t.text: t for t in tokenize("Le Comité militaire de l’OTAN et la SÉCURITÉ coopérative.", "fr")}
    assert (toks["Comité"].fold, toks["Comité"].base, toks["Comité"].kind) == ("comité", "comite", "word")
    assert toks["SÉCURITÉ"].stem == stem("securite", "fr") == tokenize("sécurité", "fr")[0].stem
    assert toks["l'"].kind == "elision" and toks["."].kind == "punct"
