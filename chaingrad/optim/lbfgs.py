"""L-BFGS: a quasi-Newton method that re-evaluates the loss through a closure."""
from __future__ import annotations

from ..backend import xp
from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer, _check


class LBFGS(Optimizer):
    r"""Limited-memory BFGS (Nocedal, 1980) with PyTorch's iteration scheme.

    ``step(closure)`` runs up to ``max_iter`` iterations on the flattened parameters x with
    gradient g: the direction is d = -H g from the two-loop recursion over the last
    ``history_size`` pairs (s = x_{k+1} - x_k, y = g_{k+1} - g_k, kept when y.s > 1e-10; the
    initial H = (y.s / y.y) I), the step x <- x + t d with t = lr (the first iteration of a
    run uses t = min(1, 1 / ||g||_1) lr). It stops early when max|g| <= tolerance_grad, when
    g.d > -tolerance_change, when the step or the change of loss is below tolerance_change,
    or after ``max_eval`` closure calls. Returns the first loss.

    Args: params (one group only), lr=1, max_iter=20, max_eval=None (max_iter * 5 / 4),
    tolerance_grad=1e-7, tolerance_change=1e-9, history_size=100, line_search_fn=None
    ('strong_wolfe' is not supported).

        opt = cg.optim.LBFGS(model.parameters())
        def closure():
            opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss
        opt.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check(0.0 <= lr, f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn is not None:
            raise NotImplementedError("LBFGS: line_search_fn='strong_wolfe' is not supported "
                                      "(use the default fixed step)")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _flat_grad(self):
        return xp.concatenate([xp.zeros(p._array.size, p._array.dtype) if p.grad is None
                               else p.grad._array.reshape(-1) for p in self._params])

    def _move(self, t, d):
        offset = 0
        for p in self._params:
            n = p._array.size
            p._array += (t * d[offset:offset + n]).reshape(p._array.shape).astype(p._array.dtype)
            p._version_counter.value += 1
            offset += n

    def _evaluate(self, closure):
        with enable_grad():
            return closure()

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss of the first closure call."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure that re-evaluates the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
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
            d, t = state.get("d"), state.get("t")
            dirs, steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
            h_diag, g_prev = state.get("H_diag"), state.get("prev_flat_grad")
            n_iter = 0
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d, dirs, steps, ro, h_diag = -g, [], [], [], 1.0
                else:
                    d, h_diag = self._direction(g, g_prev, d, t, dirs, steps, ro, h_diag,
                                                group["history_size"])
                g_prev = g.copy()
                prev_loss = loss
                t = (min(1.0, 1.0 / float(xp.abs(g).sum())) * lr if state["n_iter"] == 1
                     else lr)
                if float(g @ d) > -tol_change:  # not a descent direction
                    break
                self._move(t, d)
                converged = False
                if n_iter != max_iter:
                    loss = float(self._evaluate(closure))
                    g = self._flat_grad()
                    converged = bool(xp.abs(g).max() <= tol_grad)
                    evals += 1
                    state["func_evals"] += 1
                if (n_iter == max_iter or evals >= max_eval or converged
                        or xp.abs(d * t).max() <= tol_change
                        or abs(loss - prev_loss) < tol_change):
                    break
            state.update(d=d, t=t, old_dirs=dirs, old_stps=steps, ro=ro, H_diag=h_diag,
                         prev_flat_grad=g_prev, prev_loss=loss)
        return orig_loss

    @staticmethod
    def _direction(g, g_prev, d, t, dirs, steps, ro, h_diag, history_size):
        """d = -H g by the two-loop recursion, after adding the newest (s, y) pair."""
        y = g - g_prev
        s = d * t
        ys = float(y @ s)
        if ys > 1e-10:
            if len(dirs) == history_size:
                dirs.pop(0)
                steps.pop(0)
                ro.pop(0)
            dirs.append(y)
            steps.append(s)
            ro.append(1.0 / ys)
            h_diag = ys / float(y @ y)
        q = -g
        alphas = [0.0] * len(dirs)
        for i in range(len(dirs) - 1, -1, -1):
            alphas[i] = float(steps[i] @ q) * ro[i]
            q = q - alphas[i] * dirs[i]
        r = q * h_diag
        for i in range(len(dirs)):
            beta = float(dirs[i] @ r) * ro[i]
            r = r + (alphas[i] - beta) * steps[i]
        return r.astype(g.dtype, copy=False), h_diag
