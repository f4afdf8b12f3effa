"""L-BFGS: a quasi-Newton method that re-evaluates the loss through a closure."""
from __future__ import annotations

from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import xp
from ..tensor import Tensor
from ._line_search import strong_wolfe
from .optimizer import Optimizer, _check, _check_lr


class LBFGS(Optimizer):
    r"""Limited-memory BFGS (Nocedal, 1980) with PyTorch's iteration scheme.

    ``step(closure)`` runs up to ``max_iter`` iterations on the flattened parameters x with
    gradient g: the direction is d = -H g from the two-loop recursion over the last
    ``history_size`` pairs (s = x_{k+1} - x_k, y = g_{k+1} - g_k, kept when y.s > 1e-10; the
    initial H = (y.s / y.y) I), the step x <- x + t d with t = lr (the first iteration ever
    uses t = min(1, 1 / ||g||_1) lr), or, with ``line_search_fn='strong_wolfe'``, the t found
    by a strong-Wolfe line search started there. It stops early when max|g| <= tolerance_grad,
    when g.d > -tolerance_change, when the step or the change of loss is below
    tolerance_change, or after ``max_eval`` closure calls. Returns the first loss.

    The scalars of the recursion (y.s, 1 / y.s, H's scale) are kept in the parameters' dtype,
    and ``state`` holds PyTorch's entries (``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``,
    ``al``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``func_evals``, ``n_iter``).

    Args: params (one group only), lr=1, max_iter=20, max_eval=None (max_iter * 5 // 4),
    tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=None
    (or ``'strong_wolfe'``).

        opt = cg.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        def closure():
            opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
        opt.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_lr(lr)
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # -- the parameters as one flat vector ------------------------------------------------------
    def _flat_grad(self):
        return xp.concatenate([xp.zeros(p._array.size, p._array.dtype) if p.grad is None
                               else p.grad._array.reshape(-1) for p in self._params])

    def _add_grad(self, t, d):
        """x <- x + t d, parameter by parameter, in place."""
        offset = 0
        for p in self._params:
            n = p._array.size
            if not p._array.flags.writeable:
                p._array = p._array.copy()
            p._array += (t * d[offset:offset + n]).reshape(p._array.shape).astype(
                p._array.dtype, copy=False)
            p._version_counter.value += 1
            offset += n

    def _clone_param(self):
        return [p._array.copy() for p in self._params]

    def _set_param(self, arrays):
        for p, a in zip(self._params, arrays):
            xp.copyto(p._array, a)
            p._version_counter.value += 1

    @staticmethod
    def _evaluate(closure):
        with enable_grad():
            return closure()

    def _directional_evaluate(self, closure, x, t, d):
        """Loss and flat gradient at x + t d; the parameters are put back to x."""
        self._add_grad(t, d)
        loss = float(self._evaluate(closure))
        flat_grad = self._flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # -- one call: up to max_iter iterations ----------------------------------------------------
    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss of the first closure call."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure that re-evaluates the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        with no_grad():
            g = self._flat_grad()
            if xp.abs(g).max() <= tol_grad:
                return orig_loss
            d, t = _unwrap(state.get("d")), _unwrap(state.get("t"))
            dirs, steps = _unwrap(state.get("old_dirs")), _unwrap(state.get("old_stps"))
            ro, h_diag = _unwrap(state.get("ro")), _unwrap(state.get("H_diag"))
            g_prev, prev_loss = _unwrap(state.get("prev_flat_grad")), state.get("prev_loss")
            al = _unwrap(state.get("al"))
            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d, dirs, steps, ro, h_diag = -g, [], [], [], 1
                else:
                    h_diag = _update_history(g - g_prev, d * t, dirs, steps, ro, h_diag,
                                             history_size)
                    if al is None:
                        al = [None] * history_size
                    d = _two_loop(g, dirs, steps, ro, al, h_diag)
                g_prev = g.copy()
                prev_loss = loss
                t = (min(1.0, 1.0 / xp.abs(g).sum()) * lr if state["n_iter"] == 1 else lr)
                gtd = g @ d
                if gtd > -tol_change:  # not a descent direction
                    break
                ls_evals = 0
                converged = False
                if line_search_fn is not None:
                    if line_search_fn != "strong_wolfe":
                        raise RuntimeError("only 'strong_wolfe' is supported")
                    x0 = self._clone_param()
                    loss, g, t, ls_evals = strong_wolfe(
                        lambda x, step, direction: self._directional_evaluate(
                            closure, x, step, direction), x0, t, d, loss, g, gtd)
                    self._add_grad(t, d)
                    converged = bool(xp.abs(g).max() <= tol_grad)
                else:
                    self._add_grad(t, d)
                    if n_iter != max_iter:
                        loss = float(self._evaluate(closure))
                        g = self._flat_grad()
                        converged = bool(xp.abs(g).max() <= tol_grad)
                        ls_evals = 1
                evals += ls_evals
                state["func_evals"] += ls_evals
                if (n_iter == max_iter or evals >= max_eval or converged
                        or xp.abs(d * t).max() <= tol_change
                        or abs(loss - prev_loss) < tol_change):
                    break
            state.update(d=_wrap(d), t=_wrap(t), old_dirs=_wrap(dirs), old_stps=_wrap(steps),
                         ro=_wrap(ro), H_diag=_wrap(h_diag), prev_flat_grad=_wrap(g_prev),
                         prev_loss=prev_loss)
            if al is not None:
                state["al"] = _wrap(al)
        return orig_loss


def _update_history(y, s, dirs, steps, ro, h_diag, history_size):
    """Remember the newest curvature pair (s, y) when y.s > 1e-10 (dropping the oldest past
    ``history_size``); returns the scale y.s / y.y of the initial inverse Hessian."""
    ys = y @ s
    if ys > 1e-10:
        if len(dirs) == history_size:
            dirs.pop(0)
            steps.pop(0)
            ro.pop(0)
        dirs.append(y)
        steps.append(s)
        ro.append(1.0 / ys)
        h_diag = ys / (y @ y)
    return h_diag


def _two_loop(g, dirs, steps, ro, al, h_diag):
    """d = -H g by the two-loop recursion over the stored pairs (``al`` is filled in)."""
    q = -g
    for i in range(len(dirs) - 1, -1, -1):
        al[i] = (steps[i] @ q) * ro[i]
        q -= al[i] * dirs[i]
    r = q * h_diag
    for i in range(len(dirs)):
        be_i = (dirs[i] @ r) * ro[i]
        r += (al[i] - be_i) * steps[i]
    return r.astype(g.dtype, copy=False)


def _wrap(value):
    """State as PyTorch keeps it: arrays and NumPy scalars as Tensors, lists entry by entry."""
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, (xp.ndarray, xp.generic)):
        return Tensor._wrap(xp.asarray(value))
    return value


def _unwrap(value):
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, Tensor):
        arr = value._array
        return arr[()] if arr.ndim == 0 else arr
    return value
