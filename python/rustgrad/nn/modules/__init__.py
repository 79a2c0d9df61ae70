"""``rustgrad.nn.modules``: the Module base class and the layers."""

from .module import Module
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .linear import Identity, Linear, Bilinear
from .activation import (
    ReLU, Tanh, Sigmoid, GELU, SiLU, LeakyReLU, ELU, Softplus, Softmax, LogSoftmax, Softmin, Hardtanh, ReLU6,
)
from .dropout import Dropout
from .sparse import Embedding
from .normalization import BatchNorm1d, BatchNorm2d
from .flatten import Flatten, Unflatten
