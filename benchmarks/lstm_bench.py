"""LSTM training-step throughput, chaingrad next to PyTorch (one thread each, same weights).

One step = zero_grad, LSTM forward over a (T, N, in) batch, linear read-out of every step, MSE
loss, backward (BPTT), SGD update. Both libraries start from the same weights (PyTorch's
state_dict copied into chaingrad) and must report the same first loss. Prints the median time
per step over ``--rounds`` rounds and the ratio chaingrad / PyTorch.

    python -m benchmarks.lstm_bench                 # T=50, N=32, in=32, H=128
    python -m benchmarks.lstm_bench --seq-len 100 --hidden 256 --layers 2
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _one_thread():
    import torch
    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:  # pragma: no cover - numpy then uses its default threads
        pass


def build(lib, seq_len, batch, n_in, hidden, layers, seed=0):
    """A step function for ``lib`` ('torch' or 'chaingrad') and its first loss."""
    import torch
    torch.manual_seed(seed)
    t_lstm = torch.nn.LSTM(n_in, hidden, layers)
    t_head = torch.nn.Linear(hidden, n_in)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((seq_len, batch, n_in)).astype(np.float32)
    y = rng.standard_normal((seq_len, batch, n_in)).astype(np.float32)
    if lib == "torch":
        L, lstm, head = torch, t_lstm, t_head
    else:
        import chaingrad as L
        from chaingrad.nn.layers.recurrent import LSTM
        lstm, head = LSTM(n_in, hidden, layers), L.nn.Linear(hidden, n_in)
        for ours, theirs in ((lstm, t_lstm), (head, t_head)):
            ours.load_state_dict({k: L.tensor(v.detach().numpy().copy())
                                  for k, v in theirs.state_dict().items()})
    params = list(lstm.parameters()) + list(head.parameters())
    opt = L.optim.SGD(params, lr=0.01)
    xt, yt = L.from_numpy(x), L.from_numpy(y)

    def step():
        opt.zero_grad()
        out, _ = lstm(xt)
        loss = ((head(out) - yt) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def measure(step, rounds, steps_per_round):
    step()  # warm-up (and the first loss, compared by the caller)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps_per_round):
            step()
        times.append((time.perf_counter() - t0) / steps_per_round)
    return statistics.median(times)


def run(seq_len=50, batch=32, n_in=32, hidden=128, layers=1, rounds=5, steps=3):
    """Returns {'torch_ms', 'chaingrad_ms', 'ratio', 'first_loss': (torch, chaingrad)}."""
    _one_thread()
    res = {}
    first = {}
    for lib in ("torch", "chaingrad"):
        step = build(lib, seq_len, batch, n_in, hidden, layers)
        first[lib] = step()
        res[f"{lib}_ms"] = 1e3 * measure(step, rounds, steps)
    res["ratio"] = res["chaingrad_ms"] / res["torch_ms"]
    res["first_loss"] = (first["torch"], first["chaingrad"])
    if not np.isclose(first["torch"], first["chaingrad"], rtol=1e-4):
        raise RuntimeError(f"the two libraries disagree on the first loss: {first}")
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seq-len", type=int, default=50)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--input", type=int, default=32)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=3)
    a = p.parse_args(argv)
    r = run(a.seq_len, a.batch, a.input, a.hidden, a.layers, a.rounds, a.steps)
    print(f"LSTM training step  T={a.seq_len} N={a.batch} in={a.input} H={a.hidden} "
          f"layers={a.layers}  (1 thread, median of {a.rounds} rounds x {a.steps} steps)")
    print(f"  torch      {r['torch_ms']:8.2f} ms/step")
    print(f"  chaingrad  {r['chaingrad_ms']:8.2f} ms/step   ratio {r['ratio']:.2f}x")
    print(f"  first loss torch {r['first_loss'][0]:.6f}  chaingrad {r['first_loss'][1]:.6f}")


if __name__ == "__main__":
    main()
