"""Input generators: hypothesis strategies for structured TMX/TBX and a fast byte mutator over a corpus."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
TMX_TAGS = ["tmx", "header", "body", "tu", "tuv", "seg", "prop", "note", "bpt", "ept", "ph", "hi", "sub", "it", "ut"]
TBX_TAGS = [
    "tbx",
    "martif",
    "tbxHeader",
    "text",
    "body",
    "conceptEntry",
    "termEntry",
    "langSec",
    "langSet",
    "termSec",
    "tig",
    "ntig",
    "termGrp",
    "term",
    "termNote",
    "descrip",
    "descripGrp",
    "admin",
    "note",
    "basic:termType",
    "min:partOfSpeech",
    "ref",
    "xref",
    "transacGrp",
]
ATTRS = [
    "xml:lang",
    "lang",
    "srclang",
    "version",
    "tuid",
    "type",
    "id",
    "creationdate",
    "changedate",
    "usagecount",
    "lastusagedate",
    "creationid",
    "i",
    "x",
    "datatype",
    "style",
    "target",
]
VALUES = [
    "fr",
    "en",
    "fr-FR",
    "en_GB",
    "*all*",
    "de",
    "",
    " ",
    "1.4",
    "1.4b",
    "3.0",
    "20221109T120000Z",
    "2022-11-09T12:00:00",
    "notadate",
    "-1",
    "99999999999999999999",
    "x-origin",
    "x-context-pre",
    "preferredTerm-admn-sts",
    "fullForm",
    "acronym",
    "reliabilityCode: 3",
    "caseRule: sensitive",
    "definition",
    "subjectField",
    "\u00e9",
    'a"b',
    "<",
    "&amp;",
    "TBX-Basic",
    "urn:iso:std:iso:30042:ed-2",
]
TEXTS = [
    "l\u2019OTAN",
    "Nations unies",
    "NATO",
    "1\u202f000,5",
    "9 novembre 2022",
    "&amp;",
    "&lt;",
    "&#233;",
    "&#x1F600;",
    "&#0;",
    "&#1;",
    "&x;",
    "<![CDATA[a<b]]>",
    "<!-- c -->",
    "<?pi x?>",
    "\u00a0",
    "\ufeff",
    'tbx-extra: <descrip type="x">y</descrip>',
    "reliabilityCode: 4",
    "\t",
    "\n",
    "\x01",
    "\udcff",
]

text_st = st.one_of(st.sampled_from(TEXTS), st.text(max_size=30))


def _attrs(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(ATTRS), max_size=4, unique=True))
    values = [draw(st.one_of(st.sampled_from(VALUES), st.text(max_size=8))) for _ in names]
    return "".join(f' {n}="{v}"' for n, v in zip(names, values, strict=True))


@st.composite
def element(draw: st.DrawFn, tags: list[str], depth: int = 0) -> str:
    """A random element tree over a format's vocabulary, text and attribute values."""
    tag = draw(st.sampled_from(tags))
    attrs = _attrs(draw)
    if depth > 5 or draw(st.integers(0, 4)) == 0:
        return f"<{tag}{attrs}>{draw(text_st)}</{tag}>"
    kids = draw(st.lists(st.one_of(text_st, element(tags, depth + 1)), max_size=4))
    return f"<{tag}{attrs}>{''.join(kids)}</{tag}>"


@st.composite
def document(draw: st.DrawFn, tags: list[str], root: str) -> bytes:
    """A document: a declaration, maybe a DOCTYPE, a root with random content, then maybe damage."""
    decl = draw(
        st.sampled_from(
            [
                '<?xml version="1.0"?>',
                '<?xml version="1.0" encoding="UTF-8"?>',
                '<?xml version="1.0" encoding="ISO-8859-1"?>',
                "",
                '<?xml version="1.1"?>',
            ]
        )
    )
    doctype = draw(
        st.sampled_from(["", f'<!DOCTYPE {root} SYSTEM "tmx14.dtd">', f'<!DOCTYPE {root} [<!ENTITY x "y">]>'])
    )
    head = '<header srclang="fr"/>' if root == "tmx" else ""
    body = "".join(draw(st.lists(element(tags), max_size=4)))
    version = draw(st.sampled_from(VALUES))
    text = f'{decl}{doctype}<{root}{_attrs(draw)} version="{version}">{head}<body>{body}</body></{root}>'
    data = text.encode("utf-8", errors="surrogatepass")
    damage = draw(st.integers(0, 3))
    if damage == 1:
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == 2:
        data = text.encode("utf-16", errors="surrogatepass")
    return data


def corpus() -> list[bytes]:
    """Seed files: the test fixtures and the shipped term base."""
    files = [*ROOT.glob("tests/data/**/*.*"), *ROOT.glob("termbase/*.tbx"), *ROOT.glob("termbase/*.tmx")]
    return [p.read_bytes()[:4000] for p in files if p.is_file()]


TOKENS = [
    b"<",
    b">",
    b"</",
    b"/>",
    b"&",
    b";",
    b'"',
    b"'",
    b"<!DOCTYPE",
    b"<!ENTITY",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\t",
    b"\n",
    b'xml:lang="fr"',
    b"<tu>",
    b'<tuv xml:lang="en"><seg>',
    b"</seg></tuv>",
    b"<termSec><term>",
    b"</term></termSec>",
]


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    """One to four random edits: flip, insert a token, delete a range, duplicate, splice or truncate."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randint(0, len(buf))
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[pos:pos] = rng.choice(TOKENS)
        elif op == 2:
            del buf[pos : pos + rng.randint(1, 64)]
        elif op == 3:
            end = min(len(buf), pos + rng.randint(1, 200))
            buf[pos:pos] = buf[pos:end] * rng.randint(1, 8)
        elif op == 4:
            other = rng.choice(pool)
            at = rng.randint(0, len(other))
            buf[pos:] = other[at:]
        else:
            del buf[pos:]
    return bytes(buf[:200_000])
