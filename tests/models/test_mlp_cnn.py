"""models.MLP and models.SmallCNN: structure, keys, and forward/backward against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from chaingrad import nn

torch = pytest.importorskip("torch")


def _copy_into_torch(cg_model, th_model):
    sd = {k: torch.from_numpy(np.array(v._array, copy=True)) for k, v in
          cg_model.state_dict().items()}
    th_model.load_state_dict(sd, strict=True)


def test_mlp_layers_keys_and_flattening():
    m = cg.models.MLP([12, 8, 6, 3])
    assert [type(layer).__name__ for layer in m] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight",
                                    "4.bias"]
    m.double()
    th = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.ReLU(), torch.nn.Linear(8, 6),
                             torch.nn.ReLU(), torch.nn.Linear(6, 3)).double()
    _copy_into_torch(m, th)
    x = np.random.default_rng(0).standard_normal((5, 3, 2, 2))
    out = m(cg.tensor(x))
    ref = th(torch.from_numpy(x).flatten(1))
    np.testing.assert_allclose(out._array, ref.detach().numpy(), rtol=1e-10)
    out.sum().backward()
    ref.sum().backward()
    for (name, p), tp in zip(m.named_parameters(), th.parameters()):
        np.testing.assert_allclose(p.grad._array, tp.grad.numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("activation", [nn.ReLU, "relu", lambda: nn.ReLU()])
def test_mlp_activation_forms(activation):
    m = cg.models.MLP([3, 4, 2], activation=activation)
    assert type(m[1]).__name__ == "ReLU"


def test_mlp_options_and_errors():
    if not hasattr(nn, "Tanh") or not hasattr(nn, "Dropout") or not hasattr(nn, "BatchNorm1d"):
        pytest.skip("nn layers not available yet")
    m = cg.models.MLP([3, 4, 4, 2], activation=nn.Tanh, dropout=0.5, batch_norm=True,
                      bias=False)
    names = [type(layer).__name__ for layer in m]
    assert names == ["Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear", "BatchNorm1d", "Tanh",
                     "Dropout", "Linear"]
    assert m[0].bias is None


def test_mlp_bad_arguments():
    with pytest.raises(ValueError, match="at least two"):
        cg.models.MLP([3])
    with pytest.raises(ValueError, match="dropout"):
        cg.models.MLP([3, 2], dropout=1.5)
    with pytest.raises(ValueError, match="unknown activation"):
        cg.models.MLP([3, 4, 2], activation="nope")


def _need_conv():
    if not all(hasattr(nn, n) for n in ("Conv2d", "MaxPool2d", "BatchNorm2d", "Dropout")):
        pytest.skip("nn.Conv2d / MaxPool2d / BatchNorm2d not available yet")


@pytest.mark.parametrize("batch_norm", [False, True])
def test_small_cnn_matches_torch(batch_norm):
    _need_conv()
    cg.manual_seed(0)
    m = cg.models.SmallCNN(batch_norm=batch_norm).double()
    assert m.classifier.in_features == 3136
    layers = [torch.nn.Conv2d(1, 32, 3, padding=1)] + ([torch.nn.BatchNorm2d(32)] if batch_norm
                                                        else [])
    layers += [torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(32, 64, 3, padding=1)]
    layers += [torch.nn.BatchNorm2d(64)] if batch_norm else []
    layers += [torch.nn.ReLU(), torch.nn.MaxPool2d(2)]

    class Ref(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = torch.nn.Sequential(*layers)
            self.classifier = torch.nn.Linear(3136, 10)

        def forward(self, x):
            return self.classifier(self.features(x).flatten(1))

    th = Ref().double()
    assert list(m.state_dict()) == list(th.state_dict())
    _copy_into_torch(m, th)
    x = np.random.default_rng(1).standard_normal((4, 1, 28, 28))
    out, ref = m(cg.tensor(x)), th(torch.from_numpy(x))
    np.testing.assert_allclose(out._array, ref.detach().numpy(), rtol=1e-7, atol=1e-10)
    out.sum().backward()
    ref.sum().backward()
    for (name, p), tp in zip(m.named_parameters(), th.parameters()):
        np.testing.assert_allclose(p.grad._array, tp.grad.numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)


def test_small_cnn_other_sizes():
    _need_conv()
    m = cg.models.SmallCNN(in_channels=1, height=8, width=8, num_classes=10, dropout=0.2)
    assert m.classifier.in_features == 64 * 2 * 2
    assert m(cg.rand(3, 1, 8, 8)).shape == (3, 10)
    m = cg.models.SmallCNN(3, 32, 20, 5)
    assert m(cg.rand(2, 3, 32, 20)).shape == (2, 5)


def test_mlp_takes_a_plain_activation_function():
    m = cg.models.MLP([4, 8, 2], activation=cg.nn.functional.relu)
    x = cg.tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32))
    ref = m[2](m[0](x).relu())
    np.testing.assert_allclose(m(x).detach().numpy(), ref.detach().numpy(), rtol=1e-6)
