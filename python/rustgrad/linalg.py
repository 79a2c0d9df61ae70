"""``rustgrad.linalg``: PyTorch's ``torch.linalg`` on the CPU for float32/float64, batched over
leading dims. ``det``, ``slogdet``, ``inv``, ``solve`` and ``cholesky`` run LU / Cholesky kernels in
the core (``src/ops/linalg_decomp.rs``); ``svd``, ``svdvals`` and ``pinv`` a Jacobi SVD
(``src/ops/linalg_svd.rs``, composed on in ``_linalg_svd.py``); the norms are PyTorch's
compositions of ``vector_norm``, ``amax``/``amin`` and ``svdvals``. Singular or indefinite inputs raise ``LinAlgError`` (a
``RuntimeError``) with PyTorch's messages."""

import math as _math
import numbers as _numbers

from . import _core
from . import return_types as _return_types
from ._scalar_names import scalar_type_name
from ._linalg_svd import svd, svdvals, pinv, matrix_rank, cond
from . import _linalg_svd
from ._linalg_qr import qr
from ._linalg_eigh import eigh, eigvalsh, solve_triangular

LinAlgError = _core._LinAlgError

__all__ = ["det", "slogdet", "inv", "solve", "cholesky", "vector_norm", "matrix_norm", "norm", "LinAlgError"]
__all__ += ["svd", "svdvals", "pinv", "matrix_rank", "cond", "qr", "eigh", "eigvalsh", "solve_triangular"]


def _tensor_arg(fn, name, position, value):
    # PyTorch's argument parser: "linalg_det(): argument 'A' (position 1) must be Tensor, not list"
    if not isinstance(value, _core.Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")
    return value


def det(A):
    """The determinant of each square matrix of ``A`` (LinalgDetBackward0)."""
    return _core._linalg_det(_tensor_arg("linalg_det", "A", 1, A))


def slogdet(A):
    """``(sign, logabsdet)`` of each square matrix: ``det(A) = sign * exp(logabsdet)``; a singular
    matrix gives ``(0, -inf)``."""
    return _return_types.linalg_slogdet(_core._linalg_slogdet(_tensor_arg("linalg_slogdet", "A", 1, A)))


def inv(A):
    """The inverse of each square matrix (LinalgInvExBackward0); singular ones raise ``LinAlgError``."""
    return _core._linalg_inv(_tensor_arg("linalg_inv", "A", 1, A))


def solve(A, B, *, left=True):
    """``X`` with ``A X = B`` (``X A = B`` when ``left`` is false). ``B`` is a batch of vectors
    when it is 1-D or has ``A``'s shape without the last dim; batch dims broadcast."""
    _tensor_arg("linalg_solve", "A", 1, A)
    _tensor_arg("linalg_solve", "B", 2, B)
    return _core._linalg_solve(A, B, bool(left))


def cholesky(A, *, upper=False):
    """The lower Cholesky factor ``L`` (``L L^T = A``) of each symmetric positive-definite matrix,
    read from its lower triangle; ``U = L^T`` when ``upper``."""
    return _core._linalg_cholesky(_tensor_arg("linalg_cholesky", "A", 1, A), bool(upper))


def _float_dtype_check(fn, dtype):
    if dtype is not None and not dtype.is_floating_point:
        raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got {_dtype_name(dtype)}")


_dtype_name = scalar_type_name


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements by default)."""
    _tensor_arg("linalg_vector_norm", "input", 1, x)
    if isinstance(ord, str) or not (isinstance(ord, _numbers.Number) or isinstance(ord, _core.Tensor)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}")
    if not x.dtype.is_floating_point:
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {_dtype_name(x.dtype)}"
        )
    _float_dtype_check("linalg.vector_norm", dtype)
    return x.norm(ord, dim, keepdim, dtype=dtype)


_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, _math.inf, -_math.inf)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm of each matrix over the two dims ``dim``: ``'fro'``, ``'nuc'`` (sum of the
    singular values), the largest/smallest singular value (``2``/``-2``), or the max/min absolute
    column (``1``/``-1``) or row (``inf``/``-inf``) sum."""
    _tensor_arg("linalg_matrix_norm", "input", 1, A)
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not A.dtype.is_floating_point:
        raise RuntimeError(
            f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got {_dtype_name(A.dtype)}"
        )
    dim = [dim] if isinstance(dim, int) else list(dim)
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    d0, d1 = (d + A.dim() if d < 0 else d for d in dim)
    for d in dim:
        if not -A.dim() <= d < A.dim():
            raise IndexError(f"Dimension out of range (expected to be in range of [{-A.dim()}, {A.dim() - 1}], but got {d})")
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    _float_dtype_check("linalg.matrix_norm", dtype)
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        if ord == "fro":
            return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    elif ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {_format_ord(ord)} not supported.")
    if ord in ("nuc", 2, -2):
        if dtype is not None:
            A = A.to(dtype)
        return _linalg_svd.spectral_norm(A, ord, d0, d1, keepdim)
    # PyTorch: the (-)inf norm is the (-)1 norm of the transpose; 1-norms of columns, then max/min.
    if abs(ord) == _math.inf:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    sums = vector_norm(A, 1.0, d0, keepdim, dtype=dtype)
    return sums.amax(d1, keepdim) if ord > 0 else sums.amin(d1, keepdim)


def _format_ord(ord):
    return str(int(ord)) if isinstance(ord, float) and ord.is_integer() else str(ord)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``vector_norm`` or ``matrix_norm`` as PyTorch picks: a string ``ord`` or two dims (or a
    2-D input with ``ord`` and no ``dim``) mean a matrix norm, else a vector norm (2 by default,
    over all elements when neither ``ord`` nor ``dim`` is given)."""
    _tensor_arg("linalg_norm", "input", 1, A)
    if dim is not None:
        dims = [dim] if isinstance(dim, int) else list(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}")
    elif ord is not None and A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.dim()}D.")
    if isinstance(ord, str):
        return matrix_norm(A, ord, (0, 1) if dim is None else dims, keepdim, dtype=dtype)
    if ord is not None and ((dim is not None and len(dims) == 2) or (dim is None and A.dim() == 2)):
        return matrix_norm(A, ord, (0, 1) if dim is None else dims, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
