"""The layers of ``chaingrad.nn``, one family per file."""
