"""Read, create, change and delete concepts and single terms (what the API's CRUD endpoints call).

Documents have the shape of term search results: ``terms`` and ``definition`` keyed by language,
each term with ``type`` and ``status``; ``langs`` adds every field of each language section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from nato_tm.errors import Conflict, InvalidInput, NotFound
from nato_tm.formats.records import ConceptRecord, LangRecord, TermRecord
from nato_tm.formats.xmlsafe import not_xml
from nato_tm.store.db import Database
from nato_tm.store.termbase import STATUSES, TERM_TYPES, Concept, LangSection, Term
from nato_tm.store.termbase_repo import content_id, fill, record_state, term_row, term_state
from nato_tm.text.pipeline import LANGS, primary_lang


@dataclass
class TermDoc:
    """A term with every field."""

    id: int
    text: str
    lang: str
    lang_tag: str
    type: str
    status: str
    part_of_speech: str | None
    gender: str | None
    geographical_usage: str | None
    context: str | None
    context_source: str | None
    reliability: int | None
    case_sensitive: bool
    note: str | None
    source: str | None
    extra: dict[str, Any]


@dataclass
class LangDoc:
    """What a concept says in one language, besides its terms."""

    lang: str
    definition: str | None
    definition_source: str | None
    note: str | None
    extra: dict[str, Any]


@dataclass
class ConceptDoc:
    """A concept with its language sections and its terms per language."""

    id: str
    subject_fields: list[str]
    note: str | None
    source: str | None
    definition: dict[str, str | None]
    terms: dict[str, list[TermDoc]]
    langs: list[LangDoc]
    extra: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


def term_doc(t: Term) -> TermDoc:
    """The document of a stored term."""
    names = {f.name for f in fields(TermDoc)} - {"type"}
    return TermDoc(type=t.term_type, **{n: getattr(t, n) for n in names})


def concept_doc(c: Concept) -> ConceptDoc:
    """The document of a stored concept (sections and terms loaded)."""
    terms: dict[str, list[TermDoc]] = {s.lang: [] for s in c.langs}
    for t in c.terms:
        terms.setdefault(t.lang, []).append(term_doc(t))
    return ConceptDoc(
        id=c.id,
        subject_fields=list(c.subject_fields or []),
        note=c.note,
        source=c.source,
        definition={s.lang: s.definition for s in c.langs},
        terms=terms,
        langs=[LangDoc(s.lang, s.definition, s.definition_source, s.note, dict(s.extra or {})) for s in c.langs],
        extra=dict(c.extra or {}),
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def check_term(t: TermRecord, where: str = "term") -> None:
    """Refuse a term the model cannot hold, naming the faulty field (InvalidInput)."""
    if not t.text or not t.text.strip():
        raise InvalidInput(f"{where}: the text is empty", param="text")
    if primary_lang(t.lang_tag) not in LANGS:
        raise InvalidInput(f"{where}: unknown language {t.lang_tag!r} (fr or en)", param="lang")
    if t.term_type not in TERM_TYPES:
        raise InvalidInput(f"{where}: type must be one of {', '.join(TERM_TYPES)}", param="type")
    if t.status not in STATUSES:
        raise InvalidInput(f"{where}: status must be one of {', '.join(STATUSES)}", param="status")
    if t.reliability is not None and t.reliability not in (1, 2, 3, 4):
        raise InvalidInput(f"{where}: reliability is 1 to 4 (IATE scale)", param="reliability")
    for name in ("text", "note", "source", "context", "context_source", "part_of_speech", "gender"):
        value = getattr(t, name)
        if isinstance(value, str) and (bad := not_xml(value)):  # TBX could never carry it
            raise InvalidInput(f"{where}: {name} holds the control character {bad}", param=name)


def check_record(rec: ConceptRecord) -> None:
    """Refuse a concept without terms or with a term the model cannot hold."""
    terms = [t for lang in rec.langs for t in lang.terms]
    if not terms:
        raise InvalidInput("a concept needs at least one term", param="terms")
    for lang in rec.langs:
        if primary_lang(lang.lang_tag) not in LANGS:
            raise InvalidInput(f"unknown language {lang.lang_tag!r} (fr or en)", param="lang")
        for t in lang.terms:
            check_term(t, f"term {t.text!r}")
        for name in ("definition", "definition_source", "note"):
            value = getattr(lang, name)
            if isinstance(value, str) and (bad := not_xml(value)):
                raise InvalidInput(f"{lang.lang_tag} {name} holds the control character {bad}", param=name)
    for value in (rec.note, rec.source, *rec.subject_fields):
        if isinstance(value, str) and (bad := not_xml(value)):
            raise InvalidInput(f"the concept holds the control character {bad}", param="note")


def _load(session: Session, cid: str) -> Concept:
    query = select(Concept).where(Concept.id == cid).options(selectinload(Concept.langs), selectinload(Concept.terms))
    concept = session.scalars(query).first()
    if concept is None:
        raise NotFound(f"no concept {cid!r}", param="concept_id")
    return concept


def get_concept(db: Database, cid: str) -> ConceptDoc:
    """One concept with everything it holds; NotFound when there is none."""
    with db.session() as session:
        return concept_doc(_load(session, cid))


def create_concept(db: Database, rec: ConceptRecord) -> ConceptDoc:
    """Store a new concept (an id is derived from its terms when it has none); Conflict if the id exists."""
    check_record(rec)
    cid = rec.id or content_id(rec)

    def work(session: Session) -> ConceptDoc:
        if session.get(Concept, cid) is not None:
            raise Conflict(f"concept {cid!r} already exists", param="id")
        concept = Concept(id=cid)
        fill(concept, record_state(rec))
        session.add(concept)
        session.flush()
        return concept_doc(_load(session, cid))

    # A concurrent create of the same id is run again, and then answers Conflict.
    return db.write(work)


def update_concept(db: Database, cid: str, rec: ConceptRecord) -> ConceptDoc:
    """Replace a concept's fields, sections and terms; NotFound if it does not exist."""
    if rec.id not in (None, cid):
        raise InvalidInput(f"the record's id {rec.id!r} is not {cid!r}", param="id")
    check_record(rec)
    with db.session(write=True) as session:
        concept = _load(session, cid)
        fill(concept, record_state(rec))
        session.flush()
        session.expire(concept)
        return concept_doc(_load(session, cid))


