"""Fuzzing of the readers and the text pipeline, run by hand outside CI: ``python -m fuzz.run``."""
