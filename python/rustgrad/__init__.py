"""rustgrad: PyTorch's autograd rebuilt as a Rust core with a thin Python layer.

Write ``rustgrad`` where PyTorch code says ``torch``: tensors, autograd and grad modes behave and
print the same.
"""

from . import _core
from ._core import (
    Tensor,
    dtype,
    float32,
    float64,
    int64,
    tensor,
    zeros,
    ones,
    full,
    zeros_like,
    ones_like,
    randn,
    rand,
    initial_seed,
    is_grad_enabled,
    is_inference_mode_enabled,
    is_anomaly_enabled,
    is_anomaly_check_nan_enabled,
    set_num_threads,
    get_num_threads,
)
from ._size import Size
from ._tensor_str import set_printoptions
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode
from . import autograd
from . import utils
from . import optim

# PyTorch's dtype aliases. `bool` is bound last: from here on it shadows the builtin in this module.
float = float32
double = float64
long = int64
bool = _core.bool

__version__ = "0.1.0"


def manual_seed(seed):
    """Seeds the global random generator; the same seed gives the same tensors."""
    _core._manual_seed(int(seed))


# Function forms of Tensor methods (`rustgrad.exp(x)` is `x.exp()`).
def add(input, other, *, alpha=1):
    return input.add(other, alpha=alpha) if isinstance(input, Tensor) else tensor(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    return input.sub(other, alpha=alpha)


def mul(input, other):
    return input * other


def div(input, other):
    return input / other


def pow(input, exponent):
    if isinstance(input, Tensor):
        return input.pow(exponent)
    return input ** exponent


def neg(input):
    return -input


def exp(input):
    return input.exp()


def log(input):
    return input.log()


def reciprocal(input):
    return input.reciprocal()


def square(input):
    return input.square()


def sum(input, dim=None, keepdim=False):
    return input.sum(dim, keepdim)


def mean(input, dim=None, keepdim=False):
    return input.mean(dim, keepdim)


def clone(input):
    return input.clone()


def reshape(input, shape):
    return input.reshape(shape)


def numel(input):
    return input.numel()


def is_tensor(obj):
    """True for rustgrad tensors (and their subclasses)."""
    return isinstance(obj, Tensor)
