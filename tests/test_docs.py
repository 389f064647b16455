"""The README is checked against the code: every command and endpoint it names exists."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from nato_tm.cli.main import _register, cli
from nato_tm.config import DEFAULT_MAX_UPLOAD

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_in_the_readme_exists() -> None:
    _register()
    named = set(re.findall(r"^nato-tm ([a-z][a-z-]*)", README, flags=re.M))
    named |= set(re.findall(r"`nato-tm ([a-z][a-z-]*)", README))
    assert {"init", "terms", "lookup", "import", "export", "serve"} <= named
    assert named <= set(cli.commands), named - set(cli.commands)


def test_every_api_path_in_the_readme_is_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    patterns = [
        re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(p.rstrip("/"))) + "$") for p in spec["paths"]
    ]
    named = {p.rstrip("/") for p in re.findall(r"(/api/v1/[a-z0-9/{}_.]+)", README)} - {"/api/v1/openapi.json"}
    assert len(named) >= 10, named
    missing = {p for p in named if not any(pat.match(p) for pat in patterns)}
    assert not missing, missing


def test_quick_start_has_exactly_the_two_commands() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./dev.sh serve", "./dev.sh test"]


def test_the_production_command_gives_an_upload_time_to_import() -> None:
    # Uploads are imported inside their request: gunicorn's default 30 s timeout killed a 59 MiB import (89 s).
    line = next(line for line in README.splitlines() if line.startswith("gunicorn "))
    timeout = re.search(r"--timeout (\d+)", line)
    assert timeout is not None and int(timeout.group(1)) >= 300, line
    assert f"{DEFAULT_MAX_UPLOAD // 2**20} MiB upload limit" in README
