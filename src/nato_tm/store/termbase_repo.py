"""Save and load concepts: records in, rows out, with the pipeline's keys on every term."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from nato_tm.formats.records import ConceptRecord, LangRecord, TermRecord
from nato_tm.store.base import utcnow
from nato_tm.store.termbase import Concept, LangSection, Term
from nato_tm.text.pipeline import fold_key, match_key, primary_lang, stem_key

# Acronyms and abbreviations (EMI, IMS, OTAN) are case-sensitive unless a record says otherwise.
CASE_SENSITIVE_TYPES = ("acronym", "abbreviation")
TERM_FIELDS = (
    "text",
    "lang_tag",
    "term_type",
    "status",
    "part_of_speech",
    "gender",
    "geographical_usage",
    "context",
    "context_source",
    "reliability",
    "case_sensitive",
    "note",
    "source",
    "extra",
)
LANG_FIELDS = ("definition", "definition_source", "note", "extra")


def content_id(rec: ConceptRecord) -> str:
    """A stable id for a concept without one, from its terms' languages and texts."""
    parts = sorted(f"{primary_lang(t.lang_tag)}\t{t.text}" for lang in rec.langs for t in lang.terms)
    return "c-" + hashlib.sha1("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def default_case_sensitive(term_type: str) -> bool:
    """Whether a term of this type matches case-sensitively when its record does not say."""
    return term_type in CASE_SENSITIVE_TYPES


def _merged_langs(rec: ConceptRecord) -> list[LangRecord]:
    """One section per primary language: fr and fr-CA sections of one concept share a row."""
    by_lang: dict[str, LangRecord] = {}
    for lang in rec.langs:
        key = primary_lang(lang.lang_tag)
        if key not in by_lang:
            extra = dict(lang.extra)
            if lang.lang_tag != key:
                extra["lang_tag"] = lang.lang_tag
            by_lang[key] = LangRecord(key, lang.definition, lang.definition_source, lang.note, list(lang.terms), extra)
            continue
        first = by_lang[key]
        first.terms.extend(lang.terms)
        if any((lang.definition, lang.definition_source, lang.note, lang.extra)):
            first.extra.setdefault("sections", []).append(
                {"lang_tag": lang.lang_tag, "definition": lang.definition, "note": lang.note, "extra": lang.extra}
            )
    return list(by_lang.values())  # the file's order, which the terms' stored order keeps


def term_state(t: TermRecord) -> dict[str, Any]:
    """A term record's stored fields, with the default case rule applied."""
    state = {name: getattr(t, name) for name in TERM_FIELDS}
    if state["case_sensitive"] is None:
        state["case_sensitive"] = default_case_sensitive(t.term_type)
    return state


def record_state(rec: ConceptRecord) -> dict[str, Any]:
    """Everything a record would store, in a comparable shape."""
    langs = _merged_langs(rec)
    return {
        "subject_fields": list(rec.subject_fields),
        "note": rec.note,
        "source": rec.source,
        "extra": dict(rec.extra),
        # Sections compare in language order, as the relationship loads them.
        "langs": sorted((lang.lang_tag, *(getattr(lang, f) for f in LANG_FIELDS)) for lang in langs),
        "terms": [term_state(t) for lang in langs for t in lang.terms],
    }


def term_keys(text: str, lang: str) -> dict[str, str]:
    """The pipeline's three keys of a term: case-folded, case- and accent-folded, stemmed."""
    return {"key_fold": fold_key(text, lang), "key_base": match_key(text, lang), "key_stem": stem_key(text, lang)}


def term_row(state: dict[str, Any]) -> Term:
    """A Term row from a term state, with the pipeline's three keys."""
    lang = primary_lang(state["lang_tag"])
    return Term(lang=lang, **term_keys(state["text"], lang), **state)


def fill(concept: Concept, state: dict[str, Any]) -> None:
    """Replace a concept's fields, sections and terms by those of a state."""
    concept.subject_fields = state["subject_fields"]
    concept.note = state["note"]
    concept.source = state["source"]
    concept.extra = state["extra"]
    # Sections are changed in place: a delete-and-insert would trip the (concept, lang) unique key.
    sections = {s.lang: s for s in concept.langs}
    kept = []
    for lang, d, ds, n, x in state["langs"]:
        sec = sections.get(lang) or LangSection(lang=lang)
        sec.definition, sec.definition_source, sec.note, sec.extra = d, ds, n, x
        kept.append(sec)
    concept.langs = kept
    concept.terms = [term_row(t) for t in state["terms"]]


def load(session: Session, ids: Iterable[str]) -> dict[str, Concept]:
    """The stored concepts with these ids, sections and terms loaded in two queries."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    query = (
        select(Concept).where(Concept.id.in_(wanted)).options(selectinload(Concept.langs), selectinload(Concept.terms))
    )
    return {c.id: c for c in session.scalars(query)}


def stored_states(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The states of the stored concepts among ``ids``, read in three plain queries (no ORM objects)."""
    states: dict[str, dict[str, Any]] = {}
    for cid, fields_, note, source, extra in session.execute(
        select(Concept.id, Concept.subject_fields, Concept.note, Concept.source, Concept.extra).where(
            Concept.id.in_(ids)
        )
    ):
        states[cid] = {
            "subject_fields": list(fields_ or []),
            "note": note,
            "source": source,
            "extra": dict(extra or {}),
        }
        states[cid].update(langs=[], terms=[])
    if not states:
        return states
    sec_cols = (LangSection.lang, LangSection.definition, LangSection.definition_source, LangSection.note)
    for cid, lang, d, ds, n, x in session.execute(
        select(LangSection.concept_id, *sec_cols, LangSection.extra).where(LangSection.concept_id.in_(list(states)))
    ):
        states[cid]["langs"].append((lang, d, ds, n, dict(x or {})))
    term_cols = [getattr(Term, name) for name in TERM_FIELDS]
    query = select(Term.concept_id, *term_cols).where(Term.concept_id.in_(list(states))).order_by(Term.id)
    for cid, *values in session.execute(query):
        states[cid]["terms"].append(dict(zip(TERM_FIELDS, values, strict=True)))
    for state in states.values():
        state["langs"].sort(key=lambda sec: sec[0])
        for term in state["terms"]:
            term["extra"] = dict(term["extra"] or {})
    return states


def _insert(session: Session, states: dict[str, dict[str, Any]]) -> None:
    """Insert new concepts with plain multi-row INSERTs: a 50,000-term base must not build ORM objects."""
    if not states:
        return
    now = utcnow()
    concepts, sections, terms = [], [], []
    for cid, st in states.items():
        concepts.append(
            {"id": cid, "subject_fields": st["subject_fields"], "note": st["note"], "source": st["source"]}
            | {"extra": st["extra"], "created_at": now, "updated_at": now}
        )
        for lang, d, ds, n, x in st["langs"]:
            sections.append(
                {"concept_id": cid, "lang": lang, "definition": d, "definition_source": ds, "note": n, "extra": x}
            )
        for term in st["terms"]:
            lang = primary_lang(term["lang_tag"])
            terms.append({"concept_id": cid, "lang": lang} | term_keys(term["text"], lang) | term)
    session.execute(insert(Concept), concepts)
    session.execute(insert(LangSection), sections)
    if terms:
        session.execute(insert(Term), terms)


def save_concepts(session: Session, records: list[ConceptRecord]) -> list[str]:
    """Upsert concepts by id; return "added", "updated" or "unchanged" for each record, in order."""
    for rec in records:
        if rec.id is None:
            rec.id = content_id(rec)
    ids = list({r.id for r in records if r.id is not None})
    session.flush()  # earlier ORM changes must be visible to the plain queries below
    stored = stored_states(session, ids)
    added: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    outcomes = []
    for rec in records:
        cid, state = rec.id or "", record_state(rec)
        before = added.get(cid) or stored.get(cid)
        if before == state:
            outcomes.append("unchanged")
            continue
        outcomes.append("added" if before is None else "updated")
        if before is None or cid in added:
            added[cid] = state  # a later line of the same batch may change a concept added by an earlier one
        else:
            changed[cid] = stored[cid] = state
    _insert(session, added)
    for cid, concept in load(session, changed).items():
        fill(concept, changed[cid])
    session.flush()
    return outcomes


def to_record(concept: Concept) -> ConceptRecord:
    """A stored concept as an exchange record (sections in language order, terms in stored order)."""
    langs = []
    # Sections in the order their terms were saved (the file's order), not alphabetical order.
    first = {t.lang: i for i, t in reversed(list(enumerate(concept.terms)))}
    for sec in sorted(concept.langs, key=lambda s: (first.get(s.lang, len(first)), s.lang)):
        extra = dict(sec.extra or {})
        tag = extra.pop("lang_tag", sec.lang)
        terms = [
            TermRecord(**{name: getattr(t, name) for name in TERM_FIELDS}) for t in concept.terms if t.lang == sec.lang
        ]
        langs.append(LangRecord(tag, sec.definition, sec.definition_source, sec.note, terms, extra))
    return ConceptRecord(
        id=concept.id,
        subject_fields=list(concept.subject_fields or []),
        note=concept.note,
        source=concept.source,
        langs=langs,
        extra=dict(concept.extra or {}),
    )


def iter_records(session: Session, batch: int = 500) -> Iterator[ConceptRecord]:
    """Every stored concept as a record, in id order (code-point order on every backend), a batch at a time."""
    # Sorted here, not by the database: PostgreSQL collations would order ids differently from SQLite.
    ids = sorted(session.scalars(select(Concept.id)))
    for at in range(0, len(ids), batch):
        chunk = ids[at : at + batch]
        found = load(session, chunk)
        for cid in chunk:
            yield to_record(found[cid])
        session.expunge_all()  # keep memory flat on large bases
