"""``chaingrad.nn``: modules, layers, losses; ``nn.functional`` (F), ``nn.init``, ``nn.utils``.

    import chaingrad as cg
    model = cg.nn.Sequential(cg.nn.Linear(4, 8), cg.nn.ReLU(), cg.nn.Linear(8, 2))
    loss = cg.nn.functional.mse_loss(model(x), y)
"""
from __future__ import annotations

from ..tensor import Parameter
from ._malloc import tune_allocator as _tune_allocator
from .module import Module
from .hooks import RemovableHandle
from .layers.container import (Sequential, ModuleList, ModuleDict, ParameterList,
                               ParameterDict, Identity, Flatten, Unflatten)
from .layers.linear import Linear, Bilinear
from .layers.activation import (ReLU, ReLU6, LeakyReLU, ELU, SELU, GELU, SiLU, Mish, Hardswish,
                                Hardsigmoid, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax,
                                Softmin, Hardtanh, LogSigmoid, Softsign, Tanhshrink, Threshold,
                                PReLU, GLU, Softmax2d, RReLU)
from .layers.conv import Conv2d, ConvTranspose2d
from .layers.pooling import MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
from .layers.conv1d import (Conv1d, MaxPool1d, AvgPool1d, AdaptiveAvgPool1d, ConvTranspose1d,
                            AdaptiveMaxPool1d)
from .layers.loss import (MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss,
                          BCELoss, BCEWithLogitsLoss, KLDivLoss)
from .layers.loss_extra import (MarginRankingLoss, HingeEmbeddingLoss, SoftMarginLoss,
                                MultiLabelSoftMarginLoss, CosineEmbeddingLoss, TripletMarginLoss,
                                PoissonNLLLoss, GaussianNLLLoss, MultiMarginLoss,
                                TripletMarginWithDistanceLoss)
from .layers.normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm,
                                   GroupNorm, RMSNorm)
from .layers.dropout import (Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout,
                             FeatureAlphaDropout)
from .layers.sparse import Embedding, EmbeddingBag
from .layers.fold import Fold, Unfold
from .layers.pool_extra import (LPPool1d, LPPool2d, LocalResponseNorm, ChannelShuffle, MaxUnpool1d,
                                MaxUnpool2d)
from .layers.misc import (Upsample, UpsamplingNearest2d, UpsamplingBilinear2d,
                          CosineSimilarity, PairwiseDistance)
from .layers.extra import (ZeroPad1d, ZeroPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d,
                           ReflectionPad2d, ReplicationPad1d, ReplicationPad2d, ZeroPad3d,
                           ConstantPad3d, ReflectionPad3d, ReplicationPad3d, CircularPad1d,
                           CircularPad2d, CircularPad3d, InstanceNorm1d,
                           InstanceNorm2d, InstanceNorm3d, PixelShuffle, PixelUnshuffle,
                           AdaptiveMaxPool2d, Softshrink, Hardshrink, CELU)
from . import functional, init, utils

from .layers.recurrent import RNNBase, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell
from .layers.attention import MultiheadAttention
from .layers.transformer import (Transformer, TransformerEncoder, TransformerEncoderLayer,
                                 TransformerDecoder, TransformerDecoderLayer)

# chaingrad.distributed builds on nn, so its layers load on first use
_DISTRIBUTED = {"SyncBatchNorm": "chaingrad.distributed.sync_batchnorm"}


def __getattr__(name):
    import importlib
    if name in _DISTRIBUTED:
        return getattr(importlib.import_module(_DISTRIBUTED[name]), name)
    if name == "parallel":
        return importlib.import_module("chaingrad.nn.parallel")
    raise AttributeError(f"module 'chaingrad.nn' has no attribute {name!r}")

_tune_allocator()  # freed blocks of large arrays are reused by the next step (see _malloc.py)
