"""The ``serve`` command."""

from __future__ import annotations

import click

from nato_tm.cli.base import db_option, state
from nato_tm.webapp import create_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (local only by default).")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@db_option
def serve(host: str, port: int) -> None:
    """Serve the web UI and the API (development server; see the README for gunicorn)."""
    settings = state().settings
    state().db.check()
    app = create_app(settings)
    click.echo(f"nato-tm serving {settings.database_url} at http://{host}:{port}/", err=False)
    app.run(host=host, port=port, debug=False, use_reloader=False)


COMMANDS = [serve]
