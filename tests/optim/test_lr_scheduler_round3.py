"""Round-3 conformance of ``optim.lr_scheduler`` with PyTorch: lr sequences over many steps,
state_dict keys, warnings (their text and when they fire) and error messages."""
import math
import warnings

import pytest
import torch

import chaingrad as cg


def _outcome(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", fn())
        except Exception as e:  # noqa: BLE001 - compared with torch's
            out = (type(e).__name__, str(e))
    return out, [(w.category.__name__, str(w.message)) for w in caught]


def _same(make):
    assert _outcome(lambda: make(torch)) == _outcome(lambda: make(cg))


def _opt(lib, name="SGD", groups=1):
    ps = [{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1 * (i + 1)}
          for i in range(groups)]
    extra = {"momentum": 0.9} if name == "SGD" else {}
    return getattr(lib.optim, name)(ps, lr=0.1, **extra)


SCHEDULES = {
    "step": lambda S, o: S.StepLR(o, 3, gamma=0.5),
    "multistep": lambda S, o: S.MultiStepLR(o, [2, 5, 5, 9], gamma=0.3),
    "exp": lambda S, o: S.ExponentialLR(o, 0.9),
    "cos": lambda S, o: S.CosineAnnealingLR(o, 7, eta_min=0.001),
    "warm_restarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, 5, T_mult=2, eta_min=0.01),
    "one_cycle": lambda S, o: S.OneCycleLR(o, [1.0, 2.0], total_steps=41, three_phase=True),
    "one_cycle_linear": lambda S, o: S.OneCycleLR(o, 1.0, epochs=5, steps_per_epoch=9,
                                                  anneal_strategy="linear"),
    "cyclic": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=3,
                                      mode="triangular2"),
    "cyclic_exp": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range",
                                          gamma=0.9),
    "linear": lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=10),
    "constant": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=3),
    "lambda": lambda S, o: S.LambdaLR(o, lambda e: 0.9 ** e),
    "multiplicative": lambda S, o: S.MultiplicativeLR(o, lambda e: 0.95),
    "poly": lambda S, o: S.PolynomialLR(o, total_iters=10, power=2.0),
    "sequential": lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, 0.9),
            S.StepLR(o, 3)], milestones=[3, 8]),
    "chained": lambda S, o: S.ChainedScheduler([S.StepLR(o, 3),
                                                S.LinearLR(o, start_factor=0.5)]),
}


@pytest.mark.parametrize("key", sorted(SCHEDULES))
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_lr_and_momentum_sequences_match_torch(key, opt_name):
    def run(lib):
        opt = _opt(lib, opt_name, groups=2)
        sched = SCHEDULES[key](lib.optim.lr_scheduler, opt)
        seq = []
        for _ in range(40):
            opt.step()
            sched.step()
            seq.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups],
                        [g.get("momentum", g.get("betas")) for g in opt.param_groups]))
        return seq, sorted(sched.state_dict())
    (t, tw), (c, cw) = _outcome(lambda: run(torch)), _outcome(lambda: run(cg))
    assert tw == cw and t[0] == c[0]
    if t[0] == "ok":
        assert t[1][1] == c[1][1]
        for a, b in zip(t[1][0], c[1][0]):
            assert repr(a) == repr(b) or all(
                math.isclose(x, y, rel_tol=1e-12) for x, y in zip(a[1], b[1]))


def test_warning_when_the_scheduler_steps_first():
    def run(lib):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        sched.step()
        return sched.get_last_lr()
    _same(run)


def test_no_warning_once_the_optimizer_stepped_even_a_custom_one():
    def run(lib):
        class MyOpt(lib.optim.Optimizer):
            def __init__(self, params):
                super().__init__(params, dict(lr=0.1))

            def step(self, closure=None):
                return None
        opt = MyOpt([lib.zeros(2, requires_grad=True)])
        sched = lib.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        opt.step()
        sched.step()
        return sched.get_last_lr()
    _same(run)


def test_warning_when_step_was_stepped_before_the_scheduler_existed_only():
    def run(lib):
        opt = _opt(lib)
        opt.step()
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        sched.step()
        return sched.get_last_lr()
    _same(run)


def test_warning_when_optimizer_step_is_replaced():
    def run(lib):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        opt.step = lambda closure=None: None
        opt.step()
        sched.step()
    _same(run)


def test_epoch_argument_deprecation_warning():
    def run(lib):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        opt.step()
        sched.step(3)
        plateau = lib.optim.lr_scheduler.ReduceLROnPlateau(opt)
        plateau.step(1.0, 4)
        return sched.get_last_lr(), plateau.last_epoch
    _same(run)
    assert cg.optim.lr_scheduler.EPOCH_DEPRECATION_WARNING == \
        torch.optim.lr_scheduler.EPOCH_DEPRECATION_WARNING


@pytest.mark.parametrize("key", ["step", "exp", "cos", "warm_restarts", "one_cycle", "cyclic",
                                 "lambda", "multiplicative", "poly", "constant", "linear"])
def test_get_lr_outside_step_warns(key):
    def run(lib):
        opt = _opt(lib, groups=2)
        sched = SCHEDULES[key](lib.optim.lr_scheduler, opt)
        opt.step()
        sched.step()
        return sched.get_lr()
    (t, tw), (c, cw) = _outcome(lambda: run(torch)), _outcome(lambda: run(cg))
    assert tw == cw and len(cw) == 1 and t[0] == c[0] == "ok"


