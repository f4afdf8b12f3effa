"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch (float64)."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.nn.layers.attention import MultiheadAttention, scaled_dot_product_attention
from tests.nn_seq.compare import compare_module
from tests.oracle import check_op

TF = torch.nn.functional
F64 = cg.float64


def _sdpa_case(kind, rng):
    L, S, E = 4, 5, 3
    q, k, v = (rng.standard_normal(s) for s in [(2, 2, L, E), (2, 2, S, E), (2, 2, S, 6)])
    if kind == "bool":
        m = rng.random((L, S)) > 0.3
        m[:, 0] = True
        return [q, k, v], {"attn_mask": m}
    if kind == "bool_empty_row":  # a query that may see no key: zero output, as PyTorch
        m = rng.random((2, 1, L, S)) > 0.3
        m[..., 1, :] = False
        return [q, k, v], {"attn_mask": m}
    if kind == "float":
        return [q, k, v, rng.standard_normal((2, 1, L, S))], {}
    return [q, k, v], {}


@pytest.mark.parametrize("kind", ["none", "bool", "bool_empty_row", "float", "causal", "scale"])
def test_sdpa_matches_torch(kind):
    arrays, kw = _sdpa_case(kind, np.random.default_rng(0))
    if kind == "causal":
        kw = {"is_causal": True}
    if kind == "scale":
        kw = {"scale": 0.3}
    mask = kw.pop("attn_mask", None)

    def run(lib_sdpa, lib_tensor):
        def fn(q, k, v, *fm):
            m = fm[0] if fm else (None if mask is None else lib_tensor(mask))
            return lib_sdpa(q, k, v, attn_mask=m, **kw)
        return fn
    check_op(run(scaled_dot_product_attention, cg.tensor),
             run(TF.scaled_dot_product_attention, torch.tensor), arrays,
             gradgradcheck=kind in ("none", "causal"))


def test_sdpa_dropout_and_errors():
    q = cg.randn(2, 4, 3)
    cg.manual_seed(0)
    a = scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    cg.manual_seed(0)
    b = scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert np.array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), scaled_dot_product_attention(q, q, q).numpy())
    with pytest.raises(RuntimeError):
        scaled_dot_product_attention(q, q, q, attn_mask=cg.ones(4, 4, dtype=cg.bool),
                                     is_causal=True)


E, HEADS, L, S, N = 6, 2, 4, 5, 3
MHA_CASES = {  # name -> (constructor kwargs, call kind, masks)
    "self": ({}, "self", {}),
    "cross": ({}, "cross", {}),
    "batch_first": ({"batch_first": True}, "cross", {}),
    "kdim_vdim": ({"kdim": 5, "vdim": 7}, "cross", {}),
    "no_bias": ({"bias": False}, "self", {}),
    "bool_mask": ({}, "self", {"attn_mask": "bool"}),
    "float_mask_3d": ({}, "cross", {"attn_mask": "float3d"}),
    "kpm_bool": ({}, "cross", {"key_padding_mask": "bool"}),
    "kpm_float_and_mask": ({}, "cross", {"key_padding_mask": "float", "attn_mask": "bool"}),
    "causal": ({}, "self", {"attn_mask": "causal", "is_causal": True}),
    "per_head_weights": ({}, "self", {"average_attn_weights": False}),
    "no_weights_kpm": ({}, "cross", {"need_weights": False, "key_padding_mask": "bool"}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, "cross",
                          {"attn_mask": "bool", "key_padding_mask": "bool"}),
    "unbatched": ({}, "unbatched", {"key_padding_mask": "bool"}),
}


