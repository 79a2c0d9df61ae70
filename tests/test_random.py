"""Random numbers (spec section 11): the testable contract, and PyTorch's streams when available."""

import subprocess
import sys

import numpy as np
import pytest

import rustgrad
from _helpers import torch_or_skip

SEEDS = [0, 1, 42, 2**40 + 5]
SIZES = [1, 3, 15, 16, 17, 33, 100, 1000]


def test_manual_seed_returns_the_default_generator():
    g = rustgrad.manual_seed(0)
    assert isinstance(g, rustgrad.Generator) and g is rustgrad.default_generator
    assert g is rustgrad.manual_seed(1)
    assert rustgrad.initial_seed() == 1
    assert rustgrad.manual_seed(-1).initial_seed() == 2**64 - 1
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        rustgrad.manual_seed(2**64)
    s = rustgrad.seed()
    assert rustgrad.initial_seed() == s and isinstance(s, int)


def test_same_seed_same_values_different_seed_different_values():
    rustgrad.manual_seed(7)
    a = (rustgrad.randn(20).tolist(), rustgrad.rand(5).tolist(), rustgrad.randint(0, 100, (9,)).tolist())
    rustgrad.manual_seed(7)
    b = (rustgrad.randn(20).tolist(), rustgrad.rand(5).tolist(), rustgrad.randint(0, 100, (9,)).tolist())
    rustgrad.manual_seed(8)
    c = (rustgrad.randn(20).tolist(), rustgrad.rand(5).tolist(), rustgrad.randint(0, 100, (9,)).tolist())
    assert a == b and a[0] != c[0] and a[1] != c[1]


def test_streams_repeat_across_processes():
    code = "import rustgrad; rustgrad.manual_seed(3); print(rustgrad.randn(4).tolist(), rustgrad.randperm(6).tolist())"
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in range(2)}
    rustgrad.manual_seed(3)
    assert outputs == {f"{rustgrad.randn(4).tolist()} {rustgrad.randperm(6).tolist()}\n"}


def test_get_and_set_state_replay_exactly():
    rustgrad.manual_seed(11)
    rustgrad.randn(3)  # leaves a cached normal sample in the state
    state = rustgrad.get_rng_state()
    assert state.dtype is rustgrad.uint8 and state.shape == (5056,)
    first = [rustgrad.randn(5).tolist(), rustgrad.rand(20).tolist(), rustgrad.randint(3, 9, (4,)).tolist()]
    rustgrad.set_rng_state(state)
    assert first == [rustgrad.randn(5).tolist(), rustgrad.rand(20).tolist(), rustgrad.randint(3, 9, (4,)).tolist()]


def test_generator_objects_are_independent_of_the_global_stream():
    g = rustgrad.Generator().manual_seed(42)
    assert g.initial_seed() == 42 and rustgrad.Generator().initial_seed() == 67280421310721
    rustgrad.manual_seed(5)
    expected = rustgrad.randn(6).tolist()
    rustgrad.manual_seed(5)
    rustgrad.randn(3, generator=g)
    rustgrad.rand(3, generator=g)
    rustgrad.randint(0, 4, (3,), generator=g)
    rustgrad.randperm(4, generator=g)
    rustgrad.zeros(3).normal_(generator=g).uniform_(generator=g)
    assert rustgrad.randn(6).tolist() == expected
    state = g.get_state()
    drawn = rustgrad.randn(30, generator=g).tolist()
    assert g.set_state(state) is g and rustgrad.randn(30, generator=g).tolist() == drawn
    h = rustgrad.Generator().manual_seed(42)
    assert rustgrad.randn(4, generator=h).tolist() == rustgrad.randn(4, generator=rustgrad.Generator().manual_seed(42)).tolist()


def test_state_errors():
    g = rustgrad.Generator()
    with pytest.raises(TypeError, match="RNG state must be a rustgrad.ByteTensor"):
        g.set_state(rustgrad.zeros(3))
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but found the input RNG state size to be 3"):
        g.set_state(rustgrad.zeros(3, dtype=rustgrad.uint8))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        g.set_state(rustgrad.zeros(5056, dtype=rustgrad.uint8))
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(3.5)


def test_distribution_sanity():
    rustgrad.manual_seed(0)
    v = np.array(rustgrad.randn(1000).tolist())
    assert abs(v.mean()) < 0.1 and abs(v.std() - 1) < 0.1
    u = np.array(rustgrad.rand(1000, dtype=rustgrad.float64).tolist())
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.05
    r = np.array(rustgrad.randint(-3, 4, (2000,)).tolist())
    assert set(r.tolist()) == set(range(-3, 4))
    n = np.array(rustgrad.empty(2000, dtype=rustgrad.float64).normal_(3.0, 0.5).tolist())
    assert abs(n.mean() - 3) < 0.05 and abs(n.std() - 0.5) < 0.05
    w = np.array(rustgrad.empty(2000).uniform_(-2, 5).tolist())
    assert w.min() >= -2 and w.max() < 5
    assert sorted(rustgrad.randperm(50).tolist()) == list(range(50))


def test_in_place_fills_follow_autograd_rules():
    x = rustgrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        x.normal_()
    with rustgrad.no_grad():
        assert x.uniform_(1, 2) is x
    assert x._version == 1 and all(1 <= v < 2 for v in x.tolist())
    y = x * 1
    y.normal_()
    assert y.grad_fn.name() == "NormalBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    z = (x * 1).uniform_()
    assert z.grad_fn.name() == "UniformBackward0"
    for f, kernel in [(lambda t: t.normal_(), "normal_kernel_cpu"), (lambda t: t.uniform_(), "check_uniform_bounds")]:
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
            f(rustgrad.zeros(2, dtype=rustgrad.int64))
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        rustgrad.zeros(2).normal_(0, -1)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"):
        rustgrad.zeros(2).uniform_(2, 1)


