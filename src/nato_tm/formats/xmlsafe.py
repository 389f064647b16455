"""The one safe XML parser every import uses: no entity expansion, no DTD loading, no network.

Beyond refusing entities, it bounds what a hostile file can make the parser hold in memory:
nesting depth, children of one element (readers free each record once read, so a parent that
keeps growing is junk the reader does not free), elements of one record, and libxml2's own
limits on a text node (10 MB) and an attribute (huge_tree off). A file whose XML declaration
names a one-byte encoding (ISO-8859-1, windows-1252) but whose bytes are all valid UTF-8 is
refused instead of being read as mojibake.
"""

from __future__ import annotations

import codecs
import html
import io
import re
from collections.abc import Iterator
from typing import IO, Any, TypedDict

from lxml import etree

from nato_tm.errors import FormatError

# Deeper nesting than this is no real TMX or TBX; it is an attack or a broken file.
MAX_DEPTH = 64
# More children than this under one element at once: no TMX tu or TBX entry has that many.
MAX_CHILDREN = 10_000
# Elements in one record (a subtree rooted at ``record_depth``): bounds memory per record.
MAX_RECORD_ELEMENTS = 50_000
MAX_NAMESPACES = 100
# Characters XML 1.0 cannot hold at all (not even as &#...;): stored text with one could never be exported.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
ONE_BYTE = re.compile(rb"(iso-?8859-\d+|latin-?1|l1|(windows|cp)-?125\d)$", re.IGNORECASE)
DECLARED = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def not_xml(text: str | None) -> str | None:
    """The first character of ``text`` that XML 1.0 cannot hold, as U+XXXX, or None."""
    found = NOT_XML.search(text or "")
    return f"U+{ord(found.group()):04X}" if found else None


