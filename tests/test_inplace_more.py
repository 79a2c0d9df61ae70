"""In-place methods added in session 9: the composed ones of ``python/rustgrad/_inplace_composed.py``
(tril_, cumsum_, addmm_, exp2_, ..., apply_/map_/map2_), clamp_max(_), the strided views
``as_strided`` / ``unfold`` and the in-place view ops (squeeze_, unsqueeze_, t_, transpose_,
swapdims_, swapaxes_, as_strided_) of ``src/ops/view_strided.rs``. Values, versions, grad_fn
names and gradients against PyTorch and finite differences; errors as PyTorch's."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

FEW = settings(max_examples=10, deadline=None)


def _rand(shape, seed=0, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


# name -> (call on a tensor that is modified, operand arrays, domain)
COMPOSED = {
    "tril_": (lambda lib, t: t.tril_(-1), [], (-2, 2)),
    "triu_": (lambda lib, t: t.triu_(1), [], (-2, 2)),
    "cumsum_": (lambda lib, t: t.cumsum_(1), [], (-2, 2)),
    "cumprod_": (lambda lib, t: t.cumprod_(0), [], (0.5, 1.5)),
    "erfc_": (lambda lib, t: t.erfc_(), [], (-2, 2)),
    "erfinv_": (lambda lib, t: t.erfinv_(), [], (-0.8, 0.8)),
    "exp2_": (lambda lib, t: t.exp2_(), [], (-2, 2)),
    "logit_": (lambda lib, t: t.logit_(), [], (0.1, 0.9)),
    "logit_eps": (lambda lib, t: t.logit_(0.2), [], (0.1, 0.9)),
    "sinc_": (lambda lib, t: t.sinc_(), [], (0.1, 2)),
    "xlogy_": (lambda lib, t, o: t.xlogy_(o), [(3, 4)], (0.5, 2)),
    "atan2_": (lambda lib, t, o: t.atan2_(o), [(3, 4)], (0.5, 2)),
    "arctan2_": (lambda lib, t, o: t.arctan2_(o), [(3, 4)], (0.5, 2)),
    "addmm_": (lambda lib, t, a, b: t.addmm_(a, b, beta=0.5, alpha=2), [(3, 5), (5, 4)], (-2, 2)),
    "addbmm_": (lambda lib, t, a, b: t.addbmm_(a, b), [(2, 3, 5), (2, 5, 4)], (-2, 2)),
    "baddbmm_": (lambda lib, t, a, b: t.unsqueeze(0).expand(2, 3, 4).clone().baddbmm_(a, b, alpha=0.5),
                 [(2, 3, 5), (2, 5, 4)], (-2, 2)),
    "renorm_": (lambda lib, t: t.renorm_(2, 0, 1.0), [], (-2, 2)),
    "clamp_max_": (lambda lib, t: t.clamp_max_(0.3), [], (-2, 2)),
    "clamp_max_tensor": (lambda lib, t, m: t.clamp_max_(m), [(3, 4)], (-2, 2)),
    "clamp_min_tensor": (lambda lib, t, m: t.clamp_min_(m), [(3, 4)], (-2, 2)),
}


def _through_clone(call):
    """The in-place op applied to a non-leaf copy of the first input (leaves refuse in-place ops)."""
    return lambda lib, x, *rest: call(lib, x * 1, *rest)


@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_composed_in_place_matches_torch_values_gradients_and_grad_fn(name):
    torch = torch_or_skip()
    call, operands, (lo, hi) = COMPOSED[name]
    arrays = [_rand((3, 4), 1, lo, hi)] + [_rand(s, 2 + i, lo, hi) for i, s in enumerate(operands)]
    check_against_torch(_through_clone(call), *arrays)
    names = []
    for lib in (rustgrad, torch):
        ts = [lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True) for a in arrays]
        names.append(type(_through_clone(call)(lib, *ts).grad_fn).__name__)
    assert names[0] == names[1]


@pytest.mark.parametrize("name", ["tril_", "cumsum_", "exp2_", "addmm_", "clamp_max_tensor", "xlogy_"])
@FEW
@given(seed=st.integers(0, 2 ** 16))
def test_composed_in_place_gradients_by_finite_differences(name, seed):
    call, operands, (lo, hi) = COMPOSED[name]
    arrays = [_rand((3, 4), seed, lo, hi)] + [_rand(s, seed + 1 + i, lo, hi) for i, s in enumerate(operands)]
    check_grads(lambda *ts: _through_clone(call)(rustgrad, *ts), *arrays)


def test_composed_in_place_writes_through_views_and_bumps_the_version():
    base = rustgrad.zeros(3, 3)
    row = base[1]
    before = base._version
    row.exp2_()
    assert base.tolist() == [[0, 0, 0], [1, 1, 1], [0, 0, 0]]
    assert base._version == before + 1
    m = rustgrad.ones(3, 3)
    assert m.tril_() is m and m.tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


def test_composed_in_place_through_a_view_rebases_the_base_history():
    torch = torch_or_skip()
    grads = []
    for lib in (rustgrad, torch):
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], dtype=lib.float64, requires_grad=True)
        y = x * 1
        y[0].cumsum_(0)
        (y * y).sum().backward()
        grads.append((x.grad.tolist(), type(y.grad_fn).__name__))
    assert grads[0] == grads[1]


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(3).long().exp2_(),
    lambda lib: lib.ones(3).long().erfc_(),
    lambda lib: lib.ones(3).long().sinc_(),
    lambda lib: lib.ones(3).long().atan2_(lib.ones(3)),
    lambda lib: lib.ones(3, dtype=lib.bool).cumsum_(0),
    lambda lib: lib.ones(3, dtype=lib.bool).cumprod_(0),
    lambda lib: lib.ones(3, requires_grad=True).tril_(),
    lambda lib: lib.ones(2, 3).addmm_(lib.ones(2, 4), lib.ones(3, 3)),
    lambda lib: lib.arange(4).clamp_max_(lib.tensor([1.0, 2, 3, 4])),
])
def test_composed_in_place_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_failed_composed_in_place_leaves_the_target_untouched():
    t = rustgrad.arange(6.0).reshape(2, 3)
    before = t._version
    with pytest.raises(RuntimeError):
        t.addmm_(rustgrad.ones(2, 4), rustgrad.ones(3, 3))
    assert t.tolist() == [[0, 1, 2], [3, 4, 5]] and t._version == before


def test_integer_cumsum_in_place_keeps_the_dtype():
    torch = torch_or_skip()
    for dtype in ("int32", "int64"):
        ours = rustgrad.tensor([1, 2, 3], dtype=getattr(rustgrad, dtype)).cumsum_(0)
        theirs = torch.tensor([1, 2, 3], dtype=getattr(torch, dtype)).cumsum_(0)
        assert ours.tolist() == theirs.tolist() and str(ours.dtype)[9:] == str(theirs.dtype)[6:]


def test_comparison_alias_names():
    for alias, name in [("greater_", "gt_"), ("greater_equal_", "ge_"), ("less_", "lt_"),
                        ("less_equal_", "le_"), ("not_equal_", "ne_")]:
        a = rustgrad.tensor([1.0, 2.0, 3.0])
        b = rustgrad.tensor([1.0, 2.0, 3.0])
        assert getattr(a, alias)(2.0).tolist() == getattr(b, name)(2.0).tolist()


# ----- clamp_max -----
def test_clamp_max_matches_torch():
    torch = torch_or_skip()
    a, m = _rand((3, 4), 3), _rand((4,), 4)
    check_against_torch(lambda lib, x: x.clamp_max(0.25), a)
    check_against_torch(lambda lib, x, y: x.clamp_max(y), a, m)
    for lib in (rustgrad, torch):
        x = lib.tensor(a.tolist(), requires_grad=True)
        assert type(x.clamp_max(0.1).grad_fn).__name__ == "ClampMaxBackward0"
        assert type(x.clamp_max(lib.tensor(0.1)).grad_fn).__name__ == "ClampMaxBackward1"
    assert rustgrad.tensor([1, 5, 9]).clamp_max(4).tolist() == [1, 4, 4]


@FEW
@given(seed=st.integers(0, 2 ** 16))
def test_clamp_max_gradients_by_finite_differences(seed):
    a, m = _rand((3, 4), seed), _rand((3, 4), seed + 1)
    keep = np.abs(a - m) > 1e-3  # away from the kink
    a = np.where(keep, a, a + 0.01)
    check_grads(lambda x, y: x.clamp_max(y), a, m)
    check_grads(lambda x: x.clamp_max(0.3), np.where(np.abs(a - 0.3) > 1e-3, a, a + 0.01))


def test_clamp_max_errors_match_torch():
    assert_same_error_as_torch(lambda lib: lib.ones(2).clamp_max("a"))
    assert_same_error_as_torch(lambda lib: lib.ones(2).clamp_max_(None))


# ----- as_strided / unfold -----
@FEW
@given(seed=st.integers(0, 2 ** 16), n=st.integers(3, 9), size=st.integers(0, 3), step=st.integers(1, 3))
def test_unfold_matches_numpy_windows_and_gradients(seed, n, size, step):
    a = _rand((2, n), seed)
    w = rustgrad.tensor(a).unfold(1, size, step)
    count = (n - size) // step + 1
    want = np.stack([a[:, i * step:i * step + size] for i in range(count)], axis=1)
    assert tuple(w.shape) == want.shape
    np.testing.assert_array_equal(np.array(w.tolist()).reshape(want.shape), want)
    if size:
        check_grads(lambda x: x.unfold(1, size, step), a)
        check_grads(lambda x: x.unfold(0, 1, 1), a)


def test_unfold_matches_torch_views_names_and_double_backward():
    torch = torch_or_skip()
    a = _rand((3, 7), 5)
    check_against_torch(lambda lib, x: x.unfold(1, 3, 2) * 2, a)
    check_against_torch(lambda lib, x: x.t().unfold(0, 4, 1).sin(), a)
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True)
        w = x.unfold(1, 3, 2)
        (g,) = lib.autograd.grad((w ** 3).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        results.append(((w.stride(), type(w.grad_fn).__name__, w._base is x), np.array(gg.tolist())))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    shared = rustgrad.zeros(2, 5)
    shared.unfold(1, 2, 2)[0, 1, 0] = 7.0  # a view: the write reaches the base
    assert shared[0, 2].item() == 7.0


@pytest.mark.parametrize("call", [
    lambda lib: lib.randn(3, 4).unfold(1, 5, 1),
    lambda lib: lib.randn(3, 4).unfold(1, 2, 0),
    lambda lib: lib.randn(3, 4).unfold(1, -1, 1),
    lambda lib: lib.randn(3, 4).unfold(2, 1, 1),
    lambda lib: lib.tensor(5.0).unfold(0, 2, 1),
    lambda lib: lib.randn(3, 4).as_strided((2, 2), (1, -1)),
    lambda lib: lib.randn(3, 4).as_strided((2, 2), (1,)),
    lambda lib: lib.randn(3, 4).as_strided((2, 2), (1, 1), -1),
    lambda lib: lib.randn(3, 4).as_strided((20, 2), (1, 1)),
    lambda lib: lib.randn(3, 4).as_strided((-1, 2), (1, 1)),
    lambda lib: lib.randn(3, 4).as_strided([2, 2], [1, 1], 1.5),
])
def test_strided_view_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_as_strided_values_offsets_and_gradients_match_torch():
    torch = torch_or_skip()
    a = _rand((3, 4), 6)
    # overlapping windows: gradients of shared elements add up
    check_against_torch(lambda lib, x: x.as_strided((3, 3), (1, 1)) * 3, a)
    check_against_torch(lambda lib, x: (x * 1)[1:].as_strided((2, 2), (4, 1)).exp(), a)
    check_against_torch(lambda lib, x: (x * 1).as_strided((2, 3), (1, 2), 3), a)
    for lib in (rustgrad, torch):
        x = lib.tensor(a.tolist(), requires_grad=True)
        assert type(x.as_strided((2,), (1,)).grad_fn).__name__ == "AsStridedBackward0"
    assert rustgrad.as_strided(rustgrad.arange(6.0), (2, 2), (2, 1), 1).tolist() == [[1, 2], [3, 4]]


@FEW
@given(seed=st.integers(0, 2 ** 16))
def test_as_strided_gradients_by_finite_differences(seed):
    a = _rand((3, 4), seed)
    check_grads(lambda x: x.as_strided((3, 3), (2, 1), 1), a)
    check_grads(lambda x: x.as_strided((2, 2, 2), (4, 1, 0)), a)


# ----- in-place view ops -----
VIEW_IN_PLACE = {
    "squeeze_all": (lambda t: t.squeeze_(), (1, 3, 1, 2)),
    "squeeze_dim": (lambda t: t.squeeze_(0), (1, 3, 1, 2)),
    "squeeze_dims": (lambda t: t.squeeze_((0, 2)), (1, 3, 1, 2)),
    "unsqueeze_": (lambda t: t.unsqueeze_(1), (3, 2)),
    "t_": (lambda t: t.t_(), (3, 2)),
    "t_vector": (lambda t: t.t_(), (3,)),
    "transpose_": (lambda t: t.transpose_(0, 2), (2, 3, 4)),
    "swapdims_": (lambda t: t.swapdims_(0, 1), (2, 3)),
    "swapaxes_": (lambda t: t.swapaxes_(1, 0), (2, 3)),
    "as_strided_": (lambda t: t.as_strided_((2, 2), (1, 2), 1), (3, 2)),
}


@pytest.mark.parametrize("name", sorted(VIEW_IN_PLACE))
def test_view_in_place_matches_torch(name):
    torch = torch_or_skip()
    call, shape = VIEW_IN_PLACE[name]
    a = _rand(shape, 8)
    check_against_torch(lambda lib, x: call(x * 1) * 2, a)
    seen = []
    for lib in (rustgrad, torch):
        y = lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True) * 1
        v0 = y._version
        out = call(y)
        plain = lib.tensor(a.tolist())
        call(plain)
        seen.append((out is y, tuple(y.shape), y.stride(), y._version - v0, type(y.grad_fn).__name__,
                     tuple(plain.shape), plain.stride()))
    assert seen[0] == seen[1]


@FEW
@given(seed=st.integers(0, 2 ** 16))
def test_view_in_place_gradients_by_finite_differences(seed):
    a = _rand((1, 3, 2), seed)
    check_grads(lambda x: (x * 1).squeeze_(0).t_() * x[0, 0, 0], a)
    check_grads(lambda x: (x * 1).transpose_(0, 2).unsqueeze_(0).cumsum(1), a)


def test_view_in_place_keeps_sharing_storage_and_view_base():
    base = rustgrad.zeros(1, 4)
    v = base[:, 1:]
    v.squeeze_(0)
    assert tuple(v.shape) == (3,) and v._base is base
    v[0] = 5.0
    assert base.tolist() == [[0, 5, 0, 0]]


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(1, 3, requires_grad=True).squeeze_(),
    lambda lib: lib.ones(3, 4).squeeze_(5),
    lambda lib: lib.ones(3, 4).unsqueeze_(5),
    lambda lib: lib.ones(3, 4, 5).t_(),
    lambda lib: lib.ones(3, 4).transpose_(0, 3),
    lambda lib: lib.ones(3, 4).as_strided_((20, 2), (1, 1)),
])
def test_view_in_place_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- apply_ / map_ / map2_ -----
def test_apply_map_map2_match_torch():
    torch = torch_or_skip()
    cases = [
        lambda lib: lib.arange(4).apply_(lambda v: v * 2.5),
        lambda lib: lib.arange(6.0).reshape(2, 3).t().apply_(lambda v: v * v + 1),
        lambda lib: lib.arange(4.0).map_(lib.ones(4), lambda a, b: a + b),
        lambda lib: lib.arange(4.0).map_(lib.ones(1), lambda a, b: a - b),
        lambda lib: lib.arange(4.0).map2_(lib.ones(4), lib.full((4,), 2.0), lambda a, b, c: a + b * c),
        lambda lib: lib.ones(2, 2).expand(2, 2, 2).apply_(lambda v: v + 1),
    ]
    for case in cases:
        assert case(rustgrad).tolist() == case(torch).tolist()


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(3, requires_grad=True).apply_(lambda v: v),
    lambda lib: (lib.ones(3, requires_grad=True) * 1).map_(lib.ones(3), lambda a, b: a),
    lambda lib: lib.arange(4.0).map_(lib.arange(4), lambda a, b: a + b),
    lambda lib: lib.arange(4.0).apply_(5),
    lambda lib: lib.arange(4.0).apply_(lambda v: "a"),
])
def test_apply_map_errors_match_torch(call):
    assert_same_error_as_torch(call)
