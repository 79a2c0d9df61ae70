"""Top-level aliases of ``rustgrad.linalg`` as PyTorch has them: ``det``, ``slogdet``
(``return_types.slogdet``), ``logdet``, ``inverse``, and the ``Tensor.slogdet`` / ``Tensor.logdet``
methods (``Tensor.det`` / ``Tensor.inverse`` are core methods)."""

from . import _core
from . import linalg as _linalg
from . import return_types as _return_types

__all__ = ["det", "slogdet", "logdet", "inverse"]


def det(input):
    """The determinant of each square matrix of ``input``."""
    return _core._linalg_det(_linalg._tensor_arg("det", "input", 1, input))


def slogdet(input):
    """``(sign, logabsdet)`` of each square matrix, as ``rustgrad.return_types.slogdet``."""
    return _return_types.slogdet(_core._linalg_slogdet(_linalg._tensor_arg("slogdet", "input", 1, input)))


def logdet(input):
    """``log(det(input))``: NaN where the determinant is negative, -inf where it is zero
    (PyTorch's ``where(sign == -1, nan, logabsdet)``, WhereBackward0)."""
    _linalg._tensor_arg("logdet", "input", 1, input)
    shape = input.shape
    if len(shape) < 2:
        raise RuntimeError("logdet: The input tensor A must have at least 2 dimensions.")
    if shape[-1] != shape[-2]:
        raise RuntimeError(f"logdet: A must be batches of square matrices, but they are {shape[-2]} by {shape[-1]} matrices")
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"logdet: Expected a floating point or complex tensor as input. Got {_linalg._dtype_name(input.dtype)}"
        )
    sign, logabsdet = _core._linalg_slogdet(input)
    return _core.where(sign == -1.0, float("nan"), logabsdet)


def inverse(input):
    """The inverse of each square matrix of ``input``."""
    return _core._linalg_inv(_linalg._tensor_arg("inverse", "input", 1, input))


_core.Tensor.slogdet = slogdet
_core.Tensor.logdet = logdet
