"""Reductions: prod, max/min (+ rustgrad.return_types), amax/amin, argmax/argmin, var/std, norm,
logsumexp, cumsum, all/any, softmax/log_softmax (spec sections 1.5, 2, 12). Messages are
PyTorch's, observed with torch 2.13."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip, assert_error, assert_same_error_as_torch

EXAMPLES = settings(max_examples=6, deadline=None)
shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2**16)


def randn(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


@st.composite
def shape_and_dim(draw):
    shape = draw(shapes)
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return shape, dim


@st.composite
def shape_and_dims(draw):
    shape = draw(shapes)
    dims = draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    # Negative spelling of some dims.
    dims = tuple(d - len(shape) if draw(st.booleans()) else d for d in dims)
    return shape, dims


def leaf(*shape):
    return rustgrad.tensor(randn(0, *shape).tolist(), requires_grad=True)


def name(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


# ----- grad_fn names (spec section 2) -----

def test_node_names():
    a = leaf(2, 3)
    assert name(a.prod()) == "ProdBackward0"
    assert name(a.prod(0)) == "ProdBackward1"
    assert name(a.max()) == "MaxBackward1"
    assert name(a.min()) == "MinBackward1"
    assert name(a.max(0)[0]) == "MaxBackward0"
    assert name(a.max(0).values) == "MaxBackward0"
    assert name(a.min(1)[0]) == "MinBackward0"
    assert name(a.amax(0)) == "AmaxBackward0"
    assert name(a.amin((0, 1))) == "AminBackward0"
    assert name(a.var()) == "VarBackward0"
    assert name(a.var(0)) == "VarBackward0"
    assert name(a.std()) == "StdBackward0"
    assert name(a.norm()) == "LinalgVectorNormBackward0"
    assert name(rustgrad.norm(a, p=1, dim=1)) == "LinalgVectorNormBackward0"
    assert name(a.logsumexp(1)) == "LogsumexpBackward0"
    assert name(a.cumsum(0)) == "CumsumBackward0"
    assert name(a.softmax(1)) == "SoftmaxBackward0"
    assert name(rustgrad.log_softmax(a, dim=1)) == "LogSoftmaxBackward0"
    for t in (a.argmax(), a.argmin(1), a.all(), a.any(0), a.max(0).indices):
        assert t.grad_fn is None and not t.requires_grad


def test_max_dim_returns_a_named_tuple_printed_like_pytorch():
    r = rustgrad.tensor([[1., 5.], [3., 2.]], requires_grad=True).max(1)
    assert type(r).__name__ == "max"
    assert type(r).__module__ == "rustgrad.return_types"
    assert isinstance(r, tuple) and len(r) == 2
    assert r.values is r[0] and r.indices is r[1]
    assert repr(r) == (
        "rustgrad.return_types.max(\n"
        "values=tensor([5., 3.], grad_fn=<MaxBackward0>),\n"
        "indices=tensor([1, 0]))"
    )
    assert str(rustgrad.tensor([[1., 5.], [3., 2.]]).min(1)) == (
        "rustgrad.return_types.min(\nvalues=tensor([1., 2.]),\nindices=tensor([0, 1]))"
    )
    values, indices = rustgrad.max(rustgrad.tensor([[1., 5.], [3., 2.]]), dim=0, keepdim=True)
    assert values.tolist() == [[3., 5.]] and indices.tolist() == [[1, 0]]


def test_saved_tensors_follow_pytorch():
    # Nodes that save tensors fail on a second backward; sum-like ones (cumsum) do not.
    for f in (lambda a: a.prod(), lambda a: a.max(), lambda a: a.max(0)[0], lambda a: a.var(), lambda a: a.norm(),
              lambda a: a.logsumexp(1), lambda a: a.softmax(1), lambda a: a.amax(1)):
        a = leaf(2, 3)
        loss = f(a).sum()
        loss.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            loss.backward()
    a = leaf(2, 3)
    loss = a.cumsum(1).sum()
    loss.backward()
    loss.backward()
    assert a.grad.tolist() == [[6., 4., 2.], [6., 4., 2.]]


# ----- values and dtypes -----

def test_values_dtypes_and_edge_cases():
    i = rustgrad.tensor([[1, 2, 3], [4, 5, 6]])
    b = rustgrad.tensor([[True, False], [True, True]])
    assert i.prod().item() == 720 and i.prod().dtype == rustgrad.int64
    assert b.prod().dtype == rustgrad.int64 and b.cumsum(0).tolist() == [[1, 0], [2, 1]]
    assert i.max().item() == 6 and i.amax(1).tolist() == [3, 6]
    assert b.max().dtype == rustgrad.bool
    assert i.cumsum(1).tolist() == [[1, 3, 6], [4, 9, 15]]
    assert i.all(dim=1, keepdim=True).tolist() == [[True], [True]]
    assert b.all(0).tolist() == [True, False] and b.any((0, 1)).item() is True
    assert rustgrad.tensor([[1, 2], [0, 1]]).all(0).tolist() == [False, True]
    assert i.logsumexp(1).dtype == rustgrad.float32
    e = rustgrad.zeros(0, 3)
    assert e.prod(0).tolist() == [1., 1., 1.] and e.all().item() is True and e.any().item() is False
    assert e.logsumexp(0).tolist() == [-math.inf] * 3
    n = rustgrad.tensor([1., math.nan, 3.])
    assert math.isnan(n.max().item()) and n.argmax().item() == 1 and n.argmin().item() == 1
    assert rustgrad.tensor([[1., 1., 0.]]).argmax(1).tolist() == [0]  # first of the ties
    assert rustgrad.tensor([1., 2.]).var(correction=2).item() == math.inf
    assert rustgrad.tensor(3.).max(0).values.item() == 3.0
    big = rustgrad.tensor([1000., 1000., -1000.])
    assert big.softmax(0).tolist() == [0.5, 0.5, 0.0]
    assert all(math.isfinite(v) for v in big.log_softmax(0).tolist()[:2])


@pytest.mark.parametrize(
    "thunk, kind, message",
    [
        (lambda: rustgrad.zeros(0, 3).max(), RuntimeError,
         "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."),
        (lambda: rustgrad.zeros(0, 3).min(0), IndexError, "min(): Expected reduction dim 0 to have non-zero size."),
        (lambda: rustgrad.zeros(0, 3).amax(0), IndexError, "amax(): Expected reduction dim 0 to have non-zero size."),
        (lambda: rustgrad.zeros(0, 3).argmax(), IndexError, "argmax(): Expected reduction dim to be specified for input.numel() == 0."),
        (lambda: rustgrad.tensor([True]).argmax(), RuntimeError, "argmax(): does not support bool input"),
        (lambda: rustgrad.ones(2, 3).argmax((0, 1)), TypeError, "argmax(): argument 'dim' (position 1) must be int, not tuple"),
        (lambda: rustgrad.tensor([1, 2]).var(), RuntimeError, "std and var only support floating point and complex dtypes"),
        (lambda: rustgrad.tensor([1, 2]).norm(), RuntimeError,
         "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
        (lambda: rustgrad.zeros(0).norm(math.inf), RuntimeError,
         "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have an identity"),
        (lambda: rustgrad.tensor([1, 2]).softmax(0), NotImplementedError, "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
        (lambda: rustgrad.ones(2, 3).softmax(2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        (lambda: rustgrad.ones(2, 3).max(2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        (lambda: rustgrad.ones(2, 3).var(dim=(0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
        (lambda: rustgrad.ones(2, 3).logsumexp(), TypeError, "logsumexp() missing 1 required positional arguments: \"dim\""),
        (lambda: rustgrad.ones(2, 3).cumsum(), TypeError, "cumsum() missing 1 required positional arguments: \"dim\""),
    ],
)
def test_errors_match_pytorch(thunk, kind, message):
    with pytest.raises(kind) as info:
        thunk()
    assert str(info.value) == message


# ----- gradients: finite differences (float64, hypothesis-drawn shapes) -----

@EXAMPLES
@given(sd=shape_and_dims(), keepdim=st.booleans(), seed=seeds)
def test_multi_dim_reduction_grads(sd, keepdim, seed):
    shape, dims = sd
    x = randn(seed, *shape)
    check_grads(lambda t: t.amax(dims, keepdim), x)
    check_grads(lambda t: t.amin(dims, keepdim), x)
    check_grads(lambda t: t.var(dims, keepdim=keepdim, correction=0), x)
    check_grads(lambda t: t.logsumexp(dims, keepdim), x)
    check_grads(lambda t: t.norm(dim=dims, keepdim=keepdim), x, atol=1e-5)
    check_grads(lambda t: t.norm(p=3, dim=dims, keepdim=keepdim), x, atol=1e-5)
    check_grads(lambda t: t.norm(p=1, dim=dims, keepdim=keepdim), x)
    check_grads(lambda t: t.norm(p=math.inf, dim=dims, keepdim=keepdim), x)
    if math.prod(shape[d] for d in dims) > 1:
        check_grads(lambda t: t.std(dims, keepdim=keepdim), x, atol=1e-5)


@EXAMPLES
@given(sd=shape_and_dim(), keepdim=st.booleans(), seed=seeds)
def test_single_dim_grads(sd, keepdim, seed):
    shape, dim = sd
    x = randn(seed, *shape)
    check_grads(lambda t: t.prod(dim, keepdim), x)
    check_grads(lambda t: t.max(dim, keepdim).values, x)
    check_grads(lambda t: rustgrad.min(t, dim, keepdim)[0], x)
    check_grads(lambda t: t.cumsum(dim), x)
    check_grads(lambda t: t.softmax(dim), x)
    check_grads(lambda t: t.log_softmax(dim), x)


@EXAMPLES
@given(shape=shapes, seed=seeds)
def test_full_reduction_grads(shape, seed):
    x = randn(seed, *shape)
    check_grads(lambda t: t.prod(), x)
    check_grads(lambda t: t.max(), x)
    check_grads(lambda t: t.min(), x)
    check_grads(lambda t: t.norm(), x, atol=1e-5)
    if math.prod(shape) > 1:
        check_grads(lambda t: t.var(), x)
        check_grads(lambda t: t.std(), x, atol=1e-5)


def test_grads_at_ties_and_zeros_match_pytorch():
    # Ties share the gradient (max(), amax), max(dim) picks one index; prod handles zeros.
    check_against_torch(lambda lib, t: t.max(), [[1., 3., 3.], [0., 3., 2.]])
    check_against_torch(lambda lib, t: t.amax(1), [[1., 3., 3.], [0., 3., 2.]])
    check_against_torch(lambda lib, t: t.max(1).values, [[1., 3., 3.], [0., 3., 2.]])
    check_against_torch(lambda lib, t: t.prod(1), [[1., 0., 3.], [0., 0., 2.], [1., 2., 3.]])
    check_against_torch(lambda lib, t: t.prod(), [[1., 0., 3.], [4., 5., 2.]])
    check_against_torch(lambda lib, t: t.norm(), [[0., 0.], [0., 0.]])
    check_against_torch(lambda lib, t: t.std(1), [[1., 1., 1.], [1., 2., 3.]])
    check_against_torch(lambda lib, t: t.norm(p=math.inf, dim=1), [[1., -3., 3.], [0., 3., 2.]])


@pytest.mark.parametrize(
    "f",
    [
        lambda t: t.softmax(1).pow(2).sum(),
        lambda t: t.log_softmax(0).pow(2).sum(),
        lambda t: t.logsumexp(0).sum(),
        lambda t: t.prod(1).sum(),
        lambda t: t.std(1).sum(),
        lambda t: t.norm(p=3),
        lambda t: t.max(1).values.pow(2).sum(),
        lambda t: t.amax(0).pow(2).sum(),
    ],
)
def test_double_backward_against_torch(f):
    # The gradient itself (built with create_graph=True) is differentiated a second time.
    check_against_torch(lambda lib, t: lib.autograd.grad(f(t), [t], create_graph=True)[0], randn(3, 2, 3))


# ----- parity with PyTorch -----

@pytest.mark.parametrize(
    "f",
    [
        lambda lib, t: t.prod(1, keepdim=True),
        lambda lib, t: t.var(0, unbiased=False),
        lambda lib, t: lib.std(t, 1, keepdim=True),
        lambda lib, t: t.var(correction=2),
        lambda lib, t: t.norm(p="fro", dim=1),
        lambda lib, t: t.norm(3),
        lambda lib, t: t.norm(-math.inf),
        lambda lib, t: t.norm(0),
        lambda lib, t: lib.logsumexp(t, (0, 1)),
        lambda lib, t: lib.cumsum(t, dim=-1),
        lambda lib, t: lib.softmax(t, 0),
        lambda lib, t: lib.log_softmax(t, -1),
        lambda lib, t: lib.amin(t, -1, keepdim=True),
        lambda lib, t: lib.max(t, 0).values,
    ],
)
def test_against_torch(f):
    check_against_torch(f, randn(7, 3, 4))
    check_against_torch(f, randn(8, 3, 4), dtype="float32", atol=1e-5, rtol=1e-4)


def test_non_contiguous_inputs_against_torch():
    torch = torch_or_skip()
    x = randn(5, 4, 3)
    ours = rustgrad.tensor(x.tolist()).expand(2, 4, 3)
    theirs = torch.tensor(x.tolist()).expand(2, 4, 3)
    for f in (lambda t: t.softmax(1), lambda t: t.cumsum(0), lambda t: t.amax((0, 2)), lambda t: t.var(1),
              lambda t: t.max(2).indices, lambda t: t.argmin(1), lambda t: t.logsumexp(2)):
        np.testing.assert_allclose(np.array(f(ours).tolist()), f(theirs).numpy(), rtol=1e-5, atol=1e-6)


def test_big_reductions_do_not_depend_on_thread_count_against_torch():
    torch = torch_or_skip()
    x = randn(9, 300, 200).astype(np.float32)
    ours, theirs = rustgrad.tensor(x.tolist()), torch.tensor(x)
    np.testing.assert_allclose(ours.norm().item(), theirs.norm().item(), rtol=1e-5)
    np.testing.assert_allclose(np.array(ours.softmax(0).tolist()), theirs.softmax(0).numpy(), rtol=1e-5, atol=1e-7)
    assert ours.argmax().item() == theirs.argmax().item()
    np.testing.assert_allclose(np.array(ours.var(1).tolist()), theirs.var(1).numpy(), rtol=1e-5)


def _reductions():
    return [
        lambda t: t.sum(), lambda t: t.sum(1), lambda t: t.sum(0), lambda t: t.mean((0, 2)),
        lambda t: t.amax(2), lambda t: t.amin(0), lambda t: t.max(1).values, lambda t: t.max(1).indices,
        lambda t: t.argmin(), lambda t: t.var(), lambda t: t.std(2), lambda t: t.norm(),
        lambda t: t.norm(1, 2), lambda t: t.logsumexp(2), lambda t: t.logsumexp(0), lambda t: t.prod(2),
        lambda t: t.softmax(-1), lambda t: t.log_softmax(0), lambda t: t.cumsum(2),
        lambda t: t.transpose(0, 2).sum(1), lambda t: t.transpose(1, 2).amax(1),
    ]


@pytest.mark.parametrize("shape", [(3, 5, 17), (2, 33, 1001), (5, 9, 8193)])
def test_float_reductions_do_not_depend_on_thread_count(shape):
    """Fast paths (rows, columns, gathered layouts) around the SIMD widths and the 32768 grain give
    the same bits on 1 and 2 threads, and agree with PyTorch."""
    x = rustgrad.tensor(randn(7, *shape).astype(np.float32))
    before = rustgrad.get_num_threads()
    try:
        rustgrad.set_num_threads(1)
        one = [f(x).numpy() for f in _reductions()]
        rustgrad.set_num_threads(2)
        two = [f(x).numpy() for f in _reductions()]
    finally:
        rustgrad.set_num_threads(before)
    for a, b in zip(one, two):
        assert a.tobytes() == b.tobytes()
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x.numpy())
    for f, ours in zip(_reductions(), two):
        theirs = f(tx).numpy()
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-5)


def test_softmax_special_values_and_fused_backward_match_torch():
    torch = torch_or_skip()
    inf, nan = math.inf, math.nan
    rows = [[inf, 1.0, 2.0], [-inf, -inf, -inf], [-inf, 0.0, 1.0], [nan, 1.0, 0.0]]
    for f in (lambda m, t: t.softmax(1), lambda m, t: t.log_softmax(1), lambda m, t: t.logsumexp(1),
              lambda m, t: t.amax(1), lambda m, t: t.max(1).indices, lambda m, t: t.argmin(1)):
        ours, theirs = f(rustgrad, rustgrad.tensor(rows)).numpy(), f(torch, torch.tensor(rows)).numpy()
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    g = randn(3, 64, 257).astype(np.float32)
    x = randn(4, 64, 257).astype(np.float32)
    for op in ("softmax", "log_softmax"):
        for grad in (None, g):  # an expanded gradient (sum) and a dense one
            ours = rustgrad.tensor(x, requires_grad=True)
            theirs = torch.tensor(x, requires_grad=True)
            for t, lib in ((ours, rustgrad), (theirs, torch)):
                y = getattr(t, op)(-1)
                (y.sum() if grad is None else (y * lib.tensor(grad)).sum()).backward()
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_float32_cumsum_is_bit_identical_to_torch():
    # PyTorch accumulates a float32 cumsum in double and rounds each output; so does rustgrad.
    torch = torch_or_skip()
    x = (randn(5, 3, 7, 4099) * 100).astype(np.float32)
    for dim in (0, 2):
        ours = rustgrad.tensor(x).cumsum(dim).numpy()
        np.testing.assert_array_equal(ours, torch.tensor(x).cumsum(dim).numpy())


# --- dtype= ----------------------------------------------------------------------------------------


DTYPE_ARG_CASES = [
    "i.sum(dtype=lib.float32)", "i.sum(dtype=lib.int32)", "i.sum(dtype=lib.bool)", "i.sum(0, dtype=lib.float64)", "m.sum((0, 1), dtype=lib.int32)",
    "m.sum(1, keepdim=True, dtype=lib.float32)", "bo.sum(dtype=lib.bool)", "big.sum(dtype=lib.int32)", "f.sum(dtype=lib.int64)", "lib.sum(i, dtype=lib.float64)",
    "i.mean(dtype=lib.float32)", "i.mean(0, True, dtype=lib.float64)", "i.mean(dtype=lib.int64)", "f.mean(dtype=lib.int32)", "bo.mean(dtype=lib.bool)",
    "lib.mean(i, dtype=lib.float64)", "i.mean()",
    "i.prod(0, dtype=lib.int32)", "i.prod(dtype=lib.bool)", "big.prod(dtype=lib.int32)", "bo.prod(dtype=lib.uint8)", "i.prod(dtype=lib.float32)",
    "i.cumsum(0, dtype=lib.int32)", "big.cumsum(0, dtype=lib.int32)", "i.cumsum(0, dtype=lib.bool)", "i.cumsum(0, dtype=lib.float64)", "bo.cumsum(0)",
    "lib.cumsum(m, 1, dtype=lib.uint8)",
]


@pytest.mark.parametrize("expr", DTYPE_ARG_CASES)
def test_reductions_take_dtype_like_pytorch(expr):
    torch = torch_or_skip()

    def run(lib):
        env = {"lib": lib, "i": lib.tensor([-3, 0, 2, 7]), "m": lib.tensor([[1, 2, 3], [300, -5, 6]]), "bo": lib.tensor([True, False, True]),
               "big": lib.tensor([2 ** 31, 2 ** 31, 3]), "f": lib.tensor([1.5, -2.7, 0.2])}
        try:
            r = eval(expr, env)
        except Exception as e:  # noqa: BLE001 - compared with PyTorch's
            return type(e).__name__, str(e).replace("torch.", "rustgrad.")
        return str(r.dtype).split(".")[-1], tuple(r.shape), r.tolist()
    assert run(rustgrad) == run(torch)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(-(2 ** 40), 2 ** 40), min_size=1, max_size=8))
def test_integer_sums_in_a_narrow_dtype_wrap_like_numpy(values):
    a = np.array(values, dtype=np.int64)
    t = rustgrad.tensor(values)
    assert t.sum(dtype=rustgrad.int32).tolist() == int(a.astype(np.int32).sum(dtype=np.int32))
    assert t.cumsum(0, dtype=rustgrad.int32).tolist() == np.cumsum(a.astype(np.int32), dtype=np.int32).tolist()
    assert t.sum(dtype=rustgrad.float64).tolist() == float(a.astype(np.float64).sum())
    assert t.sum(dtype=rustgrad.bool).item() == bool(a.any())


def test_sum_dtype_keeps_gradients():
    x = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.sum(dtype=rustgrad.float64)
    assert y.dtype == rustgrad.float64 and type(y.grad_fn).__name__ == "SumBackward0"
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0] and x.grad.dtype == rustgrad.float32


# --- bad arguments: PyTorch's argument-parser errors (sum and mean) ---

REDUCTION_ARG_ERRORS = [
    ("lib.ones(2, 3).sum('a')",
     lambda lib: lib.ones(2, 3).sum('a'),
     TypeError, 'sum() received an invalid combination of arguments - got (str), but expected one of:\n * (*, rustgrad.dtype dtype = None)\n * (tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None)\n'),
    ("lib.ones(2, 3).sum(None, 'a')",
     lambda lib: lib.ones(2, 3).sum(None, 'a'),
     TypeError, "sum(): argument 'keepdim' (position 2) must be bool, not str"),
    ("lib.ones(2, 3).sum(0, 'a')",
     lambda lib: lib.ones(2, 3).sum(0, 'a'),
     TypeError, "sum(): argument 'keepdim' (position 2) must be bool, not str"),
    ('lib.ones(2, 3).sum(0, keepdim=None)',
     lambda lib: lib.ones(2, 3).sum(0, keepdim=None),
     TypeError, "sum(): argument 'keepdim' must be bool, not NoneType"),
    ('lib.ones(2, 3).sum(1.5)',
     lambda lib: lib.ones(2, 3).sum(1.5),
     TypeError, 'sum() received an invalid combination of arguments - got (float), but expected one of:\n * (*, rustgrad.dtype dtype = None)\n * (tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None)\n'),
    ("lib.ones(2, 3).sum((0, 'a'))",
     lambda lib: lib.ones(2, 3).sum((0, 'a')),
     TypeError, 'sum(): argument \'dim\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got str"'),
    ('lib.ones(2, 3).sum(lib.ones(2))',
     lambda lib: lib.ones(2, 3).sum(lib.ones(2)),
     TypeError, 'sum() received an invalid combination of arguments - got (Tensor), but expected one of:\n * (*, rustgrad.dtype dtype = None)\n * (tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None)\n'),
    ("lib.ones(2, 3).sum(dtype='a')",
     lambda lib: lib.ones(2, 3).sum(dtype='a'),
     TypeError, 'sum() received an invalid combination of arguments - got (dtype=str, ), but expected one of:\n * (*, rustgrad.dtype dtype = None)\n * (tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None)\n'),
    ('lib.ones(2, 3).sum(0, True, 1)',
     lambda lib: lib.ones(2, 3).sum(0, True, 1),
     TypeError, 'sum() takes from 1 to 2 positional arguments but 3 were given'),
    ('lib.ones(2, 3).sum(foo=1)',
     lambda lib: lib.ones(2, 3).sum(foo=1),
     TypeError, 'sum() received an invalid combination of arguments - got (foo=int, ), but expected one of:\n * (*, rustgrad.dtype dtype = None)\n * (tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None)\n'),
    ('lib.ones(2, 3).sum(0, foo=1)',
     lambda lib: lib.ones(2, 3).sum(0, foo=1),
     TypeError, "sum() got an unexpected keyword argument 'foo'"),
    ('lib.ones(2, 3).sum(dtype=lib.float64, foo=1, bar=2)',
     lambda lib: lib.ones(2, 3).sum(dtype=lib.float64, foo=1, bar=2),
     TypeError, 'sum() missing 1 required positional arguments: "dim"'),
    ("lib.ones(2, 3).mean('a')",
     lambda lib: lib.ones(2, 3).mean('a'),
     TypeError, 'mean() received an invalid combination of arguments - got (str), but expected one of:\n * (*, rustgrad.dtype dtype = None)\n * (tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None)\n'),
    ("lib.ones(2, 3).mean([0, 'a'])",
     lambda lib: lib.ones(2, 3).mean([0, 'a']),
     TypeError, 'mean(): argument \'dim\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got str"'),
    ("lib.ones(2, 3).mean(0, keepdim='a')",
     lambda lib: lib.ones(2, 3).mean(0, keepdim='a'),
     TypeError, "mean(): argument 'keepdim' must be bool, not str"),
    ("lib.ones(2, 3).mean(dim='a')",
     lambda lib: lib.ones(2, 3).mean(dim='a'),
     TypeError, 'mean() received an invalid combination of arguments - got (dim=str, ), but expected one of:\n * (*, rustgrad.dtype dtype = None)\n * (tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None)\n'),
    ('lib.ones(2, 3).mean(0, dtype=1)',
     lambda lib: lib.ones(2, 3).mean(0, dtype=1),
     TypeError, "mean(): argument 'dtype' must be rustgrad.dtype, not int"),
    ("lib.sum(lib.ones(2, 3), 'a')",
     lambda lib: lib.sum(lib.ones(2, 3), 'a'),
     TypeError, 'sum() received an invalid combination of arguments - got (Tensor, str), but expected one of:\n * (Tensor input, *, rustgrad.dtype dtype = None)\n * (Tensor input, tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None, Tensor out = None)\n'),
    ("lib.sum('a')",
     lambda lib: lib.sum('a'),
     TypeError, "sum(): argument 'input' (position 1) must be Tensor, not str"),
    ("lib.mean(lib.ones(2, 3), 0, 'a')",
     lambda lib: lib.mean(lib.ones(2, 3), 0, 'a'),
     TypeError, 'mean() received an invalid combination of arguments - got (Tensor, int, str), but expected one of:\n * (Tensor input, *, rustgrad.dtype dtype = None, Tensor out = None)\n * (Tensor input, tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None, Tensor out = None)\n'),
    ('lib.mean(lib.ones(2, 3), dim=None, keepdim=1)',
     lambda lib: lib.mean(lib.ones(2, 3), dim=None, keepdim=1),
     TypeError, 'mean() received an invalid combination of arguments - got (Tensor, keepdim=int, dim=NoneType), but expected one of:\n * (Tensor input, *, rustgrad.dtype dtype = None, Tensor out = None)\n * (Tensor input, tuple of ints dim, bool keepdim = False, *, rustgrad.dtype dtype = None, Tensor out = None)\n'),
]


@pytest.mark.parametrize("name, call, exc_type, message", REDUCTION_ARG_ERRORS, ids=[c[0] for c in REDUCTION_ARG_ERRORS])
def test_reduction_argument_errors(name, call, exc_type, message):
    assert_error(call, exc_type, message)


@pytest.mark.parametrize("name, call, exc_type, message", REDUCTION_ARG_ERRORS, ids=[c[0] for c in REDUCTION_ARG_ERRORS])
def test_reduction_argument_errors_match_torch(name, call, exc_type, message):
    assert_same_error_as_torch(call)
