"""Every model, imported together so that the metadata (and Alembic) sees all tables."""

from nato_tm.store.accounts import ApiToken, User
from nato_tm.store.base import Base
from nato_tm.store.memory import Unit, Variant
from nato_tm.store.memory_index import TmEntry, TmPosting, TmVocab
from nato_tm.store.revision import StoreRevision
from nato_tm.store.termbase import Concept, LangSection, Term

__all__ = [
    "ApiToken",
    "Base",
    "Concept",
    "LangSection",
    "StoreRevision",
    "Term",
    "TmEntry",
    "TmPosting",
    "TmVocab",
    "Unit",
    "User",
    "Variant",
]
