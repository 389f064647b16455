"""Translation-memory models: a unit holds variants per language, as a TMX tu holds tuvs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nato_tm.store.base import Base, utcnow


class Unit(Base):
    """A translation unit, keyed on its content so that re-importing adds nothing."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tuid: Mapped[str | None] = mapped_column(String(200), index=True)
    origin: Mapped[str] = mapped_column(String(200), default="", index=True)
    srclang: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime | None] = mapped_column()
    changed_by: Mapped[str | None] = mapped_column(String(200))
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column()
    # TMX props as [{"type", "value", "lang"?}] and notes as [{"text", "lang"?}]: order kept.
    props: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    notes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # Other tu attributes (datatype, segtype, o-tmf, ...), kept for export.
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="Variant.id"
    )


class Variant(Base):
    """One language version of a unit (a TMX tuv)."""

    __tablename__ = "variant"
    __table_args__ = (Index("ix_variant_lang_key_hash", "lang", "key_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    lang_tag: Mapped[str] = mapped_column(String(35))
    text: Mapped[str] = mapped_column(Text)  # plain text, inline tags removed
    markup: Mapped[str | None] = mapped_column(Text)  # the seg's inner XML when it had inline tags
    key_hash: Mapped[str] = mapped_column(String(64), default="")  # hash of the pipeline's match key
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # the previous segment's key, for context
    created_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime | None] = mapped_column()
    changed_by: Mapped[str | None] = mapped_column(String(200))
    props: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    notes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    unit: Mapped[Unit] = relationship(back_populates="variants")