def delete_concept(db: Database, cid: str) -> None:
    """Delete a concept with its sections and terms; NotFound if it does not exist."""
    with db.session(write=True) as session:
        session.delete(_load(session, cid))


def add_term(db: Database, cid: str, term: TermRecord) -> TermDoc:
    """Add a term to a concept (its language section is created if needed); Conflict on a duplicate."""
    check_term(term)
    lang = primary_lang(term.lang_tag)

    def work(session: Session) -> TermDoc:
        concept = _load(session, cid)
        if any(t.lang == lang and t.text == term.text for t in concept.terms):
            raise Conflict(f"concept {cid!r} already has the {lang} term {term.text!r}", param="text")
        if not any(s.lang == lang for s in concept.langs):
            concept.langs.append(LangSection(lang=lang, extra={}))
        row = term_row(term_state(term))
        concept.terms.append(row)
        session.flush()
        return term_doc(row)

    # Run again if a concurrent writer created the same language section first (unique key).
    return db.write(work)


def _term(concept: Concept, term_id: int) -> Term:
    for t in concept.terms:
        if t.id == term_id:
            return t
    raise NotFound(f"concept {concept.id!r} has no term {term_id}", param="term_id")


def update_term(db: Database, cid: str, term_id: int, term: TermRecord) -> TermDoc:
    """Replace every field of one term; NotFound if the concept or the term does not exist."""
    check_term(term)
    with db.session(write=True) as session:
        concept = _load(session, cid)
        old = _term(concept, term_id)
        new = term_row(term_state(term))
        for name in ("lang", "key_fold", "key_base", "key_stem", *term_state(term)):
            setattr(old, name, getattr(new, name))
        if not any(s.lang == old.lang for s in concept.langs):
            concept.langs.append(LangSection(lang=old.lang, extra={}))
        session.flush()
        return term_doc(old)


