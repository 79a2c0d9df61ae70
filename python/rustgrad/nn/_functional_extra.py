"""More of ``torch.nn.functional``: activations (mish, hardswish, hardsigmoid, selu, celu, glu,
logsigmoid, softshrink, hardshrink, prelu, and the Python compositions softsign and tanhshrink),
``normalize``, ``cosine_similarity``, ``pairwise_distance``, ``group_norm``, ``instance_norm``
and ``kl_div``.

Where PyTorch's function is a composition of other ops (``softsign``, ``normalize``,
``cosine_similarity``, ``instance_norm``, ``kl_div``) the same ops are composed here, so the
grad_fn chain is PyTorch's; native ops (MishBackward0, GluBackward0, NativeGroupNormBackward0,
...) are Rust ops.
"""

import warnings

from .. import _arg_errors, _core
from .._core import Tensor
from ..autograd.grad_mode import no_grad
from ._functional_loss import _type_name

__all__ = [
    "mish", "hardswish", "hardsigmoid", "selu", "selu_", "celu", "celu_", "glu", "logsigmoid", "softsign",
    "tanhshrink", "softshrink", "hardshrink", "prelu", "normalize", "cosine_similarity", "pairwise_distance",
    "group_norm", "instance_norm", "kl_div",
]


# ----- activations -----

def mish(input, inplace=False):
    return _core._activation_("mish", input) if inplace else _core._activation("mish", input)


def hardswish(input, inplace=False):
    return _core._activation_("hardswish", input) if inplace else _core._activation("hardswish", input)


def hardsigmoid(input, inplace=False):
    return _core._activation_("hardsigmoid", input) if inplace else _core._activation("hardsigmoid", input)


def selu(input, inplace=False):
    return _core._activation_("selu", input) if inplace else _core._activation("selu", input)


def selu_(input):
    return _core._activation_("selu", input)


def _number_param(name, input, value):
    """PyTorch's parser error when the number parameter of ``name(input, value)`` is not a number."""
    if type(value) not in (int, float, bool):
        _arg_errors.reraise_parser_error(name, (input, value), {})


def celu(input, alpha=1.0, inplace=False):
    _number_param("celu_" if inplace else "celu", input, alpha)
    return _core._celu_(input, alpha) if inplace else _core._celu(input, alpha)


def celu_(input, alpha=1.0):
    _number_param("celu_", input, alpha)
    return _core._celu_(input, alpha)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return _core._glu(input, dim)


def logsigmoid(input):
    return _core._activation("log_sigmoid", input)


def softsign(input):
    """``input / (|input| + 1)`` (DivBackward0, as PyTorch composes it)."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``input - tanh(input)`` (SubBackward0)."""
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    return _core._shrink(True, input, lambd)


def hardshrink(input, lambd=0.5):
    _number_param("hardshrink", input, lambd)
    return _core._shrink(False, input, lambd)


def _tensor_arg(name, value, arg, position, optional=False):
    """PyTorch's parser TypeError for a non-tensor where its native op takes a Tensor."""
    if not isinstance(value, Tensor) and not (optional and value is None):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}")


def prelu(input, weight):
    """``max(0, x) + weight * min(0, x)`` with one weight per channel (dim 1) or a shared one."""
    _tensor_arg("prelu", input, "input", 1)
    _tensor_arg("prelu", weight, "weight", 2)
    if weight.dim() not in (0, 1):
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    n = weight.numel()
    if n != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != n:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} and channel size = {channels}."
            )
    if input.dim() != weight.dim():
        shape = [1] * input.dim()
        if input.dim() > 1:
            shape[1] = n
        weight = weight.reshape(shape)
    return _core._prelu_kernel(input, weight)


# ----- distances -----

def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    if out is not None:
        raise NotImplementedError("rustgrad's normalize does not take out=")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1/||x1|| * x2/||x2||, dim)``, each norm clamped to ``eps`` (ATen's composition)."""
    _tensor_arg("cosine_similarity", x1, "x1", 1)
    _tensor_arg("cosine_similarity", x2, "x2", 2)
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"cosine_similarity(): argument 'dim' (position 3) must be int, not {type(dim).__name__}")
    dtype = (x1.reshape(-1)[:0] + x2.reshape(-1)[:0]).dtype  # the promoted type of the two
    if not dtype.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_type_name(dtype)}")
    if not x1.is_floating_point():
        x1 = x1.to(dtype)
    if not x2.is_floating_point():
        x2 = x2.to(dtype)
    if tuple(x1.shape) != tuple(x2.shape):
        shape = _broadcast_shape(x1.shape, x2.shape)
        x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = x1.norm(2, dim, keepdim=True).clone()
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _broadcast_shape(a, b):
    a, b = list(a), list(b)
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
            )
        out.append(max(x, y) if x != 1 and y != 1 else x * y if 0 in (x, y) else max(x, y))
    return out


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dimension (NormBackward1)."""
    _tensor_arg("pairwise_distance", x1, "x1", 1)
    _tensor_arg("pairwise_distance", x2, "x2", 2)
    dim = max(x1.dim(), x2.dim()) - 1
    return _core._norm_p(_core._add_scalar(x1 - x2, eps), float(p), [dim], keepdim)


# ----- normalization -----

def _verify_batch_size(size):
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _verify_spatial_size(size):
    size_prods = 1
    for i in range(2, len(size)):
        size_prods *= size[i]
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalizes each group of ``C // num_groups`` channels of every sample (NativeGroupNormBackward0)."""
    _tensor_arg("group_norm", weight, "weight", 3, optional=True)
    _tensor_arg("group_norm", bias, "bias", 4, optional=True)
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups] + list(input.size()[2:]))
    return _core._group_norm(input, num_groups, weight, bias, eps)


def _repeat_if_defined(t, n):
    return None if t is None else t.repeat(n)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Batch norm of each (sample, channel) plane: ATen's ``instance_norm`` composition (a view to
    ``[1, N*C, *]``, NativeBatchNormBackward0, a view back)."""
    if use_input_stats:
        _verify_spatial_size(input.size())
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    shape = list(input.shape)
    b, c = shape[0], shape[1]
    shape[0], shape[1] = 1, b * c
    w, bi = _repeat_if_defined(weight, b), _repeat_if_defined(bias, b)
    rm, rv = _repeat_if_defined(running_mean, b), _repeat_if_defined(running_var, b)
    reshaped = input.contiguous().view(shape)
    out, _, _ = _core.native_batch_norm(reshaped, w, bi, rm, rv, use_input_stats, momentum, eps)
    with no_grad():
        if running_mean is not None:
            running_mean.copy_(rm.view(b, c).mean(0))
        if running_var is not None:
            running_var.copy_(rv.view(b, c).mean(0))
    return out.view(input.shape)


# ----- kl_div -----

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.", stacklevel=3
    )
    return ret


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise ``target * (log(target) - input)`` (``exp(target) * (target - input)`` with
    ``log_target``), reduced; ``batchmean`` sums and divides by the batch size."""
    if size_average is not None or reduce is not None:
        mode = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support size."
                "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                stacklevel=2,
            )
        mode = "sum" if reduction == "batchmean" else reduction
        if mode not in _REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        out = target.exp() * (target - input)
    else:
        out = _core.Tensor.xlogy(target, target) - target * input
    if mode == "mean":
        reduced = out.mean()
    elif mode == "sum":
        reduced = out.sum()
    else:
        reduced = out
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.size()[0]
    return reduced