# ----- PyTorch's own streams (parity; skipped without torch) -----


def _both(seed, f):
    torch = torch_or_skip()
    torch.manual_seed(seed)
    rustgrad.manual_seed(seed)
    return np.array(f(rustgrad).tolist()), f(torch).numpy()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_randn_and_rand_match_pytorch(seed, dtype):
    for n in SIZES:
        ours, theirs = _both(seed, lambda m: m.randn(n, dtype=getattr(m, dtype)))
        if dtype == "float64" or n < 16:
            np.testing.assert_array_equal(ours, theirs)
        else:
            # float32 blocks of 16 use PyTorch's vectorised log/sincos approximations.
            np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=2e-6)
        ours, theirs = _both(seed, lambda m: m.rand(n, dtype=getattr(m, dtype)))
        np.testing.assert_array_equal(ours, theirs)
        ours, theirs = _both(seed, lambda m: m.empty(n, dtype=getattr(m, dtype)).uniform_(-2.5, 0.7))
        np.testing.assert_array_equal(ours, theirs)
        ours, theirs = _both(seed, lambda m: m.empty(n, dtype=getattr(m, dtype)).normal_(1.5, 0.3))
        np.testing.assert_allclose(ours, theirs, rtol=2e-6 if dtype == "float32" else 1e-15, atol=2e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_randint_randperm_and_state_match_pytorch(seed):
    torch = torch_or_skip()
    for low, high in [(0, 10), (-5, 5), (0, 2**29), (-(2**40), 2**40)]:
        ours, theirs = _both(seed, lambda m: m.randint(low, high, (50,)))
        np.testing.assert_array_equal(ours, theirs)
    for n in [1, 2, 10, 100, 3000]:
        ours, theirs = _both(seed, lambda m: m.randperm(n))
        np.testing.assert_array_equal(ours, theirs)
    ours, theirs = _both(seed, lambda m: (m.randn(3), m.randn(5, dtype=m.float64), m.get_rng_state())[2])
    np.testing.assert_array_equal(ours, theirs)
    # a state saved by PyTorch replays in rustgrad
    torch.manual_seed(seed)
    torch.randn(7, dtype=torch.float64)
    state = torch.get_rng_state()
    rustgrad.set_rng_state(rustgrad.tensor(state.tolist(), dtype=rustgrad.uint8))
    np.testing.assert_array_equal(np.array(rustgrad.randn(9, dtype=rustgrad.float64).tolist()), torch.randn(9, dtype=torch.float64).numpy())


def test_strided_fills_draw_in_memory_order_like_pytorch():
    torch = torch_or_skip()
    for dtype in ["float32", "float64"]:
        ours, theirs = _both(3, lambda m: m.from_numpy(np.zeros((4, 5), dtype=dtype).T).normal_())
        np.testing.assert_array_equal(ours, theirs)
        ours, theirs = _both(3, lambda m: m.from_numpy(np.zeros((6, 5), dtype=dtype)[:, 1:4].T).uniform_())
        np.testing.assert_array_equal(ours, theirs)
    del torch


def test_set_num_threads_takes_effect():
    before = rustgrad.get_num_threads()
    try:
        for n in [1, 2, 1]:
            rustgrad.set_num_threads(n)
            assert rustgrad.get_num_threads() == n
            big = rustgrad.ones(100_000)
            assert (big * 2).sum().item() == 200_000
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
            rustgrad.set_num_threads(0)
    finally:
        rustgrad.set_num_threads(before)


def _draws(lib, g):
    return (lib.randn(3, generator=g).tolist(), lib.rand(4, generator=g).tolist(),
            lib.randint(0, 1000, (5,), generator=g).tolist())


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_generators_pickle_and_deepcopy_with_their_state(how):
    import copy
    import pickle

    g = rustgrad.Generator().manual_seed(123)
    rustgrad.randn(5, generator=g)  # odd count: a cached normal may sit in the state
    h = pickle.loads(pickle.dumps(g)) if how == "pickle" else copy.deepcopy(g)
    assert isinstance(h, rustgrad.Generator) and h is not g
    assert h.initial_seed() == 123
    assert h.get_state().tolist() == g.get_state().tolist()
    assert _draws(rustgrad, h) == _draws(rustgrad, g)
    # Independent afterwards.
    rustgrad.rand(7, generator=h)
    assert h.get_state().tolist() != g.get_state().tolist()
    d = pickle.loads(pickle.dumps(rustgrad.default_generator))
    assert d is not rustgrad.default_generator
    assert rustgrad.rand(3, generator=d).tolist() == rustgrad.rand(3).tolist()


def test_generator_reduce_matches_pytorch():
    import pickle

    torch = torch_or_skip()
    out = []
    for lib in (rustgrad, torch):
        g = lib.Generator().manual_seed(2**40 + 5)
        lib.randn(3, generator=g)
        reduced = g.__reduce__()
        h = pickle.loads(pickle.dumps(g))
        out.append((reduced[2][0], reduced[2][1], reduced[2][2].tolist(), _draws(lib, h)))
    assert out[0] == out[1]
