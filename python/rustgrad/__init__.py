"""rustgrad: PyTorch's autograd rebuilt as a Rust core with a thin Python layer.

Write ``rustgrad`` where PyTorch code says ``torch``: tensors, autograd and grad modes behave and
print the same.
"""

import builtins as _builtins
from . import _core
from ._core import (
    Tensor,
    dtype,
    float32,
    float64,
    int64,
    int32,
    uint8,
    Generator,
    tensor,
    empty,
    empty_like,
    full_like,
    rand_like,
    randn_like,
    randint,
    randperm,
    arange,
    linspace,
    eye,
    from_numpy,
    zeros,
    ones,
    full,
    zeros_like,
    ones_like,
    randn,
    rand,
    is_grad_enabled,
    is_inference_mode_enabled,
    is_anomaly_enabled,
    is_anomaly_check_nan_enabled,
    set_num_threads,
    get_num_threads,
    get_default_dtype,
    set_default_dtype,
)

# CPython's messages name a type by its tp_name ("unsupported operand type(s) for +: 'Tensor' and
# 'str'", "'Tensor' object has no attribute 'foo'"). PyO3 builds it from `module=` as "rustgrad.Tensor";
# PyTorch's Tensor, Node and RemovableHandle are Python classes whose tp_name is the bare name. Setting
# __name__ on a heap type rewrites tp_name only: __module__, __qualname__, repr and pickling keep
# "rustgrad". (dtype keeps "rustgrad.dtype", as PyTorch's C type says 'torch.dtype'.)
for _cls in (_core.Tensor, _core.Node, _core.RemovableHandle, _core._SharedMemory):
    _cls.__name__ = _cls.__qualname__
del _cls
from ._size import Size
from ._device import device
from .random import manual_seed, seed, initial_seed, get_rng_state, set_rng_state, default_generator
from . import random
from ._shape_functions import *  # noqa: F401,F403  (views, shape ops, indexing)
from ._tensor_str import set_printoptions
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode
from . import autograd
from . import utils
from . import nn
from . import return_types
from . import linalg
from ._linalg_aliases import *  # noqa: F401,F403  (det, slogdet, logdet, inverse)
from ._reduce_linalg import *  # noqa: F401,F403  (matmul, max, softmax, einsum, ...)
from ._sort_functions import *  # noqa: F401,F403  (sort, topk, median, cumprod, rsub, ...)
from . import optim
from .serialization import save, load
from . import _tensor_pickle  # noqa: F401  (pickle support for tensors)
from . import _arg_errors
from ._common_ops import *  # noqa: F401,F403  (nonzero, isclose, diag, tensor_split, meshgrid, ...)

# PyTorch's dtype aliases. `bool` is bound last: from here on it shadows the builtin in this module.
float = float32
double = float64
long = int64
int = int32
bool = _core.bool

__version__ = "0.1.0"


# Function forms of Tensor methods (`rustgrad.exp(x)` is `x.exp()`).
def _deprecated_alpha(name, input, alpha, rest, given_alpha):
    """PyTorch's deprecated ``name(input, alpha, other)``: its parser's error (``alpha=`` as well
    is refused), else its one-time warning and ``input.name(other, alpha=alpha)``."""
    keywords = {} if type(given_alpha) is _builtins.int and given_alpha == 1 else {"alpha": given_alpha}
    _core._arg_bind(name, (input, alpha, *rest), keywords)
    return getattr(input, name)(rest[0], alpha=alpha)


def add(input, other, *rest, alpha=1):
    if rest:
        return _deprecated_alpha("add", input, other, rest, alpha)
    return input.add(other, alpha=alpha) if isinstance(input, Tensor) else tensor(input).add(other, alpha=alpha)


def sub(input, other, *rest, alpha=1):
    if rest:
        return _deprecated_alpha("sub", input, other, rest, alpha)
    return input.sub(other, alpha=alpha)


def mul(input, other):
    return input * other


_NO_ROUNDING = object()


def div(input, other, *, rounding_mode=_NO_ROUNDING):
    # An explicit rounding_mode (even None) records DivBackward2, as PyTorch's div.Tensor_mode.
    if rounding_mode is _NO_ROUNDING:
        return input / other if isinstance(input, Tensor) else tensor(input).div(other)
    return (input if isinstance(input, Tensor) else tensor(input)).div(other, rounding_mode=rounding_mode)


divide = div


def floor_divide(input, other):
    return input.floor_divide(other) if isinstance(input, Tensor) else input // other


def remainder(input, other):
    # remainder(Number, Tensor) is `other.__rmod__(input)` (not differentiable, as PyTorch).
    return input.remainder(other) if isinstance(input, Tensor) else other.__rmod__(input)


def fmod(input, other):
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input.fmod(other)


import numbers as _numbers  # noqa: E402


