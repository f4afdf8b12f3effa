"""ResNets against torchvision's architecture, rebuilt by hand in PyTorch (torch_resnet.py):
identical state_dict keys and shapes, outputs and every gradient equal in float64 with
BatchNorm in training mode, equal weights after an SGD momentum step."""
from __future__ import annotations

import numpy as np
import pytest

import chaingrad as cg
from chaingrad import nn

torch = pytest.importorskip("torch")
if not all(hasattr(nn, n) for n in ("Conv2d", "BatchNorm2d", "MaxPool2d", "AdaptiveAvgPool2d")):
    pytest.skip("nn.Conv2d / BatchNorm2d / pooling not available yet", allow_module_level=True)

from . import torch_resnet  # noqa: E402

RTOL, ATOL = 1e-5, 1e-8


def assert_grad_close(actual, expected, name):
    """rtol 1e-5, plus an absolute slack relative to the tensor's largest entry: entries that
    are tiny next to it come out of cancellations (BatchNorm's backward over few values)."""
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-8 * scale, err_msg=name)


def _to_torch_sd(model):
    return {k: torch.from_numpy(np.array(v._array, copy=True)) for k, v in
            model.state_dict().items()}


def _pair(name, num_classes=1000, seed=0):
    cg.manual_seed(seed)
    cm = getattr(cg.models, name)(num_classes=num_classes).double()
    tm = getattr(torch_resnet, name)(num_classes=num_classes).double()
    tm.load_state_dict(_to_torch_sd(cm), strict=True)
    return cm, tm


@pytest.mark.parametrize("name,n_params", [("resnet18", 11689512), ("resnet34", 21797672),
                                           ("resnet50", 25557032)])
def test_keys_shapes_and_parameter_count(name, n_params):
    cm = getattr(cg.models, name)()
    tm = getattr(torch_resnet, name)()
    csd, tsd = cm.state_dict(), tm.state_dict()
    assert list(csd) == list(tsd)
    for k in tsd:
        assert tuple(csd[k].shape) == tuple(tsd[k].shape), k
        assert csd[k]._array.dtype == (np.int64 if k.endswith("num_batches_tracked")
                                     else np.float32), k
    assert sum(p.numel() for p in cm.parameters()) == n_params
    assert [n for n, _ in cm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in cm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    for key in ("conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked",
                "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                "layer2.0.downsample.1.running_var", "fc.weight", "fc.bias"):
        assert key in csd


def test_torchvision_initialisation():
    cg.manual_seed(1)
    m = cg.models.resnet18()
    w = m.layer3[0].conv2.weight._array
    std = np.sqrt(2.0 / (256 * 3 * 3))  # kaiming normal, fan_out, relu gain
    assert abs(w.std() / std - 1) < 0.02 and abs(w.mean()) < 0.01 * std * 10
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            assert np.all(mod.weight._array == 1) and np.all(mod.bias._array == 0)
            assert np.all(mod.running_mean._array == 0) and np.all(mod.running_var._array == 1)
    bound = 1 / np.sqrt(512)  # the fc keeps Linear's default init
    assert np.abs(m.fc.weight._array).max() <= bound and np.abs(m.fc.weight._array).max() > 0.9 * bound
    z = cg.models.resnet18(zero_init_residual=True)
    assert np.all(z.layer1[0].bn2.weight._array == 0) and np.all(z.layer1[0].bn1.weight._array == 1)
    z50 = cg.models.resnet50(zero_init_residual=True)
    assert np.all(z50.layer1[0].bn3.weight._array == 0)


def test_resnet18_forward_backward_and_sgd_step_match_torch():
    cm, tm = _pair("resnet18", num_classes=10)
    cm.train(), tm.train()
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32))
    labels = np.random.default_rng(1).random((2, 10))
    out = cm(cg.tensor(x))
    ref = tm(torch.from_numpy(x))
    assert out.shape == (2, 10) and out._array.dtype == np.float64
    np.testing.assert_allclose(out._array, ref.detach().numpy(), rtol=RTOL, atol=ATOL)
    loss = (out - cg.tensor(labels)).sum()
    tloss = (ref - torch.from_numpy(labels)).sum()
    loss.backward()
    tloss.backward()
    tparams = dict(tm.named_parameters())
    for name, p in cm.named_parameters():
        assert p.grad is not None, name
        assert_grad_close(p.grad._array, tparams[name].grad.numpy(), name)
    tbuf = dict(tm.named_buffers())
    for name, b in cm.named_buffers():  # running statistics after one training forward
        np.testing.assert_allclose(b._array, tbuf[name].numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=name)
    copt = cg.optim.SGD(cm.parameters(), lr=1e-2, momentum=0.9)
    topt = torch.optim.SGD(tm.parameters(), lr=1e-2, momentum=0.9)
    copt.step()
    topt.step()
    for name, p in cm.named_parameters():
        np.testing.assert_allclose(p._array, tparams[name].detach().numpy(), rtol=RTOL,
                                   atol=1e-9, err_msg=name)
    cm.eval(), tm.eval()
    with cg.no_grad(), torch.no_grad():
        np.testing.assert_allclose(cm(cg.tensor(x))._array, tm(torch.from_numpy(x)).numpy(),
                                   rtol=RTOL, atol=ATOL)


