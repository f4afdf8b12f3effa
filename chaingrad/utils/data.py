"""``chaingrad.utils.data``: the same module as ``chaingrad.data`` (``torch.utils.data``'s
spelling)."""
import sys

from .. import data as _data

sys.modules[__name__] = _data
