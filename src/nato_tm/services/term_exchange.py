"""Export the term base: TBX-Basic v3, TBX v2 (for OmegaT) and OmegaT's glossary TSV."""

from __future__ import annotations

from typing import IO

from nato_tm.formats import tbx_write
from nato_tm.formats.glossary import write_omegat
from nato_tm.store.db import Database
from nato_tm.store.termbase_repo import iter_records

TITLE = "nato-tm French/English term base (export)"


def export_tbx(db: Database, stream: IO[bytes]) -> int:
    """Write every concept as TBX-Basic v3 (DCA style); return the number of concepts."""
    with db.session() as session:
        return tbx_write.write(iter_records(session), stream, version=3, title=TITLE)


def export_tbx2(db: Database, stream: IO[bytes]) -> int:
    """Write every concept as TBX v2 (martif), which OmegaT reads; return the number of concepts."""
    with db.session() as session:
        return tbx_write.write(iter_records(session), stream, version=2, title=TITLE)


def export_tsv(db: Database, stream: IO[bytes], src: str = "fr", tgt: str = "en") -> int:
    """Write OmegaT's glossary: source term, preferred target term, comment; return the number of lines."""
    with db.session() as session:
        return write_omegat(iter_records(session), stream, src, tgt)
