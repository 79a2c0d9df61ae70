"""F.normalize, cosine_similarity / CosineSimilarity, pairwise_distance / PairwiseDistance,
group_norm / GroupNorm, instance_norm / InstanceNorm1d/2d, kl_div / KLDivLoss and
nn.utils.rnn.pad_sequence: values against numpy references (hypothesis), gradients by finite
differences in float64 and against PyTorch, grad_fn chains, running statistics, reprs, errors."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
import rustgrad.nn as nn
import rustgrad.nn.functional as F
from rustgrad.nn.utils.rnn import pad_sequence
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

FEW = settings(max_examples=8, deadline=None)


def fn(lib):
    return F if lib is rustgrad else lib.nn.functional


def _values(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def _t(a):
    return rustgrad.tensor(a, dtype=rustgrad.float64)


def _np(t):
    return np.array(t.tolist())


def _chain(node):
    names = []
    while node is not None:
        names.append(type(node).__name__)
        node = next((n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad"), None)
    return names


# ----- normalize / cosine_similarity / pairwise_distance -----

@FEW
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), p=st.sampled_from([1.0, 2.0, 3.0]), seed=st.integers(0, 999))
def test_normalize_values(shape, p, seed):
    x = _values(shape, seed)
    dim = seed % len(shape)
    norm = np.maximum((np.abs(x) ** p).sum(axis=dim, keepdims=True) ** (1 / p), 1e-12)
    np.testing.assert_allclose(_np(F.normalize(_t(x), p, dim)), x / norm, rtol=1e-12)


@FEW
@given(n=st.integers(1, 4), d=st.integers(1, 5), seed=st.integers(0, 999))
def test_cosine_similarity_and_pairwise_distance_values(n, d, seed):
    a, b = _values((n, d), seed), _values((n, d), seed + 1)
    cos = (a * b).sum(1) / (np.maximum(np.linalg.norm(a, axis=1), 1e-8) * np.maximum(np.linalg.norm(b, axis=1), 1e-8))
    np.testing.assert_allclose(_np(F.cosine_similarity(_t(a), _t(b))), cos, rtol=1e-12)
    np.testing.assert_allclose(_np(nn.CosineSimilarity()(_t(a), _t(b))), cos, rtol=1e-12)
    dist = np.linalg.norm(a - b + 1e-6, axis=-1)
    np.testing.assert_allclose(_np(F.pairwise_distance(_t(a), _t(b))), dist, rtol=1e-12)
    d1 = np.abs(a - b + 1e-6).sum(-1, keepdims=True)
    np.testing.assert_allclose(_np(nn.PairwiseDistance(1, keepdim=True)(_t(a), _t(b))), d1, rtol=1e-12)


DISTANCES = [
    ("normalize", lambda lib, a, b: fn(lib).normalize(a * b)),
    ("normalize_p1_dim0", lambda lib, a, b: fn(lib).normalize(a + b, 1.0, 0)),
    ("cosine", lambda lib, a, b: fn(lib).cosine_similarity(a, b)),
    ("cosine_dim0", lambda lib, a, b: fn(lib).cosine_similarity(a, b, 0)),
    ("cosine_broadcast", lambda lib, a, b: fn(lib).cosine_similarity(a, b[:1])),
    ("pairwise", lambda lib, a, b: fn(lib).pairwise_distance(a, b)),
    ("pairwise_p3_keepdim", lambda lib, a, b: fn(lib).pairwise_distance(a, b, 3.0, 1e-6, True)),
    ("pairwise_inf", lambda lib, a, b: fn(lib).pairwise_distance(a, b, float("inf"))),
]


@pytest.mark.parametrize("name,f", DISTANCES, ids=[d[0] for d in DISTANCES])
def test_distance_gradients(name, f):
    a, b = _values((3, 4), 1), _values((3, 4), 2)
    check_grads(lambda x, y: f(rustgrad, x, y), a, b, atol=1e-5)
    check_against_torch(f, a, b)


@pytest.mark.parametrize("name,f", DISTANCES, ids=[d[0] for d in DISTANCES])
def test_distance_grad_fn_chains_match_torch(name, f):
    torch = torch_or_skip()
    chains = []
    for lib in (rustgrad, torch):
        a, b = (lib.tensor(_values((3, 4), s).tolist(), requires_grad=True) for s in (1, 2))
        chains.append(_chain(f(lib, a, b).grad_fn))
    assert chains[0] == chains[1]


def test_cosine_similarity_of_zero_vectors_and_integer_errors():
    z = rustgrad.zeros(2, 3, requires_grad=True)
    out = F.cosine_similarity(z, z)
    assert out.tolist() == [0.0, 0.0]
    out.sum().backward()
    assert z.grad.tolist() == [[0.0] * 3] * 2
    assert_same_error_as_torch(lambda lib: lib.nn.functional.cosine_similarity(lib.tensor([1, 2]), lib.tensor([1, 2]), dim=0))
    assert_same_error_as_torch(lambda lib: lib.nn.functional.cosine_similarity(lib.ones(3, 4), lib.ones(2, 4)))


# ----- group norm -----

def _group_norm_ref(x, groups, w, b, eps):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    y = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape)


@FEW
@given(n=st.integers(1, 3), groups=st.integers(1, 3), per=st.integers(1, 3), spatial=st.lists(st.integers(1, 3), max_size=2),
       seed=st.integers(0, 999))
def test_group_norm_values(n, groups, per, spatial, seed):
    c = groups * per
    shape = (n, c, *spatial)
    if n * c * int(np.prod(spatial)) // groups == 1 or per * int(np.prod(spatial)) == 1:
        return  # one value per group: PyTorch refuses it (see the error test)
    x, w, b = _values(shape, seed), _values((c,), seed + 1), _values((c,), seed + 2)
    np.testing.assert_allclose(_np(F.group_norm(_t(x), groups, _t(w), _t(b), 1e-5)), _group_norm_ref(x, groups, w, b, 1e-5),
                               rtol=1e-10, atol=1e-10)
    m = nn.GroupNorm(groups, c, dtype=rustgrad.float64)
    np.testing.assert_allclose(_np(m(_t(x))), _group_norm_ref(x, groups, np.ones(c), np.zeros(c), 1e-5), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_gradients(affine):
    x, w, b = _values((2, 4, 3), 3), _values((4,), 4), _values((4,), 5)
    if affine:
        f = lambda lib, x, w, b: fn(lib).group_norm(x, 2, w, b)  # noqa: E731
        check_grads(lambda x, w, b: f(rustgrad, x, w, b), x, w, b, atol=1e-5)
        check_against_torch(f, x, w, b)
    else:
        f = lambda lib, x: fn(lib).group_norm(x, 2)  # noqa: E731
        check_grads(lambda x: f(rustgrad, x), x, atol=1e-5)
        check_against_torch(f, x)
    check_against_torch(lambda lib, x: fn(lib).group_norm(x, 1), _values((3, 4), 6), dtype="float32", atol=1e-4, rtol=1e-4)


def test_group_norm_node_and_double_backward_match_torch():
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(_values((2, 6, 3), 7).tolist(), dtype=lib.float64, requires_grad=True)
        w = lib.tensor(_values((6,), 8).tolist(), dtype=lib.float64, requires_grad=True)
        y = fn(lib).group_norm(x, 3, w)
        node = y.grad_fn
        saved = {a: (tuple(getattr(node, a).shape) if isinstance(getattr(node, a), lib.Tensor) else getattr(node, a))
                 for a in dir(node) if a.startswith("_saved")}
        (gx,) = lib.autograd.grad((y * y.detach().sin()).sum(), x, create_graph=True)
        (ggw,) = lib.autograd.grad((gx * gx).sum(), w)
        results.append((type(node).__name__, saved, [n is None for n, _ in node.next_functions], ggw.tolist()))
    assert results[0][:3] == results[1][:3]
    np.testing.assert_allclose(results[0][3], results[1][3], rtol=1e-9)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 3), 4),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 3), 3, lib.ones(5)),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 3), 3, None, lib.ones(6, 1)),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 3), 3, lib.ones(6), lib.ones(5)),
    lambda lib: lib.nn.functional.group_norm(lib.ones(6), 3),
    lambda lib: lib.nn.functional.group_norm(lib.ones(1, 3), 3),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 4, dtype=lib.int64), 2),
    lambda lib: lib.nn.GroupNorm(4, 6),
])
def test_group_norm_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- instance norm -----

@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("dims", [1, 2])
def test_instance_norm_modules_match_torch(affine, track, dims):
    torch = torch_or_skip()
    shape = (2, 3, 5) if dims == 1 else (2, 3, 2, 3)
    x = _values(shape, 11)
    results = []
    for lib in (rustgrad, torch):
        m = getattr(lib.nn, f"InstanceNorm{dims}d")(3, affine=affine, track_running_stats=track).double()
        xt = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
        y = m(xt)
        (y * lib.tensor(_values(shape, 12).tolist(), dtype=lib.float64)).sum().backward()
        m.eval()
        y_eval = m(lib.tensor(x.tolist(), dtype=lib.float64))
        buffers = {n: b.tolist() for n, b in m.named_buffers()}
        grads = [p.grad.tolist() for p in m.parameters()]
        results.append((repr(m), _chain(y.grad_fn), y.tolist(), xt.grad.tolist(), y_eval.tolist(), buffers, grads))
    ours, theirs = results
    assert ours[:2] == theirs[:2]
    for a, b in zip(ours[2:5], theirs[2:5]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert ours[5].keys() == theirs[5].keys()
    for k in ours[5]:
        np.testing.assert_allclose(ours[5][k], theirs[5][k], rtol=1e-10)
    for a, b in zip(ours[6], theirs[6]):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_instance_norm_gradients_by_finite_differences():
    x, w, b = _values((2, 3, 4), 13), _values((3,), 14), _values((3,), 15)
    check_grads(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), x, w, b, atol=1e-5)


def test_instance_norm_unbatched_input_matches_batched():
    m = nn.InstanceNorm1d(3)
    x = rustgrad.tensor(_values((3, 5), 16))
    assert m(x).tolist() == m(x.unsqueeze(0)).squeeze(0).tolist()


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 5)),
    lambda lib: lib.nn.InstanceNorm2d(3)(lib.ones(2, 3)),
    lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(lib.ones(2, 4, 5)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 1)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), use_input_stats=False),
])
def test_instance_norm_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_instance_norm_warns_on_a_channel_mismatch_without_affine():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.InstanceNorm1d(3)(rustgrad.ones(2, 4, 5))
    assert str(caught[0].message) == (
        "input's size at dim=1 does not match num_features. You can silence this warning by not passing in "
        "num_features, which is not used because affine=False"
    )


# ----- kl_div -----

@pytest.mark.parametrize("reduction", ["none", "sum", "mean", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    inp = np.log(np.random.default_rng(1).dirichlet(np.ones(4), size=3))
    tgt = np.random.default_rng(2).dirichlet(np.ones(4), size=3)
    if log_target:
        tgt = np.log(tgt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = lambda lib, a, b: fn(lib).kl_div(a, b, reduction=reduction, log_target=log_target)  # noqa: E731
        check_against_torch(f, inp, tgt)
        check_grads(lambda a, b: f(rustgrad, a, b), inp, tgt, atol=1e-5)
        torch = torch_or_skip()
        chains = [_chain(f(lib, *(lib.tensor(v.tolist(), requires_grad=True) for v in (inp, tgt))).grad_fn) for lib in (rustgrad, torch)]
        assert chains[0] == chains[1]


@FEW
@given(n=st.integers(1, 4), k=st.integers(1, 4), seed=st.integers(0, 999))
def test_kl_div_values(n, k, seed):
    inp, tgt = _values((n, k), seed), _values((n, k), seed + 1, 0.0, 1.0)
    tgt[0, 0] = 0.0
    pointwise = np.where(tgt == 0, 0.0, tgt * np.log(np.where(tgt == 0, 1.0, tgt))) - tgt * inp
    np.testing.assert_allclose(_np(F.kl_div(_t(inp), _t(tgt), reduction="batchmean")), pointwise.sum() / n, rtol=1e-12)
    np.testing.assert_allclose(_np(nn.KLDivLoss(reduction="none")(_t(inp), _t(tgt))), pointwise, rtol=1e-12)


def test_kl_div_mean_warning_and_errors_match_torch():
    torch = torch_or_skip()
    messages = []
    for lib in (rustgrad, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(lib).kl_div(lib.zeros(2), lib.ones(2))
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1]
    assert_same_error_as_torch(lambda lib: lib.nn.functional.kl_div(lib.zeros(2), lib.ones(2), reduction="foo"))
    assert repr(nn.KLDivLoss(reduction="batchmean", log_target=True)) == repr(torch.nn.KLDivLoss(reduction="batchmean"))


# ----- pad_sequence -----

@FEW
@given(lengths=st.lists(st.integers(0, 4), min_size=1, max_size=4), batch_first=st.booleans(),
       side=st.sampled_from(["left", "right"]), seed=st.integers(0, 999))
def test_pad_sequence_values(lengths, batch_first, side, seed):
    seqs = [_values((n, 2), seed + i) for i, n in enumerate(lengths)]
    out = pad_sequence([_t(s) for s in seqs], batch_first=batch_first, padding_value=-9.0, padding_side=side)
    m = max(lengths)
    ref = np.full((len(seqs), m, 2), -9.0)
    for i, s in enumerate(seqs):
        if len(s):
            if side == "left":
                ref[i, m - len(s):] = s
            else:
                ref[i, :len(s)] = s
    if not batch_first:
        ref = ref.transpose(1, 0, 2)
    np.testing.assert_allclose(_np(out).reshape(ref.shape), ref)
    assert tuple(out.shape) == ref.shape


def test_pad_sequence_gradients_and_dtypes_match_torch():
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        a = lib.tensor(_values((3, 2), 1).tolist(), requires_grad=True)
        b = lib.tensor(_values((1, 2), 2).tolist(), requires_grad=True)
        y = lib.nn.utils.rnn.pad_sequence([a, b], batch_first=True, padding_side="left")
        (y * lib.arange(12.0).reshape(2, 3, 2)).sum().backward()
        ints = lib.nn.utils.rnn.pad_sequence([lib.tensor([1, 2]), lib.tensor([3])], padding_value=5)
        results.append((type(y.grad_fn).__name__, y.tolist(), a.grad.tolist(), b.grad.tolist(), ints.tolist(), str(ints.dtype)))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    assert results[0][2:5] == results[1][2:5]
    assert results[0][5].split(".")[-1] == results[1][5].split(".")[-1]


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.utils.rnn.pad_sequence([]),
    lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(2)], padding_side="foo"),
    lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(2, 2), lib.ones(2, 3)]),
    lambda lib: lib.nn.utils.rnn.pad_sequence(3),
])
def test_pad_sequence_errors_match_torch(call):
    assert_same_error_as_torch(call)