def delete_term(db: Database, cid: str, term_id: int) -> None:
    """Delete one term; a concept keeps at least one term (Conflict: delete the concept instead)."""
    with db.session(write=True) as session:
        concept = _load(session, cid)
        term = _term(concept, term_id)
        if len(concept.terms) == 1:
            raise Conflict(f"{term.text!r} is the last term of {cid!r}; delete the concept instead", param="term_id")
        concept.terms.remove(term)


def _opt(data: Mapping[str, Any], key: str) -> Any:
    value = data.get(key)
    if isinstance(value, (Mapping, list)):  # a field is a single value, never a structure
        raise InvalidInput(f"'{key}' must be a single value, not {type(value).__name__}", param=key)
    return value if value not in ("", None) else None


def _mapping(value: Any, param: str) -> dict[str, Any]:
    """A JSON object field (absent: empty); anything else is InvalidInput naming it."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"'{param}' must be an object", param=param)
    return dict(value)


def _listed(value: Any, param: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"'{param}' maps a language to a list of terms", param=param)
    return value


def term_record(data: Mapping[str, Any], lang: str | None = None) -> TermRecord:
    """A term record from a JSON object (the TermDoc field names; ``type`` or ``term_type``)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("a term is an object with 'text' and 'lang'", param="terms")
    text = data.get("text")
    tag = data.get("lang_tag") or data.get("lang") or lang
    if not isinstance(text, str) or not isinstance(tag, str):
        raise InvalidInput("a term needs 'text' and 'lang'", param="text")
    reliability = _opt(data, "reliability")
    if reliability is not None and not isinstance(reliability, int):
        raise InvalidInput("reliability is a number from 1 to 4", param="reliability")
    case = data.get("case_sensitive")
    rec = TermRecord(
        text=text,
        lang_tag=tag,
        term_type=data.get("type") or data.get("term_type") or "fullForm",
        status=data.get("status") or "preferred",
        reliability=reliability,
        case_sensitive=case if isinstance(case, bool) else None,
        extra=_mapping(data.get("extra"), "extra"),
    )
    for name in ("part_of_speech", "gender", "geographical_usage", "context", "context_source", "note", "source"):
        setattr(rec, name, _opt(data, name))
    check_term(rec)
    return rec


def concept_record(data: Mapping[str, Any]) -> ConceptRecord:
    """A concept record from a JSON object shaped like ConceptDoc (``terms`` and ``definition`` by language)."""
    terms = data.get("terms") or {}
    if not isinstance(terms, Mapping):
        raise InvalidInput("'terms' maps a language to a list of terms", param="terms")
    definitions = _mapping(data.get("definition"), "definition")
    given = data.get("langs") or []
    sections = {s.get("lang"): s for s in (given if isinstance(given, list) else []) if isinstance(s, Mapping)}
    langs = []
    for lang in sorted(set(terms) | set(definitions), key=lambda x: (x != "fr", x)):
        sec = sections.get(lang, {})
        langs.append(
            LangRecord(
                lang_tag=lang,
                definition=_opt(definitions, lang) or _opt(sec, "definition"),
                definition_source=_opt(sec, "definition_source"),
                note=_opt(sec, "note"),
                terms=[term_record(t, lang) for t in _listed(terms.get(lang), "terms")],
                extra=_mapping(sec.get("extra"), "extra"),
            )
        )
    fields_ = data.get("subject_fields") or []
    rec = ConceptRecord(
        id=_opt(data, "id"),
        subject_fields=[str(f) for f in fields_] if isinstance(fields_, list) else [str(fields_)],
        note=_opt(data, "note"),
        source=_opt(data, "source"),
        langs=langs,
        extra=_mapping(data.get("extra"), "extra"),
    )
    check_record(rec)
    return rec
