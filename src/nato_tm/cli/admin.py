"""Administration commands: init and stats."""

from __future__ import annotations

from typing import Any

import click

from nato_tm.cli.base import db_option, emit, json_option, state
from nato_tm.services.setup import InitReport, init_store
from nato_tm.services.stats import stats


def _print_init(report: InitReport) -> None:
    if report.schema_before != report.schema_after:
        click.echo(f"Schema: {report.schema_before or 'empty'} -> {report.schema_after}")
    for imp in report.imports:
        click.echo(f"{imp.file}: {imp.added} added, {imp.updated} updated, {imp.unchanged} unchanged")
    if not report.changed:
        click.echo("Nothing to do: the schema is current and the shipped data is already loaded.")


@click.command()
@click.option("--no-seed", is_flag=True, help="Create the schema only; do not load the shipped data.")
@db_option
@json_option
def init(no_seed: bool, as_json: bool) -> None:
    """Create or upgrade the schema and load the shipped term base and memory (idempotent)."""
    report = init_store(state().db, load_seed=not no_seed)
    emit(report, as_json, _print_init)


@click.command(name="stats")
@db_option
@json_option
def stats_cmd(as_json: bool) -> None:
    """Count concepts, terms and translation units."""

    def human(doc: Any) -> None:
        for key, value in vars(doc).items():
            click.echo(f"{key}: {value}")

    emit(stats(state().db), as_json, human)


COMMANDS = [init, stats_cmd]
