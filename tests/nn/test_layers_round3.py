"""Round-3 audit: layer and functional details as PyTorch (pixel_shuffle on any leading
dims, embedding_bag with include_last_offset, activation reprs, layer attributes)."""
import warnings

import numpy as np
import pytest

import chaingrad as cg
import chaingrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the types are compared
        return type(e).__name__
    return None


@pytest.mark.parametrize("shape", [(8, 3, 3), (2, 8, 3, 3), (5, 2, 8, 3, 2)])
def test_pixel_shuffle_any_leading_dims(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    got = F.pixel_shuffle(cg.tensor(x), 2)
    want = TF.pixel_shuffle(torch.tensor(x), 2)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    back = F.pixel_unshuffle(got, 2)
    np.testing.assert_array_equal(back.numpy(), TF.pixel_unshuffle(want, 2).numpy())


@pytest.mark.parametrize("fn,shape", [("pixel_shuffle", (2, 7, 3, 3)), ("pixel_shuffle", (3, 3)),
                                      ("pixel_unshuffle", (2, 3, 5, 4)),
                                      ("pixel_unshuffle", (4, 4))])
def test_pixel_shuffle_errors(fn, shape):
    x = np.zeros(shape)
    assert _err(lambda: getattr(F, fn)(cg.tensor(x), 2)) == \
        _err(lambda: getattr(TF, fn)(torch.tensor(x), 2)) == "RuntimeError"


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_include_last_offset(mode):
    w = np.random.default_rng(1).standard_normal((10, 3))
    idx, off = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 6])
    got = F.embedding_bag(cg.tensor(idx), cg.tensor(w), cg.tensor(off), mode=mode,
                          include_last_offset=True)
    want = TF.embedding_bag(torch.tensor(idx), torch.tensor(w), torch.tensor(off), mode=mode,
                            include_last_offset=True)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    empty_last = F.embedding_bag(cg.tensor(idx), cg.tensor(w), cg.tensor([0, 2, 2]), mode="sum",
                                 include_last_offset=True)
    assert empty_last.tolist()[1] == [0.0, 0.0, 0.0]


