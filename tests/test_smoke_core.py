import numpy as np
import torch

import chaingrad as cg
from tests.oracle import check_op


def test_mul_add_broadcast(rng):
    check_op(lambda a, b: a * b + a, lambda a, b: a * b + a,
             [rng.standard_normal((3, 4)), rng.standard_normal((4,))])


def test_matmul_batched(rng):
    check_op(lambda a, b: a @ b, lambda a, b: a @ b,
             [rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))])


def test_long_chain_no_recursion_limit():
    x = cg.tensor([0.5], requires_grad=True)
    h = x
    for _ in range(100_000):
        h = h * 1.0
    h.sum().backward()
    assert x.grad.item() == 1.0
