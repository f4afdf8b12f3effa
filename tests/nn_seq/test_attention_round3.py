"""Round-3 audit: scaled_dot_product_attention with both attn_mask and is_causal, as PyTorch
2.13 on CPU (4-D inputs without dropout apply both masks; other inputs raise)."""
import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _qkv(shape_q, shape_k, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in (shape_q, shape_k, shape_k)]


@pytest.mark.parametrize("mask_kind", ["bool", "float"])
@pytest.mark.parametrize("s", [4, 6])
def test_sdpa_mask_and_causal_4d(mask_kind, s):
    q, k, v = _qkv((2, 2, 4, 3), (2, 2, s, 3))
    rng = np.random.default_rng(1)
    mask = rng.random((4, s)) > 0.3 if mask_kind == "bool" else rng.standard_normal((4, s))
    want = TF.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)),
                                           attn_mask=torch.tensor(mask), is_causal=True)
    got = F.scaled_dot_product_attention(*map(cg.tensor, (q, k, v)), attn_mask=cg.tensor(mask),
                                         is_causal=True)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("shape,dropout", [((2, 4, 3), 0.0), ((2, 2, 2, 4, 3), 0.0),
                                           ((2, 2, 4, 3), 0.5)])
def test_sdpa_mask_and_causal_refused_elsewhere(shape, dropout):
    q = np.random.default_rng(0).standard_normal(shape)
    mask = np.ones((4, 4), bool)
    for M, Fn in ((torch, TF), (cg, F)):
        with pytest.raises(RuntimeError, match="Explicit attn_mask"):
            Fn.scaled_dot_product_attention(M.tensor(q), M.tensor(q), M.tensor(q),
                                            attn_mask=M.tensor(mask), is_causal=True,
                                            dropout_p=dropout)