def test_activation_reprs_and_attributes():
    for name, args in (("Hardswish", (True,)), ("Hardsigmoid", (True,)),
                       ("Threshold", (0.1, 20.0, True)), ("ReLU6", (True,))):
        assert repr(getattr(cg.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    r = cg.nn.ReLU6()
    assert (r.min_val, r.max_val) == (0.0, 6.0)
    assert cg.nn.Conv1d(2, 3, 3).transposed is False
    assert cg.nn.ConvTranspose1d(2, 3, 3).transposed is True
    assert cg.nn.Upsample(scale_factor=2).name == "Upsample"
    assert cg.nn.UpsamplingNearest2d(scale_factor=2).name == "UpsamplingNearest2d"


def _names(M, Fn):
    x = M.tensor(np.random.default_rng(0).standard_normal((2, 4, 6, 6)), requires_grad=True)
    x3 = M.tensor(np.random.default_rng(1).standard_normal((2, 4, 7)), requires_grad=True)
    w1 = M.tensor(np.random.default_rng(2).standard_normal((4, 3, 3)))
    w2 = M.tensor(np.random.default_rng(3).standard_normal((4, 3, 3, 3)))
    outs = [Fn.conv1d(x3, M.tensor(np.ones((3, 4, 3)))), Fn.conv_transpose1d(x3, w1),
            Fn.conv_transpose2d(x, w2), Fn.conv_transpose2d(x[0], w2),
            Fn.adaptive_avg_pool2d(x, 3), Fn.adaptive_avg_pool2d(x, 1),
            Fn.adaptive_avg_pool2d(x[0], 1), Fn.adaptive_max_pool2d(x, 3),
            Fn.adaptive_max_pool2d(x, 3, True)[0], Fn.group_norm(x, 2), Fn.instance_norm(x),
            Fn.dropout(x, 0.5), Fn.celu(x), Fn.softshrink(x), Fn.hardshrink(x), Fn.glu(x),
            Fn.threshold(x, 0.1, 2.0), Fn.prelu(x, M.tensor([0.25], dtype=M.float64)), Fn.pixel_shuffle(x, 2),
            Fn.pixel_unshuffle(x, 2), Fn.unfold(x, 2), Fn.fold(Fn.unfold(x, 2), (6, 6), 2),
            Fn.pairwise_distance(x3, x3 * 2)]
    return [y.grad_fn.name() if M is cg else type(y.grad_fn).__name__ for y in outs]


def test_grad_fn_names_of_composed_functions():
    assert _names(cg, F) == _names(torch, TF)
    x = cg.ones(3, requires_grad=True)
    assert F.dropout(x, 0.0, training=False) is x  # an identity keeps its input's node


@pytest.mark.parametrize("dtype", ["int32", "int16", "float32", "bool", "uint8", "int64"])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_index_targets_must_be_long_or_byte(fn, dtype):
    x = np.random.default_rng(0).standard_normal((3, 4, 2))
    t = np.array([[0, 1], [1, 0], [1, 1]]).astype(dtype)
    te = _err(lambda: getattr(TF, fn)(torch.tensor(x), torch.tensor(t)))
    assert _err(lambda: getattr(F, fn)(cg.tensor(x), cg.tensor(t))) == te
    if te is None:
        want = getattr(TF, fn)(torch.tensor(x), torch.tensor(t)).item()
        assert abs(getattr(F, fn)(cg.tensor(x), cg.tensor(t)).item() - want) < 1e-12


def test_one_hot_takes_int64_only():
    for dtype in ("int32", "uint8"):
        t = np.array([0, 2]).astype(dtype)
        assert _err(lambda: F.one_hot(cg.tensor(t), 3)) == \
            _err(lambda: TF.one_hot(torch.tensor(t), 3)) == "RuntimeError"


def test_byte_targets_for_2d_input():
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = np.array([0, 3, 1], dtype=np.uint8)
    for fn in ("cross_entropy", "nll_loss"):
        want = getattr(TF, fn)(torch.tensor(x), torch.tensor(t)).item()
        assert abs(getattr(F, fn)(cg.tensor(x), cg.tensor(t)).item() - want) < 1e-12


_ACTS = ["relu", "relu6", "elu", "selu", "celu", "gelu", "silu", "mish", "hardswish",
         "hardsigmoid", "hardtanh", "softplus", "logsigmoid", "softshrink", "hardshrink",
         "leaky_relu", "glu", "threshold", "layer_norm", "dropout"]


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("name", _ACTS)
def test_activations_on_integer_and_bool_tensors(name, dtype):
    extra = {"threshold": (0, 1), "layer_norm": ((2,),)}.get(name, ())
    res = []
    for M, Fn in ((torch, TF), (cg, F)):
        x = M.tensor([[-1, 2], [3, -4]]) if dtype == "int64" else M.tensor([[True, False]] * 2)
        try:
            y = getattr(Fn, name)(x, *extra)
            res.append(("ok", str(y.dtype).split(".")[-1], y.tolist()))
        except Exception as e:  # noqa: BLE001 - the types and messages are compared
            res.append((type(e).__name__, str(e)))
    assert res[0] == res[1]


def test_functional_keyword_names_as_pytorch():
    x = cg.randn(1, 4, 6, 6)
    F.pad(input=x, pad=(1, 1), mode="constant", value=0.0)
    F.one_hot(input=cg.tensor([1, 0]), num_classes=3)
    F.celu(input=x, alpha=0.5, inplace=False)
    F.softshrink(input=x, lambd=0.3)
    F.hardshrink(input=x, lambd=0.3)
    F.pixel_shuffle(input=x, upscale_factor=2)
    F.pixel_unshuffle(input=x, downscale_factor=2)
    F.adaptive_max_pool2d(input=x, output_size=2, return_indices=False)
    y = x.clone()
    assert F.celu_(y) is y and np.allclose(y.numpy(), F.celu(x).numpy())
    assert len(list(cg.nn.Sequential(cg.nn.ReLU()).modules(remove_duplicate=False))) == 2


def test_instance_norm_bias_flag():
    for M in (cg, torch):
        m = M.nn.InstanceNorm1d(3, affine=True, bias=False)
        assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    assert repr(cg.nn.InstanceNorm1d(3, affine=True, bias=False)) == \
        repr(torch.nn.InstanceNorm1d(3, affine=True, bias=False))


@pytest.mark.parametrize("name", ["conv1d", "conv_transpose1d"])
@pytest.mark.parametrize("xs,ws", [((2, 6, 6), (2, 2, 3)), ((6, 6), (2, 2, 3)),
                                   ((2, 2, 6), (2, 2, 9))])
def test_conv1d_errors_name_1d_shapes(name, xs, ws):
    if name == "conv_transpose1d" and ws[-1] > xs[-1]:
        return  # a transposed convolution takes a kernel longer than its input
    msgs = []
    for M, Fn in ((torch, TF), (cg, F)):
        with pytest.raises(RuntimeError) as e:
            getattr(Fn, name)(M.ones(*xs), M.ones(*ws))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("name,args,kwargs", [
    ("Linear", (-1, 2), {}), ("Embedding", (5, 3), {"_weight": "2x2"}),
    ("EmbeddingBag", (5, 3), {"_weight": "2x2"}), ("LSTM", (0, 3), {}),
    ("GRU", (3, 4), {"proj_size": 2}), ("RNN", (3, 4), {"proj_size": 0}),
    ("RNN", (3, 4), {"foo": 0}), ("Bilinear", (0, 1, 1), {})])
def test_constructor_errors(name, args, kwargs):
    res = []
    for M in (torch, cg):
        kw = {k: (M.ones(2, 2) if v == "2x2" else v) for k, v in kwargs.items()}
        try:
            getattr(M.nn, name)(*args, **kw)
            res.append(None)
        except Exception as e:  # noqa: BLE001 - the types and messages are compared
            res.append((type(e).__name__, str(e)))
    assert res[0] == res[1] and res[0] is not None


@pytest.mark.parametrize("call", [
    lambda M, Fn, x: Fn.max_pool2d(x, 2, dilation=0),
    lambda M, Fn, x: Fn.max_pool1d(x[0], 2, dilation=0),
    lambda M, Fn, x: Fn.interpolate(x, size=(0, 3)),
    lambda M, Fn, x: Fn.interpolate(x, scale_factor=0.1),
    lambda M, Fn, x: Fn.interpolate(x[0], size=0),
    lambda M, Fn, x: Fn.interpolate(x[None], size=0),
    lambda M, Fn, x: Fn.prelu(x, M.ones(2, 1)),
    lambda M, Fn, x: Fn.adaptive_max_pool2d(x, 0).shape,
    lambda M, Fn, x: Fn.adaptive_max_pool1d(x[0], 0).shape])
def test_pool_interpolate_prelu_edge_cases(call):
    res = []
    for M, Fn in ((torch, TF), (cg, F)):
        try:
            res.append(tuple(call(M, Fn, M.ones(1, 2, 5, 5))))
        except Exception as e:  # noqa: BLE001 - the types and messages are compared
            res.append((type(e).__name__, str(e)))
    assert res[0] == res[1]


@pytest.mark.parametrize("name,args", [("BatchNorm1d", (3,)), ("LayerNorm", (3,)),
                                       ("GroupNorm", (1, 3)), ("PReLU", ()),
                                       ("Bilinear", (3, 3, 2))])
@pytest.mark.parametrize("dtype", ["float64", "float16", "float32"])
def test_mixed_dtype_input_and_parameters(name, args, dtype):
    res = []
    for M in (torch, cg):
        m = getattr(M.nn, name)(*args)
        x = M.tensor(np.random.default_rng(0).random((4, 3)), dtype=getattr(M, dtype))
        try:
            y = m(x, x) if name == "Bilinear" else m(x)
            res.append(("ok", str(y.dtype).split(".")[-1]))
        except Exception as e:  # noqa: BLE001 - the types and messages are compared
            res.append((type(e).__name__, str(e)))
    assert res[0] == res[1]


@pytest.mark.parametrize("fn,nargs", [("mse_loss", 2), ("smooth_l1_loss", 2), ("huber_loss", 2),
                                      ("binary_cross_entropy", 2),
                                      ("binary_cross_entropy_with_logits", 2), ("kl_div", 2),
                                      ("group_norm", 1), ("instance_norm", 0), ("rms_norm", 1),
                                      ("batch_norm", 3)])
def test_losses_and_norms_refuse_integer_input(fn, nargs):
    res = []
    for M, Fn in ((torch, TF), (cg, F)):
        x = M.tensor([[[1, 2], [3, 4]]])
        extra = {1: (1,) if fn == "group_norm" else ((2,),), 2: (x,), 3: (None, None, None, None, True),
                 0: ()}[nargs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                getattr(Fn, fn)(x, *extra)
                res.append(None)
            except Exception as e:  # noqa: BLE001 - the types and messages are compared
                res.append((type(e).__name__, str(e)))
    assert res[0] == res[1] and res[0] is not None


def test_from_pretrained_needs_2d():
    for M in (torch, cg):
        with pytest.raises(AssertionError):
            M.nn.Embedding.from_pretrained(M.ones(3))
        with pytest.raises(AssertionError):
            M.nn.EmbeddingBag.from_pretrained(M.ones(3))


def test_batch_norm_eval_without_stats_checked_first():
    for M, Fn in ((torch, TF), (cg, F)):
        with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
            Fn.batch_norm(M.tensor([[1, 2], [3, 4]]), None, None)


def test_rrelu():
    x = np.linspace(-2, 2, 9)
    for training in (False, True):
        want = TF.rrelu(torch.tensor(x), training=False)
        got = F.rrelu(cg.tensor(x), training=False)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    xs = cg.tensor(np.random.default_rng(0).standard_normal(2000), requires_grad=True)
    y = F.rrelu(xs, 0.1, 0.3, training=True)
    y.sum().backward()
    a, neg = xs.detach().numpy(), xs.detach().numpy() < 0
    slope = y.detach().numpy()[neg] / a[neg]
    assert slope.min() >= 0.1 - 1e-9 and slope.max() <= 0.3 + 1e-9 and slope.std() > 0.03
    np.testing.assert_allclose(xs.grad.numpy()[neg], slope, rtol=1e-9)
    assert np.all(xs.grad.numpy()[~neg] == 1)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    assert repr(cg.nn.RReLU(0.1, 0.2, True)) == repr(torch.nn.RReLU(0.1, 0.2, True))
    m = cg.nn.RReLU().eval()
    np.testing.assert_allclose(m(cg.tensor(x)).numpy(), torch.nn.RReLU().eval()(
        torch.tensor(x)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name,arg,batched", [("max_pool2d_with_indices", 2, True),
                                              ("adaptive_max_pool2d_with_indices", 4, True),
                                              ("max_pool1d_with_indices", 2, False),
                                              ("adaptive_max_pool1d_with_indices", 4, False)])
def test_pool_with_indices_aliases(name, arg, batched):
    x = np.random.default_rng(0).random((1, 2, 6, 6))
    x = x if batched else x[0]
    got = getattr(F, name)(cg.tensor(x), arg)
    want = getattr(TF, name)(torch.tensor(x), arg)
    np.testing.assert_array_equal(got[0].numpy(), want[0].numpy())
    np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, weighted):
    rng = np.random.default_rng(0)
    x, t, w = rng.standard_normal((4, 5)), np.array([0, 4, 1, 4]), rng.random(5) + 0.1
    kw = dict(p=p, margin=0.7, reduction=reduction)
    xt, xc = torch.tensor(x, requires_grad=True), cg.tensor(x, requires_grad=True)
    want = TF.multi_margin_loss(xt, torch.tensor(t), weight=torch.tensor(w) if weighted
                                else None, **kw)
    got = F.multi_margin_loss(xc, cg.tensor(t), weight=cg.tensor(w) if weighted else None, **kw)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-10)
    want.sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    m = cg.nn.MultiMarginLoss(p=p, weight=cg.tensor(w) if weighted else None)
    assert repr(m) == "MultiMarginLoss()" and (("weight" in m.state_dict()) == weighted)


def test_multi_margin_loss_errors():
    x = cg.randn(4, 5)
    for kw, err in ((dict(p=3), ValueError),):
        with pytest.raises(err):
            F.multi_margin_loss(x, cg.tensor([0, 1, 2, 3]), **kw)
    with pytest.raises(RuntimeError):
        F.multi_margin_loss(x, cg.tensor([0, 5, 1, 1]))


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("custom", [False, True])
def test_triplet_margin_with_distance_loss(swap, reduction, custom):
    rng = np.random.default_rng(0)
    a, p, n = (rng.standard_normal((4, 3)) for _ in range(3))
    res = []
    for M, Fn in ((torch, TF), (cg, F)):
        ts = [M.tensor(v, requires_grad=True) for v in (a, p, n)]
        dist = (lambda u, v: 1 - Fn.cosine_similarity(u, v)) if custom else None
        y = Fn.triplet_margin_with_distance_loss(*ts, distance_function=dist, margin=0.5,
                                                 swap=swap, reduction=reduction)
        y.sum().backward()
        res.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
    for got, want in zip(res[1], res[0]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert repr(cg.nn.TripletMarginWithDistanceLoss(margin=0.5)) == \
        repr(torch.nn.TripletMarginWithDistanceLoss(margin=0.5))
    with pytest.raises(ValueError):
        cg.nn.TripletMarginWithDistanceLoss(margin=0)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.5, float("inf"), 0.0])
