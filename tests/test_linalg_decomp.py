"""rustgrad.linalg (det, slogdet, inv, solve, cholesky, vector_norm, matrix_norm, norm) and the
top-level aliases (det, slogdet, logdet, inverse, Tensor.det/inverse/slogdet/logdet): values
against numpy.linalg on hypothesis-drawn well-conditioned batches, gradients by finite differences
and against PyTorch, grad_fn names and saved sets, and PyTorch's errors (torch 2.13)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad import linalg
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, error_of, torch_or_skip

EXAMPLES = settings(max_examples=12, deadline=None)
GRADS = settings(max_examples=4, deadline=None)
batch_shapes = st.sampled_from([(), (1,), (3,), (2, 2)])
sizes = st.integers(1, 5)
seeds = st.integers(0, 2**16)
dtypes = st.sampled_from(["float32", "float64"])
TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def well_conditioned(seed, batch, n):
    """Random matrices pushed away from singularity (diagonal shift), with mixed-sign dets."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + (n, n))
    a += np.eye(n) * (n + 1) * rng.choice([-1.0, 1.0], size=batch + (1, 1))
    return a


def spd(seed, batch, n):
    x = np.random.default_rng(seed).standard_normal(batch + (n, n))
    return x @ np.swapaxes(x, -1, -2) + n * np.eye(n)


def tensor(a, dtype="float64", **kw):
    return rustgrad.tensor(np.asarray(a).tolist(), dtype=getattr(rustgrad, dtype), **kw)


def close(t, expected, dtype):
    assert str(t.dtype) == f"rustgrad.{dtype}"
    np.testing.assert_allclose(np.array(t.tolist()), expected, **TOL[dtype])


# ----- values against numpy -----

@EXAMPLES
@given(seeds, batch_shapes, sizes, dtypes)
def test_det_slogdet_inv_match_numpy(seed, batch, n, dtype):
    a = well_conditioned(seed, batch, n)
    t = tensor(a, dtype)
    close(linalg.det(t), np.linalg.det(a), dtype)
    sign, logabs = linalg.slogdet(t)
    ref_sign, ref_log = np.linalg.slogdet(a)
    close(sign, ref_sign, dtype)
    close(logabs, ref_log, dtype)
    close(linalg.inv(t), np.linalg.inv(a), dtype)
    close(t.inverse(), np.linalg.inv(a), dtype)
    close(rustgrad.det(t), np.linalg.det(a), dtype)


@EXAMPLES
@given(seeds, batch_shapes, sizes, st.integers(1, 3), dtypes)
def test_solve_matches_numpy_for_matrix_and_vector_right_hand_sides(seed, batch, n, k, dtype):
    a = well_conditioned(seed, batch, n)
    rng = np.random.default_rng(seed + 1)
    b = rng.standard_normal(batch + (n, k))
    close(linalg.solve(tensor(a, dtype), tensor(b, dtype)), np.linalg.solve(a, b), dtype)
    v = rng.standard_normal(batch + (n,))
    close(linalg.solve(tensor(a, dtype), tensor(v, dtype)), np.linalg.solve(a, v[..., None])[..., 0], dtype)
    # X A = B
    bt = rng.standard_normal(batch + (k, n))
    expected = np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(bt, -1, -2)), -1, -2)
    close(linalg.solve(tensor(a, dtype), tensor(bt, dtype), left=False), expected, dtype)


@pytest.mark.parametrize(
    "a_shape, b_shape, out_shape",
    [
        ((3, 3), (3,), (3,)),
        ((2, 3, 3), (3,), (2, 3)),  # a 1-D B is one vector for every matrix
        ((2, 3, 3), (2, 3), (2, 3)),  # B shaped as A without its last dim: a batch of vectors
        ((3, 3, 3), (3, 3), (3, 3)),  # ... which wins over reading B as one 3x3 matrix
        ((3, 3), (4, 3, 2), (4, 3, 2)),  # A broadcast over B's batch
        ((2, 1, 3, 3), (5, 3, 1), (2, 5, 3, 1)),
    ],
)
def test_solve_broadcasts_as_pytorch(a_shape, b_shape, out_shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(a_shape) + 4 * np.eye(a_shape[-1])
    b = rng.standard_normal(b_shape)
    x = linalg.solve(tensor(a), tensor(b))
    assert tuple(x.shape) == out_shape
    vector = len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1 and b_shape == a_shape[:-1])
    ref = np.linalg.solve(a, b[..., None])[..., 0] if vector else np.linalg.solve(a, b)
    np.testing.assert_allclose(np.array(x.tolist()), ref, rtol=1e-10)


