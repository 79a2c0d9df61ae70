"""Double backward (issue #4): ``gradgradcheck`` in float64 over every differentiable op family:
elementwise math and activations, reductions, softmax / log_softmax, the matmul family, losses,
norms, convolution and pooling, views, indexing and joining. Each case checks the backward of the
backward (second derivatives, and the derivative of the gradient with respect to the incoming
gradient) against finite differences. Small shapes keep the whole file fast; a few families also
draw their shapes with hypothesis.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rustgrad
import rustgrad.nn.functional as F
from rustgrad.autograd import gradgradcheck

from _helpers import torch_or_skip


def leaf(shape, seed=0, low=-1.0, high=1.0):
    values = np.random.default_rng(seed).uniform(low, high, shape)
    return rustgrad.tensor(values.tolist(), dtype=rustgrad.float64, requires_grad=True)


def positive(a):
    """Maps an input to [0.5, 1.5]-ish away from singular points (log, sqrt, pow bases...)."""
    return a * a + 0.5


IDX = lambda values: rustgrad.tensor(values)  # noqa: E731  (int64 index tensors)


def _const(values):
    """A float64 constant (class weights and the like, which must not require grad)."""
    return rustgrad.tensor(values, dtype=rustgrad.float64)

OPS = {
    # ----- binary arithmetic -----
    "add_broadcast_alpha": (lambda a, b: a.add(b, alpha=1.5), [(2, 3), (3,)]),
    "sub_rsub": (lambda a, b: (a - b) + (2.0 - a), [(2, 3), (2, 1)]),
    "mul": (lambda a, b: a * b, [(2, 3), (3,)]),
    "mul_self": (lambda a: a * a, [(4,)]),
    "div": (lambda a, b: a / positive(b), [(2, 3), (2, 3)]),
    "rdiv": (lambda a: 2.0 / positive(a), [(4,)]),
    "pow_scalar": (lambda a: a ** 3, [(5,)]),
    "pow_fractional": (lambda a: positive(a) ** 2.5, [(5,)]),
    "pow_tensor_tensor": (lambda a, b: positive(a) ** b, [(4,), (4,)]),
    "rpow": (lambda a: 2.0 ** a, [(4,)]),
    "square": (lambda a: a.square(), [(4,)]),
    "maximum_minimum": (lambda a, b: rustgrad.maximum(a, b) + rustgrad.minimum(a, b * 2), [(5,), (5,)]),
    # ----- unary math -----
    "neg": (lambda a: -a, [(4,)]),
    "exp": (lambda a: a.exp(), [(2, 3)]),
    "expm1": (lambda a: a.expm1(), [(5,)]),
    "log": (lambda a: positive(a).log(), [(5,)]),
    "log1p": (lambda a: positive(a).log1p(), [(5,)]),
    "sqrt": (lambda a: positive(a).sqrt(), [(5,)]),
    "rsqrt": (lambda a: positive(a).rsqrt(), [(5,)]),
    "reciprocal": (lambda a: positive(a).reciprocal(), [(5,)]),
    "sin": (lambda a: a.sin(), [(5,)]),
    "cos": (lambda a: a.cos(), [(5,)]),
    "tan": (lambda a: a.tan(), [(5,)]),
    "tanh": (lambda a: a.tanh(), [(5,)]),
    "sigmoid": (lambda a: a.sigmoid(), [(5,)]),
    "atan": (lambda a: a.atan(), [(5,)]),
    "erf": (lambda a: a.erf(), [(5,)]),
    "abs": (lambda a: (a + 0.05).abs() * a, [(5,)]),
    # ----- activations -----
    "relu": (lambda a: F.relu(a) * a, [(6,)]),
    "gelu": (lambda a: F.gelu(a), [(6,)]),
    "gelu_tanh": (lambda a: F.gelu(a, approximate="tanh"), [(6,)]),
    "silu": (lambda a: F.silu(a), [(6,)]),
    "softplus": (lambda a: F.softplus(a, beta=2.0, threshold=20.0), [(6,)]),
    "elu": (lambda a: F.elu(a, alpha=0.7), [(6,)]),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.1) * a, [(6,)]),
    "hardtanh": (lambda a: F.hardtanh(a, -0.5, 0.5) * a, [(6,)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.5) * a, [(6,)]),
    "clamp_tensor": (lambda a, lo: a.clamp(min=lo - 0.5) * a, [(6,), (6,)]),
    # ----- reductions -----
    "sum": (lambda a: (a * a).sum(), [(2, 3)]),
    "sum_dim": (lambda a: (a * a).sum(1, keepdim=True), [(3, 4)]),
    "mean": (lambda a: (a * a).mean(0), [(3, 4)]),
    "prod": (lambda a: a.prod(), [(2, 3)]),
    "prod_dim": (lambda a: a.prod(1), [(2, 3)]),
    "amax_amin": (lambda a: a.amax(1) * a.amin(0).sum(), [(3, 4)]),
    "max_min_dim": (lambda a: a.max(1)[0] * a.min(1)[0], [(3, 4)]),
    "max_min_full": (lambda a: a.max() * a.min() * a, [(3, 4)]),
    "var": (lambda a: a.var(1), [(3, 4)]),
    "var_full": (lambda a: a.var(correction=0), [(3, 4)]),
    "std": (lambda a: a.std(0), [(3, 4)]),
    "std_full": (lambda a: a.std(), [(3, 4)]),
    "norm": (lambda a: a.norm(), [(3, 4)]),
    "norm_dim_p3": (lambda a: a.norm(p=3, dim=1), [(3, 4)]),
    "norm_p1": (lambda a: a.norm(p=1) * a, [(4,)]),
    "logsumexp": (lambda a: a.logsumexp(1), [(3, 4)]),
    "cumsum": (lambda a: (a * a).cumsum(1), [(2, 4)]),
    # ----- softmax -----
    "softmax": (lambda a: a.softmax(1), [(3, 4)]),
    "log_softmax": (lambda a: a.log_softmax(0), [(3, 4)]),
    "softmin": (lambda a: F.softmin(a, dim=1), [(2, 3)]),
    # ----- matmul family -----
    "mm": (lambda a, b: a.mm(b), [(2, 3), (3, 2)]),
    "matmul_batched_broadcast": (lambda a, b: a @ b, [(2, 2, 3), (3, 2)]),
    "matmul_vec": (lambda a, v: (a @ v) * (v @ v), [(2, 3), (3,)]),
    "bmm": (lambda a, b: a.bmm(b), [(2, 2, 3), (2, 3, 2)]),
    "mv": (lambda a, v: a.mv(v), [(2, 3), (3,)]),
    "dot": (lambda a, b: a.dot(b) * a, [(3,), (3,)]),
    "outer": (lambda a, b: a.outer(b), [(3,), (2,)]),
    "addmm": (lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=2.0), [(2, 2), (2, 3), (3, 2)]),
    "linear": (lambda x, w, b: F.linear(x, w, b), [(2, 3), (2, 3), (2,)]),
    "bilinear": (lambda x1, x2, w: F.bilinear(x1, x2, w), [(2, 2), (2, 3), (2, 2, 3)]),
    "einsum": (lambda a, b: rustgrad.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)]),
    "einsum_trace_outer": (lambda a, b: rustgrad.einsum("ii,j->j", a, b), [(2, 2), (3,)]),
    # ----- losses -----
    "mse_loss": (lambda a, b: F.mse_loss(a, b), [(2, 3), (2, 3)]),
    "mse_loss_none": (lambda a, b: F.mse_loss(a, b, reduction="none"), [(2, 3), (2, 3)]),
    "l1_loss": (lambda a, b: F.l1_loss(a * a, b), [(2, 3), (2, 3)]),
    "huber_loss": (lambda a, b: F.huber_loss(a, b * 3, delta=1.0), [(2, 3), (2, 3)]),
    "smooth_l1_loss": (lambda a, b: F.smooth_l1_loss(a, b * 3, beta=0.5), [(2, 3), (2, 3)]),
    "binary_cross_entropy": (lambda a, t: F.binary_cross_entropy(a.sigmoid(), t.sigmoid()), [(2, 3), (2, 3)]),
    "bce_with_logits": (
        lambda a, t: F.binary_cross_entropy_with_logits(
            a, t.sigmoid(), weight=_const([0.5, 2.0, 1.0]), pos_weight=_const([1.5, 0.5, 3.0])
        ),
        [(2, 3), (2, 3)],
    ),
    "nll_loss": (lambda a: F.nll_loss(a.log_softmax(1) * a, IDX([0, 2])), [(2, 3)]),
    "nll_loss_weighted": (lambda a: F.nll_loss(a * a, IDX([0, 2, 1]), weight=_const([0.5, 2.0, 1.5])), [(3, 3)]),
    "cross_entropy": (lambda a: F.cross_entropy(a, IDX([1, 0, 2])), [(3, 3)]),
    "cross_entropy_probs_smoothing": (
        lambda a, t: F.cross_entropy(a, t.softmax(1), label_smoothing=0.1),
        [(2, 3), (2, 3)],
    ),
    # ----- norms -----
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (3,), w, b), [(2, 3), (3,), (3,)]),
    "layer_norm_no_affine": (lambda x: F.layer_norm(x, (2, 3)), [(2, 2, 3)]),
    "batch_norm_train": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(3, 2), (2,), (2,)],
    ),
    "batch_norm_eval": (
        lambda x, w, b: F.batch_norm(
            x, rustgrad.tensor([0.1, -0.2], dtype=rustgrad.float64), rustgrad.tensor([1.5, 0.5], dtype=rustgrad.float64), w, b
        ),
        [(3, 2), (2,), (2,)],
    ),
    # ----- convolution and pooling -----
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, padding=1), [(1, 2, 4), (2, 2, 2), (2,)]),
    "conv2d": (lambda x, w: F.conv2d(x, w, stride=1, padding=1), [(1, 1, 3, 3), (2, 1, 2, 2)]),
    "conv2d_strided_grouped": (lambda x, w: F.conv2d(x, w, stride=2, groups=2), [(1, 2, 4, 3), (2, 1, 2, 2)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2) * F.max_pool2d(x, 2), [(1, 1, 4, 4)]),
    "max_pool1d": (lambda x: F.max_pool1d(x * x, 2), [(1, 2, 4)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x * x, 2, stride=1, padding=1), [(1, 1, 3, 3)]),
    "avg_pool1d": (lambda x: F.avg_pool1d(x * x, 2), [(1, 2, 4)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x * x, (2, 2)), [(1, 1, 3, 3)]),
    # ----- views -----
    "view_reshape": (lambda a: (a * a).view(3, 2).reshape(-1), [(2, 3)]),
    "transpose_t_permute": (lambda a: (a * a).t().unsqueeze(0).permute(2, 0, 1), [(2, 3)]),
    "expand_squeeze": (lambda a: (a * a).unsqueeze(0).expand(2, 2, 3).squeeze(), [(2, 3)]),
    "flatten_narrow": (lambda a: (a * a).flatten().narrow(0, 1, 3), [(2, 3)]),
    "select_slice": (lambda a: (a * a)[1:, ::2] + (a * a)[0, 1], [(3, 4)]),
    "tril_triu": (lambda a: (a * a).tril() + a.triu(1) * a, [(3, 3)]),
    "flip_roll": (lambda a: (a * a).flip(0).roll(1, 1), [(2, 3)]),
    "repeat": (lambda a: (a * a).repeat(2, 1), [(2, 3)]),
    "split_chunk_unbind": (lambda a: (a * a).split(2, 1)[0] * a.chunk(2, 1)[1] + a.unbind(1)[0].unsqueeze(1), [(3, 4)]),
    # ----- indexing -----
    "index_tensor": (lambda a: (a * a)[IDX([2, 0, 2])], [(3, 2)]),
    "index_mixed": (lambda a: (a * a)[IDX([1, 0]), 1:], [(3, 3)]),
    "index_select": (lambda a: (a * a).index_select(1, IDX([2, 0, 2])), [(2, 3)]),
    "gather": (lambda a: (a * a).gather(1, IDX([[0, 2], [1, 1]])), [(2, 3)]),
    "scatter": (lambda a, s: (a * a).scatter(1, IDX([[0, 2], [1, 1]]), s * s), [(2, 3), (2, 2)]),
    "scatter_add": (lambda a, s: (a * a).scatter_add(1, IDX([[0, 2], [1, 1]]), s * s), [(2, 3), (2, 2)]),
    "masked_select": (lambda a: (a * a).masked_select(rustgrad.tensor([[True, False, True], [False, True, True]])), [(2, 3)]),
    "masked_fill": (lambda a: (a * a).masked_fill(rustgrad.tensor([True, False, True, False]), 3.0), [(4,)]),
    "where": (lambda a, b: rustgrad.where(a > 0, a * a, b * b), [(5,), (5,)]),
    "setitem": (lambda a: _setitem(a), [(3,)]),
    "index_put": (lambda a, v: _index_put(a, v), [(4,), (2,)]),
    "embedding": (lambda w: F.embedding(IDX([[0, 2], [2, 1]]), w * w), [(3, 2)]),
    # ----- joining -----
    "cat": (lambda a, b: rustgrad.cat([a * a, b * a], 0), [(2, 3), (2, 3)]),
    "stack": (lambda a, b: rustgrad.stack([a * b, b * b], 1), [(2, 3), (2, 3)]),
    # ----- dtype / copies -----
    "clone_contiguous": (lambda a: (a * a).t().contiguous().clone(), [(2, 3)]),
    "copy_inplace": (lambda a, b: _copy(a, b), [(3,), (3,)]),
    "inplace_chain": (lambda a: _inplace_chain(a), [(4,)]),
}


def _setitem(a):
    b = a * a
    b[1] = a[0] * 5
    return b


def _index_put(a, v):
    b = a * a
    b[IDX([3, 0])] = v * a[1]
    return b


def _copy(a, b):
    c = a * 1
    c.copy_(b * b)
    return c * a


def _inplace_chain(a):
    b = a * 1
    b.mul_(a)
    b.add_(a, alpha=2.0)
    b.div_(a * a + 1)
    return b.exp_()


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradgradcheck(name):
    fn, shapes = OPS[name]
    inputs = tuple(leaf(s, seed=i + 17) for i, s in enumerate(shapes))
    assert gradgradcheck(fn, inputs)


# ----- hypothesis-drawn shapes for the families with shape-dependent formulas -----

small = st.integers(1, 3)


@settings(max_examples=8, deadline=None)
@given(rows=small, cols=small, seed=st.integers(0, 2**16))
def test_gradgradcheck_softmax_family_shapes(rows, cols, seed):
    x = leaf((rows, cols), seed)
    assert gradgradcheck(lambda a: a.softmax(1) + a.log_softmax(0) + a.logsumexp(1, keepdim=True), (x,))


@settings(max_examples=8, deadline=None)
@given(n=small, k=small, m=small, seed=st.integers(0, 2**16))
def test_gradgradcheck_matmul_shapes(n, k, m, seed):
    a, b = leaf((n, k), seed), leaf((k, m), seed + 1)
    assert gradgradcheck(lambda a, b: (a @ b) * (a @ b), (a, b))


@settings(max_examples=5, deadline=None)
@given(rows=st.integers(2, 3), cols=st.integers(2, 3), dim=st.integers(0, 1), seed=st.integers(0, 2**16))
def test_gradgradcheck_reduction_shapes(rows, cols, dim, seed):
    x = leaf((rows, cols), seed)
    assert gradgradcheck(lambda a: a.var(dim) + a.prod(dim) + a.norm(dim=dim) + (a * a).mean(dim), (x,))


@settings(max_examples=6, deadline=None)
@given(shape=st.sampled_from([(3,), (2, 3), (3, 1), (1, 3)]), other=st.sampled_from([(3,), (1,), (1, 3)]), seed=st.integers(0, 2**16))
def test_gradgradcheck_broadcast_binary_shapes(shape, other, seed):
    a, b = leaf(shape, seed), leaf(other, seed + 1)
    assert gradgradcheck(lambda a, b: a * b / positive(b) + positive(a) ** b, (a, b))


# ----- second derivatives against PyTorch (values, not only self-consistency) -----


@pytest.mark.parametrize("name", ["prod", "var", "std", "norm", "softmax", "log_softmax", "layer_norm", "batch_norm_train",
                                  "binary_cross_entropy", "bce_with_logits", "cross_entropy_probs_smoothing",
                                  "gelu_tanh", "max_pool2d", "conv2d", "huber_loss"])
def test_second_derivative_matches_torch(name):
    torch = torch_or_skip()
    fn, shapes = OPS[name]
    arrays = [np.random.default_rng(i + 3).uniform(-1, 1, s) for i, s in enumerate(shapes)]
    results = []
    for lib in (rustgrad, torch):
        f = _translate(fn, lib)
        xs = [lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True) for a in arrays]
        out = f(*xs)
        w = lib.tensor(np.random.default_rng(9).uniform(-1, 1, tuple(out.shape)).tolist(), dtype=lib.float64)
        grads = lib.autograd.grad((out * w).sum(), xs, create_graph=True)
        total = sum((g * g).sum() for g in grads)
        second = lib.autograd.grad(total, xs, allow_unused=True)
        results.append([None if g is None else np.array(g.tolist()) for g in second])
    for ours, theirs in zip(*results):
        if ours is None or theirs is None:
            assert ours is None or not ours.any()
            assert theirs is None or not theirs.any()
        else:
            np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)


def _translate(fn, lib):
    """Runs an OPS lambda with ``lib`` in place of rustgrad (the lambdas use module globals)."""
    if lib is rustgrad:
        return fn
    import torch.nn.functional as TF

    g = dict(fn.__globals__)
    g.update(rustgrad=lib, F=TF, IDX=lambda v: lib.tensor(v), _const=lambda v: lib.tensor(v, dtype=lib.float64))
    return type(fn)(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)
