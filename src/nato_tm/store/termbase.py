"""Term base models: concept-oriented, as in TBX (concept -> language section -> term)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nato_tm.store.base import Base, utcnow

TERM_TYPES = ("fullForm", "acronym", "abbreviation", "shortForm", "variant", "phrase")
STATUSES = ("preferred", "admitted", "deprecated", "superseded")


class Concept(Base):
    """A concept: one meaning, with its terms in each language."""

    __tablename__ = "concept"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    subject_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    # Fields of the exchange formats that the model does not name, kept so that nothing is lost.
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    langs: Mapped[list[LangSection]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="LangSection.lang"
    )
    terms: Mapped[list[Term]] = relationship(back_populates="concept", cascade="all, delete-orphan", order_by="Term.id")


class LangSection(Base):
    """What a concept says in one language: its definition and notes."""

    __tablename__ = "lang_section"
    __table_args__ = (UniqueConstraint("concept_id", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[str] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    definition: Mapped[str | None] = mapped_column(Text)
    definition_source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    concept: Mapped[Concept] = relationship(back_populates="langs")


class Term(Base):
    """One designation of a concept in one language, with its keys derived by the text pipeline."""

    __tablename__ = "term"
    __table_args__ = (
        Index("ix_term_lang_key_base", "lang", "key_base"),
        Index("ix_term_lang_key_stem", "lang", "key_stem"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concept_id: Mapped[str] = mapped_column(ForeignKey("concept.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    lang_tag: Mapped[str] = mapped_column(String(35))
    text: Mapped[str] = mapped_column(Text)
    term_type: Mapped[str] = mapped_column(String(20), default="fullForm")
    status: Mapped[str] = mapped_column(String(20), default="preferred")
    part_of_speech: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(20))
    geographical_usage: Mapped[str | None] = mapped_column(String(35))
    context: Mapped[str | None] = mapped_column(Text)
    context_source: Mapped[str | None] = mapped_column(Text)
    reliability: Mapped[int | None] = mapped_column(Integer)
    case_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    key_fold: Mapped[str] = mapped_column(String(1000), default="")
    key_base: Mapped[str] = mapped_column(String(1000), default="")
    key_stem: Mapped[str] = mapped_column(String(1000), default="")

    concept: Mapped[Concept] = relationship(back_populates="terms")
