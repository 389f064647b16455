"""nato-tm: French/English translation memory and terminology service for NATO texts."""

__version__ = "0.1.0"