@pytest.mark.parametrize("key", ["step", "cos", "one_cycle", "cyclic", "warm_restarts"])
def test_resuming_without_initial_lr_message(key):
    def run(lib):
        S = lib.optim.lr_scheduler
        opt = _opt(lib)
        if key == "step":
            S.StepLR(opt, 2, last_epoch=3)
        elif key == "cos":
            S.CosineAnnealingLR(opt, 5, last_epoch=3)
        elif key == "one_cycle":
            S.OneCycleLR(opt, 1.0, 10, last_epoch=3)
        elif key == "cyclic":
            S.CyclicLR(opt, 0.1, 1.0, last_epoch=3)
        else:
            S.CosineAnnealingWarmRestarts(opt, 3, last_epoch=3)
    _same(run)


def test_per_group_length_messages():
    _same(lambda lib: lib.optim.lr_scheduler.OneCycleLR(_opt(lib), [1.0, 2.0], 10))
    _same(lambda lib: lib.optim.lr_scheduler.CyclicLR(_opt(lib), [0.1, 0.2], 1.0))
    _same(lambda lib: lib.optim.lr_scheduler.CyclicLR(_opt(lib), 0.1, 1.0,
                                                      base_momentum=[0.8, 0.7]))

    def plateau_groups(lib):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
        opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)]})
        sched.step(1.0)
        sched.step(2.0)
    _same(plateau_groups)


def test_old_base_class_name():
    assert issubclass(cg.optim.lr_scheduler._LRScheduler, cg.optim.lr_scheduler.LRScheduler)


@pytest.mark.parametrize("key", ["step", "cos", "chained", "sequential", "cyclic"])
def test_tensor_lr_is_updated_in_place_and_last_lr_is_a_copy(key):
    def run(lib):
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=lib.tensor(0.1), momentum=0.9)
        lr_tensor = opt.param_groups[0]["lr"]
        sched = SCHEDULES[key](lib.optim.lr_scheduler, opt)
        out = []
        for _ in range(6):
            opt.step()
            sched.step()
            last = sched.get_last_lr()[0]
            out.append((type(last).__name__, round(float(last), 7), last is lr_tensor,
                        opt.param_groups[0]["lr"] is lr_tensor))
        return out
    _same(run)


COMPOSITE_ERRORS = {
    "seq empty": lambda S, a, b: S.SequentialLR(a, [], []),
    "chained empty": lambda S, a, b: S.ChainedScheduler([]),
    "seq plateau": lambda S, a, b: S.SequentialLR(a, [S.StepLR(a, 2), S.ReduceLROnPlateau(a)],
                                                  [2]),
    "chained plateau": lambda S, a, b: S.ChainedScheduler([S.StepLR(a, 2),
                                                           S.ReduceLROnPlateau(a)]),
    "seq other optimizer": lambda S, a, b: S.SequentialLR(a, [S.StepLR(a, 2), S.StepLR(b, 2)],
                                                          [2]),
    "chained other optimizer": lambda S, a, b: S.ChainedScheduler([S.StepLR(a, 2),
                                                                   S.StepLR(b, 2)]),
    "seq not a scheduler": lambda S, a, b: S.SequentialLR(a, [S.StepLR(a, 2), 3], [2]),
    "seq milestones": lambda S, a, b: S.SequentialLR(a, [S.StepLR(a, 2), S.StepLR(a, 3)],
                                                     [2, 4]),
}


@pytest.mark.parametrize("key", sorted(COMPOSITE_ERRORS))
def test_composite_scheduler_errors(key):
    _same(lambda lib: COMPOSITE_ERRORS[key](lib.optim.lr_scheduler, _opt(lib), _opt(lib))
          and None)


def test_sequential_of_a_chained_scheduler():
    def run(lib):
        S = lib.optim.lr_scheduler
        opt = _opt(lib)
        sched = S.SequentialLR(opt, [S.ChainedScheduler([S.ConstantLR(opt, 0.5, 3),
                                                         S.ExponentialLR(opt, 0.9)]),
                                     S.StepLR(opt, 2)], [4])
        out = [sched.get_last_lr()]
        for _ in range(10):
            opt.step()
            sched.step()
            out.append([round(x, 14) for x in sched.get_last_lr()])
        return out
    _same(run)


class _Scale:
    def __init__(self, k=0.7):
        self.k = k

    def __call__(self, x):
        return self.k ** x


@pytest.mark.parametrize("make_fn", [lambda: (lambda x: 0.5 ** x), lambda: _Scale()])
def test_cyclic_custom_scale_fn_state_dict(make_fn):
    def run(lib):
        S = lib.optim.lr_scheduler
        opt = _opt(lib)
        sched = S.CyclicLR(opt, 0.01, 0.1, 3, scale_fn=make_fn())
        for _ in range(4):
            opt.step()
            sched.step()
        sd = sched.state_dict()
        saved_type = type(sd["_scale_fn_custom"]).__name__
        fn2 = make_fn()
        if isinstance(fn2, _Scale):
            fn2.k = 0.1
        opt2 = _opt(lib)
        sched2 = S.CyclicLR(opt2, 0.01, 0.1, 3, scale_fn=fn2)
        sched2.load_state_dict(sd)
        out = []
        for _ in range(5):
            opt2.step()
            sched2.step()
            out.append(round(sched2.get_last_lr()[0], 14))
        return saved_type, out
    _same(run)
