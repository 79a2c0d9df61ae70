"""Padding modules (Zero/Constant/Reflection/Replication/CircularPad 1-3d) and the extra layers:
Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout, Threshold, RReLU, Softmax2d, ChannelShuffle,
PixelShuffle/PixelUnshuffle, UpsamplingNearest2d/UpsamplingBilinear2d, LocalResponseNorm, RMSNorm,
AdaptiveAvgPool1d, EmbeddingBag, gumbel_softmax, Fold/Unfold. Deterministic layers: values and
input gradients against PyTorch and float64 finite differences on hypothesis-drawn shapes; random
layers: their statistics and masks; reprs, grad_fn names where PyTorch composes too, and errors."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
import rustgrad.nn as nn
import rustgrad.nn.functional as F
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

FEW = settings(max_examples=5, deadline=None)


def fn(lib):
    return F if lib is rustgrad else lib.nn.functional


def _rand(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


# ----- padding modules -----

PADS = [
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad1d", ((1, -1),), (3, 4)), ("ZeroPad2d", ((1, 0, 2, 1),), (2, 2, 3, 3)),
    ("ZeroPad3d", (1,), (1, 2, 2, 2, 3)), ("ConstantPad1d", (2, 1.5), (2, 3, 4)),
    ("ConstantPad2d", ((0, 1, 1, 0), -2.0), (2, 3, 3)), ("ConstantPad3d", ((1, 0, 0, 1, 1, 1), 0.5), (2, 2, 2, 3)),
    ("ReflectionPad1d", ((2, 1),), (2, 3, 4)), ("ReflectionPad2d", (1,), (1, 2, 3, 4)),
    ("ReflectionPad3d", ((1, 0, 1, 1, 0, 1),), (1, 2, 2, 3, 3)), ("ReplicationPad1d", ((3, 1),), (3, 4)),
    ("ReplicationPad2d", ((2, 0, 1, 3),), (2, 3, 3)), ("ReplicationPad3d", (1,), (1, 1, 2, 2, 3)),
    ("CircularPad1d", ((2, 1),), (2, 3, 4)), ("CircularPad2d", ((1, 1, 0, 2),), (1, 2, 3, 3)),
    ("CircularPad3d", (1,), (1, 1, 2, 2, 3)),
]


@pytest.mark.parametrize("name,args,shape", PADS, ids=[f"{p[0]}-{i}" for i, p in enumerate(PADS)])
def test_padding_modules_match_torch(name, args, shape):
    torch = torch_or_skip()
    check_against_torch(lambda lib, x: getattr(lib.nn, name)(*args)(x), _rand(shape, 0), atol=1e-12)
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs) and ours.padding == theirs.padding
    x = [lib.randn(*shape, requires_grad=True) for lib in (rustgrad, torch)]
    assert type(ours(x[0]).grad_fn).__name__ == type(theirs(x[1]).grad_fn).__name__


@FEW
@given(n=st.integers(1, 3), c=st.integers(1, 2), length=st.integers(3, 5), left=st.integers(0, 2),
       right=st.integers(0, 2), seed=st.integers(0, 500))
def test_padding_finite_differences(n, c, length, left, right, seed):
    x = _rand((n, c, length, length), seed)
    for module in (nn.ReflectionPad2d((left, right, right, left)), nn.ReplicationPad3d((left, right, 0, 1, right, 0)),
                   nn.CircularPad2d((left, right, 0, left)), nn.ConstantPad2d((left, -1, right, 0), 2.5)):
        check_grads(lambda t: module(t), x)
    check_grads(lambda t: nn.ReplicationPad1d((left, right))(t), x[0])


def test_circular_pad_checks_input_dims_like_torch():
    assert_same_error_as_torch(lambda lib: lib.nn.CircularPad2d(1)(lib.randn(3, 3)))
    assert_same_error_as_torch(lambda lib: lib.nn.CircularPad1d(1)(lib.randn(1, 2, 3, 3)))
    assert_same_error_as_torch(lambda lib: lib.nn.ReflectionPad1d(3)(lib.randn(2, 3)))


# ----- deterministic layers against PyTorch -----

DETERMINISTIC = [
    ("threshold", lambda lib, x: fn(lib).threshold(x, 0.1, 20.0), (2, 3, 4)),
    ("Threshold", lambda lib, x: lib.nn.Threshold(-0.5, -3.0)(x), (5,)),
    ("rrelu_eval", lambda lib, x: fn(lib).rrelu(x, 0.1, 0.3), (3, 4)),
    ("RReLU_eval", lambda lib, x: lib.nn.RReLU().eval()(x), (3, 4)),
    ("softmax2d", lambda lib, x: lib.nn.Softmax2d()(x), (2, 3, 2, 2)),
    ("softmax2d_3d", lambda lib, x: lib.nn.Softmax2d()(x), (3, 2, 2)),
    ("pixel_shuffle", lambda lib, x: fn(lib).pixel_shuffle(x, 2), (2, 8, 2, 3)),
    ("pixel_shuffle_5d", lambda lib, x: lib.nn.PixelShuffle(2)(x), (2, 1, 4, 2, 1)),
    ("pixel_unshuffle", lambda lib, x: fn(lib).pixel_unshuffle(x, 2), (1, 2, 4, 6)),
    ("pixel_unshuffle_3d", lambda lib, x: lib.nn.PixelUnshuffle(3)(x), (1, 3, 6)),
    ("channel_shuffle", lambda lib, x: fn(lib).channel_shuffle(x, 3), (2, 6, 2, 2)),
    ("ChannelShuffle_3d", lambda lib, x: lib.nn.ChannelShuffle(2)(x), (2, 4, 3)),
    ("lrn_3d", lambda lib, x: fn(lib).local_response_norm(x, 3, alpha=0.2), (2, 5, 4)),
    ("lrn_4d", lambda lib, x: lib.nn.LocalResponseNorm(2, alpha=0.3, beta=0.5, k=2.0)(x), (2, 4, 3, 2)),
    ("lrn_5d", lambda lib, x: fn(lib).local_response_norm(x, 4, alpha=0.1), (1, 5, 2, 2, 2)),
    ("rms_norm", lambda lib, x: fn(lib).rms_norm(x, (3, 4)), (2, 3, 4)),
    ("rms_norm_eps", lambda lib, x: fn(lib).rms_norm(x, [4], eps=0.5), (3, 4)),
    ("adaptive_avg_pool1d", lambda lib, x: fn(lib).adaptive_avg_pool1d(x, 3), (2, 3, 7)),
    ("AdaptiveAvgPool1d_1", lambda lib, x: lib.nn.AdaptiveAvgPool1d((1,))(x), (3, 5)),
    ("unfold", lambda lib, x: fn(lib).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (2, 2, 5, 6)),
    ("Unfold_3d", lambda lib, x: lib.nn.Unfold(2)(x), (2, 3, 3)),
    ("fold", lambda lib, x: fn(lib).fold(x, (5, 6), (2, 3), padding=1, stride=(2, 1)), (2, 12, 18)),
    ("Fold_2d", lambda lib, x: lib.nn.Fold((4, 5), 2, dilation=(1, 2))(x), (8, 9)),
    ("upsampling_nearest", lambda lib, x: lib.nn.UpsamplingNearest2d(scale_factor=2)(x), (1, 2, 2, 3)),
    ("upsampling_bilinear", lambda lib, x: lib.nn.UpsamplingBilinear2d(size=(4, 5))(x), (1, 2, 2, 3)),
]


@pytest.mark.parametrize("name,f,shape", DETERMINISTIC, ids=[d[0] for d in DETERMINISTIC])
def test_layers_match_torch(name, f, shape):
    check_against_torch(f, _rand(shape, 1), atol=1e-10, rtol=1e-8)


def test_rms_norm_with_weight_and_float32_default_eps_match_torch():
    check_against_torch(lambda lib, x, w: fn(lib).rms_norm(x, (4,), w), _rand((3, 4), 2), _rand(4, 3))
    check_against_torch(lambda lib, x, w: fn(lib).rms_norm(x, (4,), w), _rand((3, 4), 2) * 1e-5, _rand(4, 3),
                        dtype="float32", rtol=1e-5)
    torch = torch_or_skip()
    mods = [nn.RMSNorm([3, 4]), torch.nn.RMSNorm([3, 4])]
    assert tuple(mods[0].weight.shape) == (3, 4) and mods[0].weight.tolist() == mods[1].weight.tolist()


# threshold and nearest upsampling are checked against PyTorch only (piecewise constant / a gather)
SMOOTH = [d for d in DETERMINISTIC if not d[0].startswith(("threshold", "Threshold", "upsampling_nearest"))]


@pytest.mark.parametrize("name,f,shape", SMOOTH, ids=[d[0] for d in SMOOTH])
def test_layers_finite_differences(name, f, shape):
    check_grads(lambda x: f(rustgrad, x), _rand(shape, 5), atol=1e-5, rtol=1e-4)


@FEW
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(2, 4), w=st.integers(2, 4), k=st.integers(1, 2),
       pad=st.integers(0, 1), stride=st.integers(1, 2), seed=st.integers(0, 500))
def test_unfold_fold_finite_differences_and_adjointness(n, c, h, w, k, pad, stride, seed):
    x = _rand((n, c, h, w), seed)
    check_grads(lambda t: F.unfold(t, k, padding=pad, stride=stride), x)
    cols = F.unfold(rustgrad.tensor(x), k, padding=pad, stride=stride)
    check_grads(lambda t: F.fold(t, (h, w), k, padding=pad, stride=stride), np.array(cols.tolist()))
    # fold is unfold's adjoint: <unfold(x), y> == <x, fold(y)>
    y = rustgrad.tensor(_rand(tuple(cols.shape), seed + 1))
    lhs = float((cols * y).sum())
    rhs = float((rustgrad.tensor(x) * F.fold(y, (h, w), k, padding=pad, stride=stride)).sum())
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))


@FEW
@given(n=st.integers(1, 3), c=st.integers(1, 6), length=st.integers(1, 4), size=st.integers(1, 4),
       seed=st.integers(0, 500))
def test_lrn_and_rms_norm_finite_differences(n, c, length, size, seed):
    x = _rand((n, c, length), seed)
    check_grads(lambda t: F.local_response_norm(t, size, alpha=0.5, k=1.5), x)
    check_grads(lambda t, w: F.rms_norm(t, (c, length), w, eps=1e-3), x, _rand((c, length), seed + 1))


COMPOSED_NAMES = ["softmax2d", "lrn_3d", "lrn_4d", "rms_norm", "adaptive_avg_pool1d", "AdaptiveAvgPool1d_1",
                  "upsampling_bilinear"]


@pytest.mark.parametrize("name", COMPOSED_NAMES)
def test_grad_fn_names_match_torch_where_torch_composes(name):
    torch = torch_or_skip()
    f, shape = next((d[1], d[2]) for d in DETERMINISTIC if d[0] == name)
    names = [type(f(lib, lib.tensor(_rand(shape, 0).tolist(), requires_grad=True)).grad_fn).__name__
             for lib in (rustgrad, torch)]
    assert names[0] == names[1]


def test_threshold_keeps_nan_and_works_in_place_and_on_ints():
    x = rustgrad.tensor([float("nan"), -1.0, 0.5, 2.0])
    assert str(F.threshold(x, 0.5, -7.0).tolist()) == str([float("nan"), -7.0, -7.0, 2.0])
    y = x.clone()
    assert F.threshold(y, 0.0, 9.0, inplace=True) is y and y.tolist()[1:] == [9.0, 0.5, 2.0]
    assert F.threshold(rustgrad.tensor([1, 5, 3]), 3, 0).tolist() == [0, 5, 0]


# ----- random layers -----

def test_rrelu_training_slopes_are_uniform_in_bounds():
    rustgrad.manual_seed(0)
    x = rustgrad.full((20000,), -1.0, requires_grad=True)
    out = F.rrelu(x, 0.2, 0.4, training=True)
    slopes = -np.array(out.tolist())
    assert slopes.min() >= 0.2 and slopes.max() <= 0.4 and abs(slopes.mean() - 0.3) < 0.005
    out.sum().backward()
    assert np.allclose(np.array(x.grad.tolist()), slopes)  # d(x * r)/dx = r
    pos = rustgrad.tensor([0.5, 2.0])
    assert F.rrelu(pos, training=True).tolist() == [0.5, 2.0]
    assert type(nn.RReLU()(x).grad_fn).__name__ == "RreluWithNoiseBackward0"  # as PyTorch


@pytest.mark.parametrize("name,shape,dims", [
    ("dropout1d", (4, 6, 50), (2,)), ("dropout1d", (6, 50), (1,)), ("dropout2d", (4, 6, 5, 10), (2, 3)),
    ("dropout3d", (3, 4, 2, 5, 5), (2, 3, 4)), ("dropout3d", (4, 2, 5, 5), (1, 2, 3)),
])
def test_feature_dropout_zeroes_whole_channels(name, shape, dims):
    rustgrad.manual_seed(1)
    x = rustgrad.ones(*shape, requires_grad=True)
    out = getattr(F, name)(x, 0.4)
    values = np.array(out.tolist())
    assert np.all(np.isclose(values, 0.0) | np.isclose(values, 1 / 0.6))
    # constant over the spatial dims of each channel
    assert np.all(values.min(axis=dims) == values.max(axis=dims))
    out.sum().backward()
    assert np.allclose(np.array(x.grad.tolist()), values)
    assert getattr(F, name)(x, 0.4, training=False).tolist() == x.tolist()


def test_alpha_dropout_keeps_mean_and_variance():
    rustgrad.manual_seed(2)
    x = rustgrad.randn(200000)
    out = F.alpha_dropout(x, 0.3, training=True)
    assert abs(float(out.mean())) < 0.02 and abs(float(out.std()) - 1.0) < 0.02
    a = 1.0 / np.sqrt((1.7580993408473766 ** 2 * 0.3 + 1) * 0.7)
    dropped = np.isclose(np.array(out.tolist()), a * 1.7580993408473766 * 0.3 - 1.7580993408473766 * a)
    assert abs(dropped.mean() - 0.3) < 0.01
    assert F.alpha_dropout(x, 0.3) is x  # training defaults to False
    x = rustgrad.randn(400, 3, 7)
    v = np.array(F.feature_alpha_dropout(x, 0.5, training=True).tolist())
    a = 1.0 / np.sqrt((1.7580993408473766 ** 2 * 0.5 + 1) * 0.5)
    dropped = np.isclose(v, 1.7580993408473766 * a * (0.5 - 1), atol=1e-5).all(axis=2)
    kept = np.isclose(v, a * np.array(x.tolist()) + 1.7580993408473766 * a * 0.5, atol=1e-5).all(axis=2)
    # each (sample, channel) is dropped or kept as a whole
    assert np.all(dropped ^ kept) and abs(dropped.mean() - 0.5) < 0.05


def test_dropout_grad_fns_match_torch():
    torch = torch_or_skip()
    calls = [lambda lib, x: fn(lib).dropout2d(x, 0.5), lambda lib, x: fn(lib).alpha_dropout(x, 0.5, True),
             lambda lib, x: fn(lib).feature_alpha_dropout(x, 0.5, True), lambda lib, x: fn(lib).dropout2d(x, 1.0)]
    for call in calls:
        names = [type(call(lib, lib.randn(2, 3, 4, 4, requires_grad=True)).grad_fn).__name__
                 for lib in (rustgrad, torch)]
        assert names[0] == names[1]


def test_dropout2d_warnings_match_torch():
    torch = torch_or_skip()
    for shape in [(2, 3, 4), (2, 3, 4, 5, 6)]:
        got = []
        for lib in (rustgrad, torch):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fn(lib).dropout2d(lib.ones(*shape), 0.5, training=False)
            got.append([str(w.message) for w in caught])
        assert got[0] == got[1] and got[0]


def test_gumbel_softmax_samples():
    rustgrad.manual_seed(3)
    logits = rustgrad.tensor([[1.0, 2.0, 0.5]] * 4000, requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    assert np.allclose(np.array(soft.sum(-1).tolist()), 1.0)
    hard = F.gumbel_softmax(logits, hard=True)
    h = np.array(hard.tolist())
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(-1) == 1)
    # Gumbel-max: argmax frequencies are softmax(logits)
    p = np.exp([1.0, 2.0, 0.5]) / np.exp([1.0, 2.0, 0.5]).sum()
    assert np.allclose(h.mean(0), p, atol=0.03)
    (hard * rustgrad.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert logits.grad is not None and type(hard.grad_fn).__name__ == "AddBackward0"
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-3)


# ----- EmbeddingBag -----

BAG_INPUT, BAG_OFFSETS = [1, 2, 4, 4, 3, 2, 0, 1], [0, 2, 2, 5]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_matches_torch(mode, padding_idx, include_last_offset):
    check_against_torch(lambda lib, w: fn(lib).embedding_bag(
        lib.tensor(BAG_INPUT), w, lib.tensor(BAG_OFFSETS), mode=mode, padding_idx=padding_idx,
        include_last_offset=include_last_offset), _rand((5, 3), 0))
    check_against_torch(lambda lib, w: fn(lib).embedding_bag(
        lib.tensor([[1, 2, 0], [4, 4, 1]]), w, mode=mode, padding_idx=padding_idx), _rand((5, 3), 1))


def test_embedding_bag_per_sample_weights_and_module_match_torch():
    check_against_torch(lambda lib, w, p: fn(lib).embedding_bag(
        lib.tensor(BAG_INPUT), w, lib.tensor(BAG_OFFSETS), mode="sum", per_sample_weights=p),
        _rand((5, 3), 0), _rand(8, 1))
    check_against_torch(lambda lib, w: lib.nn.EmbeddingBag.from_pretrained(w, freeze=False, mode="max")(
        lib.tensor([[0, 1], [2, 2]])), _rand((3, 4), 2))


@FEW
@given(num=st.integers(1, 5), dim=st.integers(1, 3), lengths=st.lists(st.integers(0, 3), min_size=1, max_size=4),
       mode=st.sampled_from(["sum", "mean", "max"]), seed=st.integers(0, 500))
def test_embedding_bag_finite_differences(num, dim, lengths, mode, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, num, size=sum(lengths)).tolist()
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist()
    check_grads(lambda w: F.embedding_bag(rustgrad.tensor(ids, dtype=rustgrad.int64), w,
                                          rustgrad.tensor(offsets, dtype=rustgrad.int64), mode=mode),
                _rand((num, dim), seed))
    if mode == "sum":
        check_grads(lambda w, p: F.embedding_bag(rustgrad.tensor(ids, dtype=rustgrad.int64), w,
                                                 rustgrad.tensor(offsets, dtype=rustgrad.int64), mode="sum",
                                                 per_sample_weights=p), _rand((num, dim), seed), _rand(len(ids), 1))


def test_embedding_bag_module():
    rustgrad.manual_seed(0)
    bag = nn.EmbeddingBag(6, 3, mode="sum", padding_idx=-1)
    assert bag.padding_idx == 5 and bag.weight[5].tolist() == [0.0, 0.0, 0.0]
    out = bag(rustgrad.tensor([0, 5, 1, 2]), rustgrad.tensor([0, 2]))
    w = bag.weight.detach()
    np.testing.assert_allclose(out.tolist(), [w[0].tolist(), (w[1] + w[2]).tolist()], rtol=1e-6)
    out.sum().backward()
    assert bag.weight.grad[5].tolist() == [0.0, 0.0, 0.0] and bag.weight.grad[1].tolist() == [1.0, 1.0, 1.0]


# ----- reprs and errors -----

REPRS = [
    "EmbeddingBag(5, 3)", "EmbeddingBag(5, 3, mode='max', padding_idx=-1, max_norm=2.0, norm_type=1.0)",
    "RMSNorm(4)", "RMSNorm([2, 3], eps=0.1, elementwise_affine=False)", "Unfold(2)", "Unfold((2, 3), padding=1)",
    "Fold((4, 4), 2)", "LocalResponseNorm(3)", "AdaptiveAvgPool1d(3)", "UpsamplingBilinear2d(scale_factor=2)",
    "UpsamplingNearest2d(size=3)", "Dropout1d()", "Dropout2d(0.1)", "Dropout3d(0.2, True)", "AlphaDropout(0.2)",
    "FeatureAlphaDropout()", "Threshold(0.1, 20)", "Threshold(0.1, 20, True)", "RReLU()", "RReLU(0.1, 0.2, True)",
    "Softmax2d()", "ChannelShuffle(2)", "PixelShuffle(2)", "PixelUnshuffle(3)", "ZeroPad2d(2)", "ZeroPad1d((1, 2))",
    "ZeroPad3d((1, 2, 3, 4, 5, 6))", "ConstantPad3d(1, 3.5)", "ConstantPad2d((1, 2, 3, 4), 0)",
    "ReflectionPad2d((1, 0, 2, 3))", "ReplicationPad3d(1)", "CircularPad1d(2)", "ConstantPad1d(2, 1)",
]


@pytest.mark.parametrize("expr", REPRS)
def test_reprs_match_torch(expr):
    torch = torch_or_skip()
    assert repr(eval("nn." + expr)) == repr(eval("torch.nn." + expr))


ERRORS = [
    lambda lib: fn(lib).pixel_shuffle(lib.randn(1, 3, 2, 2), 2),
    lambda lib: fn(lib).pixel_shuffle(lib.randn(4, 2), 2),
    lambda lib: fn(lib).pixel_shuffle(lib.randn(4, 2, 2), 0),
    lambda lib: fn(lib).pixel_unshuffle(lib.randn(1, 3, 3, 4), 2),
    lambda lib: fn(lib).pixel_unshuffle(lib.randn(1, 3, 4, 3), 2),
    lambda lib: fn(lib).pixel_unshuffle(lib.randn(4, 2), 2),
    lambda lib: fn(lib).pixel_unshuffle(lib.randn(4, 2, 2), -1),
    lambda lib: fn(lib).channel_shuffle(lib.randn(1, 3, 2, 2), 2),
    lambda lib: fn(lib).channel_shuffle(lib.randn(1, 4, 2, 2), 0),
    lambda lib: fn(lib).channel_shuffle(lib.randn(2, 4), 2),
    lambda lib: fn(lib).rrelu(lib.randn(3), 0.5, 0.2),
    lambda lib: fn(lib).rrelu(lib.randn(3), 0.5, 0.2, training=True),
    lambda lib: fn(lib).rms_norm(lib.randn(3, 4), (3,)),
    lambda lib: fn(lib).rms_norm(lib.randn(3, 4, 5), (3, 4)),
    lambda lib: fn(lib).rms_norm(lib.randn(3, 4), (4,), lib.ones(3)),
    lambda lib: fn(lib).adaptive_avg_pool1d(lib.randn(2, 3, 5), (2, 3)),
    lambda lib: fn(lib).adaptive_avg_pool1d(lib.randn(5), 2),
    lambda lib: fn(lib).local_response_norm(lib.randn(2, 5), 2),
    lambda lib: fn(lib).dropout1d(lib.randn(2, 3, 4, 5)),
    lambda lib: fn(lib).dropout1d(lib.randn(2, 3), p=1.5),
    lambda lib: fn(lib).alpha_dropout(lib.randn(2, 3), p=-0.1),
    lambda lib: lib.nn.Dropout2d(p=2),
    lambda lib: lib.nn.Softmax2d()(lib.randn(2, 3)),
    lambda lib: fn(lib).unfold(lib.randn(1, 2, 3, 3), 4),
    lambda lib: fn(lib).unfold(lib.randn(1, 2, 3, 3), 2, stride=0),
    lambda lib: fn(lib).unfold(lib.randn(2, 5), 2),
    lambda lib: fn(lib).fold(lib.randn(1, 8, 3), (4, 4), 2),
    lambda lib: fn(lib).fold(lib.randn(1, 7, 9), (4, 4), 2),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3)),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 5]), lib.randn(4, 3), lib.tensor([0, 2])),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([1, 2])),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([0, 2, 1])),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([0, 4])),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([0, 2]), mode="max",
                                      per_sample_weights=lib.ones(3)),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([0, 2]),
                                      per_sample_weights=lib.ones(3)),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([0, 2]), mode="x"),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([0, 2]),
                                      per_sample_weights=lib.ones(2)),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([], dtype=lib.int64),
                                      include_last_offset=True),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([0, 2]), padding_idx=4),
    lambda lib: fn(lib).embedding_bag(lib.tensor([[0, 1, 2]]), lib.randn(4, 3), lib.tensor([0, 2])),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3, 1), lib.tensor([0, 2])),
    lambda lib: fn(lib).embedding_bag(lib.tensor([0, 1, 2]), lib.randn(4, 3), lib.tensor([[0, 2]])),
    lambda lib: lib.nn.EmbeddingBag(4, 3, padding_idx=4),
]


@pytest.mark.parametrize("call", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- LazyLinear -----

def test_lazy_linear_materializes_on_first_forward_like_torch():
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        m = lib.nn.LazyLinear(3)
        before = (repr(m), repr(m.weight), type(m).__name__, type(m.weight).__name__)
        shape_error = None
        try:
            m.weight.shape
        except RuntimeError as e:
            shape_error = str(e)
        out = m(lib.ones(2, 5))
        out.sum().backward()
        results.append((before, shape_error, repr(m), type(m).__name__, type(m.weight).__name__,
                        tuple(m.weight.shape), tuple(m.bias.shape), tuple(out.shape), tuple(m.weight.grad.shape),
                        len(m._forward_pre_hooks), len(list(m.parameters()))))
    assert results[0] == results[1]


def test_lazy_linear_initializes_like_linear_and_computes_linear():
    rustgrad.manual_seed(5)
    m = nn.LazyLinear(4, bias=False)
    x = rustgrad.tensor(_rand((3, 2, 6), 0), dtype=rustgrad.float32)
    out = m(x)
    assert m.bias is None and isinstance(m, nn.Linear) and m.in_features == 6
    bound = 1 / np.sqrt(6)  # kaiming_uniform_(a=sqrt(5)) on fan_in 6
    assert np.abs(np.array(m.weight.tolist())).max() <= bound
    np.testing.assert_allclose(out.tolist(), (x @ m.weight.t()).tolist(), rtol=1e-6)
    assert m(x).tolist() == out.tolist()
