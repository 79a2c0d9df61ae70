"""dtypes: names, promotion with int32/uint8, casts (spec 1.5)."""

import itertools

import numpy as np
import pytest

import rustgrad
from _helpers import torch_or_skip, assert_error, assert_same_error_as_torch

NAMES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


def err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the type is part of what is compared
        return type(e).__name__, str(e)
    return None


def test_dtype_objects_print_with_the_rustgrad_prefix():
    for name in NAMES:
        d = getattr(rustgrad, name)
        assert repr(d) == str(d) == f"rustgrad.{name}"
    assert rustgrad.int is rustgrad.int32 and rustgrad.long is rustgrad.int64
    assert rustgrad.int32.itemsize == 4 and rustgrad.uint8.itemsize == 1
    assert not rustgrad.int32.is_floating_point


def test_int32_tensors_print_their_dtype():
    assert repr(rustgrad.tensor([1, 2], dtype=rustgrad.int32)) == "tensor([1, 2], dtype=rustgrad.int32)"
    assert repr(rustgrad.tensor([1, 2], dtype=rustgrad.uint8)) == "tensor([1, 2], dtype=rustgrad.uint8)"
    assert repr(rustgrad.tensor([1, 2])) == "tensor([1, 2])"


def test_attributes_of_spec_1_5():
    x = rustgrad.zeros(2, 3)
    assert repr(x.shape) == "rustgrad.Size([2, 3])" and type(x.shape) is rustgrad.Size
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.dtype is rustgrad.float32 and x.dim() == x.ndim == 2 and x.numel() == 6
    assert str(x.device) == "cpu" and repr(x.device) == "device(type='cpu')"
    assert x.device == rustgrad.device("cpu") and x.stride() == (3, 1) and x.is_contiguous()
    assert len(rustgrad.zeros(3, 2)) == 3
    assert err(lambda: len(rustgrad.tensor(1.0))) == ("TypeError", "len() of a 0-d tensor")
    assert rustgrad.tensor(1).dtype is rustgrad.int64 and rustgrad.tensor(1.5).dtype is rustgrad.float32


def test_device_objects_parse_like_pytorch():
    assert repr(rustgrad.device("cpu:0")) == "device(type='cpu', index=0)"
    assert str(rustgrad.device("cpu", 0)) == "cpu:0"
    assert rustgrad.device("cpu").type == "cpu" and rustgrad.device("cpu").index is None
    assert hash(rustgrad.device("cpu")) == hash(rustgrad.zeros(1).device)
    kind, msg = err(lambda: rustgrad.device("foo"))
    assert kind == "RuntimeError" and msg.endswith("device type at start of device string: foo")
    assert err(lambda: rustgrad.zeros(2, device="cuda"))[0] == "AssertionError"
    assert rustgrad.zeros(2, device="cpu").shape == (2,)
    assert rustgrad.zeros(2, device=rustgrad.device("cpu")).shape == (2,)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promotion_matches_pytorch(a, b):
    torch = torch_or_skip()
    values = {"bool": [True, False], "uint8": [3, 200], "int32": [7, -2], "int64": [5, 9]}
    values.update({"float32": [1.5, -0.25], "float64": [2.5, 0.125]})
    for shape_b in ("dim", "zero_dim", "python"):
        results = []
        for lib in (rustgrad, torch):
            x = lib.tensor(values[a], dtype=getattr(lib, a))
            if shape_b == "dim":
                y = lib.tensor(values[b], dtype=getattr(lib, b))
            elif shape_b == "zero_dim":
                y = lib.tensor(values[b][0], dtype=getattr(lib, b))
            else:
                y = {"bool": True, "float32": 1.5, "float64": 2.5}.get(b, 3)
            ops = [x * y] if a == "bool" and b == "bool" else [x + y, x * y]
            results.append(([str(r.dtype).split(".")[-1] for r in ops], [r.tolist() for r in ops]))
        (our_dtypes, ours), (their_dtypes, theirs) = results
        assert our_dtypes == their_dtypes, shape_b
        np.testing.assert_allclose(np.array(ours, dtype=float), np.array(theirs, dtype=float), rtol=1e-6)


