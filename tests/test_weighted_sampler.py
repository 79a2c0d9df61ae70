"""utils.data.WeightedRandomSampler: frequencies proportional to the weights (fixed seed, bounds
that fail on a wrong distribution), without-replacement rules, generator reproducibility, and
PyTorch's errors."""

import math

import numpy as np
import pytest

import rustgrad
from rustgrad.utils.data import DataLoader, TensorDataset, WeightedRandomSampler
from _helpers import error_of, torch_or_skip


def test_frequencies_follow_the_weights():
    rustgrad.manual_seed(0)
    weights = [0.1, 0.0, 2.0, 1.0, 0.9]
    n = 40000
    draws = np.array(list(WeightedRandomSampler(weights, n)))
    assert len(draws) == n and draws.min() >= 0 and draws.max() < 5
    freq = np.bincount(draws, minlength=5) / n
    expected = np.array(weights) / sum(weights)
    np.testing.assert_allclose(freq, expected, atol=4 * math.sqrt(0.25 / n))
    assert freq[1] == 0


def test_without_replacement():
    rustgrad.manual_seed(1)
    for _ in range(20):
        draw = list(WeightedRandomSampler([1.0, 0.0, 1.0, 5.0], 4, replacement=False))
        assert sorted(draw) == [0, 1, 2, 3] and draw[-1] == 1  # the zero weight always comes last
    # the first pick of a without-replacement draw follows the weights
    firsts = np.array([next(iter(WeightedRandomSampler([1.0, 3.0], 1, replacement=False))) for _ in range(4000)])
    assert abs(firsts.mean() - 0.75) < 4 * math.sqrt(0.75 * 0.25 / 4000)
    # heavy weights come first on average (w / Exp(1) ordering)
    orders = np.array([list(WeightedRandomSampler([1.0, 10.0, 100.0], 3, replacement=False)) for _ in range(500)])
    assert (orders[:, 0] == 2).mean() > 0.85


def test_generator_reproducible_and_len():
    g1, g2 = rustgrad.Generator(), rustgrad.Generator()
    g1.manual_seed(7)
    g2.manual_seed(7)
    s1 = WeightedRandomSampler(rustgrad.tensor([1.0, 2.0, 3.0]), 10, generator=g1)
    s2 = WeightedRandomSampler([1, 2, 3], 10, generator=g2)
    assert list(s1) == list(s2) and len(s1) == 10
    assert s2.weights.dtype == rustgrad.float64 and s2.weights.tolist() == [1.0, 2.0, 3.0]
    ds = TensorDataset(rustgrad.arange(6))
    loader = DataLoader(ds, batch_size=4, sampler=WeightedRandomSampler([0, 0, 0, 1, 0, 0], 8))
    assert [b[0].tolist() for b in loader] == [[3, 3, 3, 3], [3, 3, 3, 3]]


@pytest.mark.parametrize("args,kwargs", [
    (([1.0, 2.0], 3), {"replacement": False}), (([1.0, -2.0], 3), {}), (([0.0, 0.0], 3), {}), (([[1.0]], 3), {}),
    (([1.0], 0), {}), (([1.0], 2), {"replacement": 1}), (([1.0, float("nan")], 3), {}),
    (([1.0, float("inf")], 3), {}), (([1.0, -2.0], 2), {"replacement": False}), (([1.0, -2.0], 1), {}),
    (([0.0, 0.0], 1), {}), (([0.0, 0.0], 2), {"replacement": False}), (([], 3), {}), (([1.0], True), {}),
    (([float("nan"), 1.0], 3), {}), (([1.0, float("nan")], 2), {"replacement": False}),
])
def test_errors_match_torch(args, kwargs):
    torch = torch_or_skip()

    def call(lib):
        return list(lib.utils.data.WeightedRandomSampler(*args, **kwargs))

    theirs = error_of(torch, call)
    assert theirs is not None and error_of(rustgrad, call) == theirs
