"""The ``bench`` command: run the benchmark suite of a source checkout with this installation.

The suite (bench/ at the repository root) is not part of the installed package: it needs the
repository's benchmark data (../shared/data), a load generator and py-spy, and nothing in the
service may import it. This command finds the checkout and runs ``python -m bench`` there with
the same interpreter, so the benchmarks measure the installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from nato_tm.errors import InvalidInput


def find_checkout(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding bench/__main__.py."""
    for folder in (start, *start.parents):
        if (folder / "bench" / "__main__.py").is_file():
            return folder
    return None


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option(
    "--checkout",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="NATO_TM_CHECKOUT",
    help="Repository checkout holding bench/ (default: the current directory or a parent).",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(checkout: Path | None, args: tuple[str, ...]) -> None:
    """Run a benchmark suite: nato-tm bench SUITE [OPTIONS] (build, imports, lookup, terms, http)."""
    root = find_checkout((checkout or Path.cwd()).resolve())
    if root is None:
        raise InvalidInput(
            "no bench/ found: run this from a checkout of the nato-tm repository or pass --checkout DIR",
            param="checkout",
        )
    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)  # python -m must put the checkout on sys.path to find bench/
    code = subprocess.call([sys.executable, "-m", "bench", *args], cwd=root, env=env)
    if code:
        raise SystemExit(code)


COMMANDS = [bench]