def test_weights_from_a_local_file_and_converted_torch_file(tmp_path):
    cm, tm = _pair("resnet18", num_classes=7, seed=3)
    cg.save(cm.state_dict(), tmp_path / "r18.cgt")
    again = cg.models.resnet18(num_classes=7, weights=str(tmp_path / "r18.cgt"))
    for (k, a), b in zip(again.state_dict().items(), cm.state_dict().values()):
        np.testing.assert_array_equal(a._array, b._array.astype(a._array.dtype), err_msg=k)
    # the PyTorch file goes through `chaingrad convert-torch`, then loads with weights=
    from chaingrad.cli.main import main
    torch.save(tm.float().state_dict(), tmp_path / "r18.pth")
    assert main(["convert-torch", str(tmp_path / "r18.pth"), str(tmp_path / "conv.cgt"),
                 "--model", "resnet18", "-q"]) == 0
    conv = cg.models.resnet18(num_classes=7, weights=tmp_path / "conv.cgt")
    tsd = tm.state_dict()
    for k, v in conv.state_dict().items():
        np.testing.assert_array_equal(v._array, tsd[k].numpy(), err_msg=k)
    cg.save({"model": cm.state_dict(), "epoch": 3}, tmp_path / "ck.cgt")  # a checkpoint
    ck = cg.models.resnet18(num_classes=7, weights=tmp_path / "ck.cgt")
    np.testing.assert_array_equal(ck.fc.bias._array, cm.fc.bias._array.astype(np.float32))
    with pytest.raises(ValueError, match="neither a state dict"):
        cg.models.resnet18(weights={"epoch": 3})
    with pytest.raises(FileNotFoundError, match="does not download"):
        cg.models.resnet18(weights="IMAGENET1K_V1")
    with pytest.raises((RuntimeError, ValueError, KeyError)):
        cg.models.resnet18(weights=tmp_path / "conv.cgt")  # 1000 classes vs 7 in the file


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet34", "resnet50"])
def test_deeper_resnets_match_torch(name):
    cm, tm = _pair(name, num_classes=5)
    # 64x64: layer4's BatchNorms see 2x2x2 values per channel (at 32x32 only two, and the
    # normalisation of two values amplifies rounding by many orders of magnitude)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64))
    out, ref = cm(cg.tensor(x)), tm(torch.from_numpy(x))
    np.testing.assert_allclose(out._array, ref.detach().numpy(), rtol=RTOL, atol=ATOL)
    out.sum().backward()
    ref.sum().backward()
    tparams = dict(tm.named_parameters())
    for name_, p in cm.named_parameters():
        assert_grad_close(p.grad._array, tparams[name_].grad.numpy(), name_)


@pytest.mark.slow
def test_seed_snippet_shape_64():
    cg.manual_seed(0)
    model = cg.models.resnet18()
    data, labels = cg.rand(1, 3, 64, 64), cg.rand(1, 1000)
    prediction = model(data)
    loss = (prediction - labels).sum()
    loss.backward()
    before = model.conv1.weight._array.copy()
    cg.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9).step()
    assert prediction.shape == (1, 1000)
    assert not np.array_equal(before, model.conv1.weight._array)
