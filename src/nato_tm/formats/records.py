"""Format-neutral records that readers yield and writers consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class TermRecord:
    """A term as an exchange file states it."""

    text: str
    lang_tag: str
    term_type: str = "fullForm"
    status: str = "preferred"
    part_of_speech: str | None = None
    gender: str | None = None
    geographical_usage: str | None = None
    context: str | None = None
    context_source: str | None = None
    reliability: int | None = None
    case_sensitive: bool | None = None  # None: the default for the term type
    note: str | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LangRecord:
    """A concept's language section."""

    lang_tag: str
    definition: str | None = None
    definition_source: str | None = None
    note: str | None = None
    terms: list[TermRecord] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConceptRecord:
    """A concept entry with its language sections."""

    id: str | None
    subject_fields: list[str] = field(default_factory=list)
    note: str | None = None
    source: str | None = None
    langs: list[LangRecord] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    line: int | None = None  # where it starts in its file, for error reports


@dataclass
class VariantRecord:
    """One language version of a translation unit."""

    lang_tag: str
    text: str  # plain text, inline tags removed
    markup: str | None = None  # inner XML of the segment when it has inline tags
    context_prev: str | None = None  # the previous segment's text, for context matches
    created_at: datetime | None = None
    created_by: str | None = None
    changed_at: datetime | None = None
    changed_by: str | None = None
    props: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class UnitRecord:
    """A translation unit with its variants and metadata."""

    variants: list[VariantRecord]
    tuid: str | None = None
    srclang: str | None = None
    origin: str = ""
    created_at: datetime | None = None
    created_by: str | None = None
    changed_at: datetime | None = None
    changed_by: str | None = None
    usage_count: int = 0
    last_used_at: datetime | None = None
    props: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    line: int | None = None


@dataclass
class Skipped:
    """An entry a reader could not use, and why."""

    where: str
    reason: str
