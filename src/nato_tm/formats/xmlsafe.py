"""The one safe XML parser every import uses: no entity expansion, no DTD loading, no network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from nato_tm.errors import FormatError

# Deeper nesting than this is no real TMX or TBX; it is an attack or a broken file.
MAX_DEPTH = 64


def parser() -> etree.XMLParser:
    """A parser that refuses entities, DTDs and network access."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def iterparse(source: IO[bytes], name: str, tags: tuple[str, ...] | None = None) -> Iterator[tuple[str, Any]]:
    """Stream (event, element) pairs safely; errors become FormatError with line and column."""
    events = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )
    depth = 0
    try:
        for event, elem in events:
            if depth == 0 and event == "start":
                _check_dtd(elem, name)  # the DOCTYPE is parsed by the time the root starts
            depth += 1 if event == "start" else -1
            if depth > MAX_DEPTH:
                raise FormatError(f"elements nested deeper than {MAX_DEPTH}", file=name, line=elem.sourceline)
            if tags is None or etree.QName(elem).localname in tags:
                yield event, elem
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (None, None)
        raise FormatError(f"not well-formed XML: {exc.msg}", file=name, line=line, column=col) from exc


def _check_dtd(root: Any, name: str) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise FormatError("DTD entity declarations are not allowed", file=name)


def fromstring(data: bytes, name: str) -> Any:
    """Parse a whole document safely (for small files such as term bases)."""
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (None, None)
        raise FormatError(f"not well-formed XML: {exc.msg}", file=name, line=line, column=col) from exc
    _check_dtd(root, name)
    return root