def _masks(spec, lk, batched, lib):
    """The masks of a case, drawn from a fixed seed, as ``lib`` tensors."""
    rng = np.random.default_rng(7)
    out = {}
    for name, kind in spec.items():
        if name == "key_padding_mask":
            m = rng.random((N, lk)) > 0.6
            m[:, 0] = False
            m = m if batched else m[0]
            out[name] = lib.tensor(m if kind == "bool" else np.where(m, -1e9, 0.0))
        elif kind == "bool":
            m = rng.random((L, lk)) > 0.7
            m[:, 0] = False
            out[name] = lib.tensor(m)
        elif kind == "causal":
            out[name] = lib.tensor(np.triu(np.ones((L, L), dtype=bool), 1))
        elif kind == "float3d":
            out[name] = lib.tensor(rng.standard_normal((N * HEADS, L, lk)))
        else:
            out[name] = kind
    return out


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("case", MHA_CASES)
def test_multihead_attention_matches_torch(case):
    kw, call_kind, spec = MHA_CASES[case]
    rng = np.random.default_rng(1)
    kd, vd = kw.get("kdim", E), kw.get("vdim", E)
    lk = L if call_kind == "self" else S
    if call_kind == "unbatched":
        shape = lambda n, d: (n, d)  # noqa: E731
    elif kw.get("batch_first"):
        shape = lambda n, d: (N, n, d)  # noqa: E731
    else:
        shape = lambda n, d: (n, N, d)  # noqa: E731
    q = rng.standard_normal(shape(L, E))
    arrays = [q] if call_kind == "self" else \
        [q, rng.standard_normal(shape(lk, kd)), rng.standard_normal(shape(lk, vd))]

    def call(m, *xs):
        lib = cg if isinstance(m, cg.nn.Module) else torch
        masks = _masks(spec, lk, call_kind != "unbatched", lib)
        if len(xs) == 1:  # self-attention: the same object three times (one fused projection)
            return m(xs[0], xs[0], xs[0], **masks)
        return m(*xs, **masks)
    compare_module(MultiheadAttention(E, HEADS, dtype=F64, **kw),
                   torch.nn.MultiheadAttention(E, HEADS, **kw), arrays, call)


def test_mha_state_dict_names_and_init():
    for kw in [{}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"bias": False}]:
        cg.manual_seed(0)
        ours = MultiheadAttention(8, 2, **kw).state_dict()
        theirs = torch.nn.MultiheadAttention(8, 2, **kw).state_dict()
        assert list(ours) == list(theirs)
        for k in theirs:
            assert tuple(ours[k].shape) == tuple(theirs[k].shape), k
    sd = MultiheadAttention(8, 2).state_dict()
    assert np.all(sd["in_proj_bias"].numpy() == 0) and np.all(sd["out_proj.bias"].numpy() == 0)
    bound = np.sqrt(6 / (8 + 24))
    w = sd["in_proj_weight"].numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound


def test_mha_dropout_only_in_training():
    cg.manual_seed(0)
    m = MultiheadAttention(4, 2, dropout=0.5)
    x = cg.randn(3, 2, 4)
    m.eval()
    a = m(x, x, x)[0].detach().numpy()
    assert np.array_equal(a, m(x, x, x)[0].detach().numpy())
    m.train()
    assert not np.allclose(a, m(x, x, x)[0].detach().numpy())


def test_mha_errors():
    with pytest.raises(AssertionError):
        MultiheadAttention(6, 4)
    m = MultiheadAttention(4, 2)
    x = cg.randn(3, 2, 4)
    with pytest.raises(RuntimeError):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError):
        m(x, x, x, attn_mask=cg.zeros(2, 2))


def test_sdpa_grouped_query_attention_matches_torch():
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal(s) for s in [(2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 4)])
    check_op(lambda q, k, v: scaled_dot_product_attention(q, k, v, enable_gqa=True),
             lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, enable_gqa=True),
             [q, k, v], gradgradcheck=False)


def test_sdpa_float32_three_dims():
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((3, 4, 8)).astype(np.float32) for _ in range(3))
    check_op(lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True),
             lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=True),
             [q, k, v], dtype=np.float32)