def test_pdist(p):
    x = np.random.default_rng(0).random((5, 3))
    x[3] = x[1]  # a zero distance: PyTorch's gradient there is 0
    a, b = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yb = F.pdist(a, p), TF.pdist(b, p)
    ya.sum().backward()
    yb.sum().backward()
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)
    with pytest.raises(RuntimeError):
        F.pdist(cg.ones(2, 2, 2))


def test_gumbel_softmax():
    cg.manual_seed(0)
    logits = cg.tensor(np.log([[0.1, 0.2, 0.7]] * 20000), requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert y.shape == (20000, 3) and set(np.unique(y.detach().numpy())) == {0.0, 1.0}
    np.testing.assert_allclose(y.detach().numpy().sum(1), 1.0)
    np.testing.assert_allclose(y.detach().numpy().mean(0), [0.1, 0.2, 0.7], atol=0.015)
    (y * cg.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert np.isfinite(logits.grad.numpy()).all() and np.abs(logits.grad.numpy()).sum() > 0
    soft = F.gumbel_softmax(cg.randn(4, 5), dim=0)
    np.testing.assert_allclose(soft.numpy().sum(0), 1.0, rtol=1e-6)
    cg.manual_seed(3)
    a = F.gumbel_softmax(cg.zeros(2, 3))
    cg.manual_seed(3)
    assert np.array_equal(a.numpy(), F.gumbel_softmax(cg.zeros(2, 3)).numpy())
