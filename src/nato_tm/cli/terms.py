"""Terminology commands: terms (search), recognize (terms in a segment) and check (terminology QA)."""

from __future__ import annotations

import sys

import click

from nato_tm.cli.base import db_option, emit, json_option, state
from nato_tm.errors import InvalidInput
from nato_tm.services.recognize import Hit, RecognizeDocument, recognize
from nato_tm.services.term_qa import FileDocument, PairDocument, check_file, check_pair
from nato_tm.services.term_search import SearchDocument, SearchResult, TermView, search_terms
from nato_tm.store.termbase import STATUSES, TERM_TYPES

_LANG = click.Choice(["fr", "en"])


def _flag(status: str) -> str:
    return (
        ""
        if status == "preferred"
        else f" [{status.upper()}]"
        if status in ("deprecated", "superseded")
        else f" ({status})"
    )


def _term_line(view: TermView) -> str:
    case = ", case-sensitive" if view.case_sensitive else ""
    return f"{view.text}{_flag(view.status)}  <{view.type}{case}>"


def _print_result(n: int, res: SearchResult) -> None:
    subjects = "; ".join(res.subject_fields)
    click.echo(
        f"{n}. {res.concept_id}  [{res.match} {res.score:.2f}]  matched «{res.matched.text}» ({res.matched.lang})"
    )
    for flag in res.flags:
        click.echo(f"   ! {flag}")
    for lang, views in res.terms.items():
        for view in views:
            click.echo(f"   {lang}: {_term_line(view)}")
    for lang, definition in res.definition.items():
        if definition:
            click.echo(f"   definition ({lang}): {definition}")
    if subjects:
        click.echo(f"   subject: {subjects}")
    if res.source:
        click.echo(f"   source: {res.source}")


def _print_search(doc: SearchDocument) -> None:
    if not doc.results:
        click.echo(f"No term found for «{doc.query}».")
    for n, res in enumerate(doc.results, start=1):
        _print_result(n, res)


@click.command(name="terms")
@click.argument("query")
@click.option("--from", "src", type=click.Choice(["fr", "en", "any"]), default="any", show_default=True)
@click.option("--to", "tgt", type=_LANG, default=None, help="Language of the equivalents (default: the other one).")
@click.option("--subject", default=None, help="Only concepts with this subject field.")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only matches on terms with this status.")
@click.option(
    "--type", "term_type", type=click.Choice(TERM_TYPES), default=None, help="Only matches on this term type."
)
@click.option("--limit", type=int, default=20, show_default=True)
@db_option
@json_option
def terms_cmd(
    query: str,
    src: str,
    tgt: str | None,
    subject: str | None,
    status: str | None,
    term_type: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search the term base, best first: exact, normalized, stem, acronym, prefix, fuzzy matches.

    Search ignores case (emi finds EMI and shows that EMI is case-sensitive); recognize and
    check, which read running text, respect each term's case rule.
    """
    doc = search_terms(
        state().db, query, src=src, tgt=tgt, subject=subject, status=status, term_type=term_type, limit=limit
    )
    emit(doc, as_json, _print_search)


def _hit_line(hit: Hit) -> str:
    others = ", ".join(f"{t.text}{_flag(t.status)}" for t in hit.terms) or "no equivalent recorded"
    also = f"  (also: {', '.join(hit.also_concepts)})" if hit.also_concepts else ""
    return f"{hit.start}-{hit.end}  «{hit.surface}»{_flag(hit.status)}  {hit.concept_id}  -> {others}{also}"


def _print_recognize(doc: RecognizeDocument) -> None:
    if not doc.hits:
        click.echo("No term-base term found.")
    for hit in doc.hits:
        click.echo(_hit_line(hit))


@click.command(name="recognize")
@click.argument("text")
@click.option("--lang", type=_LANG, default="fr", show_default=True, help="Language of the text.")
@db_option
@json_option
def recognize_cmd(text: str, lang: str, as_json: bool) -> None:
    """List the term-base terms in TEXT (- reads standard input), with offsets and equivalents.

    Inflection, elision, apostrophe style, NBSP and line breaks are tolerated; case-sensitive
    terms (acronyms such as EMI) match only as written.
    """
    if text == "-":
        text = sys.stdin.read()
    emit(recognize(state().db, text, lang), as_json, _print_recognize)


def _print_pair(doc: PairDocument) -> None:
    head = f"unit {doc.unit}: " if doc.unit else ""
    if not doc.findings:
        click.echo(f"{head}no terminology problem found.")
    for f in doc.findings:
        where = [f"source {s.start}-{s.end}" for s in [f.source_span] if s] + [
            f"target {t.start}-{t.end}" for t in [f.target_span] if t
        ]
        click.echo(f"{head}{f.kind} ({', '.join(where)}): {f.message}")


def _print_file(doc: FileDocument) -> None:
    for pair in doc.pairs:
        _print_pair(pair)
    counts = ", ".join(f"{n} {k}" for k, n in doc.counts.items())
    click.echo(f"{doc.units} unit(s) checked: {counts}")
    for skip in doc.skipped:
        click.echo(f"skipped {skip}")


@click.command(name="check")
@click.argument("source", required=False)
@click.argument("target", required=False)
@click.option("--file", "path", default=None, help="A bilingual TMX file to check instead of one pair.")
@click.option("--from", "src", type=_LANG, default="fr", show_default=True)
@click.option("--to", "tgt", type=_LANG, default="en", show_default=True)
@db_option
@json_option
def check_cmd(source: str | None, target: str | None, path: str | None, src: str, tgt: str, as_json: bool) -> None:
    """Check a translation's terminology: missing approved terms, deprecated terms, inconsistencies."""
    db = state().db
    if path:
        if source is not None or target is not None:
            raise InvalidInput("give either SOURCE TARGET or --file, not both", param="file")
        emit(check_file(db, path, src, tgt), as_json, _print_file)
        return
    if source is None or target is None:
        raise InvalidInput("give SOURCE and TARGET, or --file X.tmx", param="source")
    emit(check_pair(db, source, target, src, tgt), as_json, _print_pair)


COMMANDS = [terms_cmd, recognize_cmd, check_cmd]
