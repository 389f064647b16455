"""TMX 1.4b export of the whole memory, streamed unit by unit.

What the export writes beyond plain TMX, and reads back on import:

- ``<prop type="x-origin">`` on a tu: the unit's collection (``Unit.origin``), e.g.
  ``seed:seed-memory.tmx`` or the file a unit was imported from.
- ``<prop type="x-context-pre">`` on a tuv: the segment that came before this one in its
  document, in the tuv's language; the importer takes it as ``VariantRecord.context_prev``,
  which gives context (101) matches.
- inline markup (bpt/ept/it/ph/hi/sub) as it was imported; dates as YYYYMMDDThhmmssZ (UTC).

The header says ``srclang="*all*"``: the memory serves both directions; a unit's own
``srclang``, when an import gave one, is kept on its tu.
"""

from __future__ import annotations

from typing import IO

from nato_tm.formats import tmx_write
from nato_tm.formats.tmx import ORIGIN_PROP
from nato_tm.services.progress import Watcher, counted
from nato_tm.store.base import row_count
from nato_tm.store.db import Database
from nato_tm.store.memory import Unit
from nato_tm.store.memory_repo import unit_records


def export_tmx(db: Database, stream: IO[bytes], progress: Watcher | None = None) -> int:
    """Write every unit as TMX 1.4b to ``stream``; return how many units were written (``progress``: see exporter)."""
    count = 0
    with db.session() as session:
        tmx_write.write_header(stream, notes=[{"text": "Exported from nato-tm, a French/English translation memory."}])
        total = row_count(session, Unit) if progress else None
        for rec in counted(unit_records(session), total, progress):
            if rec.origin:
                rec.props = [{"type": ORIGIN_PROP, "value": rec.origin}, *rec.props]
            tmx_write.write_unit(stream, rec)
            count += 1
        tmx_write.write_footer(stream)
    return count