def pow(input, exponent):
    if isinstance(input, Tensor):
        try:
            return input.pow(exponent)
        except TypeError:
            _arg_errors.reraise_parser_error("pow", (input, exponent), {})
            raise
    if isinstance(exponent, Tensor) and isinstance(input, _numbers.Number):
        return input ** exponent
    _arg_errors.reraise_parser_error("pow", (input, exponent), {})
    return input ** exponent


def neg(input):
    if not isinstance(input, Tensor):
        raise _arg_errors.not_a_tensor("neg", input)
    return -input


def exp(input):
    try:
        return input.exp()
    except AttributeError:
        if isinstance(input, Tensor):
            raise
        raise _arg_errors.not_a_tensor("exp", input) from None


def log(input):
    try:
        return input.log()
    except AttributeError:
        if isinstance(input, Tensor):
            raise
        raise _arg_errors.not_a_tensor("log", input) from None


def reciprocal(input):
    try:
        return input.reciprocal()
    except AttributeError:
        if isinstance(input, Tensor):
            raise
        raise _arg_errors.not_a_tensor("reciprocal", input) from None


def square(input):
    try:
        return input.square()
    except AttributeError:
        if isinstance(input, Tensor):
            raise
        raise _arg_errors.not_a_tensor("square", input) from None


