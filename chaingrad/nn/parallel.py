"""``nn.parallel.DistributedDataParallel``: PyTorch's spelling of chaingrad.distributed's DDP."""
from ..distributed import DistributedDataParallel  # noqa: F401
