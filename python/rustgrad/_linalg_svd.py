"""The SVD family of ``rustgrad.linalg``: ``svd`` / ``svdvals`` (one-sided Jacobi in the core,
LinalgSvdBackward0), ``pinv`` (LinalgPinvBackward0), and PyTorch's compositions on them:
``matrix_rank``, ``cond``, the spectral and nuclear matrix norms, and the old ``rustgrad.svd`` /
``Tensor.svd`` / ``pinverse``."""

import math as _math
import numbers as _numbers

import rustgrad as _rg  # the package (partially initialized while it imports this module)

from . import _core
from . import return_types as _return_types


def _tensor_arg(fn, name, position, value):
    if not isinstance(value, _core.Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")
    return value


def _needs_graph(A):
    return A.requires_grad and _core.is_grad_enabled()


def svd(A, full_matrices=True, *, driver=None):
    """``A = U diag(S) Vh`` for each matrix, as ``return_types.linalg_svd(U, S, Vh)``: ``S``
    descending, ``U`` ``m x m`` and ``Vh`` ``n x n`` (``m x k``, ``k x n`` with
    ``full_matrices=False``). The signs of singular vectors are arbitrary, as in LAPACK."""
    _tensor_arg("linalg_svd", "A", 1, A)
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with cuSOLVER backend.")
    return _return_types.linalg_svd(_core._linalg_svd(A, bool(full_matrices), True))


def svdvals(A, *, driver=None):
    """The singular values of each matrix, descending (LinalgSvdBackward0 when differentiated)."""
    _tensor_arg("linalg_svdvals", "A", 1, A)
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with cuSOLVER backend.")
    return _core._linalg_svd(A, False, _needs_graph(A))[1]


def svd_old(input, some=True, compute_uv=True):
    """``torch.svd``: ``return_types.svd(U, S, V)`` with ``V = Vh^T``; without ``compute_uv``, U
    and V are zero ``m x m`` and ``n x n`` matrices."""
    _tensor_arg("svd", "input", 1, input)
    if input.dim() < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has {input.dim()} dimensions instead")
    if compute_uv:
        U, S, Vh = _core._linalg_svd(input, not some, True)
        return _return_types.svd((U, S, Vh.mT))
    S = _core._linalg_svd(input, False, _needs_graph(input))[1]
    m, n = input.shape[-2], input.shape[-1]
    batch = tuple(input.shape[:-2])
    return _return_types.svd((_rg.zeros(batch + (m, m), dtype=input.dtype), S,
                              _rg.zeros(batch + (n, n), dtype=input.dtype)))


def _tolerances(A, atol, rtol):
    for name, v in (("atol", atol), ("rtol", rtol)):
        if v is not None and not isinstance(v, _numbers.Real):
            raise TypeError(f"linalg.pinv: {name} must be a float or None, not {type(v).__name__}")
    return (None if atol is None else float(atol)), (None if rtol is None else float(rtol))


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudoinverse of each matrix from its SVD: singular values at most
    ``max(atol, rtol * S_max)`` are treated as zero (``rtol`` defaults to ``eps * max(m, n)``, 0
    when a positive ``atol`` is given)."""
    _tensor_arg("linalg_pinv", "input", 1, A)
    atol, rtol = _tolerances(A, atol, rtol)
    return _core._linalg_pinv(A, atol, rtol, bool(hermitian))


def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv(input, rtol=rcond)``."""
    _tensor_arg("pinverse", "input", 1, input)
    return _core._linalg_pinv(input, None, float(rcond), False)


def _symmetric_lower(A):
    low = A.tril()
    return low + low.mT - _rg.diag_embed(A.diagonal(0, -2, -1))


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """The number of singular values above ``max(atol, rtol * S_max)`` (absolute eigenvalues of
    the lower triangle's symmetric matrix when ``hermitian``); a positional ``tol`` is ``atol``
    with ``rtol=0``, as PyTorch's old overload."""
    _tensor_arg("linalg_matrix_rank", "input", 1, A)
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(A, atol, rtol)
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if not A.dtype.is_floating_point:
        raise RuntimeError("This function doesn't handle types other than float and double")
    m, n = A.shape[-2], A.shape[-1]
    if hermitian and m != n:
        raise RuntimeError(f"linalg.eigh: A must be batches of square matrices, but they are {m} by {n} matrices")
    with _rg.no_grad():
        M = _symmetric_lower(A) if hermitian else A
        S = _core._linalg_svd(M, False, False)[1]
        if rtol is None:
            eps = 1.1920928955078125e-07 if A.dtype == _rg.float32 else 2.220446049250313e-16
            rtol = 0.0 if atol is not None and atol > 0 else eps * max(m, n)
        atol = 0.0 if atol is None else atol
        if S.shape[-1] == 0:
            return _rg.zeros(tuple(A.shape[:-2]), dtype=_rg.int64)
        tol = (S[..., :1] * rtol).clamp_min(atol)
        return (S > tol).sum(-1)


def _backshift(A, d0, d1):
    """``A`` with dims ``d0``, ``d1`` moved to the end (PyTorch always permutes) and the inverse
    permutation."""
    perm = [d for d in range(A.dim()) if d not in (d0, d1)] + [d0, d1]
    inverse = [perm.index(i) for i in range(A.dim())]
    return A.permute(*perm), inverse


def spectral_norm(A, ord, d0, d1, keepdim):
    """``matrix_norm`` for ord 2 / -2 / 'nuc': max, min or sum of the singular values over the
    matrices spanned by dims ``d0``, ``d1`` (PyTorch's composition on ``svdvals``)."""
    moved, inverse = _backshift(A, d0, d1)
    S = svdvals(moved)
    if ord == "nuc":
        result = S.sum(-1, keepdim)
    elif ord > 0:
        result = S.amax(-1, keepdim)
    else:
        result = S.amin(-1, keepdim)
    if keepdim:
        result = result.unsqueeze(-1).permute(*inverse)
    return result


def _ord_text(ord):
    if isinstance(ord, float) and ord.is_integer():
        return str(int(ord))
    return str(ord)


def cond(A, p=None):
    """The condition number of each matrix in the ``p`` norm: ``S_max / S_min`` for None/2
    (``S_min / S_max`` for -2), else ``norm(A) * norm(inv(A))`` on square matrices (infinite for
    singular ones)."""
    from . import linalg
    _tensor_arg("linalg_cond", "input", 1, A)
    if A.dim() < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    ord = 2 if p is None else p
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {ord}")
    elif abs(ord) not in (1, 2, _math.inf):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {_ord_text(ord)}")
    if A.numel() == 0:
        if not A.dtype.is_floating_point:
            raise RuntimeError(f"linalg.svd: Expected a floating point or complex tensor as input. Got {_scalar_name(A.dtype)}")
        return _rg.zeros(tuple(A.shape[:-2]), dtype=A.dtype)
    if not isinstance(ord, str) and abs(ord) == 2:
        S = svdvals(A)
        s_max, s_min = S[..., :1], S[..., -1:]
        return (s_min / s_max if ord < 0 else s_max / s_min).squeeze(-1)
    m, n = A.shape[-2], A.shape[-1]
    if m != n:
        # PyTorch prints an int ord as given, a float one with std::to_string's six decimals.
        if isinstance(ord, str) or abs(ord) == _math.inf:
            name = ord if isinstance(ord, str) else ("inf" if ord > 0 else "-inf")
        else:
            name = f"{ord:f}" if isinstance(ord, float) else str(ord)
        raise RuntimeError(f"linalg.cond(ord={name}): A must be batches of square matrices, but they are {m} by {n} matrices")
    inverse = _inverse_or_inf(A, linalg)
    result = linalg.matrix_norm(A, ord) * linalg.matrix_norm(inverse, ord)
    # 0 * inf of a singular matrix counts as infinite (NumPy's convention, as PyTorch).
    return result.nan_to_num(_math.inf, _math.inf, -_math.inf)


def _scalar_name(dtype):
    from ._scalar_names import scalar_type_name
    return scalar_type_name(dtype)


def _inverse_or_inf(A, linalg):
    """``inv(A)`` with singular matrices' inverses set to +inf (PyTorch's ``linalg_inv_ex`` +
    ``masked_fill``)."""
    try:
        return linalg.inv(A)
    except linalg.LinAlgError:
        pass
    shape = tuple(A.shape)
    flat = A.reshape(-1, shape[-2], shape[-1])
    pieces = []
    for i in range(flat.shape[0]):
        try:
            pieces.append(linalg.inv(flat[i]))
        except linalg.LinAlgError:
            pieces.append(_rg.full(shape[-2:], _math.inf, dtype=A.dtype))
    return _rg.stack(pieces).reshape(shape)


def _tensor_svd(self, some=True, compute_uv=True):
    return svd_old(self, some, compute_uv)


def _tensor_pinverse(self, rcond=1e-15):
    return pinverse(self, rcond)


_core.Tensor.svd = _tensor_svd
_core.Tensor.pinverse = _tensor_pinverse