def test_casts_and_wrapping_match_pytorch():
    torch = torch_or_skip()
    data = [-3.7, -1.0, 0.0, 0.5, 2.9, 300.0]
    for lib_name, method in [("int32", "int"), ("int64", "long"), ("float64", "double"), ("bool", "bool"), ("uint8", "byte")]:
        ours = getattr(rustgrad.tensor(data), method)()
        theirs = getattr(torch.tensor(data), method)()
        assert ours.dtype is getattr(rustgrad, lib_name)
        assert ours.tolist() == theirs.tolist(), method
        assert rustgrad.tensor(data).to(getattr(rustgrad, lib_name)).tolist() == theirs.tolist()
    big = [2**31 + 5, -(2**31) - 7, 2**40 + 3]
    assert rustgrad.tensor(big).int().tolist() == torch.tensor(big).int().tolist()
    assert rustgrad.tensor([-1, 256, 300]).to(rustgrad.uint8).tolist() == [255, 0, 44]
    i = rustgrad.tensor([1, 2], dtype=rustgrad.int32)
    assert i.float().dtype is rustgrad.float32 and i.int() is i
    assert (i * 2**30).tolist() == torch.tensor([1, 2], dtype=torch.int32).mul(2**30).tolist()


def test_type_method():
    x = rustgrad.zeros(2)
    assert x.type() == "rustgrad.FloatTensor"
    assert rustgrad.zeros(2, dtype=rustgrad.int32).type() == "rustgrad.IntTensor"
    assert x.type(rustgrad.int32).dtype is rustgrad.int32
    assert x.type("rustgrad.DoubleTensor").dtype is rustgrad.float64


def test_int32_sums_to_int64_and_index_works():
    i = rustgrad.tensor([1, 2, 3], dtype=rustgrad.int32)
    assert i.sum().dtype is rustgrad.int64 and i.sum().item() == 6
    assert [10, 20, 30][rustgrad.tensor(1, dtype=rustgrad.int32)] == 20
    assert err(lambda: rustgrad.zeros(2, dtype=rustgrad.int32).requires_grad_()) == (
        "RuntimeError",
        "only Tensors of floating point and complex dtype can require gradients",
    ) or err(lambda: rustgrad.zeros(2, dtype=rustgrad.int32, requires_grad=True)) == (
        "RuntimeError",
        "Only Tensors of floating point and complex dtype can require gradients",
    )


# Python numbers given to where() must fit the result dtype (PyTorch's where.ScalarOther /
# ScalarSelf / Scalar overloads convert them with an overflow check); (dtype, call, C++ type named
# in the error or None when it succeeds).
WHERE_NUMBER_CASES = [
    ("uint8", lambda lib, c, t: lib.where(c, t, 300), "uint8_t"),
    ("uint8", lambda lib, c, t: lib.where(c, 300, t), "uint8_t"),
    ("uint8", lambda lib, c, t: t.where(c, 300), "uint8_t"),
    ("uint8", lambda lib, c, t: lib.where(c, t, -255), None),  # uint8 takes -255..255, wrapping
    ("uint8", lambda lib, c, t: lib.where(c, t, -256), "uint8_t"),
    ("uint8", lambda lib, c, t: lib.where(c, t, 255), None),
    ("uint8", lambda lib, c, t: lib.where(c, t, 70000.0), None),  # promotes to float32
    ("uint8", lambda lib, c, t: lib.where(c, t, 1e40), "float"),
    ("uint8", lambda lib, c, t: lib.where(c, t, lib.tensor(300)), None),  # a 0-d tensor wraps
    ("uint8", lambda lib, c, t: lib.where(c, t, float("nan")), None),
    ("int32", lambda lib, c, t: lib.where(c, t, 2 ** 31), "int"),
    ("int32", lambda lib, c, t: lib.where(c, -(2 ** 31) - 1, t), "int"),
    ("int32", lambda lib, c, t: lib.where(c, t, 2 ** 31 - 1), None),
    ("int32", lambda lib, c, t: lib.where(c, t, 1e10), None),
    ("int64", lambda lib, c, t: lib.where(c, t, 2 ** 40), None),
    ("int64", lambda lib, c, t: lib.where(c, t, 1e40), "float"),
    ("float32", lambda lib, c, t: lib.where(c, t, 1e40), "float"),
    ("float32", lambda lib, c, t: lib.where(c, t, float("inf")), None),
    ("float64", lambda lib, c, t: lib.where(c, t, 1e300), None),
    ("bool", lambda lib, c, t: lib.where(c, t, 300), None),  # promotes to int64
    ("bool", lambda lib, c, t: lib.where(c, t, 1e40), "float"),
    ("bool", lambda lib, c, t: lib.where(c, 300, 1.5), None),  # two numbers: float32
    ("bool", lambda lib, c, t: lib.where(c, 1e40, 2), "float"),
    # The number is checked before the condition's dtype.
    ("uint8", lambda lib, c, t: lib.where(c.to(lib.uint8), t, 300), "uint8_t"),
]


