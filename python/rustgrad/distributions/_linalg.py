"""Linear algebra for MultivariateNormal: the Cholesky factor comes from ``rustgrad.linalg.cholesky``
(the core kernel, LinalgCholeskyExBackward0); the core has no triangular solve, so ``solve_lower``
is forward substitution over the (small) event size with differentiable ops (the values of
PyTorch's LinalgSolveTriangularBackward0, as composed nodes). ``cholesky_info`` serves the
``positive_definite`` constraint's check without raising."""

import numpy as np

from .. import _core


def cholesky_info(a):
    """Per matrix: 0 when ``a`` is positive-definite, else the order of the first failing leading minor."""
    n = a.shape[-1]
    mats = np.array(a.detach().tolist(), dtype=np.float64).reshape(-1, n, n)
    info = []
    for m in mats:
        order = 0
        L = np.zeros_like(m)
        for j in range(n):
            s = m[j, j] - L[j, :j] @ L[j, :j]
            if not s > 0:
                order = j + 1
                break
            L[j, j] = np.sqrt(s)
            L[j + 1:, j] = (m[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
        info.append(order)
    return _core.tensor(info, dtype=_core.int32).reshape(tuple(a.shape[:-2]))


def min_eigenvalue(a):
    """The smallest eigenvalue of each symmetric matrix (for the ``positive_semidefinite`` check)."""
    n = a.shape[-1]
    mats = np.array(a.detach().tolist(), dtype=np.float64).reshape(-1, n, n)
    lows = np.linalg.eigvalsh(mats)[:, 0] if len(mats) else np.zeros(0)
    return _core.tensor(lows.tolist(), dtype=a.dtype).reshape(tuple(a.shape[:-2]))


def cholesky(a):
    """The lower-triangular ``L`` with ``L @ L.mT == a`` (batched): the core's LAPACK-style kernel,
    so the node is PyTorch's LinalgCholeskyExBackward0 and a non-positive-definite input raises
    its LinAlgError."""
    from .. import linalg

    return linalg.cholesky(a)


def solve_lower(L, b):
    """``X`` with ``L @ X == b`` for lower-triangular ``L`` (..., n, n) and ``b`` (..., n, m), by
    forward substitution: x_i = (b_i - L_i,:i @ X_:i) / L_ii."""
    n = L.shape[-1]
    rows = []
    for i in range(n):
        r = b[..., i:i + 1, :]
        if i:
            r = r - L[..., i:i + 1, :i] @ _core.cat(rows, -2)
        rows.append(r / L[..., i:i + 1, i:i + 1])
    return _core.cat(rows, -2)


def identity(n, dtype):
    return _core.eye(n, dtype=dtype)
