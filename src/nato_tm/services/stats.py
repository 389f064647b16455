"""Counts of what the store holds."""

from __future__ import annotations

from dataclasses import dataclass

from nato_tm.store.base import row_count
from nato_tm.store.db import Database
from nato_tm.store.models import Concept, Term, Unit, Variant


@dataclass
class Stats:
    """How many concepts, terms, translation units and variants the store holds."""

    concepts: int
    terms: int
    units: int
    variants: int


def stats(db: Database) -> Stats:
    """Count the store's contents."""
    with db.session() as s:
        concepts, terms, units, variants = (row_count(s, model) for model in (Concept, Term, Unit, Variant))
        return Stats(concepts=concepts, terms=terms, units=units, variants=variants)
