"""``rustgrad.linalg.qr`` (Householder with LAPACK's signs in the core, LinalgQrBackward0) and the
old ``rustgrad.qr(A, some=True)`` / ``Tensor.qr``."""

import warnings as _warnings

from . import _core
from . import return_types as _return_types


def qr(A, mode="reduced"):
    """``A = Q R`` for each matrix, as ``return_types.linalg_qr(Q, R)``: ``mode='reduced'`` (Q ``m
    x k``, R ``k x n``), ``'complete'`` (Q ``m x m``, R ``m x n``) or ``'r'`` (Q empty)."""
    if not isinstance(A, _core.Tensor):
        raise TypeError(f"linalg_qr(): argument 'A' (position 1) must be Tensor, not {type(A).__name__}")
    if not isinstance(mode, str):
        raise TypeError(f"linalg_qr(): argument 'mode' (position 2) must be str, not {type(mode).__name__}")
    return _return_types.linalg_qr(_core._linalg_qr(A, mode))


_qr_warned = False


def qr_old(input, some=True):
    """``torch.qr``: ``return_types.qr(Q, R)`` of ``linalg.qr(input, 'reduced' if some else
    'complete')``, with PyTorch's one-time deprecation warning."""
    global _qr_warned
    if not isinstance(input, _core.Tensor):
        raise TypeError(f"qr(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if not _qr_warned:  # PyTorch's TORCH_WARN_ONCE
        _qr_warned = True
        _warnings.warn(
            "rustgrad.qr is deprecated in favor of rustgrad.linalg.qr and will be removed in a future PyTorch release.\n"
            "The boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
            "Q, R = rustgrad.qr(A, some)\nshould be replaced with\n"
            "Q, R = rustgrad.linalg.qr(A, 'reduced' if some else 'complete')", UserWarning, stacklevel=2)
    return _return_types.qr(_core._linalg_qr(input, "reduced" if some else "complete"))


def _tensor_qr(self, some=True):
    return qr_old(self, some)


_core.Tensor.qr = _tensor_qr
