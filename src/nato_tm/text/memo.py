"""Bounded per-language memos: a plain dict lookup per key, for the per-token hot paths.

An lru_cache builds and hashes a key tuple on every call, which costs more than the lookup itself
where it runs once per token. A memo here is a dict that computes what it lacks and, when full,
starts again empty (vocabularies are small next to the text: a refill is cheap).
"""

from __future__ import annotations

from typing import TypeVar

V = TypeVar("V")


class LangMemo(dict[str, V]):
    """What ``compute`` gives for each key of one language, kept up to LIMIT keys."""

    LIMIT = 200_000

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def compute(self, key: str) -> V:
        """The value of ``key`` in this memo's language (subclasses define it)."""
        raise NotImplementedError

    def __missing__(self, key: str) -> V:
        value = self.compute(key)
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = value
        return value
