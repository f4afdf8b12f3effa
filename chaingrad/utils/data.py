"""``chaingrad.utils.data``: the same module as ``chaingrad.data`` (``torch.utils.data``'s
spelling), submodules included, so that ``from chaingrad.utils.data.sampler import Sampler``
and ``from chaingrad.utils.data.distributed import DistributedSampler`` work too."""
import sys

from .. import data as _data
from ..data import collate, dataloader, dataset, dataset_extra, distributed, sampler  # noqa: F401

for _name in ("collate", "dataloader", "dataset", "dataset_extra", "distributed", "sampler", "transforms",
              "datasets"):
    sys.modules[f"{__name__}.{_name}"] = getattr(_data, _name)
sys.modules[__name__] = _data
