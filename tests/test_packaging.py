"""The installed package finds its own templates, static files and seed data."""

from __future__ import annotations

from pathlib import Path

import nato_tm
from nato_tm import resources

REPO = Path(__file__).resolve().parents[1]


def test_tests_run_against_the_installed_package() -> None:
    # A src layout: the package under test must be the installed one, not the source tree.
    assert (REPO / "src").resolve() not in Path(nato_tm.__file__).resolve().parents


def test_templates_and_static_files_are_shipped() -> None:
    web = resources.web_dir()
    assert (web / "templates" / "base.html").is_file()
    assert (web / "static" / "style.css").is_file()
    # Found inside the installed package, not through a path into the source tree.
    assert web.resolve() != (REPO / "web").resolve()
    assert Path(nato_tm.__file__).resolve().parent in web.resolve().parents


def test_seed_data_is_shipped() -> None:
    names = [e.name for e in resources.seed_files()]
    assert any(n.endswith(".tbx") for n in names) and any(n.endswith(".tmx") for n in names)
    assert (resources.termbase() / "seed" / "article-2022-11-09.fr.txt").is_file()
