"""The course's closing PyTorch example, run on chaingrad with only the import names changed.

    model = resnet18()
    data = rand(1, 3, 64, 64); labels = rand(1, 1000)
    prediction = model(data)                      # forward pass: records the graph
    loss = (prediction - labels).sum()
    loss.backward()                               # backward pass: chain rule + DP
    optim = SGD(model.parameters(), lr=1e-2, momentum=0.9)
    optim.step()                                  # gradient descent

Run:  python examples/seed_resnet18.py
"""
from __future__ import annotations

import time

import numpy as np

import chaingrad as cg
from chaingrad.models import resnet18
from chaingrad.optim import SGD


def main():
    cg.manual_seed(0)
    t0 = time.perf_counter()
    model = resnet18()
    data = cg.rand(1, 3, 64, 64)
    labels = cg.rand(1, 1000)
    t1 = time.perf_counter()
    prediction = model(data)
    loss = (prediction - labels).sum()
    t2 = time.perf_counter()
    loss.backward()
    t3 = time.perf_counter()
    optim = SGD(model.parameters(), lr=1e-2, momentum=0.9)
    before = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    optim.step()
    t4 = time.perf_counter()

    n_params = sum(p.numel() for p in model.parameters())
    print(f"ResNet-18: {n_params:,} parameters in {len(list(model.parameters()))} tensors")
    print(f"prediction: shape {tuple(prediction.shape)}, loss = {loss.item():.4f}")
    print(f"time: build {t1 - t0:.2f} s, forward {t2 - t1:.3f} s, backward {t3 - t2:.3f} s, "
          f"SGD step {t4 - t3:.3f} s")
    print("\nd loss / d parameter reached every layer (gradient norms):")
    for name in ("conv1.weight", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                 "layer3.1.conv2.weight", "layer4.1.bn2.weight", "fc.weight", "fc.bias"):
        p = model.get_parameter(name)
        change = np.abs(p.detach().numpy() - before[name]).max()
        print(f"  {name:30s} |grad| = {np.linalg.norm(p.grad.numpy()):10.4f}   "
              f"max |step| = {change:.2e}")
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    print(f"\nparameters without a gradient: {len(missing)}; every one was updated by SGD: "
          f"{all(not np.array_equal(p.detach().numpy(), before[n]) for n, p in model.named_parameters())}")
    # the first SGD step with momentum is plain gradient descent: w <- w - lr * grad
    w = model.fc.bias
    assert np.allclose(w.detach().numpy(), before["fc.bias"] - 1e-2 * w.grad.numpy(), rtol=1e-5, atol=1e-7)
    print("check: fc.bias == old fc.bias - lr * grad  (first momentum step)  OK")


if __name__ == "__main__":
    main()