@EXAMPLES
@given(seeds, batch_shapes, sizes, dtypes)
def test_cholesky_matches_numpy_and_reads_the_lower_triangle(seed, batch, n, dtype):
    a = spd(seed, batch, n)
    ref = np.linalg.cholesky(a)
    close(linalg.cholesky(tensor(a, dtype)), ref, dtype)
    close(linalg.cholesky(tensor(a, dtype), upper=True), np.swapaxes(ref, -1, -2), dtype)
    garbage_above = np.tril(a) + np.triu(np.full(a.shape, 7.0), 1)
    close(linalg.cholesky(tensor(garbage_above, dtype)), ref, dtype)


def test_non_contiguous_inputs():
    a = well_conditioned(3, (2,), 4)
    t = tensor(np.swapaxes(a, -1, -2).copy()).transpose(-1, -2)  # same values, transposed strides
    assert not t.is_contiguous()
    np.testing.assert_allclose(np.array(linalg.det(t).tolist()), np.linalg.det(a))
    np.testing.assert_allclose(np.array(linalg.inv(t).tolist()), np.linalg.inv(a))
    b = tensor(np.ones((3, 4))).t()
    np.testing.assert_allclose(np.array(linalg.solve(t, b).tolist()), np.linalg.solve(a, np.ones((4, 3))))


def test_singular_matrices_det_zero_slogdet_minus_inf():
    s = tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]])
    assert linalg.det(s).item() == 0.0
    sign, logabs = linalg.slogdet(s)
    assert (sign.item(), logabs.item()) == (0.0, -math.inf)
    assert rustgrad.logdet(s).item() == -math.inf
    assert math.isnan(rustgrad.logdet(-rustgrad.eye(3, dtype=rustgrad.float64)).item())


def test_empty_matrices():
    assert linalg.det(rustgrad.zeros(0, 0)).item() == 1.0
    assert tuple(linalg.inv(rustgrad.zeros(2, 0, 0)).shape) == (2, 0, 0)


@EXAMPLES
@given(seeds, st.sampled_from([(2, 3), (4,), (2, 3, 4)]), dtypes)
def test_norms_match_numpy(seed, shape, dtype):
    x = np.random.default_rng(seed).standard_normal(shape)
    t = tensor(x, dtype)
    close(linalg.vector_norm(t), np.linalg.norm(x.ravel()), dtype)
    close(linalg.vector_norm(t, 1, dim=-1), np.linalg.norm(x, 1, axis=-1), dtype)
    close(linalg.vector_norm(t, math.inf, dim=0, keepdim=True), np.abs(x).max(0, keepdims=True), dtype)
    close(linalg.norm(t), np.linalg.norm(x.ravel()), dtype)
    if len(shape) >= 2:
        for ord in ["fro", 1, -1, math.inf, -math.inf]:
            close(linalg.matrix_norm(t, ord), np.linalg.norm(x, ord, axis=(-2, -1)), dtype)
            close(linalg.matrix_norm(t, ord, dim=(0, -1), keepdim=True), np.linalg.norm(x, ord, axis=(0, -1), keepdims=True), dtype)
    if len(shape) == 2:
        close(linalg.norm(t, 1), np.linalg.norm(x, 1), dtype)
        close(linalg.norm(t, "fro"), np.linalg.norm(x, "fro"), dtype)


def test_vector_norm_dtype_argument():
    t = rustgrad.tensor([3.0, 4.0])
    out = linalg.vector_norm(t, dtype=rustgrad.float64)
    assert out.dtype == rustgrad.float64 and out.item() == 5.0


# ----- gradients: finite differences (float64) -----

@GRADS
@given(seeds, st.sampled_from([(), (2,)]), st.integers(1, 4))
def test_gradients_by_finite_differences(seed, batch, n):
    a = well_conditioned(seed, batch, n)
    b = np.random.default_rng(seed).standard_normal(batch + (n, 2))
    check_grads(linalg.det, a)
    check_grads(lambda t: linalg.slogdet(t).logabsdet, a)
    check_grads(linalg.inv, a)
    check_grads(linalg.solve, a, b)
    check_grads(lambda x, y: linalg.solve(x, y, left=False), a, np.swapaxes(b, -1, -2))
    check_grads(lambda x, y: linalg.solve(x, y), a, b[..., 0])
    # cholesky reads the lower triangle only: differentiate through a symmetric SPD input
    check_grads(lambda x: linalg.cholesky(x @ x.mT + n * rustgrad.eye(n, dtype=rustgrad.float64)), a)
    check_grads(lambda x: linalg.cholesky(x @ x.mT + n * rustgrad.eye(n, dtype=rustgrad.float64), upper=True), a)


