"""A character-level language model: embedding -> LSTM -> linear, trained by truncated BPTT.

The text ships with the package (``chaingrad/data/text/shakespeare_sonnets.txt``, public
domain), or ``--source python`` gathers the docstrings of Python's own standard library at run
time. Each step takes a batch of random windows of ``seq_len`` characters and predicts every
next character; the loss is the mean cross-entropy (log(vocabulary) for a uniform guess).
Sampling feeds the model its own output one character at a time, drawing from
softmax(logits / temperature): low temperature is conservative, high is adventurous.

    python examples/char_lm.py                   # a short run (~1 min), then samples
    python examples/char_lm.py --steps 2000 --hidden 256 --temperature 0.6
"""
from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path

import numpy as np

import chaingrad as cg
from chaingrad import nn
from chaingrad.nn.layers.recurrent import LSTM

TEXT_DIR = Path(cg.__file__).parent / "data" / "text"


def load_text(source="sonnets", max_chars=200_000):
    """The training text: the bundled sonnets, or Python's standard-library docstrings."""
    if source == "sonnets":
        return (TEXT_DIR / "shakespeare_sonnets.txt").read_text(encoding="utf-8")
    if source == "python":
        import importlib
        import pydoc  # noqa: F401  (a large module with long docstrings)
        parts = []
        for name in ("json", "argparse", "collections", "functools", "itertools", "pathlib",
                     "textwrap", "random", "statistics", "string", "re", "pydoc", "inspect"):
            mod = importlib.import_module(name)
            with warnings.catch_warnings():  # some attributes warn when touched
                warnings.simplefilter("ignore")
                objs = [mod] + [getattr(mod, a, None) for a in dir(mod)]
            for obj in objs:
                doc = getattr(obj, "__doc__", None)
                if isinstance(doc, str) and len(doc) > 80:
                    parts.append(doc.strip())
        return "\n\n".join(dict.fromkeys(parts))[:max_chars]
    raise ValueError(f"unknown text source {source!r} (sonnets or python)")


class Vocab:
    def __init__(self, text):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, s):
        return np.array([self.index[c] for c in s], dtype=np.int64)

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in ids)


class CharLM(nn.Module):
    """logits_t = W_out h_t + b,  (h_t, c_t) = LSTM(E[x_t], (h_{t-1}, c_{t-1}))."""

    def __init__(self, vocab_size, embed=32, hidden=128, layers=1):
        super().__init__()
        self.embed = nn.Parameter(cg.randn(vocab_size, embed) * 0.1)
        self.lstm = LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids, state=None):
        x = self.embed[ids]                       # (N, T, embed): a gather, scatter-add back
        out, state = self.lstm(x, state)
        return self.head(out), state


def cross_entropy(logits, target):
    V = logits.shape[-1]
    logp = logits.reshape(-1, V).log_softmax(-1)
    return -logp.gather(1, target.reshape(-1, 1)).mean()


def sample(model, vocab, prompt="\n", n=200, temperature=0.8, seed=0):
    """Generate ``n`` characters after ``prompt``, drawing from softmax(logits / T)."""
    rng = np.random.default_rng(seed)
    prompt = "".join(c for c in prompt if c in vocab.index) or vocab.chars[0]
    out = []
    with cg.no_grad():
        logits, state = model(cg.tensor(vocab.encode(prompt)[None]))
        for _ in range(n):
            z = logits.numpy()[0, -1].astype(np.float64) / max(temperature, 1e-6)
            p = np.exp(z - z.max())
            p /= p.sum()
            nxt = int(rng.choice(len(p), p=p))
            out.append(nxt)
            logits, state = model(cg.tensor(np.array([[nxt]])), state)
    return prompt + vocab.decode(out)


def train(source="sonnets", steps=150, batch=32, seq_len=48, hidden=128, lr=5e-3, seed=0,
          log_every=50, verbose=True):
    """Train and return ``(model, vocab, losses)``; ``losses`` has one entry per step."""
    cg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    text = load_text(source)
    vocab = Vocab(text)
    data = vocab.encode(text)
    model = CharLM(len(vocab), hidden=hidden)
    opt = cg.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        starts = rng.integers(0, len(data) - seq_len - 1, size=batch)
        win = np.stack([data[s:s + seq_len + 1] for s in starts])
        logits, _ = model(cg.tensor(win[:, :-1]))
        loss = cross_entropy(logits, cg.tensor(win[:, 1:]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        if verbose and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:5d}  loss {losses[-1]:.3f}  "
                  f"(uniform guess {math.log(len(vocab)):.3f})")
    return model, vocab, losses


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--source", choices=["sonnets", "python"], default="sonnets")
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--seq-len", type=int, default=48)
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--prompt", default="Shall I ")
    p.add_argument("--chars", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    model, vocab, _ = train(a.source, a.steps, seq_len=a.seq_len, hidden=a.hidden, seed=a.seed)
    for t in (0.5, a.temperature, 1.2):
        print(f"\n--- temperature {t} ---")
        print(sample(model, vocab, a.prompt, a.chars, temperature=t, seed=a.seed))


if __name__ == "__main__":
    main()
