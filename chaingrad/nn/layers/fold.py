"""``nn.Unfold`` and ``nn.Fold``: ``F.unfold`` / ``F.fold`` as modules."""
from __future__ import annotations

from ..module import Module
from .._functional.fold import unfold, fold


class Unfold(Module):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C kh kw, L).
    Args: kernel_size, dilation=1, padding=0, stride=1."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Combine sliding local blocks into a tensor: (N, C kh kw, L) -> (N, C, *output_size).
    Args: output_size, kernel_size, dilation=1, padding=0, stride=1."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):  # noqa: A002
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
