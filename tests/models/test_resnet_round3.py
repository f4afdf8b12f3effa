"""Round-3 conformance of chaingrad.models' ResNets with torchvision: published parameter
counts, state_dict key lists and shapes, module names, and the same outputs as a torch.nn
ResNet-18 (torchvision's architecture, written out here) given the same weights."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn

import chaingrad as cg
from chaingrad import models

# torchvision's documented parameter counts (``num_params`` in its weights' meta data)
PUBLISHED = {"resnet18": 11689512, "resnet34": 21797672, "resnet50": 25557032,
             "resnet101": 44549160, "resnet152": 60192808, "resnext50_32x4d": 25028904,
             "wide_resnet50_2": 68883240}
STAGES = {"resnet18": ("basic", [2, 2, 2, 2]), "resnet34": ("basic", [3, 4, 6, 3]),
          "resnet50": ("bottleneck", [3, 4, 6, 3])}


def _bn(prefix):
    return [f"{prefix}.{k}" for k in ("weight", "bias", "running_mean", "running_var",
                                      "num_batches_tracked")]


def torchvision_keys(kind, layers):
    """torchvision's state_dict keys, in order, from its architecture's description."""
    keys = ["conv1.weight"] + _bn("bn1")
    convs = 2 if kind == "basic" else 3
    for stage, blocks in enumerate(layers, 1):
        for b in range(blocks):
            p = f"layer{stage}.{b}"
            for c in range(1, convs + 1):
                keys += [f"{p}.conv{c}.weight"] + _bn(f"{p}.bn{c}")
            if b == 0 and (stage > 1 or kind == "bottleneck"):
                keys += [f"{p}.downsample.0.weight"] + _bn(f"{p}.downsample.1")
    return keys + ["fc.weight", "fc.bias"]


_BIG = ("resnet101", "resnet152", "wide_resnet50_2")  # seconds each to build: slow tests


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in _BIG else n
                                  for n in sorted(PUBLISHED)])
def test_parameter_counts_are_torchvision_s(name):
    m = getattr(models, name)()
    assert sum(p.numel() for p in m.parameters()) == PUBLISHED[name]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_state_dict_keys_in_torchvision_order(name):
    sd = getattr(models, name)(num_classes=7).state_dict()
    assert list(sd) == torchvision_keys(*STAGES[name])
    assert len(sd) == {"resnet18": 122, "resnet34": 218, "resnet50": 320}[name]
    assert tuple(sd["fc.weight"].shape) == ((7, 512) if name != "resnet50" else (7, 2048))
    nbt = sd["bn1.num_batches_tracked"]
    assert nbt.dtype == cg.int64 and tuple(nbt.shape) == ()


def _torch_resnet18(num_classes):
    """torchvision's resnet18, written out with torch.nn (torchvision is not installed)."""
    class Basic(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU(inplace=True)
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(cout))

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + idt)

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU(inplace=True)
            self.maxpool = tnn.MaxPool2d(3, 2, 1)
            chans = [64, 64, 128, 256, 512]
            for i in range(1, 5):
                stride = 1 if i == 1 else 2
                setattr(self, f"layer{i}", tnn.Sequential(Basic(chans[i - 1], chans[i], stride),
                                                          Basic(chans[i], chans[i], 1)))
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return Net()


def test_same_outputs_as_torch_resnet18_train_and_eval():
    cg.manual_seed(0)
    m = models.resnet18(num_classes=5).double()
    t = _torch_resnet18(5).double()
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 40, 40))
    for mode in ("train", "eval"):
        getattr(m, mode)(), getattr(t, mode)()
        out = m(cg.tensor(x))
        ref = t(torch.from_numpy(x))
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-7,
                                   atol=1e-9)
    sd_t = t.state_dict()  # running statistics updated the same way in train mode
    for k, v in m.state_dict().items():
        np.testing.assert_allclose(v.numpy(), sd_t[k].numpy(), rtol=1e-7, atol=1e-12)


def test_module_names_and_defaults():
    m = models.resnet18()
    names = dict(m.named_modules())
    for n in ("conv1", "bn1", "relu", "maxpool", "layer1.0.conv1", "layer2.0.downsample.0",
              "layer2.0.downsample.1", "layer4.1.bn2", "avgpool", "fc"):
        assert n in names
    assert "layer1.0.downsample" not in names or names["layer1.0.downsample"] is None
    assert isinstance(names["layer2.0.downsample"], cg.nn.Sequential)
    assert m.fc.out_features == 1000 and m.training
    m.eval()
    assert not any(mod.training for mod in m.modules())


def test_pretrained_keyword_and_registry():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = models.resnet18(pretrained=False, num_classes=3)
    assert m.fc.out_features == 3 and "'pretrained' is deprecated" in str(w[0].message)
    with pytest.raises(ValueError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models.resnet18(pretrained=True)
    assert "resnet50" in models.list_models()
    assert models.list_models(include="resnet1*") == ["resnet101", "resnet152", "resnet18"]
    assert models.get_model("resnet18", weights=None, num_classes=4).fc.out_features == 4
    with pytest.raises(ValueError):
        models.get_model("no_such_net")
