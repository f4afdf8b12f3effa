"""Errors a person can act on: each message is produced here and printed (``pytest -s`` shows
them), and the test asserts that it says what happened, where, and what to do."""
import warnings

import pytest

import chaingrad as cg
from chaingrad.autograd import retention

HERE = __file__


def _line_of(text, fn):
    import inspect
    src, start = inspect.getsourcelines(fn)
    for i, line in enumerate(src):
        if text in line:
            return start + i
    raise AssertionError(text)


def _show(title, msg):
    print(f"\n--- {title} ---\n{msg}")


def test_inplace_error_names_tensor_op_and_both_source_lines():
    def program():
        x = cg.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        h.name = "h"
        y = h.sin()  # SAVE
        h.mul_(2)  # MODIFY
        y.sum().backward()

    with cg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            program()
    msg = str(info.value)
    _show("in-place error (forward under detect_anomaly)", msg)
    assert "'h'" in msg and "float32 tensor of shape 2" in msg  # which tensor
    assert "SinBackward0" in msg  # the op that saved it
    assert f"{HERE}:{_line_of('# SAVE', program)}" in msg  # the line of the save
    assert f"{HERE}:{_line_of('# MODIFY', program)}" in msg  # the line of the modification
    assert "h.mul_(2)" in msg and "y = h.sin()" in msg
    assert "version 1; expected version 0" in msg and ".clone()" in msg


def test_inplace_error_without_anomaly_still_gives_modification_line_and_how_to_get_the_save():
    def program():
        x = cg.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()  # ExpBackward0 saves its output h
        h += 1  # MODIFY
        h.sum().backward()

    with pytest.raises(RuntimeError) as info:
        program()
    msg = str(info.value)
    _show("in-place error on a saved output (no anomaly mode)", msg)
    assert "output of ExpBackward0" in msg
    assert f"{HERE}:{_line_of('# MODIFY', program)}" in msg and "h += 1" in msg
    assert "detect_anomaly" in msg  # how to see the line that saved it


def test_inplace_under_no_grad_and_setitem_sites_recorded():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 1
    y = (h * h).sum()
    with cg.no_grad():
        h[0] = 5.0  # MODIFY-NOGRAD
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    _show("in-place under no_grad", msg)
    assert "MulBackward0" in msg and "h[0] = 5.0" in msg


def test_second_backward_says_what_was_freed_and_how_to_keep_it():
    w = cg.randn(3, 4, requires_grad=True)
    x = cg.randn(2, 3)
    loss = (x @ w).tanh().sum()
    loss.backward()
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    msg = str(info.value)
    _show("second backward", msg)
    assert "second time" in msg
    assert "TanhBackward0 needs its saved output" in msg
    assert "retain_graph=True" in msg and "loss.backward(retain_graph=True)" in msg
    assert "detach" in msg
    # and the named node lists the shapes it saved
    a = cg.randn(2, 3, requires_grad=True)
    b = cg.randn(3, 5, requires_grad=True)
    out = (a @ b).sum()
    out.backward()
    with pytest.raises(RuntimeError) as info:
        out.backward()
    msg = str(info.value)
    _show("second backward through matmul", msg)
    assert "input 0 (float32 [2, 3])" in msg and "input 1 (float32 [3, 5])" in msg


def test_retain_graph_lets_the_second_backward_run():
    w = cg.randn(3, requires_grad=True)
    loss = (w.exp() * w).sum()
    loss.backward(retain_graph=True)
    g = w.grad.clone()
    loss.backward()
    assert bool((w.grad == 2 * g).all())


@pytest.mark.parametrize("case", ["no_grad", "detach", "integer", "plain"])
def test_does_not_require_grad_names_tensor_and_cause(case):
    w = cg.randn(3, requires_grad=True)
    if case == "no_grad":
        with cg.no_grad():
            loss = (w * 2).sum()
    elif case == "detach":
        loss = (w.detach() * 2).sum()
    elif case == "integer":
        loss = cg.tensor([1, 2, 3]).sum()
    else:
        loss = cg.ones(3).sum()
    loss.name = "loss"
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    msg = str(info.value)
    _show(f"does not require grad ({case})", msg)
    assert "does not require grad" in msg and "'loss'" in msg
    if case == "integer":
        assert "integer" in msg and "int64" in msg
    else:
        assert "no_grad" in msg and "detach" in msg and "requires_grad=True" in msg
    with pytest.raises(RuntimeError, match="differentiated Tensors.*does not require grad"):
        cg.autograd.grad((w * 2).sum(), [w, cg.ones(2)])


# -- graph retention (total_loss += loss) ------------------------------------------------------
def _train(steps, accumulate, before_backward=False):
    cg.manual_seed(0)
    w = cg.randn(4, 2, requires_grad=True)
    x = cg.randn(8, 4)
    total = 0
    for _ in range(steps):
        loss = (x @ w).tanh().pow(2).mean()
        if before_backward:
            total = accumulate(total, loss)
        loss.backward()
        if not before_backward:
            total = accumulate(total, loss)
        with cg.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    return total


@pytest.mark.parametrize("before_backward", [False, True])
@pytest.mark.parametrize("form", ["iadd", "add"])
def test_total_loss_accumulation_warned_once_with_the_fix(form, before_backward):
    retention.reset()

    def acc(total, loss):
        if form == "iadd":
            total += loss
            return total
        return total + loss

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _train(6, acc, before_backward)
    hits = [w for w in caught if issubclass(w.category, retention.RetentionWarning)]
    assert len(hits) == 1, [str(w.message) for w in caught]
    msg = str(hits[0].message)
    _show("graph retention warning", msg)
    assert "total_loss += loss.item()" in msg and "memory grows" in msg
    assert hits[0].filename == HERE  # points at the user's line
    retention.reset()


def test_no_warning_for_the_right_ways():
    retention.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error", retention.RetentionWarning)
        _train(5, lambda t, loss: t + loss.item())
        _train(5, lambda t, loss: t + loss.detach())
        # metrics on the outputs after backward, one graph input each: no accumulation
        w = cg.randn(3, requires_grad=True)
        out = (w * 2).exp()
        out.sum().backward()
        probs = out.softmax(0)
        _ = (probs * cg.ones(3)).max()
        # retain_graph: nothing was freed
        loss = (w * w).sum()
        loss.backward(retain_graph=True)
        _ = loss + (w * 3).sum()


def test_hidden_state_carried_without_detach_is_warned():
    retention.reset()
    w = cg.randn(3, 3, requires_grad=True)
    h = cg.zeros(1, 3)
    with pytest.warns(retention.RetentionWarning, match=r"h = h\.detach\(\)"):
        with pytest.raises(RuntimeError, match="second time"):  # as in PyTorch, at step 2
            for _ in range(3):
                h = (h @ w + cg.ones(1, 3) @ w).tanh()
                h.sum().backward()
    retention.reset()
