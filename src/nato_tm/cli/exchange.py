"""Exchange commands: import and export."""

from __future__ import annotations

import os
import sys
import tempfile

import click

from nato_tm.cli.base import db_option, emit, json_option, state
from nato_tm.formats.registry import ReadOptions
from nato_tm.services import exporter
from nato_tm.services.importer import ImportReport, import_path


def _print_report(report: ImportReport) -> None:
    verb = "would import" if report.dry_run else "imported"
    click.echo(
        f"{report.file} ({report.format}): {verb} {report.added} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
    )
    for skipped in report.skipped:
        click.echo(f"  skipped {skipped.where}: {skipped.reason}")


@click.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", metavar="NAME", help="Force the format (tbx, tmx, tsv, glossary, csv).")
@click.option("--dry-run", is_flag=True, help="Report what would be imported; change nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid entries and report the others.")
@click.option("--src", "src_lang", default="fr", show_default=True, help="Source language of headerless glossaries.")
@click.option("--tgt", "tgt_lang", default="en", show_default=True, help="Target language of headerless glossaries.")
@click.option("--origin", default="", help="Collection name recorded on imported units (default: the file name).")
@db_option
@json_option
def import_cmd(
    file: str,
    fmt: str | None,
    dry_run: bool,
    skip_invalid: bool,
    src_lang: str,
    tgt_lang: str,
    origin: str,
    as_json: bool,
) -> None:
    """Import a TMX, TBX, TSV or CSV file; the format is recognised from content and extension."""
    options = ReadOptions(src_lang=src_lang, tgt_lang=tgt_lang, origin=origin or os.path.basename(file))
    report = import_path(state().db, file, fmt=fmt, options=options, dry_run=dry_run, skip_invalid=skip_invalid)
    emit(report, as_json, _print_report)


@click.command(name="export")
@click.option("--format", "fmt", type=click.Choice(sorted(exporter.EXPORTERS)), required=True, help="Export format.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write ('-' for stdout).")
@db_option
def export_cmd(fmt: str, output: str) -> None:
    """Export the term base (tbx, tbx2, tsv) or the memory (tmx)."""
    db = state().db
    if output == "-":
        exporter.export(db, fmt, sys.stdout.buffer)
        return
    folder = os.path.dirname(os.path.abspath(output))
    # Write beside the target and rename, so a failed export never leaves half a file.
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as stream:
            count = exporter.export(db, fmt, stream)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    click.echo(f"Wrote {count} entries to {output}", err=True)


COMMANDS = [import_cmd, export_cmd]
