"""Pure file-format layer: one module per format, records in, records out (no Flask, no database)."""
