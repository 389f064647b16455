"""Counts of what the store holds."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from nato_tm.store.db import Database
from nato_tm.store.models import Base, Concept, Term, Unit, Variant


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

        def count(model: type[Base]) -> int:
            return s.scalar(select(func.count()).select_from(model)) or 0

        return Stats(concepts=count(Concept), terms=count(Term), units=count(Unit), variants=count(Variant))
