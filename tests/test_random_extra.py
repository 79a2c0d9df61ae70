"""bernoulli_ / bernoulli, exponential_, geometric_, log_normal_, cauchy_ and random_: distributions
checked with a fixed seed by moments and Kolmogorov-Smirnov distances against the exact CDFs (limits
at about 4 standard errors, so a wrong parameterisation fails), generator streams, dtypes, in-place
semantics and errors against PyTorch (torch 2.13)."""

import math
import warnings

import numpy as np
import pytest

import rustgrad
from _helpers import assert_same_error_as_torch, torch_or_skip

N = 100_000


def _gen(seed=0):
    g = rustgrad.Generator()
    g.manual_seed(seed)
    return g


def _samples(method, *args, dtype=rustgrad.float64, seed=0, **kwargs):
    t = rustgrad.empty(N, dtype=dtype)
    out = getattr(t, method)(*args, generator=_gen(seed), **kwargs)
    assert out is t
    return np.asarray(t.tolist(), dtype=np.float64)


def _ks(samples, cdf):
    """The Kolmogorov-Smirnov distance of the samples to a continuous CDF."""
    x = np.sort(samples)
    f = cdf(x)
    n = x.size
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


KS_LIMIT = 1.63 / math.sqrt(N)  # the 1% critical value


def _mean_close(samples, mean, std):
    assert abs(samples.mean() - mean) < 4 * std / math.sqrt(samples.size), (samples.mean(), mean)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.9, 1.0])
def test_bernoulli_scalar_p(p):
    s = _samples("bernoulli_", p)
    assert set(np.unique(s)) <= {0.0, 1.0}
    _mean_close(s, p, math.sqrt(p * (1 - p)) + 1e-12)


