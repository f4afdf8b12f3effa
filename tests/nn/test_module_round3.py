"""Round-3 audit: Module hooks and state-dict details as in PyTorch (full backward hooks'
grad_input/grad_output per argument, always_call forward hooks, state-dict hooks, extra
state, version metadata, unexpected dotted keys, non-tensor entries)."""
import warnings

import pytest

import chaingrad as cg

torch = pytest.importorskip("torch")

LIBS = (cg, torch)


def _lst(gs):
    return [g.tolist() if g is not None else None for g in gs]


def _two_out(M):
    class TwoOut(M.nn.Module):
        def forward(self, x, k, y):
            return x * 2, y * 3

    return TwoOut()


@pytest.mark.parametrize("ra,rb,use", [(True, False, (0, 1)), (True, True, (0,)),
                                       (True, True, (0, 1)), (False, True, (0, 1))])
def test_full_backward_hooks_one_entry_per_argument_and_output(ra, rb, use):
    logs = []
    for M in LIBS:
        m, log = _two_out(M), []
        m.register_full_backward_pre_hook(lambda mod, go: log.append(("pre", _lst(go))))
        m.register_full_backward_hook(lambda mod, gi, go: log.append((_lst(gi), _lst(go))))
        a, b = M.ones(1, requires_grad=ra), M.ones(1, requires_grad=rb)
        o = m(a, 7, b)
        sum(o[i] for i in use).sum().backward()
        logs.append(log)
    assert logs[0] == logs[1]


def test_always_call_forward_hook_runs_when_forward_raises():
    logs = []
    for M in LIBS:
        class Boom(M.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        m, log = Boom(), []
        m.register_forward_hook(lambda mod, a, out: log.append(("always", out)), always_call=True)
        m.register_forward_hook(lambda mod, a, out: log.append("normal"))
        with pytest.raises(ValueError):
            m(M.ones(1))
        logs.append(log)
    assert logs[0] == logs[1] == [("always", None)]


def test_state_dict_hooks():
    logs = []
    for M in LIBS:
        m, log = M.nn.Sequential(M.nn.Linear(2, 2)), []
        m[0].register_state_dict_pre_hook(lambda mod, prefix, keep: log.append(("pre", prefix)))
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.__setitem__("x", 1))
        sd = m.state_dict()
        log.append(list(sd))
        del sd["x"]
        m[0].register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, meta, strict, mk, uk, em: log.append(("lpre", prefix)))

        def post(mod, keys):
            log.append(("lpost", list(keys.missing_keys)))
            keys.missing_keys.clear()

        m.register_load_state_dict_post_hook(post)
        sd.pop("0.bias")
        log.append(repr(m.load_state_dict(sd)))  # the post hook cleared the missing key
        logs.append(log)
    assert logs[0] == logs[1]


def test_extra_state_round_trip():
    for M in LIBS:
        class WithState(M.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = M.nn.Linear(1, 1)
                self.count = 3

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]

        m = WithState()
        sd = m.state_dict()
        assert list(sd) == ["_extra_state", "lin.weight", "lin.bias"]
        sd["_extra_state"] = {"count": 9}
        m.load_state_dict(sd)
        assert m.count == 9
        del sd["_extra_state"]
        with pytest.raises(RuntimeError, match="_extra_state"):
            m.load_state_dict(sd)
        plain = M.nn.Linear(1, 1)
        bad = dict(plain.state_dict(), _extra_state=1)
        assert plain.load_state_dict(bad, strict=False).unexpected_keys == ["_extra_state"]
        with pytest.raises(RuntimeError, match="Unexpected key"):
            plain.load_state_dict(bad)


def test_state_dict_metadata_and_batchnorm_version():
    for M in LIBS:
        m = M.nn.Sequential(M.nn.Linear(1, 2), M.nn.BatchNorm1d(2))
        sd = m.state_dict()
        assert dict(sd._metadata) == {"": {"version": 1}, "0": {"version": 1},
                                      "1": {"version": 2}}
        del sd["1.num_batches_tracked"]
        with pytest.raises(RuntimeError, match="num_batches_tracked"):
            m.load_state_dict(sd)  # a current-version state dict must have it
        m[1].num_batches_tracked.add_(5) if M is torch else \
            m[1].num_batches_tracked._array.__iadd__(5)
        assert repr(m.load_state_dict(dict(sd))) == "<All keys matched successfully>"
        assert int(m[1].num_batches_tracked) == 5  # kept, as PyTorch does


def test_unexpected_dotted_key_under_a_parameter_and_non_tensor_entries():
    for M in LIBS:
        m = M.nn.Sequential(M.nn.Linear(2, 3))
        sd = dict(m.state_dict(), **{"0.weight.x": M.ones(1)})
        assert m.load_state_dict(sd, strict=False).unexpected_keys == ["0.weight.x"]
        bad = dict(m.state_dict(), **{"0.bias": [1.0, 2.0, 3.0]})
        with pytest.raises(RuntimeError, match='While copying the parameter named "0.bias"'):
            m.load_state_dict(bad)
        scalar = M.nn.BatchNorm1d(2)
        sd = dict(scalar.state_dict(), num_batches_tracked=M.tensor([4]))
        scalar.load_state_dict(sd)  # a (1,) entry for a 0-d buffer is accepted
        assert int(scalar.num_batches_tracked) == 4


def test_set_submodule_share_memory_compile():
    for M in LIBS:
        s = M.nn.Sequential(M.nn.ReLU(), M.nn.Sequential(M.nn.ReLU()))
        s.set_submodule("1.0", M.nn.Tanh())
        assert type(s[1][0]).__name__ == "Tanh"
        with pytest.raises(AttributeError):
            s.set_submodule("1.5", M.nn.Tanh(), strict=True)
        assert s.share_memory() is s
    m = cg.nn.Linear(1, 1)
    m.compile()
    assert m(cg.ones(1, 1)).shape == (1, 1)


def test_packed_sequence_casts_and_vector_to_parameters_error():
    rnn = cg.nn.utils.rnn
    p = rnn.pack_sequence([cg.ones(3, 1), cg.ones(2, 1)])
    assert p.double().data.dtype == cg.float64 and p.float().data.dtype == cg.float32
    params = [cg.nn.Parameter(cg.ones(2, 3))]
    with pytest.raises(RuntimeError):
        cg.nn.utils.vector_to_parameters(cg.ones(3), params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cg.nn.utils.vector_to_parameters(cg.arange(6.0), params)
    assert params[0].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
