"""Exports over HTTP are written once per state of the store and kept in the data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from nato_tm import __version__
from nato_tm.services import exporter


@pytest.fixture
def exports(data_dir: Path) -> Path:
    return data_dir / "exports"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The formats actually exported (not served from a kept copy), in order."""
    done: list[str] = []
    real = exporter.export

    def counting(db, name, stream, progress=None):  # type: ignore[no-untyped-def]
        done.append(name)
        return real(db, name, stream, progress)

    monkeypatch.setattr(exporter, "export", counting)
    return done


def test_a_second_download_is_the_kept_copy(client, exports: Path, runs: list[str]) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/api/v1/export/tmx")
    second = client.get("/api/v1/export/tmx")
    assert first.status_code == second.status_code == 200 and runs == ["tmx"]
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    assert int(second.headers["Content-Length"]) == len(second.data) and b'<tmx version="1.4">' in second.data
    tag = first.headers["ETag"].strip('"')  # "tmx-<fingerprint>"
    assert [p.name for p in exports.iterdir()] == [f"{tag}-{__version__}.tmx"]


def test_a_write_makes_a_new_copy_and_drops_the_old(client, editor_token, exports: Path, runs: list[str]) -> None:  # type: ignore[no-untyped-def]
    before = client.get("/api/v1/export/tmx")
    terms = client.get("/api/v1/export/tbx")
    unit = {"source": "Le Comité militaire s’est réuni à Mons.", "target": "The Military Committee met in Mons.",
            "from": "fr", "to": "en"}  # fmt: skip
    assert (
        client.post("/api/v1/tm/units", json=unit, headers={"Authorization": f"Bearer {editor_token}"}).status_code
        == 201
    )
    after = client.get("/api/v1/export/tmx")
    assert after.headers["ETag"] != before.headers["ETag"] and "réuni à Mons".encode() in after.data
    assert "réuni à Mons".encode() not in before.data
    assert client.get("/api/v1/export/tbx").data == terms.data  # the term base did not change: its copy serves
    assert runs == ["tmx", "tbx", "tmx"]
    assert sorted(p.suffix for p in exports.iterdir()) == [".tbx", ".tmx"]  # the older memory copy is gone


def test_a_data_directory_that_cannot_keep_a_copy_still_exports(client, exports: Path) -> None:  # type: ignore[no-untyped-def]
    exports.parent.mkdir(parents=True, exist_ok=True)
    exports.write_text("a file where the exports folder should be")
    response = client.get("/api/v1/export/tsv")
    assert response.status_code == 200 and int(response.headers["Content-Length"]) == len(response.data) > 100
    assert response.data.decode().splitlines()[0].count("\t") >= 2


def test_an_unknown_format_touches_no_file(client, exports: Path) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/export/docx").status_code == 415
    assert not exports.exists()
