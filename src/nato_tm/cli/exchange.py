"""Exchange commands: import and export."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress

import click

from nato_tm.cli.base import atomic_output, db_option, emit, json_option, state
from nato_tm.cli.progress import ProgressLine
from nato_tm.formats.registry import ReadOptions
from nato_tm.services import exporter, jobs
from nato_tm.services.backup import BackupReport
from nato_tm.services.importer import ImportReport, import_path

progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show how far it is on stderr (default: when stderr is a terminal).",
)


@contextmanager
def _progress_line(path: str, wanted: bool | None, done: str) -> Iterator[ProgressLine | None]:
    """A progress line on stderr if ``wanted`` (None: if stderr is a terminal), erased at the end, error or not."""
    err = sys.stderr
    shown = err.isatty() if wanted is None else wanted
    line = ProgressLine(os.path.basename(path), err, done=done) if shown else None
    try:
        yield line
    finally:
        if line is not None:
            line.close()


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
@progress_option
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
    progress: bool | None,
    as_json: bool,
) -> None:
    """Import a TMX, TBX, TSV or CSV file; the format is recognised from content and extension."""
    options = ReadOptions(src_lang=src_lang, tgt_lang=tgt_lang, origin=origin or os.path.basename(file))
    with _in_turn(), _progress_line(file, progress, "read") as line:
        report = import_path(
            state().db, file, fmt=fmt, options=options, dry_run=dry_run, skip_invalid=skip_invalid, progress=line
        )
    emit(report, as_json, _print_report)


@contextmanager
def _in_turn() -> Iterator[None]:
    """Take the import turn the web app's jobs take, so that neither waits out the other's lock and fails.

    Where the data directory cannot hold the turn's lock file, the import goes ahead as before.
    """

    def waiting() -> None:
        click.echo("Waiting for the import before this one (a web upload) to end…", err=True)

    with ExitStack() as stack:
        with suppress(OSError):
            stack.enter_context(jobs.Jobs(jobs.jobs_folder(state().settings.data_dir)).turn(waiting=waiting))
        yield


@click.command(name="export")
@click.option("--format", "fmt", type=click.Choice(sorted(exporter.EXPORTERS)), help="Export format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write ('-' for stdout).")
@click.option(
    "--all",
    "all_dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Back up the whole store (every table, ids and dates) to DIR; `nato-tm restore DIR` reads it back.",
)
@progress_option
@db_option
@json_option
def export_cmd(fmt: str | None, output: str | None, all_dir: str | None, progress: bool | None, as_json: bool) -> None:
    """Export the term base (tbx, tbx2, tsv) or the memory (tmx), or back up everything with --all DIR."""
    if all_dir is not None:
        if fmt or output:
            raise click.UsageError("--all DIR writes every table; do not combine it with --format or -o")
        from nato_tm.services.backup import backup

        emit(backup(state().db, all_dir), as_json, _print_backup)
        return
    if not fmt or not output:
        raise click.UsageError("give --format and -o FILE (or --all DIR for a whole-store backup)")
    db = state().db
    if output == "-":
        with _progress_line("stdout", progress, "written") as line:
            exporter.export(db, fmt, sys.stdout.buffer, line)
        return
    with _progress_line(output, progress, "written") as line, atomic_output(output) as stream:
        count = exporter.export(db, fmt, stream, line)
    click.echo(f"Wrote {count} entries to {output}", err=True)


def _print_backup(report: BackupReport) -> None:
    counts = ", ".join(f"{n} {table}" for table, n in report.rows.items())
    click.echo(f"{report.directory}: {counts} (schema {report.schema})")


@click.command(name="restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@db_option
@json_option
def restore_cmd(directory: str, as_json: bool) -> None:
    """Restore a backup written by `nato-tm export --all DIR` into an empty database."""
    from nato_tm.services.backup import restore

    emit(restore(state().db, directory), as_json, _print_backup)


COMMANDS = [import_cmd, export_cmd, restore_cmd]
