"""Round-3: LBFGS with the strong-Wolfe line search, float32 scalars and PyTorch's state
layout, against PyTorch."""
import numpy as np
import pytest
import torch

import chaingrad as cg

RNG = np.random.default_rng(0)
A, B, W0 = RNG.standard_normal((6, 4)), RNG.standard_normal(6), RNG.standard_normal(4)


def _problem(m, dtype):
    dt = getattr(m, dtype)
    w = m.tensor(W0.copy(), dtype=dt, requires_grad=True)
    b = m.tensor(np.zeros(1), dtype=dt, requires_grad=True)
    a, bv = m.tensor(A, dtype=dt), m.tensor(B, dtype=dt)

    def make_closure(opt):
        def closure():
            opt.zero_grad()
            r = a @ w + b - bv
            loss = (r * r).sum() + (w ** 4).sum() * 0.1
            loss.backward()
            return loss
        return closure
    return w, b, make_closure


def _run(m, kw, dtype="float64", steps=3):
    w, b, make_closure = _problem(m, dtype)
    opt = m.optim.LBFGS([w, b], **kw)
    closure = make_closure(opt)
    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    st = opt.state[w]
    return (np.concatenate([w.detach().numpy(), b.detach().numpy()]), losses,
            st["func_evals"], st["n_iter"])


@pytest.mark.parametrize("kw", [dict(line_search_fn="strong_wolfe"),
                                dict(line_search_fn="strong_wolfe", lr=0.3, history_size=2),
                                dict(line_search_fn="strong_wolfe", max_iter=4, max_eval=6),
                                dict(line_search_fn="strong_wolfe", tolerance_change=1e-3)])
def test_strong_wolfe_matches_torch(kw):
    (pc, lc, ec, nc), (pt, lt, et, nt) = _run(cg, kw), _run(torch, kw)
    np.testing.assert_allclose(pc, pt, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lc, lt, rtol=1e-9)
    assert (ec, nc) == (et, nt)


@pytest.mark.parametrize("kw", [dict(line_search_fn="strong_wolfe"), dict(max_iter=5)])
def test_float32_stays_close_to_torch(kw):
    (pc, lc, ec, nc), (pt, lt, et, nt) = _run(cg, kw, "float32"), _run(torch, kw, "float32")
    np.testing.assert_allclose(pc, pt, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lc, lt, rtol=1e-4)


def test_rosenbrock_converges_with_strong_wolfe():
    x = cg.tensor([-1.5, 2.0, 0.5], dtype=cg.float64, requires_grad=True)
    opt = cg.optim.LBFGS([x], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()
        loss.backward()
        return loss
    for _ in range(4):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), 1.0, atol=1e-4)


def _state_layout(m, kw):
    w, b, make_closure = _problem(m, "float32")
    opt = m.optim.LBFGS([w, b], **kw)
    opt.step(make_closure(opt))
    st = opt.state[w]
    out = {}
    for k, v in st.items():
        if isinstance(v, list):
            v = [x for x in v if x is not None][:1]
            out[k] = ("list", [(type(x).__name__, str(x.dtype).split(".")[-1], tuple(x.shape))
                               for x in v])
        elif hasattr(v, "dtype"):
            out[k] = (type(v).__name__, str(v.dtype).split(".")[-1], tuple(v.shape))
        else:
            out[k] = type(v).__name__
    return out, sorted(opt.state_dict()["state"])


@pytest.mark.parametrize("kw", [{}, dict(line_search_fn="strong_wolfe")])
def test_state_entries_as_torch(kw):
    assert _state_layout(cg, kw) == _state_layout(torch, kw)


def test_unknown_line_search_fails_at_step_as_torch():
    for m in (torch, cg):
        w, b, make_closure = _problem(m, "float64")
        opt = m.optim.LBFGS([w, b], line_search_fn="bogus")
        assert opt.defaults["line_search_fn"] == "bogus"
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(make_closure(opt))


@pytest.mark.parametrize("kw", [{}, dict(line_search_fn="strong_wolfe", history_size=3)])
def test_state_dict_round_trip_continues_identically(kw):
    def run(m):
        w, b, make_closure = _problem(m, "float64")
        opt = m.optim.LBFGS([w, b], max_iter=4, **kw)
        opt.step(make_closure(opt))
        sd = opt.state_dict()
        w2, b2, make_closure2 = _problem(m, "float64")
        with m.no_grad():
            w2.copy_(w)
            b2.copy_(b)
        opt2 = m.optim.LBFGS([w2, b2], max_iter=4, **kw)
        opt2.load_state_dict(sd)
        losses = [float(opt2.step(make_closure2(opt2)).detach()) for _ in range(2)]
        return np.concatenate([w2.detach().numpy(), b2.detach().numpy()]), losses
    (pc, lc), (pt, lt) = run(cg), run(torch)
    np.testing.assert_allclose(pc, pt, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lc, lt, rtol=1e-9)
