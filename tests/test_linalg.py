"""Matrix products: matmul/@ dispatch, mm, bmm, mv, dot, outer, addmm, einsum (spec sections 2
and 12). Messages are PyTorch's, observed with torch 2.13."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip

EXAMPLES = settings(max_examples=8, deadline=None)
size = st.integers(1, 4)
seeds = st.integers(0, 2**16)


def randn(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(shape, seed=0, dtype=rustgrad.float32):
    return rustgrad.tensor(randn(seed, *shape).tolist(), dtype=dtype, requires_grad=True)


# ----- grad_fn names (spec section 2) -----

@pytest.mark.parametrize(
    "sa, sb, name, out",
    [
        ((2, 3), (3, 4), "MmBackward0", (2, 4)),
        ((2, 3), (3,), "MvBackward0", (2,)),
        ((3,), (3,), "DotBackward0", ()),
        ((3,), (3, 4), "SqueezeBackward4", (4,)),
        ((5, 2, 3), (3, 4), "UnsafeViewBackward0", (5, 2, 4)),
        ((5, 2, 3), (3,), "UnsafeViewBackward0", (5, 2)),
        ((5, 2, 3), (5, 3, 4), "UnsafeViewBackward0", (5, 2, 4)),
        ((5, 2, 3), (1, 3, 4), "UnsafeViewBackward0", (5, 2, 4)),
        ((2, 5, 2, 3), (5, 3, 4), "UnsafeViewBackward0", (2, 5, 2, 4)),
        ((2, 3), (5, 3, 4), "CloneBackward0", (5, 2, 4)),
        ((3,), (5, 3, 4), "UnsafeViewBackward0", (5, 4)),
    ],
)
def test_matmul_dispatch_names_and_shapes(sa, sb, name, out):
    a, b = leaf(sa, 1), leaf(sb, 2)
    r = a @ b
    assert type(r.grad_fn).__name__ == name
    assert tuple(r.shape) == out
    assert rustgrad.matmul(a, b).grad_fn.name() == name


def test_function_and_method_names():
    a, b, v, w = leaf((2, 3)), leaf((3, 4)), leaf((3,)), leaf((2,))
    a3, b3 = leaf((5, 2, 3)), leaf((5, 3, 4))
    assert type(a.mm(b).grad_fn).__name__ == "MmBackward0"
    assert type(rustgrad.mm(a, b).grad_fn).__name__ == "MmBackward0"
    assert type(rustgrad.bmm(a3, b3).grad_fn).__name__ == "BmmBackward0"
    assert type(a.mv(v).grad_fn).__name__ == "MvBackward0"
    assert type(v.dot(v).grad_fn).__name__ == "DotBackward0"
    assert type(rustgrad.outer(v, w).grad_fn).__name__ == "MulBackward0"
    assert type(v.ger(w).grad_fn).__name__ == "MulBackward0"
    assert type(rustgrad.addmm(leaf((4,)), a, b).grad_fn).__name__ == "AddmmBackward0"
    assert type(rustgrad.einsum("ij,jk->ik", a, b).grad_fn).__name__ == "ViewBackward0"
    assert type(rustgrad.einsum("ij,ij->", a, a).grad_fn).__name__ == "ViewBackward0"
    assert type(rustgrad.einsum("i,j->ij", v, w).grad_fn).__name__ == "MulBackward0"
    assert type(rustgrad.einsum("ij->ji", a).grad_fn).__name__ == "PermuteBackward0"
    assert type(rustgrad.einsum("ij->j", a).grad_fn).__name__ == "SumBackward1"
    assert type(rustgrad.einsum("ii->i", leaf((3, 3))).grad_fn).__name__ == "PermuteBackward0"
    assert type(rustgrad.einsum("ii", leaf((3, 3))).grad_fn).__name__ == "SumBackward1"


def test_mm_saves_its_operands_so_a_second_backward_fails():
    a, b = leaf((2, 3)), leaf((3, 4))
    loss = (a @ b).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()


def test_int_products_and_values():
    a = rustgrad.tensor([[1, 2, 3], [4, 5, 6]])
    b = rustgrad.tensor([[1, 0], [0, 1], [1, 1]])
    assert (a @ b).tolist() == [[4, 5], [10, 11]]
    assert (a @ b).dtype == rustgrad.int64
    assert (rustgrad.tensor([1, 2, 3]) @ rustgrad.tensor([4, 5, 6])).item() == 32


# ----- errors (spec section 12) -----

ones = rustgrad.ones


@pytest.mark.parametrize(
    "thunk, kind, message",
    [
        (lambda: ones(2, 3) @ ones(2, 3), RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"),
        (lambda: rustgrad.mm(ones(2, 3), ones(2, 3)), RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"),
        (lambda: ones(2, 3) @ ones(3, 2, dtype=rustgrad.float64), RuntimeError,
         "expected m1 and m2 to have the same dtype, but got: float != double"),
        (lambda: ones(2, 3, dtype=rustgrad.int64) @ ones(3, 2), RuntimeError,
         "expected m1 and m2 to have the same dtype, but got: long int != float"),
        (lambda: ones(3) @ ones(4), RuntimeError,
         "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively"),
        (lambda: ones(3) @ ones(3, dtype=rustgrad.float64), RuntimeError,
         "dot : expected both vectors to have same dtype, but found Float and Double"),
        (lambda: ones(2, 3) @ ones(2), RuntimeError, "size mismatch, got input (2), mat (2x3), vec (2)"),
        (lambda: rustgrad.mv(ones(2, 3), ones(3, dtype=rustgrad.float64)), RuntimeError,
         "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
        (lambda: ones(5, 2, 3) @ ones(4, 4), RuntimeError, "mat1 and mat2 shapes cannot be multiplied (10x3 and 4x4)"),
        (lambda: ones(4, 2, 3) @ ones(5, 3, 4), RuntimeError,
         "The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 0"),
        (lambda: rustgrad.tensor(1.) @ ones(2, 3), RuntimeError,
         "both arguments to matmul need to be at least 1D, but they are 0D and 2D"),
        (lambda: rustgrad.bmm(ones(2, 3), ones(3, 4)), RuntimeError, "batch1 must be a 3D tensor"),
        (lambda: rustgrad.bmm(ones(5, 2, 3), ones(4, 3, 4)), RuntimeError,
         "Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [4, 3]."),
        (lambda: rustgrad.bmm(ones(5, 2, 3), ones(5, 3, 4, dtype=rustgrad.float64)), RuntimeError,
         "expected scalar type Float but found Double"),
        (lambda: rustgrad.mm(ones(2, 3), ones(3)), RuntimeError, "mat2 must be a matrix"),
        (lambda: rustgrad.dot(ones(2, 2), ones(2, 2)), RuntimeError, "1D tensors expected, but got 2D and 2D tensors"),
        (lambda: rustgrad.outer(ones(2, 2), ones(2)), RuntimeError, "outer: Expected 1-D argument self, but got 2-D"),
        (lambda: rustgrad.addmm(ones(3), ones(2, 3), ones(3, 4)), RuntimeError,
         "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]"),
        (lambda: rustgrad.addmm(ones(2, 2, dtype=rustgrad.float64), ones(2, 3), ones(3, 2)), RuntimeError,
         "self and mat2 must have the same dtype, but got Double and Float"),
        (lambda: ones(2, 3, dtype=rustgrad.bool) @ ones(3, 2, dtype=rustgrad.bool), NotImplementedError,
         "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
        (lambda: rustgrad.einsum("ij,jk->ik", ones(2, 3), ones(2, 3)), RuntimeError,
         "einsum(): subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3"),
        (lambda: rustgrad.einsum("ij,jk->ik", ones(2, 3)), RuntimeError,
         "einsum(): fewer operands were provided than specified in the equation"),
        (lambda: rustgrad.einsum("ij,jk->ik", ones(2, 3), ones(3, 4, 5)), RuntimeError,
         "einsum(): the number of subscripts in the equation (2) does not match the number of dimensions (3) for operand 1 and no ellipsis was given"),
        (lambda: rustgrad.einsum("ii->i", ones(2, 3)), RuntimeError,
         "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
        (lambda: rustgrad.einsum("ij,jk->il", ones(2, 3), ones(3, 4)), RuntimeError,
         "einsum(): output subscript l does not appear in the equation for any input operand"),
    ],
)
def test_errors_match_pytorch(thunk, kind, message):
    with pytest.raises(kind) as info:
        thunk()
    assert str(info.value) == message


# ----- gradients: finite differences (float64) -----

@EXAMPLES
@given(n=size, k=size, m=size, seed=seeds)
def test_mm_grads(n, k, m, seed):
    check_grads(lambda a, b: a @ b, randn(seed, n, k), randn(seed + 1, k, m))


@EXAMPLES
@given(n=size, k=size, seed=seeds)
def test_mv_dot_outer_grads(n, k, seed):
    check_grads(lambda a, v: a @ v, randn(seed, n, k), randn(seed + 1, k))
    check_grads(lambda v, w: v @ w, randn(seed, k), randn(seed + 1, k))
    check_grads(lambda v, a: v @ a, randn(seed, n), randn(seed + 1, n, k))
    check_grads(lambda v, w: rustgrad.outer(v, w), randn(seed, n), randn(seed + 1, k))


@EXAMPLES
@given(b=st.integers(1, 3), n=size, k=size, m=size, seed=seeds)
def test_batched_and_folded_grads(b, n, k, m, seed):
    check_grads(lambda x, y: rustgrad.bmm(x, y), randn(seed, b, n, k), randn(seed + 1, b, k, m))
    check_grads(lambda x, y: x @ y, randn(seed, b, n, k), randn(seed + 1, k, m))
    check_grads(lambda x, y: x @ y, randn(seed, n, k), randn(seed + 1, b, k, m))
    check_grads(lambda x, y: x @ y, randn(seed, 2, 1, n, k), randn(seed + 1, b, k, m))


@EXAMPLES
@given(n=size, k=size, m=size, seed=seeds, beta=st.sampled_from([0.0, 1.0, 0.5]), alpha=st.sampled_from([1.0, -2.0]))
def test_addmm_grads(n, k, m, seed, beta, alpha):
    check_grads(lambda c, a, b: rustgrad.addmm(c, a, b, beta=beta, alpha=alpha),
                randn(seed, m), randn(seed + 1, n, k), randn(seed + 2, k, m))


def test_transposed_operand_gives_the_same_product():
    # The backward of mm multiplies by a transposed view: gemm reads it through strides.
    a = rustgrad.tensor(randn(3, 4, 3).tolist(), dtype=rustgrad.float64, requires_grad=True)
    b = rustgrad.tensor(randn(4, 3, 5).tolist(), dtype=rustgrad.float64, requires_grad=True)
    g = rustgrad.tensor(randn(5, 4, 5).tolist(), dtype=rustgrad.float64)
    (a @ b).backward(g)
    np.testing.assert_allclose(np.array(a.grad.tolist()), randn(5, 4, 5) @ randn(4, 3, 5).T, rtol=1e-12)
    np.testing.assert_allclose(np.array(b.grad.tolist()), randn(3, 4, 3).T @ randn(5, 4, 5), rtol=1e-12)


def test_double_backward_through_mm():
    a = rustgrad.tensor(randn(1, 2, 3).tolist(), dtype=rustgrad.float64, requires_grad=True)
    b = rustgrad.tensor(randn(2, 3, 2).tolist(), dtype=rustgrad.float64, requires_grad=True)
    (ga,) = rustgrad.autograd.grad((a @ b).pow(2).sum(), [a], create_graph=True)
    (gb,) = rustgrad.autograd.grad(ga.sum(), [b])
    # d/db sum_ij 2 (ab)_ij b_jk ... checked against numpy's closed form
    A, B = randn(1, 2, 3), randn(2, 3, 2)
    ones_ = np.ones((2, 3))
    want = 2 * (A.T @ (ones_ @ B)) + 2 * (ones_.T @ (A @ B))
    np.testing.assert_allclose(np.array(gb.tolist()), want, rtol=1e-10)


@EXAMPLES
@given(n=size, k=size, m=size, seed=seeds)
def test_einsum_grads(n, k, m, seed):
    check_grads(lambda a, b: rustgrad.einsum("ij,jk->ik", a, b), randn(seed, n, k), randn(seed + 1, k, m))
    check_grads(lambda a, b: rustgrad.einsum("ij,jk->ki", a, b), randn(seed, n, k), randn(seed + 1, k, m))
    check_grads(lambda a, b: rustgrad.einsum("bij,bjk->bik", a, b), randn(seed, 2, n, k), randn(seed + 1, 2, k, m))
    check_grads(lambda a, b: rustgrad.einsum("ij,ij->", a, b), randn(seed, n, k), randn(seed + 1, n, k))
    check_grads(lambda a, b: rustgrad.einsum("i,j->ij", a, b), randn(seed, n), randn(seed + 1, k))
    check_grads(lambda a: rustgrad.einsum("ij->ji", a), randn(seed, n, k))
    check_grads(lambda a: rustgrad.einsum("ii->i", a), randn(seed, n, n))
    check_grads(lambda a, v: rustgrad.einsum("iij,j->i", a, v), randn(seed, n, n, k), randn(seed + 1, k))


# ----- parity with PyTorch -----

@pytest.mark.parametrize(
    "sa, sb",
    [((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((3,), (3, 4)), ((5, 2, 3), (3, 4)),
     ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,))],
)
def test_matmul_against_torch(sa, sb):
    check_against_torch(lambda lib, a, b: lib.matmul(a, b), randn(1, *sa), randn(2, *sb))
    check_against_torch(lambda lib, a, b: a @ b, randn(1, *sa), randn(2, *sb), dtype="float32", atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(
    "eq, shapes",
    [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("i,i->", [(3,), (3,)]),
     ("ij,ij->", [(2, 3), (2, 3)]), ("i,j->ij", [(3,), (2,)]), ("ij->ji", [(2, 3)]), ("ij,j->i", [(2, 3), (3,)]),
     ("ij,jk->ki", [(2, 3), (3, 4)]), ("ij,kj->ik", [(2, 3), (4, 3)]), ("ij,jk", [(2, 3), (3, 4)]),
     ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("bii->bi", [(2, 3, 3)])],
)
def test_einsum_against_torch(eq, shapes):
    arrays = [randn(i, *s) for i, s in enumerate(shapes)]
    check_against_torch(lambda lib, *ts: lib.einsum(eq, *ts), *arrays)


def test_addmm_and_outer_against_torch():
    check_against_torch(lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=2.0), randn(0, 4), randn(1, 2, 3), randn(2, 3, 4))
    check_against_torch(lambda lib, v, w: lib.outer(v, w), randn(0, 3), randn(1, 2))


def test_big_float32_matmul_against_torch():
    torch = torch_or_skip()
    a, b = randn(0, 300, 200).astype(np.float32), randn(1, 200, 100).astype(np.float32)
    ours = rustgrad.tensor(a.tolist()) @ rustgrad.tensor(b.tolist())
    theirs = torch.tensor(a) @ torch.tensor(b)
    np.testing.assert_allclose(np.array(ours.tolist()), theirs.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "f",
    [
        lambda lib, a, b: a @ b,
        lambda lib, a, b: lib.addmm(b.sum(0), a, b, beta=0.5, alpha=2.0),
        lambda lib, a, b: lib.einsum("ij,jk->ik", a, b),
        lambda lib, a, b: lib.bmm(a.expand(2, 3, 3), b.expand(2, 3, 3)),
    ],
)
def test_double_backward_against_torch(f):
    # The gradient (built with create_graph=True) is itself differentiated.
    def grad_of(lib, a, b):
        ga, gb = lib.autograd.grad(f(lib, a, b).pow(2).sum(), [a, b], create_graph=True)
        return ga * gb.sum()

    check_against_torch(grad_of, randn(0, 3, 3), randn(1, 3, 3))


def test_strided_operands_against_torch():
    # Transposed (permuted view) and expanded operands go to the kernel without a copy.
    torch = torch_or_skip()
    x, y = randn(0, 4, 3), randn(1, 4, 5)
    ours = rustgrad.einsum("ij->ji", rustgrad.tensor(x.tolist())) @ rustgrad.tensor(y.tolist())
    np.testing.assert_allclose(np.array(ours.tolist()), x.T @ y, rtol=1e-5, atol=1e-5)
    row = rustgrad.tensor(randn(2, 1, 4).tolist()).expand(3, 4)
    theirs = torch.tensor(randn(2, 1, 4).tolist()).expand(3, 4) @ torch.tensor(y.tolist())
    np.testing.assert_allclose(np.array((row @ rustgrad.tensor(y.tolist())).tolist()), theirs.numpy(), rtol=1e-5, atol=1e-5)
    a = rustgrad.tensor(x.tolist(), dtype=rustgrad.float64, requires_grad=True)
    at = rustgrad.einsum("ij->ji", a)
    (at @ rustgrad.tensor(y.tolist(), dtype=rustgrad.float64)).sum().backward()
    np.testing.assert_allclose(np.array(a.grad.tolist()), (np.ones((3, 5)) @ y.T).T, rtol=1e-12)


# ----- einsum: ellipsis broadcasting, size-1 broadcasting, more than two operands -----

EINSUM_BROADCAST = [
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 5)]),
    ("...ij,...jk->ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(3, 4), (4, 5)]),
    ("...ij,jk", [(2, 3, 4), (4, 5)]),
    ("ij...,jk...->ik...", [(3, 4, 2), (4, 5, 1)]),
    ("a...b,b...->a...", [(2, 3, 4), (4, 3)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("...ij->ij", [(2, 3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("...", [(2, 3)]),
    ("...,...->...", [(2, 3), (3,)]),
    ("...,...", [(2, 1), (3,)]),
    ("ij...->ji", [(3, 4)]),
    ("...i,...i->...", [(2, 1, 3), (4, 3)]),
    ("ij,ij->ij", [(2, 3), (1, 3)]),
    ("ij,jk->ik", [(1, 3), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("bi,bj,bk->bijk", [(2, 3), (2, 4), (2, 5)]),
    ("ij,jk,kl", [(2, 3), (3, 4), (4, 5)]),
    ("...ij,...jk,k->...i", [(2, 3, 4), (1, 4, 5), (5,)]),
    ("ab,bc,cd,de->ae", [(2, 3), (3, 2), (2, 4), (4, 1)]),
]


@pytest.mark.parametrize("eq, shapes", EINSUM_BROADCAST)
def test_einsum_broadcasting_and_many_operands_against_numpy(eq, shapes):
    arrays = [randn(i, *s) for i, s in enumerate(shapes)]
    ours = rustgrad.einsum(eq, *[rustgrad.tensor(a) for a in arrays])
    lhs, arrow, rhs = eq.partition("->")
    if arrow and "..." in lhs and "..." not in rhs:
        # PyTorch sums the ellipsis dims missing from the output; numpy refuses: sum them here
        wide = np.einsum(f"{lhs}->...{rhs}", *arrays)
        expected = wide.sum(axis=tuple(range(wide.ndim - len(rhs))))
    else:
        expected = np.einsum(eq, *arrays)
    assert tuple(ours.shape) == expected.shape
    np.testing.assert_allclose(np.array(ours.tolist()), expected, rtol=1e-5, atol=1e-5)
    as_list = rustgrad.einsum(eq, [rustgrad.tensor(a) for a in arrays])
    np.testing.assert_allclose(np.array(as_list.tolist()), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("eq, shapes", EINSUM_BROADCAST)
def test_einsum_broadcasting_and_many_operands_against_torch(eq, shapes):
    arrays = [randn(i, *s) for i, s in enumerate(shapes)]
    check_against_torch(lambda lib, *ts: lib.einsum(eq, *ts), *arrays)


@pytest.mark.parametrize("eq, shapes", [
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (2, 3, 2)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("...i,...i->...", [(2, 1, 3), (2, 3)]), ("ij,ij->ij", [(2, 3), (1, 3)]),
])
def test_einsum_broadcasting_grads_finite_differences(eq, shapes):
    check_grads(lambda *ts: rustgrad.einsum(eq, *ts), *[randn(i + 7, *s) for i, s in enumerate(shapes)])


EINSUM_ERRORS = [
    ("...ij,...jk->...ik", [(2, 3, 4), (3, 4, 5)],
     "einsum(): dimension 0 covered by ellipsis in operand 1has size 3 which does not broadcast with previously seen ellipsis with size 2 for the respective dimension"),
    ("...ij,...jk->...ik", [(7, 2, 3, 4), (6, 1, 4, 5)],
     "einsum(): dimension 0 covered by ellipsis in operand 1has size 6 which does not broadcast with previously seen ellipsis with size 7 for the respective dimension"),
    ("..i,i", [(2, 3), (3,)], "einsum(): found '.' for operand 0 that is not part of any ellipsis"),
    ("....i,i", [(2, 3), (3,)], "einsum(): found '.' for operand 0 for which an ellipsis was already found"),
    ("...i...,i", [(2, 3), (3,)], "einsum(): found '.' for operand 0 for which an ellipsis was already found"),
    ("...ij", [(3,)], "einsum(): the number of subscripts in the equation (2) is more than the number of dimensions (1) for operand 0"),
    ("ij->..", [(3, 4)], "einsum(): found '.' for output that is not part of any ellipsis (...)"),
    ("ij->i.j", [(3, 4)], "einsum(): found '.' for output that is not part of any ellipsis (...)"),
    ("ij,ij->ij", [(2, 3), (4, 3)], "einsum(): subscript i has size 4 for operand 1 which does not broadcast with previously seen size 2"),
    ("ij,ij,ij->ij", [(1, 3), (2, 3), (4, 3)], "einsum(): subscript i has size 4 for operand 2 which does not broadcast with previously seen size 2"),
    ("ij,jk,kl->il", [(2, 3), (3, 4)], "einsum(): fewer operands were provided than specified in the equation"),
]


@pytest.mark.parametrize("eq, shapes, message", EINSUM_ERRORS)
def test_einsum_errors(eq, shapes, message):
    with pytest.raises(RuntimeError) as info:
        rustgrad.einsum(eq, *[rustgrad.ones(*s) for s in shapes])
    assert str(info.value) == message


def test_einsum_errors_and_grad_fns_match_torch():
    torch = torch_or_skip()
    for eq, shapes, message in EINSUM_ERRORS:
        with pytest.raises(RuntimeError) as info:
            torch.einsum(eq, *[torch.ones(*s) for s in shapes])
        assert str(info.value) == message
    for eq, shapes in EINSUM_BROADCAST:
        names = [type(lib.einsum(eq, *[lib.ones(*s, requires_grad=True) for s in shapes]).grad_fn).__name__
                 for lib in (rustgrad, torch)]
        assert names[0] == names[1], (eq, names)


@pytest.mark.parametrize("op", ["mm", "addmm"])
def test_big_product_grads_do_not_depend_on_threads_or_create_graph(op):
    # The gradients of a big product split over the threads (or not, with one thread), with and
    # without create_graph: the values must be identical.
    g = rustgrad.Generator().manual_seed(3)
    a = rustgrad.randn(130, 140, generator=g)
    b = rustgrad.randn(140, 150, generator=g)
    bias = rustgrad.randn(150, generator=g)

    def grads(threads, create_graph):
        before = rustgrad.get_num_threads()
        rustgrad.set_num_threads(threads)
        try:
            x, y, c = (t.clone().requires_grad_() for t in (a, b, bias))
            out = x @ y if op == "mm" else rustgrad.addmm(c, x, y, beta=0.5, alpha=2.0)
            assert out.grad_fn.name() == ("MmBackward0" if op == "mm" else "AddmmBackward0")
            gx, gy = rustgrad.autograd.grad((out * out).sum(), (x, y), create_graph=create_graph)
            return gx.detach().numpy().copy(), gy.detach().numpy().copy()
        finally:
            rustgrad.set_num_threads(before)

    reference = grads(1, False)
    for threads, create_graph in [(2, False), (2, True), (3, False)]:
        got = grads(threads, create_graph)
        assert all(np.array_equal(r, x) for r, x in zip(reference, got)), (threads, create_graph)
    # and the values are the products they should be: d sum(o^2) = 2o -> 2o @ b^T, a^T @ 2o
    o = (a @ b).numpy().astype(np.float64) if op == "mm" else (0.5 * bias.numpy() + 2.0 * (a @ b).numpy()).astype(np.float64)
    scale = 1.0 if op == "mm" else 2.0
    np.testing.assert_allclose(reference[0], scale * (2 * o) @ b.numpy().T.astype(np.float64), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(reference[1], scale * a.numpy().T.astype(np.float64) @ (2 * o), rtol=1e-4, atol=1e-3)