def _run_where_case(lib, dtype, call):
    c = lib.tensor([True, False])
    t = lib.tensor([1, 2], dtype=getattr(lib, dtype))
    try:
        out = call(lib, c, t)
    except RuntimeError as e:
        return str(e)
    return (out.tolist(), str(out.dtype).split(".")[-1])


@pytest.mark.parametrize("case", range(len(WHERE_NUMBER_CASES)))
def test_where_refuses_numbers_that_overflow_the_result_dtype(case):
    dtype, call, raises = WHERE_NUMBER_CASES[case]
    got = _run_where_case(rustgrad, dtype, call)
    if raises is None:
        assert not isinstance(got, str), got
    else:
        assert got == f"value cannot be converted to type {raises} without overflow"


@pytest.mark.parametrize("case", range(len(WHERE_NUMBER_CASES)))
def test_where_numbers_match_torch(case):
    torch = torch_or_skip()
    dtype, call, _ = WHERE_NUMBER_CASES[case]
    ours, theirs = _run_where_case(rustgrad, dtype, call), _run_where_case(torch, dtype, call)
    if isinstance(theirs, tuple):
        assert ours[1] == theirs[1]
        np.testing.assert_allclose(np.array(ours[0], dtype=float), np.array(theirs[0], dtype=float))
    else:
        assert ours == theirs


CLAMP_BOOL_CASES = [
    (lambda t: t.clamp(max=True), '"clamp_max_scalar_cpu" not implemented for \'Bool\''),
    (lambda t: t.clamp(min=False), '"clamp_min_scalar_cpu" not implemented for \'Bool\''),
    (lambda t: t.clamp(False, True), '"clamp_scalar_cpu" not implemented for \'Bool\''),
    (lambda t: t.clone().clamp_(max=True), '"clamp_max_scalar_cpu" not implemented for \'Bool\''),
]


@pytest.mark.parametrize("case", range(len(CLAMP_BOOL_CASES)))
def test_clamp_of_bool_by_bool_numbers_has_no_kernel(case):
    call, message = CLAMP_BOOL_CASES[case]
    t = rustgrad.tensor([True, False])
    with pytest.raises(NotImplementedError) as info:
        call(t)
    assert str(info.value) == message
    assert t.clamp(max=1).tolist() == [1, 0]  # an int bound promotes to int64: allowed
    assert t.clamp(max=rustgrad.tensor(False)).tolist() == [False, False]  # tensor bounds too


@pytest.mark.parametrize("case", range(len(CLAMP_BOOL_CASES)))
def test_clamp_of_bool_matches_torch(case):
    torch = torch_or_skip()
    call, message = CLAMP_BOOL_CASES[case]
    with pytest.raises(NotImplementedError) as info:
        call(torch.tensor([True, False]))
    assert str(info.value) == message


