"""Hostile and broken files, by CLI, by service and by upload: a clear error, the store unchanged, memory bounded."""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nato_tm.errors import FormatError, NatoTmError
from nato_tm.formats import tbx, tmx, tsv
from nato_tm.formats.registry import ReadOptions
from nato_tm.services.documents import to_jsonable
from nato_tm.services.importer import import_path, import_stream
from nato_tm.services.stats import stats
from nato_tm.store.db import Database

TU = '<tu><tuv xml:lang="fr"><seg>{fr}</seg></tuv><tuv xml:lang="en"><seg>{en}</seg></tuv></tu>'
GOOD = TU.format(fr="Le Comité militaire de l'OTAN s'est réuni.", en="The NATO Military Committee met.")


def tmx_doc(body: str, doctype: str = "", decl: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return f'{decl}\n{doctype}\n<tmx version="1.4"><header srclang="fr"/><body>\n{body}\n</body></tmx>\n'


def tbx_doc(entries: str, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<tbx type="TBX-Basic" style="dca" xml:lang="fr" '
        f'xmlns="urn:iso:std:iso:30042:ed-2"><tbxHeader><fileDesc><sourceDesc><p>t</p></sourceDesc></fileDesc>'
        f"</tbxHeader><text><body>\n{entries}\n</body></text></tbx>\n"
    )


ENTRY = (
    '<conceptEntry id="{cid}"><langSec xml:lang="fr"><termSec><term>{fr}</term></termSec></langSec>'
    '<langSec xml:lang="en"><termSec><term>{en}</term></termSec></langSec></conceptEntry>'
)
LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
QUADRATIC = '<!ENTITY big "' + "x" * 50_000 + '">'


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("CANARY-7f3a", encoding="utf-8")
    return path


@pytest.fixture
def listener() -> Iterator[tuple[int, socket.socket]]:
    """A listening TCP socket: any connection to it means the parser touched the network."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.settimeout(0.2)
    yield sock.getsockname()[1], sock
    sock.close()


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def hostile_xml(canary: Path, port: int) -> dict[str, tuple[str, str, int | None]]:
    """name -> (TMX text, expected message fragment, expected line or None)."""
    closed = _closed_port()
    return {
        "billion-laughs": (
            tmx_doc(TU.format(fr="&l9;", en="x"), f'<!DOCTYPE tmx [<!ENTITY l0 "lol">{LAUGHS}]>'),
            "entity declarations are not allowed",
            1,
        ),
        "quadratic-blowup": (
            tmx_doc(TU.format(fr="&big;" * 2000, en="x"), f"<!DOCTYPE tmx [{QUADRATIC}]>"),
            "entity declarations are not allowed",
            1,
        ),
        "xxe-file": (
            tmx_doc(TU.format(fr="&x;", en="x"), f'<!DOCTYPE tmx [<!ENTITY x SYSTEM "file://{canary}">]>'),
            "entity declarations are not allowed",
            1,
        ),
        "xxe-http": (
            tmx_doc(TU.format(fr="&x;", en="x"), f'<!DOCTYPE tmx [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]>'),
            "entity declarations are not allowed",
            1,
        ),
        "xxe-closed-port": (
            tmx_doc(TU.format(fr="&x;", en="x"), f'<!DOCTYPE tmx [<!ENTITY x SYSTEM "http://127.0.0.1:{closed}/">]>'),
            "entity declarations are not allowed",
            1,
        ),
        "parameter-entity": (
            tmx_doc(GOOD, f'<!DOCTYPE tmx [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p"> %p;]>'),
            "entity declarations are not allowed",
            1,
        ),
        "undeclared-entity": (tmx_doc(GOOD + TU.format(fr="&x;", en="y")), "Entity 'x' not defined", 4),
        "deep-nesting": (tmx_doc(TU.format(fr="<hi>" * 5000 + "</hi>" * 5000, en="x")), "nested deeper", 4),
        "control-character": (tmx_doc(GOOD + "\n" + TU.format(fr="a\x01b", en="c")), "invalid Char value 1", 5),
        "control-character-reference": (tmx_doc(TU.format(fr="a&#27;b", en="c")), "invalid xmlChar value 27", 4),
        "truncated-mid-unit": (
            tmx_doc(GOOD * 3 + GOOD[:60]).split("</body>")[0],
            "Premature end of data in tag seg",
            5,
        ),
        "many-children": (tmx_doc("<x/>" * 20_000), "more than 10000 children", 4),
        "bad-namespace": (
            tmx_doc(GOOD).replace("<tmx ", '<tmx xmlns:a="urn:x}y" ').replace("<tu>", "<a:tu>", 1),
            "namespace",
            4,
        ),
    }


def _unchanged(db: Database) -> dict[str, int]:
    return dict(to_jsonable(stats(db)))


def test_hostile_tmx_files_fail_cleanly_and_change_nothing(
    db: Database, tmp_path: Path, canary: Path, listener: tuple[int, socket.socket]
) -> None:
    port, sock = listener
    before = _unchanged(db)
    for name, (text, message, line) in hostile_xml(canary, port).items():
        path = tmp_path / f"{name}.tmx"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(FormatError) as caught:
            import_path(db, str(path))
        assert message in caught.value.message, (name, caught.value.message)
        assert caught.value.line == line, (name, caught.value.message)
        assert "CANARY" not in caught.value.message
        assert _unchanged(db) == before, name
    with pytest.raises(socket.timeout):
        sock.accept()  # nobody connected: no DTD or entity was fetched


def test_external_dtd_reference_is_neither_fetched_nor_read(
    db: Database, tmp_path: Path, canary: Path, listener: tuple[int, socket.socket]
) -> None:
    # Real tools write <!DOCTYPE tmx SYSTEM "tmx14.dtd">: accepted, but the DTD is never loaded.
    port, sock = listener
    for system in (f"http://127.0.0.1:{port}/tmx14.dtd", f"file://{canary}"):
        path = tmp_path / "dtd.tmx"
        path.write_text(tmx_doc(GOOD, f'<!DOCTYPE tmx SYSTEM "{system}">'), encoding="utf-8")
        report = import_path(db, str(path), dry_run=True)
        assert report.added == 1
    with pytest.raises(socket.timeout):
        sock.accept()


def test_hostile_tbx_files_fail_cleanly(db: Database, tmp_path: Path, canary: Path) -> None:
    good = ENTRY.format(cid="c1", fr="présence avancée rehaussée", en="enhanced Forward Presence")
    cases = {
        "laughs": (tbx_doc(good, f'<!DOCTYPE tbx [<!ENTITY l0 "lol">{LAUGHS}]>'), "entity declarations"),
        "xxe": (tbx_doc(good, f'<!DOCTYPE tbx [<!ENTITY x SYSTEM "file://{canary}">]>'), "entity declarations"),
        "truncated": (tbx_doc(good * 2)[:-120], "not well-formed"),
        "control": (tbx_doc(good.replace("présence", "pré\x0bsence")), "invalid Char value 11"),
        "undeclared-prefix": (tbx_doc(good.replace("<term>", "<basic:term>", 1)), "prefix"),
    }
    before = _unchanged(db)
    for name, (text, message) in cases.items():
        path = tmp_path / f"{name}.tbx"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(FormatError, match=message):
            import_path(db, str(path))
        assert _unchanged(db) == before, name


def test_declared_encoding_that_differs_from_the_bytes(db: Database, tmp_path: Path) -> None:
    unit = TU.format(fr="La sécurité de l'Alliance", en="Allied security")
    latin1_bytes = tmx_doc(unit).encode("latin-1")  # declares UTF-8
    utf8_bytes = tmx_doc(unit, decl='<?xml version="1.0" encoding="ISO-8859-1"?>').encode("utf-8")
    for name, data, message, line in (
        ("says-utf8-is-latin1", latin1_bytes, "Invalid bytes in character encoding", 4),
        ("says-latin1-is-utf8", utf8_bytes, "the bytes are UTF-8", 1),
    ):
        with pytest.raises(FormatError) as caught:
            import_stream(db, io.BytesIO(data), f"{name}.tmx")
        assert message in caught.value.message and caught.value.line == line
    # A file that really is Latin-1 and says so is read correctly.
    real = tmx_doc(unit, decl='<?xml version="1.0" encoding="ISO-8859-1"?>').encode("latin-1")
    records = list(tmx.read(io.BytesIO(real), "latin1.tmx", ReadOptions()))
    assert records[0].variants[0].text == "La sécurité de l'Alliance"  # type: ignore[union-attr]


def test_binary_junk_and_broken_tsv(db: Database, tmp_path: Path) -> None:
    before = _unchanged(db)
    junk = tmp_path / "junk.tmx"
    junk.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(FormatError) as caught:
        import_path(db, str(junk))
    assert caught.value.line == 1 and caught.value.column == 1
    bad = tmp_path / "latin1.tsv"
    bad.write_bytes("en\tfr\nsecurity\tsécurité\n".encode("latin-1"))
    with pytest.raises(FormatError) as caught:
        import_path(db, str(bad))
    assert caught.value.line == 2 and "not UTF-8" in caught.value.message
    truncated = tmp_path / "cut.tsv"
    truncated.write_text("en\tfr\tcatalogue\nFile\tFichier\tgedit\nEdit\tÉdit", encoding="utf-8")
    with pytest.raises(FormatError, match="--skip-invalid"):
        import_path(db, str(truncated))
    assert _unchanged(db) == before
    report = import_path(db, str(truncated), skip_invalid=True)
    assert (report.added, len(report.skipped)) == (1, 1) and "cut.tsv:3" in report.skipped[0].where


def test_cli_prints_one_line_with_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "ctrl.tmx"
    path.write_text(tmx_doc(TU.format(fr="a\x01b", en="c")), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    subprocess.run([sys.executable, "-m", "nato_tm", "init", "--db", url], check=True, capture_output=True)
    proc = subprocess.run(
        [sys.executable, "-m", "nato_tm", "import", str(path), "--db", url], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Error: {path}:4:30: not well-formed XML: PCDATA invalid Char value 1"


def test_hostile_upload_through_the_api(app, client, db: Database, editor_token: str) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {editor_token}"}
    before = _unchanged(db)
    text = tmx_doc(TU.format(fr="&l9;", en="x"), f'<!DOCTYPE tmx [<!ENTITY l0 "lol">{LAUGHS}]>')
    resp = client.post("/api/v1/import?name=laughs.tmx", data=text.encode(), headers=auth)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_file" and "entity" in resp.get_json()["error"]["message"]
    data = {"file": (io.BytesIO(tmx_doc(GOOD * 2)[:-40].encode()), "cut.tmx")}
    resp = client.post("/api/v1/import", data=data, headers=auth, content_type="multipart/form-data")
    assert resp.status_code == 400 and "cut.tmx:" in resp.get_json()["error"]["message"]
    assert _unchanged(db) == before


def test_upload_over_the_limit_is_413_and_stores_nothing(db: Database, editor_token: str) -> None:
    from nato_tm.webapp import create_app

    app = create_app({"database_url": db.url, "secret_key": "t", "max_upload_bytes": 4096})
    before = _unchanged(db)
    body = tmx_doc(GOOD * 100).encode()
    assert len(body) > 4096
    resp = app.test_client().post(
        "/api/v1/import?name=big.tmx", data=body, headers={"Authorization": f"Bearer {editor_token}"}
    )
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    assert _unchanged(db) == before


MEMORY_PROBE = textwrap.dedent(
    """
    import io, resource, sys
    from nato_tm.errors import FormatError
    from nato_tm.formats import tmx
    from nato_tm.formats.registry import ReadOptions
    size = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize")) * 1024
    data = sys.stdin.buffer.read()
    resource.setrlimit(resource.RLIMIT_AS, (size + HEADROOM, size + HEADROOM))
    try:
        n = sum(1 for _ in tmx.read(io.BytesIO(data), "big.tmx", ReadOptions()))
        print("records", n)
    except FormatError as exc:
        print("error", exc.message)
    """
)


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("3M empty elements in <body>", "<x/>" * 3_000_000, "error big.tmx:4: an element holds more than 10000"),
        ("1M notes in one tu", "<tu>" + "<note>n</note>" * 1_000_000 + "</tu>", "error big.tmx:4: an element holds"),
        ("a 20 MB segment", TU.format(fr="a" * 20_000_000, en="b"), "error big.tmx:4:"),
        ("60k valid units", GOOD * 60_000, "records 60000"),
    ],
)
def test_memory_stays_bounded_under_an_address_space_limit(name: str, body: str, expected: str) -> None:
    # 120 MB above the interpreter's own size: before the limits, the first two cases needed ~400 MB.
    script = MEMORY_PROBE.replace("HEADROOM", str(120 * 1024 * 1024))
    proc = subprocess.run(
        [sys.executable, "-c", script], input=tmx_doc(body).encode(), capture_output=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr.decode()[-500:]
    assert proc.stdout.decode().startswith(expected), (name, proc.stdout.decode()[:300])


# Property tests at CI size; the separate fuzz run (fuzz/run.py) feeds the same readers a million inputs.
NAMES = st.sampled_from(["tmx", "header", "body", "tu", "tuv", "seg", "prop", "note", "bpt", "ph", "hi", "x"])
ATTR = st.sampled_from(['xml:lang="fr"', 'xml:lang="en"', 'srclang="fr"', 'version="1.4"', 'tuid="1"', 'a="&#1;"'])
TEXT = st.one_of(st.text(max_size=20), st.sampled_from(["&amp;", "&x;", "<![CDATA[<]]>", "<!--c-->", "\x00", "é"]))


@st.composite
def xmlish(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(NAMES)
    attrs = " ".join(draw(st.lists(ATTR, max_size=3, unique=True)))
    kids = [] if depth > 4 else draw(st.lists(st.one_of(TEXT, xmlish(depth + 1)), max_size=3))
    return f"<{tag} {attrs}>{''.join(kids)}</{tag}>"


def _only_domain_errors(module: object, data: bytes) -> None:
    with contextlib.suppress(NatoTmError):
        list(module.read(io.BytesIO(data), "fuzz", ReadOptions()))  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(xmlish(), max_size=4), cut=st.integers(0, 4000), utf16=st.booleans())
def test_tmx_reader_raises_only_format_errors(body: list[str], cut: int, utf16: bool) -> None:
    text = tmx_doc("".join(body))
    data = text.encode("utf-16" if utf16 else "utf-8", "surrogatepass")
    _only_domain_errors(tmx, data[: cut or None])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(xmlish(), max_size=4), cut=st.integers(0, 4000))
def test_tbx_reader_raises_only_format_errors(body: list[str], cut: int) -> None:
    text = tbx_doc("".join(body).replace("<tu", "<conceptEntry").replace("</tu", "</conceptEntry"))
    _only_domain_errors(tbx, text.encode("utf-8", "surrogatepass")[: cut or None])


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300))
def test_tsv_reader_raises_only_format_errors(data: bytes) -> None:
    _only_domain_errors(tsv, b"en\tfr\n" + data)


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "data" / "hostile").glob("fuzz-*.bin")), ids=str)
def test_inputs_the_fuzzers_found_now_fail_cleanly(path: Path) -> None:
    # Each made a reader raise something else than NatoTmError (ValueError, XMLSyntaxError, UnicodeDecodeError).
    from nato_tm.formats import glossary

    module = {"tmx": tmx, "tbx": tbx, "tsv": tsv, "glossary": glossary}[path.name.split("-")[1]]
    _only_domain_errors(module, path.read_bytes())
