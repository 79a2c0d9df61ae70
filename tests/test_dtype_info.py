"""finfo / iinfo, promote_types / result_type / can_cast, is_floating_point / is_complex and the
deterministic-algorithms switch, against PyTorch's values, reprs and errors."""

import itertools

import pytest

import rustgrad
from _helpers import assert_same_error_as_torch, torch_or_skip

FLOATS = ["float32", "float64"]
INTS = ["uint8", "int32", "int64"]
ALL = ["bool"] + INTS + FLOATS


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_fields_and_repr_match_torch(name):
    torch = torch_or_skip()
    ours, theirs = rustgrad.finfo(getattr(rustgrad, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
        assert type(getattr(ours, field)) is type(getattr(theirs, field)), field
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)


def test_finfo_default_dtype_and_equality():
    assert rustgrad.finfo() == rustgrad.finfo(rustgrad.float32)
    assert rustgrad.finfo(rustgrad.float32) != rustgrad.finfo(rustgrad.float64)
    rustgrad.set_default_dtype(rustgrad.float64)
    try:
        assert rustgrad.finfo().dtype == "float64"
    finally:
        rustgrad.set_default_dtype(rustgrad.float32)
    # eps is the gap above 1.0 in the dtype
    one = rustgrad.tensor(1.0)
    assert (one + rustgrad.finfo().eps).item() > 1.0 and (one + rustgrad.finfo().eps / 2).item() == 1.0


@pytest.mark.parametrize("name", INTS)
def test_iinfo_fields_and_repr_match_torch(name):
    torch = torch_or_skip()
    ours, theirs = rustgrad.iinfo(getattr(rustgrad, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max, ours.dtype) == (theirs.bits, theirs.min, theirs.max, theirs.dtype)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("call", [
    lambda lib: lib.finfo(lib.int64), lambda lib: lib.finfo(lib.bool), lambda lib: lib.iinfo(lib.float32),
    lambda lib: lib.iinfo(lib.bool), lambda lib: lib.finfo(3), lambda lib: lib.finfo(None), lambda lib: lib.iinfo(3),
    lambda lib: lib.promote_types(1, lib.float32), lambda lib: lib.promote_types(lib.float32, "a"),
    lambda lib: lib.can_cast(1, lib.float32), lambda lib: lib.is_floating_point(1), lambda lib: lib.is_complex(1),
    lambda lib: lib.result_type("a", 1), lambda lib: lib.result_type(lib.tensor([1]), None),
    lambda lib: lib.use_deterministic_algorithms(1), lambda lib: lib.use_deterministic_algorithms(True, warn_only=1),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


@pytest.mark.parametrize("a,b", list(itertools.product(ALL, ALL)))
def test_promote_types_and_can_cast_match_torch(a, b):
    torch = torch_or_skip()
    ours = rustgrad.promote_types(getattr(rustgrad, a), getattr(rustgrad, b))
    assert ours.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[1]
    assert rustgrad.can_cast(getattr(rustgrad, a), getattr(rustgrad, b)) == torch.can_cast(getattr(torch, a),
                                                                                           getattr(torch, b))


def _operands(lib):
    out = []
    for name in ALL:
        dt = getattr(lib, name)
        out.append(lib.ones(2, dtype=dt))
        out.append(lib.ones((), dtype=dt))
    return out + [True, 3, 2.5]


def test_result_type_matches_torch_and_rustgrad_arithmetic():
    torch = torch_or_skip()
    ours_ops, their_ops = _operands(rustgrad), _operands(torch)
    for i, j in itertools.product(range(len(ours_ops)), repeat=2):
        x, y = ours_ops[i], ours_ops[j]
        if not isinstance(x, rustgrad.Tensor) and not isinstance(y, rustgrad.Tensor):
            if isinstance(x, bool) and isinstance(y, bool):
                continue
        ours = rustgrad.result_type(x, y)
        theirs = torch.result_type(their_ops[i], their_ops[j])
        assert ours.name == str(theirs).split(".")[1], (x, y)
        if isinstance(x, rustgrad.Tensor) and (x.dtype != rustgrad.bool or ours == rustgrad.bool):
            if not (x.dtype == rustgrad.bool and isinstance(y, rustgrad.Tensor) and y.dtype == rustgrad.bool):
                assert (x * y).dtype == ours, (x, y)


def test_result_type_follows_default_dtype():
    rustgrad.set_default_dtype(rustgrad.float64)
    try:
        assert rustgrad.result_type(rustgrad.tensor([1]), 1.5) == rustgrad.float64
        assert rustgrad.result_type(rustgrad.tensor([1.0], dtype=rustgrad.float32), 1.5) == rustgrad.float32
    finally:
        rustgrad.set_default_dtype(rustgrad.float32)


def test_is_floating_point_and_is_complex():
    for name in ALL:
        t = rustgrad.zeros(2, dtype=getattr(rustgrad, name))
        assert rustgrad.is_floating_point(t) == t.is_floating_point() == (name in FLOATS)
        assert rustgrad.is_complex(t) is False and t.is_complex() is False


def test_deterministic_switch_round_trips():
    assert rustgrad.are_deterministic_algorithms_enabled() is False
    rustgrad.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert rustgrad.are_deterministic_algorithms_enabled() is True
        assert rustgrad.is_deterministic_algorithms_warn_only_enabled() is True
    finally:
        rustgrad.use_deterministic_algorithms(False)
    assert rustgrad.are_deterministic_algorithms_enabled() is False
    assert rustgrad.is_deterministic_algorithms_warn_only_enabled() is False
