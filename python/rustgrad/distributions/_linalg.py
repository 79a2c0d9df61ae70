"""Cholesky factorisation and triangular solves composed from tensor ops, for MultivariateNormal.

rustgrad's core has no LAPACK-style factorisations; these loops over the (small) event size build
the factor column by column with differentiable ops, so gradients flow through them as through
PyTorch's LinalgCholeskyExBackward0 / LinalgSolveTriangularBackward0 (same values, composed nodes)."""

import numpy as np

from .. import _core


def _not_pd_message(batch_index, order, batched):
    where = f"(Batch element {batch_index}): " if batched else ""
    return (f"linalg.cholesky: {where}The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {order} is not positive-definite).")


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


def cholesky(a):
    """The lower-triangular ``L`` with ``L @ L.mT == a`` (batched over leading dims)."""
    info = cholesky_info(a)
    bad = info.flatten().tolist()
    for i, order in enumerate(bad):
        if order:
            raise RuntimeError(_not_pd_message(i, order, a.dim() > 2))
    n = a.shape[-1]
    batch = tuple(a.shape[:-2])
    cols = []
    for j in range(n):
        # s_i = a_ij - sum_{k<j} L_ik L_jk for the rows i >= j
        s = a[..., j:, j]
        for k in range(j):
            s = s - cols[k][..., j:] * cols[k][..., j:j + 1]
        d = s[..., :1].sqrt()
        col = s / d  # L_jj = sqrt(s_j), L_ij = s_i / L_jj
        if j:
            col = _core.cat([_core.zeros(batch + (j,), dtype=a.dtype), col], -1)
        cols.append(col)
    return _core.stack(cols, -1)


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
