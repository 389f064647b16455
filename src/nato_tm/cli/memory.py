"""Translation-memory commands: align, lookup, concordance."""

from __future__ import annotations

import os

import click

from nato_tm.cli.base import atomic_output, db_option, emit, json_option, state
from nato_tm.formats import tmx_write
from nato_tm.services.align import Alignment, align_files, to_records
from nato_tm.services.concordance import ConcordanceResult, concordance
from nato_tm.services.tm_lookup import LookupResult, Match, lookup


def _print_alignment(doc: Alignment) -> None:
    click.echo(
        f"{doc.source_sentences} {doc.source_lang} and {doc.target_sentences} {doc.target_lang} sentences, "
        f"{len(doc.pairs)} pairs, {len(doc.weak)} weak (term-base forms used: {doc.terms_used})"
    )
    for k in doc.weak:
        pair = doc.pairs[k]
        click.echo(f"  weak pair {k + 1} ({pair.kind}, confidence {pair.confidence:.2f}):")
        click.echo(f"    {doc.source_lang}: {pair.source or '(nothing)'}")
        click.echo(f"    {doc.target_lang}: {pair.target or '(nothing)'}")


def _write_tmx(doc: Alignment, output: str, source: str, target: str, notes: tuple[str, ...]) -> int:
    records = to_records(doc, os.path.basename(source), os.path.basename(target))
    header_notes = [{"text": n} for n in notes] + [
        {"text": f"Aligned by nato-tm align from {os.path.basename(source)} and {os.path.basename(target)}."}
    ]
    with atomic_output(output) as stream:
        tmx_write.write_header(stream, srclang=doc.source_lang, notes=header_notes)
        for rec in records:
            tmx_write.write_unit(stream, rec)
        tmx_write.write_footer(stream)
    return len(records)


@click.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the aligned pairs as TMX 1.4b.")
@click.option("--from", "source_lang", default="fr", show_default=True, help="Language of SOURCE.")
@click.option("--to", "target_lang", default="en", show_default=True, help="Language of TARGET.")
@click.option("--note", "notes", multiple=True, help="A note for the TMX header (where the texts come from).")
@click.option("--no-terms", is_flag=True, help="Do not use the term base as anchors.")
@db_option
@json_option
def align(
    source: str,
    target: str,
    output: str | None,
    source_lang: str,
    target_lang: str,
    notes: tuple[str, ...],
    no_terms: bool,
    as_json: bool,
) -> None:
    """Align a text (one paragraph a line) with its translation, sentence by sentence; report weak pairs."""
    doc = align_files(source, target, source_lang, target_lang, db=None if no_terms else state().db)
    if output:
        count = _write_tmx(doc, output, source, target, notes)
        click.echo(f"Wrote {count} translation units to {output}", err=True)
    emit(doc, as_json, _print_alignment)


def marked_source(match: Match, query: str) -> str:
    """The match source with wdiff-style marks: [-only in the match-] and {+only in the query+}."""
    out: list[str] = []
    at = 0
    for op in sorted(match.edits, key=lambda e: (e.source_start, e.query_start)):
        out.append(match.source[at : op.source_start])
        if op.source_end > op.source_start:
            out.append("[-" + match.source[op.source_start : op.source_end] + "-]")
        if op.query_end > op.query_start:
            out.append("{+" + query[op.query_start : op.query_end] + "+}")
        at = max(at, op.source_end)
    out.append(match.source[at:])
    return "".join(out)


def _print_lookup(doc: LookupResult) -> None:
    if not doc.matches:
        click.echo(f"No match of {doc.min_score} or more.")
    for m in doc.matches:
        stamp = m.changed_at or m.created_at
        when = stamp.date().isoformat() if stamp else "?"
        extra = f" ({', '.join(m.differences)})" if m.differences else ""
        click.echo(f"[{m.score:>3}] {m.band}{extra}  unit {m.unit_id}, {m.origin or 'no origin'}, {when}")
        click.echo(f"  {doc.src}: {marked_source(m, doc.query)}")
        click.echo(f"  {doc.tgt}: {m.target}")
        if m.target_original is not None:
            click.echo(f"      (stored: {m.target_original})")
        if m.terms:
            shown = (f"{h.surface} = {', '.join(t.text for t in h.terms) or '?'}" for h in m.terms)
            click.echo("      terms: " + "; ".join(shown))


@click.command(name="lookup")
@click.argument("text")
@click.option("--from", "src", default="fr", show_default=True, help="Language of TEXT (fr, en, fr-CA, ...).")
@click.option("--to", "tgt", default="en", show_default=True, help="Language of the translations wanted.")
@click.option("--min", "min_score", default=50, show_default=True, type=int, help="Lowest score shown (0-101).")
@click.option("--limit", default=5, show_default=True, type=int, help="Most matches shown.")
@click.option("--prev", default=None, help="The previous segment, for context (101) matches.")
@db_option
@json_option
def lookup_command(text: str, src: str, tgt: str, min_score: int, limit: int, prev: str | None, as_json: bool) -> None:
    """Fuzzy-match a segment against the translation memory (101 context, 100 exact, 95-99, fuzzy bands)."""
    emit(lookup(state().db, text, src, tgt, min_score=min_score, limit=limit, prev=prev), as_json, _print_lookup)


def _highlighted(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    at = 0
    for start, end in spans:
        out.append(text[at:start] + "[" + text[start:end] + "]")
        at = end
    return "".join(out) + text[at:]


def _print_concordance(doc: ConcordanceResult) -> None:
    if not doc.hits:
        click.echo(f"No segment contains {doc.query!r}.")
    for h in doc.hits:
        click.echo(f"{h.lang} (unit {h.unit_id}): {_highlighted(h.source, h.highlights)}")
        if h.target is not None:
            click.echo(f"  {h.target_lang}: {h.target}")
    if doc.truncated:
        click.echo(f"(first {len(doc.hits)} hits shown; use --limit for more)")


@click.command(name="concordance")
@click.argument("phrase")
@click.option("--lang", default=None, help="Search only this language's side (fr or en); default both.")
@click.option("--limit", default=50, show_default=True, type=int, help="Most hits shown.")
@db_option
@json_option
def concordance_command(phrase: str, lang: str | None, limit: int, as_json: bool) -> None:
    """Every stored segment containing a word or phrase (case, accents, elision and inflection ignored)."""
    emit(concordance(state().db, phrase, lang, limit), as_json, _print_concordance)


COMMANDS = [align]
COMMANDS.append(lookup_command)
COMMANDS.append(concordance_command)
