"""The ``chaingrad`` command line."""
