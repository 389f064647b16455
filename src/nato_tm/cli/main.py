"""Entry point: assemble the ``nato-tm`` command from the command modules."""

from __future__ import annotations

import importlib

import click

from nato_tm import __version__
from nato_tm.cli.base import CliState, Group, db_option

# Each module defines COMMANDS, a list of click commands; one module a capability.
COMMAND_MODULES = ("admin", "exchange", "terms", "memory", "web", "bench", "jobs")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nato-tm")
@db_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """nato-tm: French/English NATO term base and translation memory."""
    ctx.ensure_object(CliState)


def _register() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"nato_tm.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"nato_tm.cli.{name}":
                raise
            continue
        for command in module.COMMANDS:
            cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    _register()
    cli.main(prog_name="nato-tm")
