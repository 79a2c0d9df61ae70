"""``rustgrad.linalg.eigh`` / ``eigvalsh`` (Jacobi in the core, LinalgEighBackward0) and
``linalg.solve_triangular`` (LinalgSolveTriangularBackward0)."""

from . import _core
from . import return_types as _return_types


def _tensor_arg(fn, name, position, value):
    if not isinstance(value, _core.Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")
    return value


def _uplo(fn, UPLO):
    if not isinstance(UPLO, str):
        raise TypeError(f"{fn}(): argument 'UPLO' (position 2) must be str, not {type(UPLO).__name__}")
    return UPLO


def eigh(A, UPLO="L"):
    """Ascending eigenvalues and orthonormal eigenvectors (columns) of each symmetric matrix, read
    from its lower (``'L'``) or upper (``'U'``) triangle, as ``return_types.linalg_eigh``. The
    eigenvectors' signs are arbitrary, as in LAPACK."""
    _tensor_arg("linalg_eigh", "A", 1, A)
    return _return_types.linalg_eigh(_core._linalg_eigh(A, _uplo("linalg_eigh", UPLO), True))


def eigvalsh(A, UPLO="L"):
    """The ascending eigenvalues of each symmetric matrix (LinalgEighBackward0 when differentiated)."""
    _tensor_arg("linalg_eigvalsh", "A", 1, A)
    vectors = A.requires_grad and _core.is_grad_enabled()
    return _core._linalg_eigh(A, _uplo("linalg_eigvalsh", UPLO), vectors)[0]


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """``X`` with ``A X = B`` (``X A = B`` when ``left`` is false) for upper or lower triangular
    ``A`` (the other triangle is not read; ``unitriangular``: nor is the diagonal, taken as ones)."""
    _tensor_arg("linalg_solve_triangular", "input", 1, A)
    _tensor_arg("linalg_solve_triangular", "B", 2, B)
    return _core._linalg_solve_triangular(A, B, bool(upper), bool(left), bool(unitriangular))
