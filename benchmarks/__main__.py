"""``python -m benchmarks``: run the side-by-side harness (see ``benchmarks/harness.py``)."""
import sys

from .harness import main

sys.exit(main())
