"""``x ** e`` for the exponents PyTorch's pow kernel special-cases (0.5, -0.5, -1, 2, 3, -2):
bit-identical to PyTorch's formulas (sqrt, 1/sqrt, 1/x, x*x, x*x*x, 1/(x*x)), grad_fn
PowBackward0, gradients by finite differences and against PyTorch (torch 2.13)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip

SPECIAL = [0.5, -0.5, -1.0, 2.0, 3.0, -2.0, 3, -1, -2, 2]
EDGE = [0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30, 1e30, -1e30, 3e-39, 1.7e38, float("inf"), float("-inf"), float("nan"), 0.1, 7.3]


def _bits(values, dtype):
    return np.asarray(values, dtype=dtype).view(np.uint32 if dtype == "float32" else np.uint64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("e", SPECIAL)
def test_special_exponents_use_pytorchs_formulas(dtype, e):
    # The formulas themselves, computed by numpy in the same type, torch-free.
    rng = np.random.default_rng(0)
    a = np.concatenate([rng.standard_normal(1000) * 10.0 ** rng.integers(-20, 20, 1000), EDGE]).astype(dtype)
    x = rustgrad.tensor(a.tolist(), dtype=getattr(rustgrad, dtype))
    with np.errstate(all="ignore"):
        expected = {0.5: np.sqrt(a), -0.5: 1 / np.sqrt(a), -1.0: 1 / a, 2.0: a * a, 3.0: a * a * a, -2.0: 1 / (a * a)}[float(e)]
    _same_bits(np.array((x ** e).tolist(), dtype=dtype), expected, dtype)


def _same_bits(ours, theirs, dtype):
    # NaN where PyTorch has NaN (its payload and sign bit are not part of the contract), the very
    # same bits everywhere else.
    assert (np.isnan(ours) == np.isnan(theirs)).all()
    ok = ~np.isnan(theirs)
    np.testing.assert_array_equal(_bits(ours[ok], dtype), _bits(theirs[ok], dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("e", [-0.5, -1.0, 2.0, 3.0, -2.0, -1, -2, 2, 3])
def test_bitwise_equal_to_torch(dtype, e):
    torch = torch_or_skip()
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.standard_normal(5000) * 10.0 ** rng.integers(-30, 30, 5000), EDGE]).astype(dtype)
    ours = np.array((rustgrad.tensor(a.tolist(), dtype=getattr(rustgrad, dtype)) ** e).tolist(), dtype=dtype)
    theirs = (torch.tensor(a, dtype=getattr(torch, dtype)) ** e).numpy()
    _same_bits(ours, theirs, dtype)
    # Non-contiguous input, method form and torch.pow form agree too.
    t = rustgrad.tensor(a[:5000].reshape(50, 100).tolist(), dtype=getattr(rustgrad, dtype)).t()
    tt = torch.tensor(a[:5000].reshape(50, 100)).t()
    _same_bits(np.array(t.pow(e).tolist(), dtype=dtype), torch.pow(tt, e).numpy(), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_half_power_is_sqrt(dtype):
    # PyTorch sends x ** 0.5 to its sqrt kernel, which calls MKL's vectorised sqrt: that result is
    # not correctly rounded (1 ulp off the IEEE square root for ~17% of float32 inputs here), and
    # MKL's algorithm is not reproducible outside MKL. rustgrad's x ** 0.5 is rustgrad.sqrt (the
    # IEEE square root) bit for bit, and within 1 ulp of PyTorch's.
    rng = np.random.default_rng(2)
    a = np.abs(rng.standard_normal(5000) * 10.0 ** rng.integers(-30, 30, 5000)).astype(dtype)
    x = rustgrad.tensor(a.tolist(), dtype=getattr(rustgrad, dtype))
    ours = np.array((x ** 0.5).tolist(), dtype=dtype)
    _same_bits(ours, np.array(x.sqrt().tolist(), dtype=dtype), dtype)
    _same_bits(ours, np.sqrt(a), dtype)
    torch = torch_or_skip()
    theirs = torch.tensor(a).pow(0.5).numpy()
    assert np.abs(_bits(ours, dtype).astype(np.int64) - _bits(theirs, dtype).astype(np.int64)).max() <= 1


@pytest.mark.parametrize("e", [0.5, -0.5, -1, 3, -2])
def test_integer_bases_promote_then_use_the_float_formula(e):
    torch = torch_or_skip()
    for dtype in ("int64", "int32", "uint8", "bool"):
        vals = [0, 1, 2, 3, 4, 9, 200] if dtype != "bool" else [True, False]
        ours = rustgrad.tensor(vals, dtype=getattr(rustgrad, dtype))
        theirs = torch.tensor(vals, dtype=getattr(torch, dtype))
        try:
            expected = theirs ** e
        except RuntimeError as err:
            with pytest.raises(RuntimeError, match=str(err)):
                ours ** e
            continue
        got = ours ** e
        assert str(got.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
        assert got.tolist() == expected.tolist() or np.allclose(got.tolist(), expected.tolist(), equal_nan=True)


@pytest.mark.parametrize("e", SPECIAL)
def test_grad_fn_and_saved_values(e):
    x = rustgrad.tensor([1.5, 2.0, 0.25], requires_grad=True)
    y = x ** e
    assert type(y.grad_fn).__name__ == "PowBackward0"
    assert y.grad_fn._saved_exponent == e and y.grad_fn._saved_self is x


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(SPECIAL), st.lists(st.floats(0.3, 4.0), min_size=1, max_size=6))
def test_gradients_by_finite_differences(e, values):
    check_grads(lambda x: x ** e, np.array(values))
    check_grads(lambda x: x.pow(e) * 2, np.array(values))


@pytest.mark.parametrize("e", SPECIAL)
def test_gradients_against_torch(e):
    check_against_torch(lambda lib, x: x ** e, np.array([[0.5, 1.5, 2.5], [3.0, 0.7, 1.1]]))