# --- bad arguments: PyTorch's argument-parser errors (Tensor.to) ---

TO_ARG_ERRORS = [
    ("lib.ones(2).to('a')",
     lambda lib: lib.ones(2).to('a'),
     RuntimeError, 'Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: a'),
    ("lib.ones(2).to(lib.float64, 'a')",
     lambda lib: lib.ones(2).to(lib.float64, 'a'),
     TypeError, 'to() received an invalid combination of arguments - got (rustgrad.dtype, str), but expected one of:\n * (rustgrad.device device = None, rustgrad.dtype dtype = None, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (rustgrad.dtype dtype, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n'),
    ('lib.ones(2).to(lib.float64, None)',
     lambda lib: lib.ones(2).to(lib.float64, None),
     TypeError, 'to() received an invalid combination of arguments - got (rustgrad.dtype, NoneType), but expected one of:\n * (rustgrad.device device = None, rustgrad.dtype dtype = None, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (rustgrad.dtype dtype, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n'),
    ("lib.ones(2).to(dtype='a')",
     lambda lib: lib.ones(2).to(dtype='a'),
     TypeError, 'to() received an invalid combination of arguments - got (dtype=str, ), but expected one of:\n * (rustgrad.device device = None, rustgrad.dtype dtype = None, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (rustgrad.dtype dtype, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n'),
    ('lib.ones(2).to(foo=1)',
     lambda lib: lib.ones(2).to(foo=1),
     TypeError, 'to() received an invalid combination of arguments - got (foo=int, ), but expected one of:\n * (rustgrad.device device = None, rustgrad.dtype dtype = None, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (rustgrad.dtype dtype, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n'),
    ('lib.ones(2).to(0)',
     lambda lib: lib.ones(2).to(0),
     RuntimeError, 'Cannot access accelerator device when none is available.'),
    ('lib.ones(2).to([1])',
     lambda lib: lib.ones(2).to([1]),
     TypeError, 'to() received an invalid combination of arguments - got (list), but expected one of:\n * (rustgrad.device device = None, rustgrad.dtype dtype = None, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (rustgrad.dtype dtype, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n'),
    ('lib.ones(2).to(lib.ones(1), lib.ones(1))',
     lambda lib: lib.ones(2).to(lib.ones(1), lib.ones(1)),
     TypeError, 'to() received an invalid combination of arguments - got (Tensor, Tensor), but expected one of:\n * (rustgrad.device device = None, rustgrad.dtype dtype = None, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (rustgrad.dtype dtype, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n'),
    ("lib.ones(2).to('cpu', lib.float64, copy=None)",
     lambda lib: lib.ones(2).to('cpu', lib.float64, copy=None),
     TypeError, 'to() received an invalid combination of arguments - got (str, rustgrad.dtype, copy=NoneType), but expected one of:\n * (rustgrad.device device = None, rustgrad.dtype dtype = None, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (rustgrad.dtype dtype, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n'),
    ('lib.ones(2).to(None, None, None)',
     lambda lib: lib.ones(2).to(None, None, None),
     TypeError, 'to() received an invalid combination of arguments - got (NoneType, NoneType, NoneType), but expected one of:\n * (rustgrad.device device = None, rustgrad.dtype dtype = None, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (rustgrad.dtype dtype, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n * (Tensor tensor, bool non_blocking = False, bool copy = False, *, rustgrad.memory_format memory_format = None)\n'),
]


@pytest.mark.parametrize("name, call, exc_type, message", TO_ARG_ERRORS, ids=[c[0] for c in TO_ARG_ERRORS])
def test_to_argument_errors(name, call, exc_type, message):
    assert_error(call, exc_type, message)


@pytest.mark.parametrize("name, call, exc_type, message", TO_ARG_ERRORS, ids=[c[0] for c in TO_ARG_ERRORS])
def test_to_argument_errors_match_torch(name, call, exc_type, message):
    assert_same_error_as_torch(call)
