"""Export the term base: TBX-Basic v3, TBX v2 (for OmegaT) and OmegaT's glossary TSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from sqlalchemy.orm import Session

from nato_tm.formats import tbx_write
from nato_tm.formats.glossary import write_omegat
from nato_tm.formats.records import ConceptRecord
from nato_tm.services.progress import Watcher, counted
from nato_tm.store.base import row_count
from nato_tm.store.db import Database
from nato_tm.store.termbase import Concept
from nato_tm.store.termbase_repo import iter_records

TITLE = "nato-tm French/English term base (export)"


def _records(session: Session, progress: Watcher | None) -> Iterator[ConceptRecord]:
    """Every concept's record, told to ``progress`` as they go by."""
    return counted(iter_records(session), row_count(session, Concept) if progress else None, progress)


def export_tbx(db: Database, stream: IO[bytes], progress: Watcher | None = None) -> int:
    """Write every concept as TBX-Basic v3 (DCA style); return the number of concepts."""
    with db.session() as session:
        return tbx_write.write(_records(session, progress), stream, version=3, title=TITLE)


def export_tbx2(db: Database, stream: IO[bytes], progress: Watcher | None = None) -> int:
    """Write every concept as TBX v2 (martif), which OmegaT reads; return the number of concepts."""
    with db.session() as session:
        return tbx_write.write(_records(session, progress), stream, version=2, title=TITLE)


def export_tsv(
    db: Database, stream: IO[bytes], progress: Watcher | None = None, src: str = "fr", tgt: str = "en"
) -> int:
    """Write OmegaT's glossary: source term, preferred target term, comment; return the number of lines."""
    with db.session() as session:
        return write_omegat(_records(session, progress), stream, src, tgt)
