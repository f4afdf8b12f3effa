"""Max pooling with NaNs in the input: a window holding a NaN has a NaN max and sends its
gradient there (as PyTorch); NaNs outside every window change nothing."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 2, 1), (2, 3, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_with_nans_matches_torch(kernel, stride, padding, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 7)).astype(dtype)
    x[0, 0, 1, 1] = np.nan
    x[1, 2, 5, 4] = np.nan
    x[1, 1, 7, 6] = np.nan  # outside every window for some of the parameters
    g = np.random.default_rng(1).standard_normal(
        tuple(torch.nn.functional.max_pool2d(torch.from_numpy(x), kernel, stride,
                                             padding).shape)).astype(dtype)
    cx = cg.tensor(x, requires_grad=True)
    tx = torch.from_numpy(x).requires_grad_(True)
    cy = F.max_pool2d(cx, kernel, stride, padding)
    ty = torch.nn.functional.max_pool2d(tx, kernel, stride, padding)
    np.testing.assert_array_equal(cy._array, ty.detach().numpy())
    cy.backward(cg.tensor(g))
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(cx.grad._array, tx.grad.numpy(), rtol=1e-6, atol=1e-6)
