"""rustgrad.testing.assert_close / make_tensor against torch.testing: same tolerances, same pass/fail,
same exception types and messages."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rustgrad
from rustgrad.testing import assert_close, make_tensor
from _helpers import error_of, torch_or_skip

NAN, INF = float("nan"), float("inf")

# Each case builds (actual, expected, kwargs) from a library.
CASES = {
    "one_off": lambda lib: (lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1.0, 2.5, 3.0]), {}),
    "2d_two_off": lambda lib: (lib.tensor([[1.0, 2.0], [3.0, 4]]), lib.tensor([[1.0, 2.5], [3.0, 5]]), {}),
    "float64": lambda lib: (lib.tensor([1.0, 2.0], dtype=lib.float64), lib.tensor([1.0, 2.0 + 1e-6], dtype=lib.float64), {}),
    "float64_close": lambda lib: (lib.tensor([1.0, 2.0], dtype=lib.float64), lib.tensor([1.0, 2.0 + 1e-8], dtype=lib.float64), {}),
    "float32_close": lambda lib: (lib.tensor([100.0, 2.0]), lib.tensor([100.0001, 2.0]), {}),
    "scalar": lambda lib: (lib.tensor(1.0), lib.tensor(2.0), {}),
    "scalar_zero": lambda lib: (lib.tensor(1.0), lib.tensor(0.0), {}),
    "int": lambda lib: (lib.tensor([1, 2]), lib.tensor([1, 3]), {}),
    "int32": lambda lib: (lib.tensor([1, 2], dtype=lib.int32), lib.tensor([1, 3], dtype=lib.int32), {}),
    "uint8_wrap": lambda lib: (lib.tensor([0, 200], dtype=lib.uint8), lib.tensor([255, 3], dtype=lib.uint8), {}),
    "bool": lambda lib: (lib.tensor([True, True]), lib.tensor([False, True]), {}),
    "dtype": lambda lib: (lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64), {}),
    "dtype_off": lambda lib: (lib.tensor([1.0]), lib.tensor([1.0 + 1e-7], dtype=lib.float64), {"check_dtype": False}),
    "dtype_off_int": lambda lib: (lib.tensor([1]), lib.tensor([1.0]), {"check_dtype": False}),
    "shape": lambda lib: (lib.tensor([1.0]), lib.tensor([1.0, 2]), {}),
    "nan": lambda lib: (lib.tensor([NAN, 1.0]), lib.tensor([NAN, 1.0]), {}),
    "nan_equal": lambda lib: (lib.tensor([NAN, 1.0]), lib.tensor([NAN, 1.0]), {"equal_nan": True}),
    "inf": lambda lib: (lib.tensor([1.0, INF]), lib.tensor([1.0, 2.5]), {}),
    "inf_same": lambda lib: (lib.tensor([1.0, INF]), lib.tensor([1.0, INF]), {}),
    "exact": lambda lib: (lib.tensor([1.0, 2]), lib.tensor([1.0, 3]), {"rtol": 0, "atol": 0}),
    "loose": lambda lib: (lib.tensor([1.0, 2]), lib.tensor([1.0, 3]), {"rtol": 0.5, "atol": 0}),
    "rtol_only": lambda lib: (lib.tensor([1.0]), lib.tensor([1.0]), {"rtol": 1e-3}),
    "atol_only": lambda lib: (lib.tensor([1.0]), lib.tensor([1.0]), {"atol": 1e-3}),
    "msg": lambda lib: (lib.tensor([1.0, 2]), lib.tensor([1.0, 3]), {"msg": "custom"}),
    "msg_callable": lambda lib: (lib.tensor([1.0, 2]), lib.tensor([1.0, 3]), {"msg": lambda m: f"H\n\n{m}\n\nF"}),
    "stride": lambda lib: (lib.ones(2, 3), lib.ones(3, 2).t(), {"check_stride": True}),
    "stride_ignored": lambda lib: (lib.ones(2, 3), lib.ones(3, 2).t(), {}),
    "requires_grad": lambda lib: (lib.tensor([1.0]).requires_grad_(), lib.tensor([1.0]), {}),
    "flags": lambda lib: (lib.tensor([1.0]), lib.tensor([1.0]), {"check_device": False, "check_layout": False}),
    "tensor_vs_float": lambda lib: (lib.tensor([1.0]), 1.0, {}),
    "tensor_vs_list": lambda lib: (lib.tensor([1.0]), [1.0], {}),
    "strings": lambda lib: ("a", "a", {}),
    "float_scalars": lambda lib: (1.0, 1.5, {}),
    "int_scalars": lambda lib: (1, 2, {}),
    "int_vs_float": lambda lib: (1.0, 1, {}),
    "int_vs_float_nocheck": lambda lib: (1.0, 1, {"check_dtype": False}),
    "scalar_nan": lambda lib: (NAN, NAN, {}),
    "scalar_nan_equal": lambda lib: (NAN, NAN, {"equal_nan": True}),
    "list": lambda lib: ([lib.tensor(1.0), lib.tensor([2.0])], [lib.tensor(1.0), lib.tensor([3.0])], {}),
    "list_len": lambda lib: ([1, 2], [1], {}),
    "dict": lambda lib: ({"a": lib.tensor(1.0), "b": 2}, {"a": lib.tensor(2.0), "b": 2}, {}),
    "dict_keys": lambda lib: ({"a": 1}, {"b": 1}, {}),
    "nested": lambda lib: ({"a": [1, (2.0, lib.tensor([3.0]))]}, {"a": [1, (2.0, lib.tensor([4.0]))]}, {}),
    "none": lambda lib: (None, 1, {}),
    "nones": lambda lib: (None, None, {}),
    "bools": lambda lib: (True, False, {}),
    "numpy": lambda lib: (np.array([1.0, 2.0]), np.array([1.0, 2.5]), {}),
    "numpy_int": lambda lib: (np.array([1, 2]), np.array([1, 2]), {}),
    "numpy_scalar": lambda lib: (np.float64(1.0), np.float64(1.0 + 1e-9), {}),
    "first_bad_leaf_type": lambda lib: ([lib.tensor(1.0), "x"], [lib.tensor(2.0), 3], {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_assert_close_matches_torch(name):
    torch = torch_or_skip()

    def run(lib, fn):
        actual, expected, kwargs = CASES[name](lib)
        return error_of(lib, lambda _: fn(actual, expected, **kwargs))

    ours = run(rustgrad, assert_close)
    theirs = run(torch, torch.testing.assert_close)
    assert ours == theirs


def test_tensor_message_format():
    with pytest.raises(AssertionError) as info:
        assert_close(rustgrad.tensor([1.0, 2.0, 3.0]), rustgrad.tensor([1.0, 2.5, 3.0]))
    assert str(info.value) == (
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=6), st.floats(0, 1e-3), st.sampled_from(["float32", "float64"]))
def test_pass_fail_agrees_with_torch(values, delta, dtype):
    torch = torch_or_skip()
    shifted = [v + delta * (i % 2) for i, v in enumerate(values)]
    ours = error_of(rustgrad, lambda lib: assert_close(lib.tensor(values, dtype=getattr(lib, dtype)),
                                                       lib.tensor(shifted, dtype=getattr(lib, dtype))))
    theirs = error_of(torch, lambda lib: torch.testing.assert_close(lib.tensor(values, dtype=getattr(lib, dtype)),
                                                                    lib.tensor(shifted, dtype=getattr(lib, dtype))))
    assert ours == theirs


@pytest.mark.parametrize("dtype,low,high", [("float32", -9, 9), ("float64", -9, 9), ("int64", -9, 9),
                                            ("int32", -9, 9), ("uint8", 0, 9), ("bool", 0, 1)])
def test_make_tensor_defaults_cover_the_range(dtype, low, high):
    rustgrad.manual_seed(0)
    t = make_tensor(4000, dtype=getattr(rustgrad, dtype), device="cpu")
    assert t.dtype == getattr(rustgrad, dtype) and tuple(t.shape) == (4000,)
    vals = np.array(t.tolist(), dtype=np.float64)
    assert vals.min() >= low and vals.max() <= high
    if dtype.startswith("float"):
        assert vals.min() < low + 0.1 and vals.max() > high - 0.1 and abs(vals.mean()) < 0.5
    else:
        assert set(np.unique(vals).astype(int)) == set(range(low, high + 1))


def test_make_tensor_options():
    rustgrad.manual_seed(1)
    t = make_tensor((3, 4), dtype=rustgrad.float64, device="cpu", low=2, high=3, requires_grad=True)
    assert t.requires_grad and t.is_leaf and tuple(t.shape) == (3, 4)
    assert 2 <= min(t.flatten().tolist()) and max(t.flatten().tolist()) < 3
    n = make_tensor(3, 4, dtype=rustgrad.float32, device="cpu", noncontiguous=True)
    assert not n.is_contiguous() and tuple(n.shape) == (3, 4)
    assert make_tensor(1, dtype=rustgrad.float32, device="cpu", noncontiguous=True).is_contiguous()
    z = make_tensor(500, dtype=rustgrad.int64, device="cpu", low=-1, high=1, exclude_zero=True)
    assert set(z.tolist()) <= {-1, 1} and 1 in z.tolist()
    zb = make_tensor(200, dtype=rustgrad.bool, device="cpu", exclude_zero=True)
    assert all(zb.tolist())
    zf = make_tensor(10, dtype=rustgrad.float32, device="cpu", low=0, high=1e-30, exclude_zero=True)
    assert min(zf.tolist()) > 0


@pytest.mark.parametrize("kwargs", [
    dict(dtype="int64", requires_grad=True), dict(dtype="bool", requires_grad=True),
    dict(dtype="float32", low=3, high=2), dict(dtype="int64", low=5, high=5), dict(dtype="float32", low=NAN),
    dict(dtype="uint8", low=-10, high=-1), dict(dtype="int32", low=2**40, high=2**41),
])
def test_make_tensor_errors_match_torch(kwargs):
    torch = torch_or_skip()
    kw = dict(kwargs)
    name = kw.pop("dtype")

    def call(lib, fn):
        return error_of(lib, lambda _: fn((2, 3), dtype=getattr(lib, name), device="cpu", **kw))

    assert call(rustgrad, make_tensor) == call(torch, torch.testing.make_tensor)


def test_make_tensor_full_float_range_stays_finite():
    rustgrad.manual_seed(3)
    t = make_tensor(1000, dtype=rustgrad.float32, device="cpu", low=-math.inf, high=math.inf)
    vals = np.array(t.tolist())
    assert np.isfinite(vals).all() and vals.max() > 1e37 and vals.min() < -1e37
