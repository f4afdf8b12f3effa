"""The pieces of ``chaingrad.nn.functional``, one topic per file (re-exported there)."""
