"""A UTF-8 TMX file cut into runs of whole tus that are parsed on their own (by import worker processes).

The importing process only reads bytes and cuts them after a ``</tu>``. Each run is parsed as one
document, the file's own prolog (XML declaration, DOCTYPE, ``<tmx>``, header, ``<body>`` start tag)
+ the run + the closing tags, by the same safe parser, and yields the records ``tmx.read`` yields,
with the file's line numbers. A cut inside a comment, a CDATA section or a nested tu leaves a run
that is not well-formed, so a run that parses was cut between two children of the body.

Anything outside the plain shape handled here raises ``Unsure``: another encoding than UTF-8, a
prolog that does not read back as a header and nothing else, a run that does not parse, elements
after the body. The caller then reads the whole file again with ``tmx.read``, whose records or
error are the reference. A run that the safety limits (depth, children, elements, namespaces) might
concern is read by ``tmx.read_source`` itself, with its guard.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from lxml import etree

from nato_tm.errors import FormatError
from nato_tm.formats import tmx, xmlsafe
from nato_tm.formats.registry import ReadOptions, Record

CHUNK_BYTES = 256 * 1024  # bytes read per run (about 1,000 units of a typical file)
MAX_HEAD = 64 * 1024  # a longer prolog (a header with many props) is read by tmx.read
MAX_RUN = 16 * 1024 * 1024  # bytes without a </tu>: not a file worth cutting
CLOSE = b"</body></tmx>"
END_TU = b"</tu>"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_BODY = re.compile(rb"""<body(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*>""")
_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Well under the guard's limits (xmlsafe): a run past one of them is read by the guarded reader.
_DEEP, _MANY_CHILDREN, _MANY_ELEMENTS = xmlsafe.MAX_DEPTH - 4, xmlsafe.MAX_CHILDREN // 2, 40_000
# Whether an element lies _DEEP levels down: one pass in C over each level.
_TOO_DEEP = etree.XPath("boolean(/*" + "/*" * (_DEEP - 1) + ")")


class Unsure(Exception):
    """The file is not in the shape this module reads: read it with ``tmx.read`` instead."""


@dataclass(frozen=True)
class Head:
    """What every run of a file is parsed with: the file's prolog, its header's srclang, the records' origin."""

    prolog: bytes  # the file's bytes up to and including the <body> start tag
    srclang: str
    origin: str
    name: str
    children: int  # elements under <tmx> in prolog + CLOSE (the body included)
    namespaces: frozenset[str]  # namespace URIs the prolog uses (the guard accepted them)


def _utf8(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return False
    found = _ENCODING.match(data)
    return found is None or found.group(1).lower() in (b"utf-8", b"utf8")


def read_head(stream: IO[bytes], name: str, options: ReadOptions) -> Head | None:
    """The head of a plain UTF-8 TMX file (the stream is left where it was), or None: read it with tmx.read."""
    start = stream.tell()
    data = stream.read(MAX_HEAD)
    stream.seek(start)
    found = _BODY.search(data)
    if not _utf8(data) or found is None:
        return None
    prolog = data[: found.end()]
    origin = tmx.origin_of(name, options)
    try:
        # The reference reader, guard included, must find a header and no unit in it.
        if list(tmx.read_source(io.BytesIO(prolog + CLOSE), name, origin)):
            return None
        root = xmlsafe.fromstring(prolog + CLOSE, name)
    except FormatError:
        return None
    kids = [c for c in root if isinstance(c.tag, str)]
    headers = [c for c in kids if tmx._local(c) == "header"]
    if not headers or tmx._local(kids[-1]) != "body":
        return None
    srclang = (headers[-1].get("srclang") or "").strip()  # the last one, as tmx.read takes it
    uris = {_uri(name) for el in root.iter() if isinstance(el.tag, str) for name in (el.tag, *el.attrib)}
    return Head(prolog, srclang, origin, name, len(kids), frozenset(uris - {""}))


def _uri(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def pieces(stream: IO[bytes], head: Head) -> Iterator[tuple[bytes, int, bool]]:
    """(run, lines of the file before it and after the prolog, whether it is the last) from the stream's position."""
    stream.seek(stream.tell() + len(head.prolog))
    lines = 0
    rest = b""
    while True:
        block = stream.read(CHUNK_BYTES)
        if not block:
            yield rest, lines, True
            return
        buf = rest + block
        cut = buf.rfind(END_TU) + len(END_TU)
        if cut < len(END_TU):
            if len(buf) > MAX_RUN:
                raise Unsure("no </tu> in a long run of bytes")
            rest = buf
            continue
        piece, rest = buf[:cut], buf[cut:]
        yield piece, lines, False
        lines += piece.count(b"\n")


def records(head: Head, piece: bytes, lines: int, last: bool) -> list[Record]:
    """The records of a run, as ``tmx.read`` yields them for these tus of the file (Unsure if it cannot tell)."""
    doc = head.prolog + piece + (b"" if last else CLOSE)
    try:
        root = etree.fromstring(doc, xmlsafe.parser())
    except etree.XMLSyntaxError as exc:
        raise Unsure(str(exc)) from exc
    kids = [c for c in root if isinstance(c.tag, str)]
    if len(kids) != head.children or tmx._local(kids[-1]) != "body":
        raise Unsure("elements after the body")
    if not _plain(root, head):
        try:
            return list(tmx.read_source(io.BytesIO(doc), head.name, head.origin, lines))
        except FormatError as exc:
            raise Unsure(str(exc)) from exc
    srclang, origin, name = head.srclang or tmx.ALL, head.origin, head.name
    return [tmx.tu_record(tu, srclang, origin, name, lines) for tu in kids[-1] if tmx._local(tu) == "tu"]


def _plain(root: Any, head: Head) -> bool:
    """Whether the run is far from every limit the guard enforces and holds no name the prolog's namespaces lack."""
    count = 0
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):  # a comment or a processing instruction
            continue
        count += 1
        if len(el) > _MANY_CHILDREN or _odd(tag, head.namespaces):
            return False
        for key in el.keys():  # noqa: SIM118 - iterating an element gives its children
            if _odd(key, head.namespaces):
                return False
    return count <= _MANY_ELEMENTS and not _TOO_DEEP(root)


def _odd(name: str, namespaces: frozenset[str]) -> bool:
    """A name with an undeclared prefix, or in a namespace the prolog does not use."""
    if name[0] != "{":
        return ":" in name
    uri, _, local = name[1:].partition("}")
    return ":" in local or (uri != XML_NS and uri not in namespaces)