@GRADS
@given(seeds)
def test_norm_gradients_by_finite_differences(seed):
    x = np.random.default_rng(seed).standard_normal((2, 3, 4))
    check_grads(lambda t: linalg.vector_norm(t, 3, dim=(0, 2)), x)
    for ord in ["fro", 1, -1, math.inf, -math.inf]:
        check_grads(lambda t: linalg.matrix_norm(t, ord), x)
    check_grads(lambda t: linalg.norm(t[0], 1), x)
    check_grads(lambda t: rustgrad.logdet(t[0, :3, :3] @ t[0, :3, :3].mT + rustgrad.eye(3, dtype=rustgrad.float64)), x)


def test_second_order_gradients_through_det_and_inv():
    a = tensor(well_conditioned(5, (), 3), requires_grad=True)
    (g,) = rustgrad.autograd.grad(linalg.det(a), a, create_graph=True)
    (gg,) = rustgrad.autograd.grad(g.sum(), a)
    torch = torch_or_skip()
    ta = torch.tensor(a.tolist(), dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.det(ta), ta, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), ta)
    np.testing.assert_allclose(np.array(gg.tolist()), tgg.numpy(), rtol=1e-9)


# ----- against PyTorch -----

SINGULAR = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_against_torch(dtype):
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else {}
    a = well_conditioned(1, (2,), 3)
    b = np.random.default_rng(2).standard_normal((2, 3, 2))
    sym = spd(3, (2,), 3)
    for f, args in [
        (lambda lib, x: lib.linalg.det(x), (a,)),
        (lambda lib, x: lib.linalg.slogdet(x)[1], (a,)),
        (lambda lib, x: lib.linalg.inv(x), (a,)),
        (lambda lib, x, y: lib.linalg.solve(x, y), (a, b)),
        (lambda lib, x, y: lib.linalg.solve(x, y[..., 0]), (a, b)),
        (lambda lib, x, y: lib.linalg.solve(x[0], y), (a, b)),
        (lambda lib, x: lib.linalg.cholesky(x), (sym,)),
        (lambda lib, x: lib.linalg.cholesky(x, upper=True), (sym,)),
        (lambda lib, x: lib.linalg.det(x), (SINGULAR,)),  # the cofactor matrix
        (lambda lib, x: lib.linalg.matrix_norm(x, -math.inf, keepdim=True), (b,)),
        (lambda lib, x: lib.linalg.norm(x, dim=(0, 2)), (b,)),
        (lambda lib, x: lib.logdet(x @ x.mT), (a,)),
        (lambda lib, x: x.det() + x.inverse().sum((-2, -1)) + x.slogdet()[1] + x.logdet(), (sym,)),
    ]:
        check_against_torch(f, *args, dtype=dtype, **tol)


def test_grad_fn_names_and_saved_sets_match_torch():
    torch = torch_or_skip()
    a = well_conditioned(0, (), 3)
    b = np.ones((3, 2))
    calls = [
        lambda lib, x: lib.linalg.det(x),
        lambda lib, x: lib.linalg.slogdet(x)[0],
        lambda lib, x: lib.linalg.inv(x),
        lambda lib, x: lib.linalg.solve(x, lib.tensor(b.tolist(), dtype=x.dtype)),
        lambda lib, x: lib.linalg.cholesky(x @ x.mT),
        lambda lib, x: lib.linalg.vector_norm(x),
        lambda lib, x: lib.linalg.matrix_norm(x, 1),
        lambda lib, x: lib.logdet(x @ x.mT),
        lambda lib, x: lib.inverse(x),
        lambda lib, x: lib.det(x),
    ]
    for call in calls:
        names = []
        for lib in (rustgrad, torch):
            x = lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True)
            node = call(lib, x).grad_fn
            names.append((type(node).__name__, sorted(n for n in dir(node) if n.startswith("_saved_"))))
        assert names[0] == names[1]


def test_second_backward_fails_as_pytorch_where_tensors_are_saved():
    torch = torch_or_skip()
    for call in [lambda lib, x: lib.linalg.det(x), lambda lib, x: lib.linalg.inv(x).sum()]:
        errors = []
        for lib in (rustgrad, torch):
            x = lib.tensor(well_conditioned(0, (), 2).tolist(), dtype=lib.float64, requires_grad=True)
            y = call(lib, x)
            y.backward()
            errors.append(error_of(lib, lambda _: y.backward()))
        assert errors[0][1] == errors[1][1]