def test_bernoulli_tensor_p_function_and_method():
    probs = np.tile([0.1, 0.5, 0.8], N // 3)
    p = rustgrad.tensor(probs.tolist(), dtype=rustgrad.float64)
    for draw in (rustgrad.bernoulli(p, generator=_gen(1)), p.bernoulli(generator=_gen(1)),
                 rustgrad.empty(len(probs)).bernoulli_(p, generator=_gen(1))):
        s = np.asarray(draw.tolist()).reshape(-1, 3)
        for j, q in enumerate([0.1, 0.5, 0.8]):
            _mean_close(s[:, j], q, math.sqrt(q * (1 - q)))
    assert rustgrad.bernoulli(p).dtype == rustgrad.float64
    s = np.asarray(rustgrad.bernoulli(p.float(), 0.25, generator=_gen(2)).tolist())
    _mean_close(s, 0.25, math.sqrt(0.25 * 0.75))
    row = rustgrad.tensor([0.2, 0.7]).bernoulli_(rustgrad.tensor([[0.0], [1.0]]).squeeze(1)[0].expand(2))
    assert row.tolist() == [0.0, 0.0]
    ints = rustgrad.zeros(N, dtype=rustgrad.int64).bernoulli_(0.5, generator=_gen(3))
    assert ints.dtype == rustgrad.int64 and set(ints.unique().tolist()) == {0, 1}


def test_exponential():
    for lam in (0.5, 3.0):
        s = _samples("exponential_", lam)
        assert s.min() >= 0
        _mean_close(s, 1 / lam, 1 / lam)
        assert _ks(s, lambda x: 1 - np.exp(-lam * x)) < KS_LIMIT
    s32 = rustgrad.empty(N).exponential_(generator=_gen(4))
    assert s32.dtype == rustgrad.float32 and abs(float(s32.mean()) - 1) < 4 / math.sqrt(N)


def test_geometric():
    for p in (0.2, 0.7):
        s = _samples("geometric_", p)
        assert s.min() >= 1 and np.all(s == np.round(s))
        _mean_close(s, 1 / p, math.sqrt(1 - p) / p)
        for k in (1, 2, 3):  # P(X = k) = (1 - p)^(k-1) p
            q = (1 - p) ** (k - 1) * p
            assert abs(np.mean(s == k) - q) < 4 * math.sqrt(q * (1 - q) / N)
    ints = rustgrad.zeros(10, dtype=rustgrad.int64).geometric_(0.5)
    assert ints.dtype == rustgrad.int64 and int(ints.min()) >= 1


def test_log_normal():
    mu, sigma = 0.5, 0.4
    s = _samples("log_normal_", mu, sigma)
    assert s.min() > 0
    logs = np.log(s)
    _mean_close(logs, mu, sigma)
    assert abs(logs.std() - sigma) < 4 * sigma / math.sqrt(2 * N)
    erf = np.vectorize(math.erf)
    assert _ks(logs, lambda x: 0.5 * (1 + erf((x - mu) / (sigma * math.sqrt(2))))) < KS_LIMIT
    defaults = np.log(_samples("log_normal_", seed=5))  # mean 1, std 2
    _mean_close(defaults, 1.0, 2.0)


def test_cauchy():
    median, sigma = 1.5, 0.5
    s = _samples("cauchy_", median, sigma)
    assert _ks(s, lambda x: 0.5 + np.arctan((x - median) / sigma) / math.pi) < KS_LIMIT
    assert abs(np.median(s) - median) < 4 * sigma * math.pi / 2 / math.sqrt(N)


@pytest.mark.parametrize("dtype, args, low, high", [
    ("float32", (), 0, 2**24), ("float64", (), 0, 2**53), ("int32", (), 0, 2**31 - 1), ("int64", (), 0, 2**63 - 1),
    ("uint8", (), 0, 255), ("bool", (), 0, 1), ("float32", (7,), 0, 6), ("int64", (-3, 4), -3, 3),
    ("uint8", (250, 256), 250, 255), ("int64", (-2**63, 2**63 - 1), -2**63, 2**63 - 2),
])
def test_random_ranges(dtype, args, low, high):
    t = rustgrad.empty(20_000, dtype=getattr(rustgrad, dtype)).random_(*args, generator=_gen(6))
    values = [int(v) for v in t.tolist()]
    assert min(values) >= low and max(values) <= high
    span = high - low + 1
    if span <= 16:  # every value appears, each about equally often
        counts = np.bincount(np.asarray(values) - low, minlength=span)
        expected = len(values) / span
        assert counts.size == span and np.all(np.abs(counts - expected) < 4 * math.sqrt(expected))
    else:  # the mean of a uniform discrete distribution within 4 standard errors
        mean = np.mean([(v - low) / (span - 1) for v in values])
        assert abs(mean - 0.5) < 4 * math.sqrt(1 / 12 / len(values))


def test_generator_streams_and_in_place():
    a = rustgrad.empty(50, dtype=rustgrad.float64).exponential_(generator=_gen(9))
    b = rustgrad.empty(50, dtype=rustgrad.float64).exponential_(generator=_gen(9))
    c = rustgrad.empty(50, dtype=rustgrad.float64).exponential_(generator=_gen(10))
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    rustgrad.manual_seed(11)
    d = rustgrad.empty(50).cauchy_()
    rustgrad.manual_seed(11)
    assert rustgrad.empty(50).cauchy_().tolist() == d.tolist()
    t = rustgrad.zeros(4)
    view = t[1:3]
    v0 = t._version
    view.geometric_(0.5)
    assert t._version > v0 and t[0].item() == 0 and t[1].item() >= 1  # fills the viewed elements only
    leaf = rustgrad.zeros(3, requires_grad=True)
    for method, args in (("exponential_", ()), ("bernoulli_", ()), ("random_", ()), ("cauchy_", ()),
                         ("log_normal_", ()), ("geometric_", (0.5,))):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            getattr(leaf, method)(*args)


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(3).bernoulli_(1.5),
    lambda lib: lib.zeros(3).bernoulli_(-0.1),
    lambda lib: lib.zeros(3).bernoulli_(lib.tensor([0.5, 2, 0.1])),
    lambda lib: lib.zeros(3).bernoulli_(lib.tensor([0.5, 0.2])),
    lambda lib: lib.bernoulli(lib.tensor([1, 0])),
    lambda lib: lib.bernoulli(lib.tensor([0.5, 2.0])),
    lambda lib: lib.bernoulli([0.5]),
    lambda lib: lib.zeros(3).exponential_(0),
    lambda lib: lib.zeros(3).exponential_(-1.5),
    lambda lib: lib.zeros(3, dtype=lib.int64).exponential_(),
    lambda lib: lib.zeros(3).geometric_(0),
    lambda lib: lib.zeros(3).geometric_(1.5),
    lambda lib: lib.zeros(3).log_normal_(0, 0),
    lambda lib: lib.zeros(3, dtype=lib.int64).log_normal_(),
    lambda lib: lib.zeros(3).cauchy_(0, -1),
    lambda lib: lib.zeros(3, dtype=lib.int64).cauchy_(),
    lambda lib: lib.zeros(3).random_(5, 3),
    lambda lib: lib.zeros(3).random_(0),
    lambda lib: lib.zeros(3).random_(-1),
    lambda lib: lib.zeros(3, dtype=lib.uint8).random_(300),
    lambda lib: lib.zeros(3, dtype=lib.uint8).random_(-1, 3),
    lambda lib: lib.zeros(3, dtype=lib.bool).random_(3),
    lambda lib: lib.zeros(3, dtype=lib.int32).random_(0, 2**31 + 1),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_float32_random_range_warning_matches_torch():
    torch = torch_or_skip()
    messages = []
    for lib in (rustgrad, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.zeros(3).random_(0, 2**24 + 2)
        messages.append([str(w.message).split(" (Triggered")[0] for w in caught])
    assert messages[0] == messages[1] and len(messages[0]) == 1