def sum(input, *args, **kwargs):
    try:
        return input.sum(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("sum", (input, *args), kwargs)
        raise


def mean(input, *args, **kwargs):
    try:
        return input.mean(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("mean", (input, *args), kwargs)
        raise


def clone(input):
    try:
        return input.clone()
    except AttributeError:
        if isinstance(input, Tensor):
            raise
        raise _arg_errors.not_a_tensor("clone", input) from None


def reshape(input, shape):
    try:
        return input.reshape(shape)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("reshape", (input, shape), {})
        raise


def numel(input):
    try:
        return input.numel()
    except AttributeError:
        if isinstance(input, Tensor):
            raise
        raise _arg_errors.not_a_tensor("numel", input) from None


def is_tensor(obj):
    """True for rustgrad tensors (and their subclasses)."""
    return isinstance(obj, Tensor)


# ----- elementwise ops (issue 3): function forms of the Tensor methods -----
from ._core import where
from ._core import addcdiv, addcmul  # noqa: E402,F401


def _unary(name):
    def f(input):
        try:
            return getattr(input, name)()
        except AttributeError:
            if isinstance(input, Tensor):
                raise
            raise _arg_errors.not_a_tensor(name, input) from None

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"rustgrad.{name}(input) is input.{name}()."
    return f


for _name in (
    "abs sign sqrt rsqrt sin cos tan tanh sigmoid relu erf atan log1p expm1 floor ceil logical_not bitwise_not "
    "abs_ sqrt_ rsqrt_ sin_ cos_ tan_ tanh_ sigmoid_ relu_ erf_ atan_ log1p_ expm1_ floor_ ceil_ exp_ log_ neg_ "
    "reciprocal_ square_ "
    "asin acos asinh acosh atanh sinh cosh log2 log10 lgamma digamma deg2rad rad2deg trunc frac sgn signbit "
    "asin_ acos_ asinh_ acosh_ atanh_ sinh_ cosh_ log2_ log10_ deg2rad_ rad2deg_ trunc_ frac_"
).split():
    globals()[_name] = _unary(_name)
del _name


def _binary(name):
    def f(input, other):
        if name in _TENSOR_ONLY and not isinstance(other, Tensor):
            arg = "values" if name == "heaviside" else "other"
            raise TypeError(f"{name}(): argument '{arg}' (position 2) must be Tensor, not {type(other).__name__}")
        if name in _REFLECTED and not isinstance(input, Tensor) and isinstance(other, Tensor):
            return getattr(other, _REFLECTED[name])(input)  # rustgrad.bitwise_and(2, t)
        if not isinstance(input, Tensor):
            raise _arg_errors.not_a_tensor(name, input)
        return getattr(input, name)(other)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"rustgrad.{name}(input, other) is input.{name}(other)."
    return f


_TENSOR_ONLY = {"maximum", "minimum", "logical_and", "logical_or", "logical_xor", "hypot", "logaddexp", "logaddexp2",
                "fmax", "fmin", "ldexp", "heaviside", "gcd", "lcm"}
_REFLECTED = {"bitwise_and": "__rand__", "bitwise_or": "__ror__", "bitwise_xor": "__rxor__",
              "bitwise_left_shift": "__rlshift__", "bitwise_right_shift": "__rrshift__"}
for _name in ("maximum minimum eq ne lt le gt ge logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor "
              "bitwise_left_shift bitwise_right_shift hypot logaddexp logaddexp2 fmax fmin copysign ldexp heaviside gcd lcm").split():
    globals()[_name] = _binary(_name)
del _name
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def round(input, *, decimals=None):
    try:
        return input.round(decimals=decimals)
    except AttributeError:
        if isinstance(input, Tensor):
            raise
        raise _arg_errors.not_a_tensor("round", input) from None


def _clamp_form(name):
    def f(input, *args, **kwargs):
        try:
            return getattr(input, name)(*args, **kwargs)
        except AttributeError:
            if isinstance(input, Tensor):
                raise
            raise _arg_errors.not_a_tensor(name, input) from None
        except TypeError:
            # PyTorch's parser error names the function form's signatures (with `input`).
            _arg_errors.reraise_parser_error(name, (input, *args), kwargs)
            raise

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"rustgrad.{name}(input, min=None, max=None) is input.{name}(min, max)."
    return f


clamp, clamp_, clip, clip_ = (_clamp_form(n) for n in ("clamp", "clamp_", "clip", "clip_"))


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)
# ----- end of elementwise ops -----


def index_put(input, indices, values, accumulate=False):
    return input.index_put(indices, values, accumulate)


def index_put_(input, indices, values, accumulate=False):
    return input.index_put_(indices, values, accumulate)


def masked_scatter(input, mask, source):
    return input.masked_scatter(mask, source)


def index_fill(input, dim, index, value):
    return input.index_fill(dim, index, value)


def index_copy(input, dim, index, source):
    return input.index_copy(dim, index, source)


def index_add(input, dim, index, source, *, alpha=1):
    return input.index_add(dim, index, source, alpha=alpha)


def put(input, index, source, accumulate=False):
    return input.put(index, source, accumulate)


def take(input, index):
    return input.take(index)


# ----- special functions and device namespaces (nn-extras) -----
from ._special_functions import *  # noqa: F401,F403,E402  (isnan, nan_to_num, logit, erfinv, xlogy, ...)
from ._special_cephes import *  # noqa: F401,F403,E402  (i0, igamma, igammac, mvlgamma, frexp, nextafter)
from . import special, cuda, backends, accelerator  # noqa: E402
# torch.selu / celu / prelu / hardshrink / cosine_similarity / pairwise_distance / group_norm: the
# nn.functional ops under PyTorch's top-level signatures.
from ._nn_aliases import *  # noqa: E402,F401,F403
# torch.dropout / layer_norm / conv2d / embedding_bag / ...: ATen's top-level nn ops and signatures.
from ._nn_toplevel import *  # noqa: E402,F401,F403
from ._nn_toplevel_loss_rnn import *  # noqa: E402,F401,F403  (kl_div(..., reduction=1), lstm_cell, ...)
# dtype utilities: finfo/iinfo, promote_types/result_type/can_cast, is_floating_point/is_complex, determinism.
from ._dtype_info import *  # noqa: E402,F401,F403
from . import testing  # noqa: E402,F401  (assert_close, make_tensor)
from . import distributions  # noqa: E402,F401

# ----- py-tensor-ops: shape, maths, creation and random functions composed in Python -----
from ._shape_extra import *  # noqa: E402,F401,F403  (movedim, hstack, rot90, take_along_dim, vander, ...)
from ._math_extra import *  # noqa: E402,F401,F403  (diff, cross, kron, tensordot, cov, trapezoid, nansum, ...)
from ._stats_extra import *  # noqa: E402,F401,F403  (quantile, nanquantile, nanmedian, mode, histogram)
from ._creation_extra import *  # noqa: E402,F401,F403  (as_tensor, asarray, is_floating_point; element_size, nbytes)
from ._random_extra import *  # noqa: E402,F401,F403  (bernoulli; Tensor.bernoulli_/exponential_/geometric_/...)
from . import _inplace_composed  # noqa: E402,F401  (Tensor.tril_/cumsum_/addmm_/exp2_/..., apply_/map_)

# ----- alias names (arcsin, multiply, fix, ...), positive, float_power, polygamma -----
from ._math_aliases import positive, float_power, install_aliases as _install_aliases  # noqa: E402

_install_aliases(globals())


def polygamma(n, input):
    """The ``n``-th derivative of digamma at ``input`` (PolygammaBackward0)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"polygamma(): argument 'input' (position 2) must be Tensor, not {type(input).__name__}")
    return input.polygamma(n)


# ----- api-tensor: more torch.* functions and Tensor methods composed in Python -----
from ._tensor_api_more import *  # noqa: E402,F401,F403  (repeat_interleave, tile, aminmax, isin, normal, ...)
from ._tensor_api_linalg import *  # noqa: E402,F401,F403  (inner, vdot, addr, matrix_power, logcumsumexp, windows, ...)
from ._tensor_predicates import *  # noqa: E402,F401,F403  (is_nonzero, conj/real/imag, unsafe_split, *_copy, ...)
