"""The stride-1 input gradient of conv2d computed as a transposed convolution (ops/conv.py
``_tconv_params``): same values and gradients as PyTorch wherever that path is taken, and
the col2im path where it is not (more output than input channels, strided, tiny images)."""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.ops import conv as _conv
from tests.oracle import check_op, torch

CASES = [  # (N, C, O, groups, kernel, padding, dilation, H, W)
    (2, 4, 4, 1, 3, 1, 1, 6, 5),
    (2, 4, 2, 1, 3, 0, 1, 6, 6),
    (1, 6, 6, 3, 3, 2, 1, 5, 7),
    (2, 4, 4, 1, 2, "same", 1, 5, 6),
    (2, 4, 4, 2, 3, 2, 2, 7, 6),
    (3, 3, 3, 1, 1, 1, 1, 4, 4),
    (2, 2, 4, 1, 3, 1, 1, 5, 5),   # O > C: col2im
    (1, 8, 8, 1, 3, 1, 1, 2, 2),   # 4 pixels < 8 channels: col2im
]


@pytest.mark.parametrize("n,c,o,g,k,pad,dil,h,w", CASES)
def test_matches_torch(n, c, o, g, k, pad, dil, h, w):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((o, c // g, k, k))
    check_op(lambda a, b: cg.nn.functional.conv2d(a, b, padding=pad, dilation=dil, groups=g),
             lambda a, b: torch.nn.functional.conv2d(a, b, padding=pad, dilation=dil, groups=g),
             [x, wt], gradcheck=False)


def test_path_choice():
    p1 = _conv.ConvParams((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert _conv._tconv_params((8, 8, 3, 3), p1, (2, 8, 6, 6), (2, 8, 6, 6)) is not None
    assert _conv._tconv_params((16, 8, 3, 3), p1, (2, 8, 6, 6), (2, 16, 6, 6)) is None
    p2 = _conv.ConvParams((2, 2), ((1, 1), (1, 1)), (1, 1), 1)
    assert _conv._tconv_params((8, 8, 3, 3), p2, (2, 8, 6, 6), (2, 8, 3, 3)) is None
