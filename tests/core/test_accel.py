"""The compiled fast path (chaingrad/autograd/_accel.c) against the Python code it stands for.

The rest of the suite runs with the compiled path in place (as users get it); these tests
check that it is in place where it was built, that it gives exactly what the Python code
gives (values, gradients, graph structure, errors), that every uncommon case takes the
Python way, and that the Python code alone still passes the engine's own tests.
"""
from __future__ import annotations

import inspect
import os
import pickle
import subprocess
import sys
import warnings
import weakref
from pathlib import Path

import numpy as np
import pytest

import chaingrad as cg
from chaingrad.autograd import accel

ROOT = Path(__file__).resolve().parents[2]
pure_env = os.environ.get("CHAINGRAD_PURE_PYTHON", "") not in ("", "0")


@pytest.fixture
def python_only():
    """Run a block with the Python code alone, then put the compiled path back."""
    was = accel.enabled()
    accel.uninstall()
    try:
        yield
    finally:
        if was:
            accel.install()


def test_the_compiled_path_is_built_and_in_use():
    if pure_env:
        pytest.skip("CHAINGRAD_PURE_PYTHON is set")
    # setup.py builds it wherever a C compiler is present, as on every machine we run on
    assert accel.available()
    assert accel.enabled()
    assert cg.Tensor.__mul__.__wrapped__.__name__ == "__mul__"


def test_pure_python_switch_in_a_new_process():
    code = "from chaingrad.autograd import accel; print(accel.available(), accel.enabled())"
    env = dict(os.environ, CHAINGRAD_PURE_PYTHON="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def _program(seed):
    """A graph with broadcasting, leaves used many times, no-grad inputs, several outputs
    met again, in-place-free: values and gradients and structure to compare."""
    rng = np.random.default_rng(seed)
    x = cg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = cg.tensor(rng.standard_normal(4), requires_grad=True)
    c = cg.tensor(rng.standard_normal((3, 1)))  # needs no gradient
    h = x * w + c
    h = h.tanh() * h + w.exp()
    h = (h * x).sigmoid() + h.relu() * c
    parts = h.split(2, dim=0)
    loss = (parts[0].sum() * 2 + parts[1].abs().sum() + (x * x).sum()).log()
    loss.backward()
    names = []
    seen = set()
    stack = [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append((node.name(), tuple(bool(e) for e in node.next_functions)))
        stack.extend(e[0] for e in node.next_functions if e)
    return loss.item(), x.grad.numpy().copy(), w.grad.numpy().copy(), sorted(names)


@pytest.mark.parametrize("seed", range(5))
def test_same_values_gradients_and_graph_as_the_python_code(seed, python_only):
    reference = _program(seed)
    accel.install()
    compiled = _program(seed)
    np.testing.assert_array_equal(compiled[0], reference[0])  # (nan == nan here)
    np.testing.assert_array_equal(compiled[1], reference[1])
    np.testing.assert_array_equal(compiled[2], reference[2])
    assert compiled[3] == reference[3]


def test_same_errors_as_the_python_code(python_only):
    def errors():
        got = []
        a, b = cg.ones(3, requires_grad=True), cg.ones(4)
        for fn in (lambda: a * b, lambda: a + b, lambda: cg.tanh("x")):
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - the type and text are compared
                got.append((type(exc), str(exc)))
        y = a * a  # saved a; a changed in place: refused at backward
        with cg.no_grad():
            a.add_(1)
        try:
            y.sum().backward()
        except RuntimeError as exc:
            got.append((RuntimeError, str(exc).split(";")[0]))
        y = a.tanh()
        y.sum().backward()
        try:
            y.sum().backward()  # graph freed
        except RuntimeError as exc:
            got.append((RuntimeError, str(exc)[:60]))
        return got

    reference = errors()
    accel.install()
    assert errors() == reference
    assert len(reference) == 5


def test_uncommon_cases_take_the_python_way():
    a = cg.tensor([1, 2, 3])  # integers: tanh computes in float, as PyTorch
    assert cg.tanh(a).dtype == cg.float32 and a.tanh().dtype == cg.float32
    assert a.abs().dtype == cg.int64  # abs keeps integers
    f64 = cg.ones(3, dtype=cg.float64)
    assert (f64 * cg.ones(3)).dtype == cg.float64  # mixed dtypes: promotion
    assert (cg.ones(3) * 2).tolist() == [2.0, 2.0, 2.0]  # a Python number
    assert (2 * cg.ones(3)).tolist() == [2.0, 2.0, 2.0]
    assert cg.tanh(0.5).item() == pytest.approx(np.tanh(0.5))  # not a tensor
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match"):
        cg.ones(3) * cg.ones(4)  # shapes that do not broadcast: PyTorch's message
    # an op with keyword parameters, several inputs
    x = cg.ones(2, 3, requires_grad=True)
    x.sum(dim=1, keepdim=True).sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2


def test_graph_and_saved_values_are_freed():
    x = cg.ones(16, requires_grad=True)
    y = (x * x).tanh()
    node = weakref.ref(y.grad_fn)
    y.sum().backward()
    assert y.grad_fn._saved_out is None  # released by the backward pass
    del y
    assert node() is None  # no reference cycle, nothing kept by the compiled code


def test_hooks_anomaly_and_recorded_values_still_work():
    x = cg.ones(3, requires_grad=True)
    y = x * 2
    seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append(len(gi)))
    y.register_hook(lambda g: g * 10)
    (y * y).sum().backward()
    assert seen == [2] and x.grad.tolist() == [80.0] * 3
    with cg.autograd.detect_anomaly():
        z = (x * x).tanh()
    assert z.grad_fn._trace is not None  # where the op was called, recorded
    from chaingrad import viz
    with viz.record_values():
        w = x * x
    assert "value" in w.grad_fn.metadata


def test_compiled_methods_look_like_their_python_functions():
    assert cg.tanh.__name__ == "tanh" and "tanh" in cg.tanh.__doc__
    assert list(inspect.signature(cg.tanh).parameters) == ["x"]
    assert list(inspect.signature(cg.Tensor.__mul__).parameters) == ["self", "other"]
    assert "compiled" in repr(cg.Tensor.__add__) or not accel.enabled()
    assert pickle.loads(pickle.dumps(cg.tanh)) is cg.tanh
    assert pickle.loads(pickle.dumps(cg.Tensor.__mul__)) is cg.Tensor.__mul__
    t = cg.ones(2)
    assert t.__mul__(t).tolist() == [1.0, 1.0]  # bound method
    assert cg.Tensor.tanh(t).tolist() == pytest.approx([np.tanh(1.0)] * 2)


def test_uninstall_and_install_again():
    if not accel.available():
        pytest.skip("not built")
    accel.uninstall()
    assert not accel.enabled() and "compiled" not in repr(cg.Tensor.__mul__)
    accel.install()
    assert accel.enabled() and "compiled" in repr(cg.Tensor.__mul__)
    x = cg.ones(2, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.skipif(pure_env, reason="already the Python code alone")
def test_engine_tests_pass_with_the_python_code_alone():
    """The Python code is the definition: the engine's own tests, run without the compiled
    path (a fresh process with CHAINGRAD_PURE_PYTHON=1)."""
    tests = ["test_engine.py", "test_engine_order.py", "test_grad_ownership.py",
             "test_nan_safe.py", "test_autograd_api.py", "test_views.py", "test_errors.py"]
    env = dict(os.environ, CHAINGRAD_PURE_PYTHON="1")
    with warnings.catch_warnings():
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
             *[str(ROOT / "tests" / "core" / t) for t in tests]],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
