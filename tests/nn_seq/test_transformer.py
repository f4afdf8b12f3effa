"""TransformerEncoderLayer / TransformerEncoder / TransformerDecoderLayer against PyTorch."""
import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad.nn.layers.transformer import (TransformerEncoderLayer, TransformerEncoder,
                                             TransformerDecoderLayer)
from tests.nn_seq.compare import compare_module

F64 = cg.float64
D, H, FF, S, N = 8, 2, 16, 5, 3


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_torch(activation, norm_first, batch_first):
    kw = dict(dim_feedforward=FF, dropout=0.0, activation=activation, norm_first=norm_first,
              batch_first=batch_first)
    x = np.random.default_rng(0).standard_normal((N, S, D) if batch_first else (S, N, D))
    compare_module(TransformerEncoderLayer(D, H, dtype=F64, **kw),
                   torch.nn.TransformerEncoderLayer(D, H, **kw), [x])


@pytest.mark.parametrize("mask", ["causal", "kpm"])
def test_encoder_layer_masks_match_torch(mask):
    x = np.random.default_rng(1).standard_normal((S, N, D))
    kpm = np.zeros((N, S), dtype=bool)
    kpm[:, -2:] = True

    def call(m, x):
        lib = cg if isinstance(m, cg.nn.Module) else torch
        if mask == "causal":
            cm = lib.tensor(np.triu(np.full((S, S), -np.inf), 1))
            return m(x, src_mask=cm, is_causal=True)
        return m(x, src_key_padding_mask=lib.tensor(kpm))
    compare_module(TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=F64),
                   torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0), [x], call)


def test_encoder_stack_and_decoder_layer_match_torch():
    x = np.random.default_rng(2).standard_normal((S, N, D))
    ours = TransformerEncoder(TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=F64), 2)
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0),
                                         2, enable_nested_tensor=False)
    compare_module(ours, theirs, [x])
    mem = np.random.default_rng(3).standard_normal((S + 1, N, D))
    compare_module(TransformerDecoderLayer(D, H, FF, dropout=0.0, dtype=F64),
                   torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0), [x, mem])


def test_state_dict_names_and_dropout_modes():
    ours = TransformerEncoderLayer(D, H, FF).state_dict()
    theirs = torch.nn.TransformerEncoderLayer(D, H, FF).state_dict()
    assert list(ours) == list(theirs)
    assert all(tuple(ours[k].shape) == tuple(theirs[k].shape) for k in theirs)
    cg.manual_seed(0)
    layer = TransformerEncoderLayer(D, H, FF, dropout=0.5)
    x = cg.randn(S, N, D)
    layer.eval()
    a = layer(x).detach().numpy()
    assert np.array_equal(a, layer(x).detach().numpy())
    layer.train()
    assert not np.allclose(a, layer(x).detach().numpy())
    with pytest.raises(RuntimeError):
        TransformerEncoderLayer(D, H, activation="tanh")


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
def test_full_transformer_with_causal_target_mask_matches_torch():
    from chaingrad.nn.layers.transformer import Transformer
    rng = np.random.default_rng(4)
    src, tgt = rng.standard_normal((S, N, D)), rng.standard_normal((S - 1, N, D))
    ours_mask = Transformer.generate_square_subsequent_mask(S - 1, dtype=F64)
    th_mask = torch.nn.Transformer.generate_square_subsequent_mask(S - 1, dtype=torch.float64)
    np.testing.assert_array_equal(ours_mask.numpy(), th_mask.numpy())

    def call(m, src, tgt):
        mask = ours_mask if isinstance(m, cg.nn.Module) else th_mask
        return m(src, tgt, tgt_mask=mask)
    compare_module(Transformer(D, H, 1, 1, FF, dropout=0.0, dtype=F64),
                   torch.nn.Transformer(D, H, 1, 1, FF, dropout=0.0), [src, tgt], call)