def test_return_types_print_as_torch():
    torch = torch_or_skip()
    a = [[2.0, 1.0], [1.0, 3.0]]
    assert repr(linalg.slogdet(rustgrad.tensor(a))) == repr(torch.linalg.slogdet(torch.tensor(a))).replace("torch.", "rustgrad.")
    assert repr(rustgrad.slogdet(rustgrad.tensor(a))) == repr(torch.slogdet(torch.tensor(a))).replace("torch.", "rustgrad.")


# ----- errors -----

def _linalg_error(lib, call):
    """(class name, message) of a LinAlgError (torch._C._LinAlgError vs rustgrad's class)."""
    kind, message = error_of(lib, call)
    assert issubclass(kind, lib.linalg.LinAlgError) and issubclass(kind, RuntimeError)
    return message


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.inv(lib.tensor(SINGULAR)),
        lambda lib: lib.linalg.inv(lib.tensor([[1.0, 2.0], [2.0, 4.0]])),
        lambda lib: lib.linalg.inv(lib.zeros(2, 2, 2)),
        lambda lib: lib.inverse(lib.stack([lib.eye(2), lib.tensor([[1.0, 2.0], [2.0, 4.0]])])),
        lambda lib: lib.linalg.solve(lib.tensor([[1.0, 2.0], [2.0, 4.0]]), lib.ones(2)),
        lambda lib: lib.linalg.solve(lib.stack([lib.eye(2), lib.zeros(2, 2)]), lib.ones(2)),
        lambda lib: lib.linalg.cholesky(-lib.eye(2)),
        lambda lib: lib.linalg.cholesky(lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
        lambda lib: lib.linalg.cholesky(lib.stack([lib.eye(2), -lib.eye(2)])),
    ],
)
def test_linalg_errors_match_torch(call):
    torch = torch_or_skip()
    assert _linalg_error(rustgrad, call) == _linalg_error(torch, call)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.det(lib.ones(2, 3)),
        lambda lib: lib.linalg.det(lib.ones(3)),
        lambda lib: lib.linalg.det(lib.ones(2, 2, dtype=lib.int64)),
        lambda lib: lib.linalg.slogdet(lib.ones(2, 2, dtype=lib.int64)),
        lambda lib: lib.linalg.inv(lib.ones(2, 3)),
        lambda lib: lib.linalg.inv(lib.ones(3, dtype=lib.int64)),
        lambda lib: lib.linalg.cholesky(lib.ones(2, 3)),
        lambda lib: lib.linalg.cholesky(lib.ones(2, 2, dtype=lib.int64)),
        lambda lib: lib.linalg.solve(lib.ones(2, 3), lib.ones(2)),
        lambda lib: lib.linalg.solve(lib.ones(3), lib.ones(3)),
        lambda lib: lib.linalg.solve(lib.ones(2, 2, dtype=lib.int64), lib.ones(2)),
        lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(3, dtype=lib.float64)),
        lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(2)),
        lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(2, 3)),
        lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(2, 2), left=False),
        lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(3), left=False),
        lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(())),
        lambda lib: lib.linalg.solve(lib.eye(2).expand(3, 2, 2), lib.ones(4, 2, 1)),
        lambda lib: lib.logdet(lib.ones(2, 2, dtype=lib.int64)),
        lambda lib: lib.logdet(lib.ones(2, 3)),
        lambda lib: lib.det([[1.0]]),
        lambda lib: lib.linalg.det([[1.0]]),
        lambda lib: lib.linalg.solve(lib.eye(2), [1.0, 2.0]),
        lambda lib: lib.linalg.vector_norm(lib.ones(3, dtype=lib.int64)),
        lambda lib: lib.linalg.vector_norm(lib.ones(3), "fro"),
        lambda lib: lib.linalg.vector_norm(lib.ones(3), 2, dtype=lib.int64),
        lambda lib: lib.linalg.matrix_norm(lib.ones(3)),
        lambda lib: lib.linalg.matrix_norm(lib.ones(3, 3, dtype=lib.int64)),
        lambda lib: lib.linalg.matrix_norm(lib.ones(2, 3), 3),
        lambda lib: lib.linalg.matrix_norm(lib.ones(2, 3), "abc"),
        lambda lib: lib.linalg.matrix_norm(lib.ones(2, 3), dim=(0,)),
        lambda lib: lib.linalg.matrix_norm(lib.ones(2, 3), dim=(0, 0)),
        lambda lib: lib.linalg.matrix_norm(lib.ones(2, 3), dim=(0, 5)),
        lambda lib: lib.linalg.matrix_norm(lib.ones(2, 3), 1, dtype=lib.int64),
        lambda lib: lib.linalg.norm(lib.ones(2, 3, 4), 2),
        lambda lib: lib.linalg.norm(lib.ones(2, 3, 4), "fro"),
        lambda lib: lib.linalg.norm(lib.ones(3), "fro"),
        lambda lib: lib.linalg.norm(lib.ones(2, 3, 4), "fro", dim=1),
        lambda lib: lib.linalg.norm(lib.ones(2, 3, 4), dim=(0, 1, 2)),
        lambda lib: lib.linalg.norm([1.0]),
    ],
)
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_det_gradient_at_singular_matrices_as_pytorch():
    # First order, PyTorch solves det * A^-T with a zero right-hand side: the gradient is 0. A
    # recorded backward (create_graph) gives the true cofactor matrix.
    a = tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    linalg.det(a).backward()
    assert a.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    (g,) = rustgrad.autograd.grad(linalg.det(a), a, create_graph=True)
    assert g.tolist() == [[4.0, -2.0], [-2.0, 1.0]]
    torch = torch_or_skip()
    ta = torch.tensor(a.tolist(), dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.det(ta), ta, create_graph=True)
    np.testing.assert_allclose(np.array(g.tolist()), tg.detach().numpy(), atol=1e-12)


