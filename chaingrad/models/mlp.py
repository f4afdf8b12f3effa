"""A multi-layer perceptron: Linear layers with an activation between them."""
from __future__ import annotations

from .. import nn


def _make_activation(activation):
    if isinstance(activation, str):
        names = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU",
                 "silu": "SiLU", "elu": "ELU", "leaky_relu": "LeakyReLU", "softplus": "Softplus"}
        cls = getattr(nn, names.get(activation.lower(), activation), None)
        if cls is None:
            raise ValueError(f"unknown activation {activation!r}; pass a Module class such as "
                             f"nn.ReLU or one of {sorted(names)}")
        return cls()
    if isinstance(activation, nn.Module):
        import copy
        return copy.deepcopy(activation)
    if not isinstance(activation, type) and _takes_input(activation):
        return _Apply(activation)  # a function of the input, such as F.relu
    return activation()  # a Module class or a factory


def _takes_input(fn):
    import inspect
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               for p in params)


class _Apply(nn.Module):
    """A plain function (``F.relu``) used as an activation layer."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, input):  # noqa: A002
        return self.fn(input)

    def extra_repr(self):
        return getattr(self.fn, "__name__", repr(self.fn))


class MLP(nn.Sequential):
    r"""``Linear(sizes[0], sizes[1]), act, Linear(sizes[1], sizes[2]), act, ..., Linear(...,
    sizes[-1])``: no activation after the last layer (it outputs logits).

    Inputs with more than two dimensions (images, N x C x H x W) are flattened to N x features
    first, so ``MLP([784, 256, 10])`` takes Fashion-MNIST batches directly.

    Args:
        sizes (list of int): layer widths, input first, output last (at least two).
        activation: a Module class (default ``nn.ReLU``), a factory, a Module to copy, a
            function of the input (``F.relu``), or a
            name (``'relu'``, ``'tanh'``, ``'sigmoid'``, ``'gelu'`` ...).
        dropout (float): dropout probability after each hidden activation (default 0).
        batch_norm (bool): BatchNorm1d after each hidden Linear (default False).
        bias (bool): Linear biases (default True).

    Being a ``Sequential``, its ``state_dict`` keys are ``0.weight, 0.bias, 2.weight, ...``
    (the indices of the Linear layers).

    Example::

        model = cg.models.MLP([784, 256, 128, 10], activation=cg.nn.Tanh)
        logits = model(images)            # (N, 10)
    """

    def __init__(self, sizes, activation=nn.ReLU, dropout=0.0, batch_norm=False, bias=True):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or any(s <= 0 for s in sizes):
            raise ValueError(f"MLP needs at least two positive sizes (input, output), got "
                             f"{sizes}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout}")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out, bias=bias))
            if i < len(sizes) - 2:
                if batch_norm:
                    layers.append(nn.BatchNorm1d(n_out))
                layers.append(_make_activation(activation))
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
        super().__init__(*layers)
        self.sizes = sizes

    def forward(self, input):  # noqa: A002
        if input.ndim > 2:
            input = input.flatten(1)
        return super().forward(input)
