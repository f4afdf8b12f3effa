"""The sequence examples: vanishing gradients through time (numbers with margins), char LM."""
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gradient_vanishes_through_a_tanh_rnn_not_through_an_lstm():
    """Untrained (steps=0): ||dL/dx_0|| / ||dL/dx_T|| over 60 steps."""
    res = _load("rnn_vanishing").run(seq_len=60, steps=0)
    rnn, lstm = res["rnn"], res["lstm"]
    assert rnn["ratio_first_last_init"] < 1e-6          # geometric decay with distance
    assert lstm["ratio_first_last_init"] > 1e-2         # the cell path carries it back
    g = rnn["grad_norm_init"]
    assert g[0] < g[20] < g[40] < g[-1]                 # monotone in the distance to the loss
    assert len(g) == 60 and np.all(np.isfinite(lstm["grad_norm_init"]))


@pytest.mark.slow
def test_trained_lstm_remembers_and_rnn_does_not(tmp_path):
    """The default run (T=100, seed 0; ~1 min): measured LSTM 100%, RNN 29% (chance 25%).

    Over seeds the LSTM learned every time; a tanh RNN sometimes escapes (one seed in four
    reached 78% at T=100), so the RNN bound holds for the default seed, with a margin.
    """
    res = _load("rnn_vanishing").run(plot=tmp_path / "v.png")
    assert res["lstm"]["accuracy"] > 0.9
    assert res["rnn"]["accuracy"] < 0.5
    assert res["lstm"]["ratio_first_last"] > 1e3 * res["rnn"]["ratio_first_last"]
    assert (tmp_path / "v.png").stat().st_size > 10_000


def test_char_lm_learns_and_samples():
    lm = _load("char_lm")
    model, vocab, losses = lm.train(steps=12, batch=16, seq_len=24, hidden=48, lr=1e-2,
                                    verbose=False)
    assert len(vocab) > 40 and losses[0] == pytest.approx(math.log(len(vocab)), abs=0.3)
    assert np.mean(losses[-3:]) < losses[0] - 0.6
    text = lm.sample(model, vocab, "Shall I ", n=40, temperature=0.7)
    assert text.startswith("Shall I ") and len(text) == 48
    assert set(text) <= set(vocab.chars)
    assert lm.sample(model, vocab, "Shall I ", n=40, temperature=0.7) == text  # seeded


def test_python_docstrings_source():
    text = _load("char_lm").load_text("python")
    assert len(text) > 20_000
