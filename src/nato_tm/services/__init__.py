"""Services: search, recognition, matching, alignment, QA, import/export; no Flask here."""