# The one set of safety options, shared by the whole-document parser and the streaming one,
# so the two can never drift apart.
class _SafeOptions(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    huge_tree: bool
    remove_comments: bool


_SAFE = _SafeOptions(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False)


def parser() -> etree.XMLParser:
    """A parser that refuses entities, DTDs and network access."""
    return etree.XMLParser(dtd_validation=False, **_SAFE)


class _EncodingCheck:
    """A byte stream that notes whether a file declared one-byte is in fact UTF-8."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.declared: str | None = None
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.non_ascii = False
        self.invalid = False
        self.started = False

    def read(self, size: int = -1) -> bytes:
        """Read from the stream, checking the bytes while a one-byte encoding is declared."""
        data = self.stream.read(size)
        if not self.started:
            self.started = True
            found = DECLARED.match(data)
            if found and ONE_BYTE.match(found.group(1)):
                self.declared = found.group(1).decode("ascii")
        if self.declared and not self.invalid and data:
            self.non_ascii = self.non_ascii or any(b >= 0x80 for b in data)
            try:
                self.decoder.decode(data)
            except UnicodeDecodeError:
                self.invalid = True
        return data

    @property
    def mislabelled(self) -> bool:
        """Whether a one-byte encoding was declared over bytes that are all valid, non-ASCII UTF-8."""
        return bool(self.declared) and self.non_ascii and not self.invalid


def _valid_uri(uri: str) -> bool:
    """Whether libxml2 takes ``uri`` as a namespace name without complaint (and lxml can use it)."""
    if "{" in uri or "}" in uri:
        return False
    probe = parser()
    try:
        etree.fromstring(f'<a xmlns="{html.escape(uri, quote=True)}"/>'.encode(), probe)
    except etree.XMLSyntaxError:
        return False
    return not any(e.domain_name == "NAMESPACE" and "not a valid" in e.message for e in probe.error_log)


def _syntax_error(exc: etree.XMLSyntaxError, name: str, log: Any = None) -> FormatError:
    # iterparse may report "no element found" at 0:0; its own log holds the first, real error.
    entries = [e for e in log if e.line > 0] if log is not None else []
    if entries:
        first = entries[0]
        return FormatError(f"not well-formed XML: {first.message}", file=name, line=first.line, column=first.column)
    line, col = exc.position if exc.position and exc.position[0] > 0 else (None, None)
    return FormatError(f"not well-formed XML: {exc.msg}", file=name, line=line, column=col)


class _Guard:
    """The running counts that bound depth, children per element and elements per record."""

    def __init__(self, name: str, record_depth: int | None) -> None:
        self.name = name
        self.record_depth = record_depth
        self.depth = 0
        self.in_record = 0
        self.uris: set[str] = {"http://www.w3.org/XML/1998/namespace"}  # xml:lang; cannot be a default namespace

    def fail(self, message: str, elem: Any) -> FormatError:
        return FormatError(message, file=self.name, line=getattr(elem, "sourceline", None))

    def start(self, elem: Any) -> None:
        # libxml2 only warns about an undeclared prefix and keeps "p:name" as the name, which no
        # later step can handle (lxml refuses such a tag or attribute when it is written back).
        for tag in (elem.tag, *elem.attrib):
            uri, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
            if ":" in local:
                raise self.fail(f"the namespace prefix of {local!r} is not declared", elem)
            if uri and uri not in self.uris:
                # libxml2 only warns about a bad namespace URI; lxml then fails on the name later.
                if len(self.uris) >= MAX_NAMESPACES or not _valid_uri(uri):
                    raise self.fail(f"not a usable namespace URI: {uri[:80]!r}", elem)
                self.uris.add(uri)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"elements nested deeper than {MAX_DEPTH}", elem)
        if self.record_depth is not None and self.depth >= self.record_depth:
            self.in_record += 1
            if self.in_record > MAX_RECORD_ELEMENTS:
                raise self.fail(f"one entry holds more than {MAX_RECORD_ELEMENTS} elements", elem)

    def end(self, elem: Any) -> None:
        if self.record_depth is not None and self.depth <= self.record_depth:
            self.in_record = 0
        self.depth -= 1
        self.children(elem)

    def children(self, node: Any) -> None:
        parent = node.getparent()
        # Counting stops at the limit, so a hostile parent costs at most MAX_CHILDREN steps per check.
        if parent is not None and parent[MAX_CHILDREN : MAX_CHILDREN + 1]:
            raise self.fail(f"an element holds more than {MAX_CHILDREN} children", node)


def iterparse(
    source: IO[bytes], name: str, tags: tuple[str, ...] | None = None, *, record_depth: int | None = None
) -> Iterator[tuple[str, Any]]:
    """Stream (event, element) pairs safely; errors become FormatError with line and column.

    ``record_depth`` is the depth of the format's records (3 for a TMX tu, 4 for a TBX entry), whose
    elements are counted against MAX_RECORD_ELEMENTS.
    """
    checked = _EncodingCheck(source)
    events = etree.iterparse(
        checked,
        events=("start", "end", "comment", "pi"),
        remove_pis=False,
        **_SAFE,
    )
    guard = _Guard(name, record_depth)
    try:
        for event, elem in events:
            if event in ("comment", "pi"):
                guard.children(elem)
                continue
            if event == "start":
                if guard.depth == 0:
                    _check_dtd(elem, name)  # the DOCTYPE is parsed by the time the root starts
                guard.start(elem)
            else:
                guard.end(elem)
            if tags is None or etree.QName(elem).localname in tags:
                yield event, elem
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, name, events.error_log) from exc
    if checked.mislabelled:
        raise _mislabelled(name, checked.declared or "")


def _mislabelled(name: str, declared: str) -> FormatError:
    return FormatError(
        f"the XML declaration says encoding={declared!r} but the bytes are UTF-8; "
        "fix the declaration (encoding='UTF-8') and import again",
        file=name,
        line=1,
    )


def _check_dtd(root: Any, name: str) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise FormatError("DTD entity declarations are not allowed (entities are never expanded)", file=name, line=1)


def fromstring(data: bytes, name: str) -> Any:
    """Parse a whole document safely (for small files such as term bases)."""
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, name) from exc
    _check_dtd(root, name)
    checked = _EncodingCheck(io.BytesIO(data))
    checked.read()
    if checked.mislabelled:
        raise _mislabelled(name, checked.declared or "")
    return root
