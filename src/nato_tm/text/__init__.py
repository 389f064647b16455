"""Pure text layer: the one normalisation pipeline and sentence splitting (no Flask, no database)."""
