"""addmv / baddbmm / addbmm: values against numpy, gradients by finite differences (float64) and
against PyTorch, grad_fn names and saved attributes against PyTorch (torch 2.13)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip
from _strategies import arrays, to_numpy

FEW = settings(max_examples=6, deadline=None)
FACTORS = st.sampled_from([1, 0, 2, 0.5, -1.5])


@FEW
@given(st.integers(1, 4), st.integers(1, 4), st.booleans(), FACTORS, FACTORS, st.data())
def test_addmv(n, m, broadcast_input, beta, alpha, data):
    inp = data.draw(arrays("float64", (1,) if broadcast_input else (n,)))
    mat, vec = data.draw(arrays("float64", (n, m))), data.draw(arrays("float64", (m,)))
    got = rustgrad.addmv(rustgrad.tensor(inp), rustgrad.tensor(mat), rustgrad.tensor(vec), beta=beta, alpha=alpha)
    np.testing.assert_allclose(to_numpy(got), beta * inp + alpha * mat @ vec, rtol=1e-10, atol=1e-10)
    check_grads(lambda i, a, b: rustgrad.addmv(i, a, b, beta=beta, alpha=alpha), inp, mat, vec)
    check_against_torch(lambda lib, i, a, b: lib.addmv(i, a, b, beta=beta, alpha=alpha), inp, mat, vec)


@FEW
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), FACTORS, FACTORS, st.booleans(), st.data())
def test_baddbmm_and_addbmm(b, n, m, p, beta, alpha, summed, data):
    b1, b2 = data.draw(arrays("float64", (b, n, m))), data.draw(arrays("float64", (b, m, p)))
    inp = data.draw(arrays("float64", (n, p) if summed else (b, n, p)))
    product = np.einsum("bnm,bmp->bnp", b1, b2)
    want = beta * inp + alpha * (product.sum(0) if summed else product)
    name = "addbmm" if summed else "baddbmm"
    f = getattr(rustgrad, name)
    np.testing.assert_allclose(to_numpy(f(rustgrad.tensor(inp), rustgrad.tensor(b1), rustgrad.tensor(b2), beta=beta, alpha=alpha)), want, rtol=1e-10, atol=1e-10)
    check_grads(lambda i, x, y: f(i, x, y, beta=beta, alpha=alpha), inp, b1, b2)
    check_against_torch(lambda lib, i, x, y: getattr(lib, name)(i, x, y, beta=beta, alpha=alpha), inp, b1, b2)


def test_nodes_match_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x, m, v = lib.randn(3, requires_grad=True), lib.randn(3, 4, requires_grad=True), lib.randn(4, requires_grad=True)
        y = x.addmv(m, v, beta=2, alpha=0.5)
        assert y.grad_fn.name() == "AddmvBackward0"
        assert (y.grad_fn._saved_alpha, y.grad_fn._saved_beta) == (0.5, 2)
        assert y.grad_fn._saved_mat is m and y.grad_fn._saved_vec is v
        b1, b2, i = lib.randn(2, 3, 4, requires_grad=True), lib.randn(2, 4, 5, requires_grad=True), lib.randn(3, 5, requires_grad=True)
        z = i.addbmm(b1, b2)
        assert z.grad_fn.name() == "AddbmmBackward0" and z.grad_fn._saved_batch2_sym_argsize_2 == 5
        w = lib.baddbmm(i, b1, b2, alpha=2)
        assert w.grad_fn.name() == "BaddbmmBackward0" and tuple(w.shape) == (2, 3, 5)
    assert str(rustgrad.addmv(rustgrad.tensor([1, 2, 3]), rustgrad.ones(3, 4, dtype=rustgrad.int64), rustgrad.ones(4, dtype=rustgrad.int64), beta=2)) == \
        str(torch.addmv(torch.tensor([1, 2, 3]), torch.ones(3, 4, dtype=torch.long), torch.ones(4, dtype=torch.long), beta=2))


def test_beta_zero_ignores_nan_input():
    out = rustgrad.addmv(rustgrad.tensor([float("nan")] * 2), rustgrad.ones(2, 2), rustgrad.ones(2), beta=0)
    assert out.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("call", [
    lambda lib: lib.addmv(lib.ones(3), 2.0, lib.ones(4)),
    lambda lib: lib.ones(3).baddbmm(lib.ones(2, 3, 4), "x"),
])
def test_argument_errors_match_torch(call):
    assert_same_error_as_torch(call)
