"""``rustgrad.selu`` / ``celu`` / ``prelu`` / ``hardshrink`` / ``cosine_similarity`` /
``pairwise_distance`` / ``group_norm``: the ops of their ``nn.functional`` forms under PyTorch's
top-level signatures (no ``inplace``; ``group_norm`` checks ``num_groups`` and takes
``cudnn_enabled``), so wrong calls get PyTorch's TypeErrors."""

from . import _arg_errors
from ._core import Tensor
from .nn import _functional_extra as _F

__all__ = ["selu", "selu_", "celu", "celu_", "prelu", "hardshrink", "cosine_similarity", "pairwise_distance",
           "group_norm"]


def _input(name, input, arg="input", position=1):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(input).__name__}")
    return input


def _parsed(name, *args):
    """PyTorch's parser error for ``name(*args)`` (the arguments as this form received them) when
    its signature refuses them."""
    _arg_errors.reraise_parser_error(name, args, {})


def selu(input):
    return _F.selu(_input("selu", input))


def selu_(input):
    return _F.selu_(_input("selu_", input))


def celu(input, alpha=1.0):
    _parsed("celu", input, alpha)
    return _F.celu(input, alpha)


def celu_(input, alpha=1.0):
    _parsed("celu_", input, alpha)
    return _F.celu_(input, alpha)


def prelu(input, weight):
    return _F.prelu(_input("prelu", input), weight)


def hardshrink(input, lambd=0.5):
    _parsed("hardshrink", input, lambd)
    return _F.hardshrink(input, lambd)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    return _F.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return _F.pairwise_distance(x1, x2, p, eps, keepdim)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    _parsed("group_norm", input, num_groups, weight, bias, eps, cudnn_enabled)
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    return _F.group_norm(input, num_groups, weight, bias, eps)
