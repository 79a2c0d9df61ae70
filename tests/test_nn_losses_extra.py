"""Margin, embedding, triplet and likelihood losses (functional and module forms):
MarginRankingLoss, HingeEmbeddingLoss, CosineEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss,
MultiMarginLoss, MultiLabelMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss,
PoissonNLLLoss, GaussianNLLLoss. Values and input gradients against PyTorch for every reduction,
float64 finite differences on hypothesis-drawn shapes, grad_fn names where PyTorch composes the
loss too, module reprs, legacy-reduction warnings and error messages."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
import rustgrad.nn as nn
import rustgrad.nn.functional as F
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

REDUCTIONS = ["none", "mean", "sum"]
FEW = settings(max_examples=6, deadline=None)


def fn(lib):
    return F if lib is rustgrad else lib.nn.functional


def _rand(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def _signs(shape, seed):
    return np.where(np.random.default_rng(seed + 7).random(shape) < 0.5, -1.0, 1.0)


def _classes(n, c, seed):
    return np.random.default_rng(seed + 3).integers(0, c, size=n)


def _label_rows(n, c, seed):
    """multilabel_margin_loss targets: class indices, a -1 ending each row somewhere (or not at all)."""
    rng = np.random.default_rng(seed + 5)
    rows = rng.integers(-1, c, size=(n, c))
    return rows


# (name, builder of f(lib, *differentiable inputs), arrays) per loss; targets are built inside.
def _cases(n=3, c=4, seed=0, fdtype="float64"):
    t1 = _signs(n, seed)
    tc = _signs((n, c), seed)
    cls = _classes(n, c, seed)
    labels = _label_rows(n, c, seed)
    probs = np.random.default_rng(seed + 9).random((n, c))
    counts = np.random.default_rng(seed + 11).integers(0, 5, size=(n, c)).astype(float)
    w = np.random.default_rng(seed + 13).uniform(0.5, 2.0, size=c)

    def tensor(lib, a, dtype=fdtype):
        return lib.tensor(np.asarray(a).tolist(), dtype=getattr(lib, dtype))

    return [
        ("margin_ranking", lambda r: (lambda lib, a, b: fn(lib).margin_ranking_loss(
            a, b, tensor(lib, t1), margin=0.2, reduction=r)), [_rand(n, seed), _rand(n, seed + 1)]),
        ("hinge_embedding", lambda r: (lambda lib, a: fn(lib).hinge_embedding_loss(
            a, tensor(lib, tc), margin=0.8, reduction=r)), [_rand((n, c), seed)]),
        ("cosine_embedding", lambda r: (lambda lib, a, b: fn(lib).cosine_embedding_loss(
            a, b, tensor(lib, t1), margin=0.1, reduction=r)), [_rand((n, c), seed), _rand((n, c), seed + 1)]),
        ("soft_margin", lambda r: (lambda lib, a: fn(lib).soft_margin_loss(a, tensor(lib, tc), reduction=r)),
         [_rand((n, c), seed)]),
        ("multilabel_soft_margin", lambda r: (lambda lib, a: fn(lib).multilabel_soft_margin_loss(
            a, tensor(lib, probs), weight=tensor(lib, w), reduction=r)), [_rand((n, c), seed)]),
        ("multi_margin_p1", lambda r: (lambda lib, a: fn(lib).multi_margin_loss(
            a, tensor(lib, cls, "int64"), reduction=r)), [_rand((n, c), seed)]),
        ("multi_margin_p2_weight", lambda r: (lambda lib, a: fn(lib).multi_margin_loss(
            a, tensor(lib, cls, "int64"), p=2, margin=0.6, weight=tensor(lib, w), reduction=r)),
         [_rand((n, c), seed)]),
        ("multilabel_margin", lambda r: (lambda lib, a: fn(lib).multilabel_margin_loss(
            a, tensor(lib, labels, "int64"), reduction=r)), [_rand((n, c), seed)]),
        ("triplet_margin", lambda r: (lambda lib, a, p, q: fn(lib).triplet_margin_loss(
            a, p, q, margin=0.9, p=1.5, reduction=r)), [_rand((n, c), seed + k) for k in range(3)]),
        ("triplet_margin_swap", lambda r: (lambda lib, a, p, q: fn(lib).triplet_margin_loss(
            a, p, q, swap=True, reduction=r)), [_rand((n, c), seed + k) for k in range(3)]),
        ("triplet_distance", lambda r: (lambda lib, a, p, q: fn(lib).triplet_margin_with_distance_loss(
            a, p, q, distance_function=lambda x, y: 1.0 - fn(lib).cosine_similarity(x, y), swap=True,
            margin=0.5, reduction=r)), [_rand((n, c), seed + k) for k in range(3)]),
        ("poisson_log_full", lambda r: (lambda lib, a: fn(lib).poisson_nll_loss(
            a, tensor(lib, counts), full=True, reduction=r)), [_rand((n, c), seed)]),
        ("poisson_rate", lambda r: (lambda lib, a: fn(lib).poisson_nll_loss(
            a, tensor(lib, counts), log_input=False, reduction=r)), [_rand((n, c), seed, 0.1, 3.0)]),
        ("gaussian_hetero", lambda r: (lambda lib, a, t, v: fn(lib).gaussian_nll_loss(a, t, v, reduction=r)),
         [_rand((n, c), seed), _rand((n, c), seed + 1), _rand((n, c), seed + 2, 0.1, 2.0)]),
        ("gaussian_homo_full", lambda r: (lambda lib, a, t, v: fn(lib).gaussian_nll_loss(
            a, t, v, full=True, eps=0.3, reduction=r)), [_rand((n, c), seed), _rand((n, c), seed + 1),
                                                          _rand(n, seed + 2, 0.0, 2.0)]),
    ]


CASE_NAMES = [c[0] for c in _cases()]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CASE_NAMES)
def test_values_and_grads_match_torch(name, reduction):
    for case, build, arrays in _cases():
        if case == name:
            check_against_torch(build(reduction), *arrays, atol=1e-9, rtol=1e-7)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_float32_values_match_torch(name):
    torch = torch_or_skip()
    for case, build, arrays in _cases(seed=4, fdtype="float32"):
        if case != name:
            continue
        f = build("none")
        outs = []
        for lib in (rustgrad, torch):
            out = f(lib, *[lib.tensor(a.tolist(), dtype=lib.float32) for a in arrays])
            assert str(out.dtype).endswith("float32")
            outs.append(np.array(out.tolist()))
        np.testing.assert_allclose(outs[0], outs[1], rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name", CASE_NAMES)
@FEW
@given(n=st.integers(1, 4), c=st.integers(2, 5), seed=st.integers(0, 1000), reduction=st.sampled_from(REDUCTIONS))
def test_finite_difference_grads(name, n, c, seed, reduction):
    for case, build, arrays in _cases(n, c, seed):
        if case == name:
            f = build(reduction)
            if name.startswith("gaussian"):
                # var is clamped to eps under no_grad (PyTorch's straight-through gradient): finite
                # differences only agree where var > eps
                arrays[2] = np.abs(arrays[2]) + 0.35
            # the hinges' kinks are measure zero: random inputs stay off them
            check_grads(lambda *ts: f(rustgrad, *ts), *arrays, atol=1e-5, rtol=1e-4)


# PyTorch composes these in ATen/Python: the same composition gives the same node.
COMPOSED = ["margin_ranking", "hinge_embedding", "cosine_embedding", "multilabel_soft_margin", "triplet_margin",
            "triplet_margin_swap", "triplet_distance", "poisson_log_full", "poisson_rate", "gaussian_hetero",
            "gaussian_homo_full"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", COMPOSED)
def test_grad_fn_names_match_torch(name, reduction):
    torch = torch_or_skip()
    for case, build, arrays in _cases():
        if case == name:
            f = build(reduction)
            names = [type(f(lib, *[lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True)
                                   for a in arrays]).grad_fn).__name__ for lib in (rustgrad, torch)]
            assert names[0] == names[1]


def test_one_d_and_zero_d_shapes_match_torch():
    torch = torch_or_skip()
    x = _rand(5, 1)
    calls = [
        lambda lib: fn(lib).multi_margin_loss(lib.tensor(x.tolist()), lib.tensor(2), reduction="none"),
        lambda lib: fn(lib).multi_margin_loss(lib.tensor(x.tolist()), lib.tensor([2]), reduction="none"),
        lambda lib: fn(lib).multi_margin_loss(lib.tensor(0.5), lib.tensor(0), reduction="none"),
        lambda lib: fn(lib).multilabel_margin_loss(lib.tensor(x.tolist()), lib.tensor([3, 0, -1, 1, 1]),
                                                   reduction="none"),
        lambda lib: fn(lib).multilabel_margin_loss(lib.tensor(x.tolist()), lib.tensor([3, 0, 4, 1, 2]),
                                                   reduction="sum"),
        lambda lib: fn(lib).cosine_embedding_loss(lib.tensor(x.tolist()), lib.tensor(x[::-1].tolist()),
                                                  lib.tensor(-1.0), reduction="none"),
        lambda lib: fn(lib).multilabel_soft_margin_loss(lib.tensor(x.tolist()), lib.tensor((x > 0).tolist()) * 1.0,
                                                        reduction="none"),
        lambda lib: fn(lib).soft_margin_loss(lib.tensor(_rand((2, 5), 2).tolist()), lib.tensor(_signs(5, 1).tolist()),
                                             reduction="none"),
        lambda lib: fn(lib).multi_margin_loss(lib.zeros(0, 4), lib.zeros(0, dtype=lib.int64), reduction="none"),
    ]
    for call in calls:
        ours, theirs = call(rustgrad), call(torch)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(np.array(ours.tolist()), theirs.numpy(), rtol=1e-6)


def test_hinge_embedding_targets_other_than_plus_minus_one_sum_both_terms():
    x = rustgrad.tensor([0.3, -0.2, 2.0])
    out = F.hinge_embedding_loss(x, rustgrad.tensor([0.0, 1.0, -1.0]), reduction="none")
    # target 0: max(0, 1 - x) + x; target 1: x; target -1: max(0, 1 - x)
    np.testing.assert_allclose(out.tolist(), [0.7 + 0.3, -0.2, 0.0], rtol=1e-6)


MODULES = [
    ("MarginRankingLoss", (), {"margin": 0.5}),
    ("HingeEmbeddingLoss", (), {}),
    ("CosineEmbeddingLoss", (), {"margin": 0.2, "reduction": "sum"}),
    ("SoftMarginLoss", (), {}),
    ("MultiLabelSoftMarginLoss", (), {}),
    ("MultiMarginLoss", (), {"p": 2}),
    ("MultiLabelMarginLoss", (), {}),
    ("TripletMarginLoss", (), {"swap": True}),
    ("TripletMarginWithDistanceLoss", (), {}),
    ("PoissonNLLLoss", (), {"full": True}),
    ("GaussianNLLLoss", (), {"full": True}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[m[0] for m in MODULES])
def test_module_repr_and_attributes_match_torch(name, args, kwargs):
    torch = torch_or_skip()
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    for attr in ("reduction", "margin", "p", "eps", "swap", "full", "log_input"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr


def test_modules_forward_as_functional():
    a, b, c = (rustgrad.tensor(_rand((3, 4), k), dtype=rustgrad.float32) for k in range(3))
    t = rustgrad.tensor(_signs(3, 0), dtype=rustgrad.float32)
    assert float(nn.MarginRankingLoss(0.3)(a[:, 0], b[:, 0], t)) == float(
        F.margin_ranking_loss(a[:, 0], b[:, 0], t, margin=0.3))
    assert float(nn.TripletMarginLoss(p=1.0)(a, b, c)) == float(F.triplet_margin_loss(a, b, c, p=1.0))
    w = rustgrad.tensor([1.0, 2.0, 0.5, 1.0])
    y = rustgrad.tensor([0, 3, 1])
    assert nn.MultiMarginLoss(weight=w, reduction="none")(a, y).tolist() == F.multi_margin_loss(
        a, y, weight=w, reduction="none").tolist()
    assert "weight" in dict(nn.MultiLabelSoftMarginLoss(weight=w).named_buffers())
    v = rustgrad.tensor(_rand((3, 4), 5, 0.1, 1.0), dtype=rustgrad.float32)
    assert float(nn.GaussianNLLLoss(eps=0.2)(a, b, v)) == float(F.gaussian_nll_loss(a, b, v, eps=0.2))
    assert float(nn.PoissonNLLLoss(log_input=False)(v, b.abs())) == float(
        F.poisson_nll_loss(v, b.abs(), log_input=False))


def test_legacy_size_average_warns_like_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module = lib.nn.SoftMarginLoss(size_average=False)
            out = fn(lib).margin_ranking_loss(lib.ones(2), lib.zeros(2), lib.ones(2), reduce=False)
        assert module.reduction == "sum" and tuple(out.shape) == (2,)
        assert [str(w.message) for w in caught] == [
            "size_average and reduce args will be deprecated, please use reduction='sum' instead.",
            "size_average and reduce args will be deprecated, please use reduction='none' instead.",
        ]


def test_weight_and_target_requiring_grad_are_refused_like_torch():
    assert_same_error_as_torch(lambda lib: fn(lib).multi_margin_loss(
        lib.randn(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(4, requires_grad=True)))
    assert_same_error_as_torch(lambda lib: fn(lib).soft_margin_loss(lib.randn(3, 4), lib.ones(3, 4, requires_grad=True)))


ERRORS = [
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 4])),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, -1])),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1])),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([[0], [1], [2]])),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(4), lib.tensor([[0]])),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0.0, 1.0, 2.0])),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(3)),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(2, 2)),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 2]), p=3),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(3, 0), lib.zeros(3, dtype=lib.int64)),
    lambda lib: fn(lib).multi_margin_loss(lib.randn(2, 3, 4), lib.zeros(3, dtype=lib.int64)),
    lambda lib: fn(lib).multi_margin_loss(lib.tensor(2.0), lib.tensor(1), reduction="none"),
    lambda lib: fn(lib).multilabel_margin_loss(lib.randn(3, 4), lib.tensor([[0, 1, 4, 0]] * 3)),
    lambda lib: fn(lib).multilabel_margin_loss(lib.randn(3, 4), lib.tensor([[0, 1, -2, 0]] * 3)),
    lambda lib: fn(lib).multilabel_margin_loss(lib.randn(3, 4), lib.tensor([[0, 1, 0]] * 3)),
    lambda lib: fn(lib).multilabel_margin_loss(lib.randn(4), lib.tensor([[0, 1, -1, 0]])),
    lambda lib: fn(lib).multilabel_margin_loss(lib.randn(3, 4), lib.tensor([[0.0, 1, -1, 0]] * 3)),
    lambda lib: fn(lib).multilabel_margin_loss(lib.randn(3, 4), lib.tensor([[0, 1, -1, 0]] * 3, dtype=lib.int32)),
    lambda lib: fn(lib).soft_margin_loss(lib.randn(3, 4), lib.randn(3)),
    lambda lib: fn(lib).soft_margin_loss(lib.randn(3, 4), lib.randn(3, 4), reduction="foo"),
    lambda lib: fn(lib).margin_ranking_loss(lib.randn(3), lib.randn(3), lib.randn(3, 1)),
    lambda lib: fn(lib).margin_ranking_loss(lib.randn(3), lib.randn(3), lib.randn(2)),
    lambda lib: fn(lib).margin_ranking_loss(lib.randn(3), lib.randn(3), lib.randn(3), reduction="x"),
    lambda lib: fn(lib).hinge_embedding_loss(lib.randn(3, 4), lib.randn(5)),
    lambda lib: fn(lib).cosine_embedding_loss(lib.randn(3, 4), lib.randn(3, 4), lib.ones(3, 1)),
    lambda lib: fn(lib).cosine_embedding_loss(lib.randn(3, 4), lib.randn(3, 4), lib.ones(())),
    lambda lib: fn(lib).cosine_embedding_loss(lib.randn(4), lib.randn(4), lib.ones(3)),
    lambda lib: fn(lib).cosine_embedding_loss(lib.randn(3, 4), lib.randn(3, 5), lib.ones(3)),
    lambda lib: fn(lib).triplet_margin_loss(lib.randn(3, 4), lib.randn(3, 4), lib.randn(4)),
    lambda lib: fn(lib).triplet_margin_loss(lib.randn(3, 4), lib.randn(3, 4), lib.randn(3, 4), margin=0),
    lambda lib: fn(lib).triplet_margin_loss(lib.randn(3, 4), lib.randn(3, 4), lib.randn(3, 4), reduction="bad"),
    lambda lib: fn(lib).triplet_margin_with_distance_loss(lib.randn(3, 4), lib.randn(3, 4), lib.randn(4)),
    lambda lib: fn(lib).triplet_margin_with_distance_loss(lib.randn(3, 4), lib.randn(3, 4), lib.randn(3, 4),
                                                          margin=-1.0),
    lambda lib: fn(lib).triplet_margin_with_distance_loss(lib.randn(3, 4), lib.randn(3, 4), lib.randn(3, 4),
                                                          reduction="avg"),
    lambda lib: fn(lib).gaussian_nll_loss(lib.randn(3, 4), lib.randn(3, 4), lib.ones(2, 4)),
    lambda lib: fn(lib).gaussian_nll_loss(lib.randn(3, 4), lib.randn(3, 4), -lib.ones(3, 4)),
    lambda lib: fn(lib).gaussian_nll_loss(lib.randn(3, 4), lib.randn(3, 4), -1.0),
    lambda lib: fn(lib).gaussian_nll_loss(lib.randn(3, 4), lib.randn(3, 4), lib.ones(3, 4), reduction="x"),
    lambda lib: fn(lib).poisson_nll_loss(lib.randn(3, 4), lib.randn(3, 4), reduction="x"),
    lambda lib: fn(lib).poisson_nll_loss(lib.randn(3, 4), lib.randn(5)),
    lambda lib: fn(lib).multilabel_soft_margin_loss(lib.randn(3, 4), lib.rand(3, 4), reduction="x"),
    lambda lib: lib.nn.TripletMarginLoss(margin=-1),
    lambda lib: lib.nn.TripletMarginWithDistanceLoss(margin=0.0),
    lambda lib: lib.nn.MultiMarginLoss(p=3),
    lambda lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)),
]


@pytest.mark.parametrize("call", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_gaussian_var_shapes_match_torch():
    torch = torch_or_skip()
    x, t = _rand((2, 3, 4), 0), _rand((2, 3, 4), 1)
    for shape in [(2, 3, 4), (2, 3), (2, 3, 1), (2, 1, 4), (1, 3, 4)]:
        v = _rand(shape, 2, 0.0, 1.0)
        outs = [fn(lib).gaussian_nll_loss(lib.tensor(x.tolist()), lib.tensor(t.tolist()), lib.tensor(v.tolist()),
                                          reduction="none") for lib in (rustgrad, torch)]
        np.testing.assert_allclose(np.array(outs[0].tolist()), outs[1].numpy(), rtol=1e-6, atol=1e-6)
    outs = [fn(lib).gaussian_nll_loss(lib.tensor(x.tolist()), lib.tensor(t.tolist()), 0.5)
            for lib in (rustgrad, torch)]
    assert abs(float(outs[0]) - float(outs[1])) < 1e-6
