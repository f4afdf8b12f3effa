"""Every name of API.md's "Tensors" and "Autograd" sections exists, as function and method."""
import pytest

import chaingrad as cg

TOP = """tensor from_numpy zeros ones empty full arange linspace eye zeros_like ones_like full_like
rand_like randn_like rand randn randint manual_seed float32 float64 float16 int32 int64 bool
exp log log1p expm1 sqrt rsqrt abs sign neg reciprocal sin cos tan tanh sigmoid relu clamp
maximum minimum where pow sum mean prod var std amax amin max min argmax argmin logsumexp norm
softmax log_softmax cumsum reshape flatten squeeze unsqueeze transpose permute cat stack split
chunk gather matmul einsum mm bmm no_grad enable_grad set_grad_enabled is_grad_enabled
Tensor Parameter""".split()

METHODS = """size numel backward detach requires_grad_ retain_grad register_hook numpy item tolist
to float double half long int bool clone add_ mul_ zero_ fill_ copy_ exp log log1p expm1 sqrt
rsqrt abs sign neg reciprocal sin cos tan tanh sigmoid relu clamp maximum minimum pow sum mean
prod var std amax amin max min argmax argmin logsumexp norm softmax log_softmax cumsum reshape
view flatten squeeze unsqueeze transpose permute expand repeat contiguous split chunk gather
matmul mm bmm __add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__
__pow__ __rpow__ __matmul__ __neg__ __iadd__ __isub__ __imul__ __itruediv__ __eq__ __ne__
__lt__ __le__ __gt__ __ge__ __getitem__ __setitem__ __array__ __float__ __len__""".split()

ATTRS = "shape ndim dtype T requires_grad grad grad_fn is_leaf device".split()

AUTOGRAD = """grad backward Function gradcheck gradgradcheck numerical_grad GradcheckError
detect_anomaly functional""".split()


@pytest.mark.parametrize("name", TOP)
def test_top_level(name):
    assert hasattr(cg, name), name


@pytest.mark.parametrize("name", METHODS)
def test_tensor_methods(name):
    assert callable(getattr(cg.Tensor, name)), name


def test_tensor_attributes():
    t = cg.zeros(2, 3)
    for a in ATTRS:
        getattr(t, a)


def test_autograd_names():
    for name in AUTOGRAD:
        assert hasattr(cg.autograd, name), name
    for name in ["vjp", "jvp", "jacobian", "hessian", "hvp"]:
        assert callable(getattr(cg.autograd.functional, name))
    assert callable(cg.nn.functional.pad)
    assert issubclass(cg.autograd.GradcheckError, Exception)
