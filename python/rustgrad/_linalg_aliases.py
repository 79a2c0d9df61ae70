"""Top-level aliases of ``rustgrad.linalg`` as PyTorch has them: ``det``, ``slogdet``
(``return_types.slogdet``), ``logdet``, ``inverse``, and the ``Tensor.slogdet`` / ``Tensor.logdet``
methods (``Tensor.det`` / ``Tensor.inverse`` are core methods), ``cdist``, and ``svd`` /
``pinverse`` (from ``_linalg_svd``, which also sets ``Tensor.svd`` / ``Tensor.pinverse``)."""

from . import _core
from . import linalg as _linalg
from . import return_types as _return_types
from ._linalg_svd import svd_old as svd, pinverse
from ._linalg_qr import qr_old as qr

__all__ = ["det", "slogdet", "logdet", "inverse", "cdist", "svd", "pinverse", "qr"]


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


_COMPUTE_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1, "donot_use_mm_for_euclid_dist": 2}


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The ``p``-norm distance between each row of ``x1`` (``B x P x M``) and each row of ``x2``
    (``B x R x M``): a ``B x P x R`` tensor; batch dims broadcast."""
    _linalg._tensor_arg("cdist", "x1", 1, x1)
    _linalg._tensor_arg("cdist", "x2", 2, x2)
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    return _core._cdist(x1, x2, float(p), _COMPUTE_MODES[compute_mode])


_core.Tensor.slogdet = slogdet
_core.Tensor.logdet = logdet
