"""``rustgrad.nn``: neural-network building blocks (PyTorch's ``torch.nn``)."""

from .parameter import Parameter
from .modules import *  # noqa: F401,F403
from .modules import (
    Module, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Identity, Linear, Bilinear,
    ReLU, Tanh, Sigmoid, GELU, SiLU, LeakyReLU, ELU, Softplus, Softmax, LogSoftmax, Softmin, Hardtanh, ReLU6,
    Dropout, Embedding, BatchNorm1d, BatchNorm2d, Flatten, Unflatten,
)
from . import functional, init, utils, modules

# The other nn families (losses, layer norm, convolutions, pooling) live in their own files.
from .modules.loss import *  # noqa: F401,F403
from .modules.conv import *  # noqa: F401,F403
from .modules.pooling import *  # noqa: F401,F403
from .modules.normalization_layer import *  # noqa: F401,F403
from .modules.rnn import *  # noqa: F401,F403
from .modules.transformer import *  # noqa: F401,F403
from .modules.activation_extra import *  # noqa: F401,F403,E402
from .modules.normalization_extra import *  # noqa: F401,F403,E402
from .modules.distance_extra import *  # noqa: F401,F403,E402
from .modules.upsample import *  # noqa: F401,F403,E402
from .modules.conv_transpose import *  # noqa: F401,F403,E402
from .modules.loss_extra import *  # noqa: F401,F403,E402
from .modules.padding import *  # noqa: F401,F403,E402
from .modules.layers_extra import *  # noqa: F401,F403,E402
from .modules.sparse_extra import *  # noqa: F401,F403,E402
from .modules.lazy import *  # noqa: F401,F403,E402