# ----- cdist -----

def _cdist_ref(x1, x2, p):
    d = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(x1.dtype)
    if math.isinf(p):
        return d.max(-1)
    return (d**p).sum(-1) ** (1 / p)


@EXAMPLES
@given(seeds, st.sampled_from([((4, 3), (5, 3)), ((2, 3, 2), (1, 4, 2)), ((30, 2), (3, 2))]), st.sampled_from([0.0, 1.0, 2.0, 3.0, math.inf]), dtypes)
def test_cdist_matches_numpy(seed, shapes, p, dtype):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    close(rustgrad.cdist(tensor(x1, dtype), tensor(x2, dtype), p), _cdist_ref(x1, x2, p), dtype)


@GRADS
@given(seeds, st.sampled_from([1.0, 2.0, 3.0, 0.5, math.inf]))
def test_cdist_gradients(seed, p):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal((2, 3, 2)), rng.standard_normal((4, 2))
    check_grads(lambda a, b: rustgrad.cdist(a, b, p), x1, x2)
    check_against_torch(lambda lib, a, b: lib.cdist(a, b, p), x1, x2)


def test_cdist_nodes_as_pytorch():
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    for shapes, p, mode in [(((4, 3), (5, 3)), 2.0, "use_mm_for_euclid_dist_if_necessary"), (((30, 3), (5, 3)), 2.0, "use_mm_for_euclid_dist_if_necessary"),
                            (((30, 3), (5, 3)), 1.0, "use_mm_for_euclid_dist_if_necessary"), (((4, 3), (5, 3)), 2.0, "use_mm_for_euclid_dist")]:
        x1, x2 = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
        names = []
        for lib in (rustgrad, torch):
            a = lib.tensor(x1.tolist(), dtype=lib.float64, requires_grad=True)
            node = lib.cdist(a, lib.tensor(x2.tolist(), dtype=lib.float64), p, compute_mode=mode).grad_fn
            chain = []
            while node is not None:
                chain.append((type(node).__name__, sorted(n for n in dir(node) if n.startswith("_saved_"))))
                node = node.next_functions[0][0] if node.next_functions else None
            names.append(chain)
        assert names[0] == names[1]
    x = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
    check_against_torch(lambda lib, a: lib.cdist(a, a * 1), x.tolist())  # zero distances: zero gradient


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.cdist(lib.ones(3), lib.ones(2, 3)),
        lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(3)),
        lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 2)),
        lambda lib: lib.cdist(lib.ones(2, 3, dtype=lib.int64), lib.ones(2, 3)),
        lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3, dtype=lib.int64)),
        lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3), p=-1.0),
        lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3, dtype=lib.float64)),
        lambda lib: lib.cdist(lib.ones(30, 3), lib.ones(2, 3, dtype=lib.float64)),
        lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 3), compute_mode="x"),
        lambda lib: lib.cdist(lib.ones(2, 2, 3), lib.ones(3, 2, 3)),
        lambda lib: lib.cdist([[1.0]], lib.ones(2, 1)),
    ],
)
def test_cdist_errors_match_torch(call):
    assert_same_error_as_torch(call)
