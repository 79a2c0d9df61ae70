"""Tensor printing (spec section 1): repr/str, __format__, print options.

Three groups:
1. Spec examples against a fake tensor built from nested lists; these need
   neither the Rust core nor torch.
2. Real `rustgrad.tensor(...)` against torch (skipped unless both import).
3. Hypothesis: random data and print options, fake tensor against torch.
"""

import importlib.util
import math
import os
import pathlib
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from rustgrad import _tensor_str as ts
except Exception:  # core not built yet: load the module by file path
    _PATH = pathlib.Path(__file__).parents[1] / "python" / "rustgrad" / "_tensor_str.py"
    _spec = importlib.util.spec_from_file_location("_rustgrad_tensor_str", _PATH)
    ts = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(ts)

NAN, INF = math.nan, math.inf
# Raise for a longer run, e.g. RUSTGRAD_PRINT_EXAMPLES=20000.
MAX_EXAMPLES = int(os.environ.get("RUSTGRAD_PRINT_EXAMPLES", "2000"))


# ----------------------------------------------------------------------------
# A fake tensor offering exactly the interface _tensor_str may use.


class FakeDtype:
    def __init__(self, name):
        self.name = name
        self.is_floating_point = name.startswith(("float", "bfloat"))

    def __repr__(self):
        return "rustgrad." + self.name


class Tensor:  # named like the real class: the __format__ error names it
    def __init__(self, data, dtype, shape, grad_fn=None, requires_grad=False):
        self._data = data
        self.dtype = FakeDtype(dtype)
        self.shape = tuple(shape)
        # Only the class name of grad_fn is printed.
        self.grad_fn = None if grad_fn is None else type(grad_fn, (), {})()
        self.requires_grad = requires_grad

    def tolist(self):
        return self._data

    def dim(self):
        return len(self.shape)

    def numel(self):
        return math.prod(self.shape)

    def __repr__(self):
        return ts._str(self)

    def __format__(self, spec):
        return ts._format(self, spec)


class Parameter(Tensor):
    _is_param = True


def _round(value, dtype):
    """What tolist() returns for `value` stored as `dtype`."""
    code = {"float32": "f", "float16": "e"}.get(dtype)
    if code is None or not math.isfinite(value):
        return value
    try:
        return struct.unpack(code, struct.pack(code, value))[0]
    except OverflowError:
        return math.copysign(INF, value)


def _shape_of(data):
    shape = []
    while isinstance(data, list):
        shape.append(len(data))
        data = data[0] if data else None
    return shape


def _map(data, fn):
    return [_map(x, fn) for x in data] if isinstance(data, list) else fn(data)


def fake(data, dtype=None, *, shape=None, grad_fn=None, requires_grad=False, cls=Tensor):
    """Like torch.tensor(data, dtype=dtype); the dtype is inferred as torch does."""
    if dtype is None:
        flat = ts._flatten(data, len(_shape_of(data)))
        if flat and all(isinstance(v, bool) for v in flat):
            dtype = "bool"
        elif flat and all(isinstance(v, int) for v in flat):
            dtype = "int64"
        else:
            dtype = "float32"
    if FakeDtype(dtype).is_floating_point:
        data = _map(data, lambda v: _round(float(v), dtype))
    shape = _shape_of(data) if shape is None else shape
    return cls(data, dtype, shape, grad_fn, requires_grad)


@pytest.fixture(autouse=True)
def default_printoptions():
    ts.set_printoptions(profile="default")
    yield
    ts.set_printoptions(profile="default")


# ----------------------------------------------------------------------------
# 1. Spec examples.

ARANGE_1001_DIV_7 = [i / 7 for i in range(1001)]

SPEC_EXAMPLES = [
    # 1.1 basic forms and suffixes
    (fake([2.0, 3.0], requires_grad=True), "tensor([2., 3.], requires_grad=True)"),
    (fake([4.0, 6.0], grad_fn="MulBackward0"), "tensor([4., 6.], grad_fn=<MulBackward0>)"),
    (fake(10.0, grad_fn="SumBackward0"), "tensor(10., grad_fn=<SumBackward0>)"),
    (fake(13.0, grad_fn="SumBackward0"), "tensor(13., grad_fn=<SumBackward0>)"),
    (fake(14.0), "tensor(14.)"),
    (fake(3.14159265), "tensor(3.1416)"),
    (fake(-0.5), "tensor(-0.5000)"),
    (fake(0.0), "tensor(0.)"),
    (fake([6.0]), "tensor([6.])"),
    (fake(5), "tensor(5)"),
    (fake([1, 2, 3]), "tensor([1, 2, 3])"),
    (fake([1, -2, 300]), "tensor([  1,  -2, 300])"),
    (fake([True, False]), "tensor([ True, False])"),
    (fake(True), "tensor(True)"),
    (fake([[True, False], [False, True]]), "tensor([[ True, False],\n        [False,  True]])"),
    (fake([True, True]), "tensor([True, True])"),
    (fake([1.0, 2.0], "float64"), "tensor([1., 2.], dtype=rustgrad.float64)"),
    (fake(2.5, "float64"), "tensor(2.5000, dtype=rustgrad.float64)"),
    (fake([1, 2], "int32"), "tensor([1, 2], dtype=rustgrad.int32)"),
    (fake([1, 2], "uint8"), "tensor([1, 2], dtype=rustgrad.uint8)"),
    (fake([1.0, 2.0], "float16"), "tensor([1., 2.], dtype=rustgrad.float16)"),
    (
        fake([1.0, 2.0], "float64", requires_grad=True),
        "tensor([1., 2.], dtype=rustgrad.float64, requires_grad=True)",
    ),
    (fake([]), "tensor([])"),
    (fake([], "int64"), "tensor([], dtype=rustgrad.int64)"),
    (fake([], "bool"), "tensor([], dtype=rustgrad.bool)"),
    (fake([], shape=(0, 3)), "tensor([], size=(0, 3))"),
    (
        fake([1.0, 2.0], requires_grad=True, cls=Parameter),
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)",
    ),
    (fake([1.0, 2.0], cls=Parameter), "Parameter containing:\ntensor([1., 2.])"),
    (fake([2.0, 2.0], grad_fn="MulBackward0"), "tensor([2., 2.], grad_fn=<MulBackward0>)"),
    # 1.3 float formatting
    (fake([1.0, 2.0, 3.0]), "tensor([1., 2., 3.])"),
    (fake([1.0, -2.0, 3.0]), "tensor([ 1., -2.,  3.])"),
    (fake([6.5, 1.0]), "tensor([6.5000, 1.0000])"),
    (fake([1.23456789, 2.0]), "tensor([1.2346, 2.0000])"),
    (fake([0.1, 0.25]), "tensor([0.1000, 0.2500])"),
    (fake([100.5, 1.25]), "tensor([100.5000,   1.2500])"),
    (fake([1000.5, 1.25]), "tensor([1000.5000,    1.2500])"),
    (fake(12345.678), "tensor(12345.6777)"),
    (fake([2.0000001]), "tensor([2.])"),
    (fake([0.0, 0.25, 0.5, 0.75, 1.0]), "tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])"),
    (fake([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (fake([1e-4, 1.0]), "tensor([1.0000e-04, 1.0000e+00])"),
    (fake([1e-4]), "tensor([1.0000e-04])"),
    (fake([2e-4]), "tensor([0.0002])"),
    (fake([1e5, 1.0]), "tensor([1.0000e+05, 1.0000e+00])"),
    (fake([1000.0, 1.0]), "tensor([1000.,    1.])"),
    (fake([1001.0, 1.0]), "tensor([1.0010e+03, 1.0000e+00])"),
    (fake([0.5, 501.0]), "tensor([5.0000e-01, 5.0100e+02])"),
    (fake([0.001, 0.5]), "tensor([0.0010, 0.5000])"),
    (fake([1e-3, 5.0]), "tensor([1.0000e-03, 5.0000e+00])"),
    (fake([1e8]), "tensor([100000000.])"),
    (fake([1.1e8]), "tensor([1.1000e+08])"),
    (fake(1e9), "tensor(1.0000e+09)"),
    (fake(12345678.0), "tensor(12345678.)"),
    (fake([123456789.0, 1.0]), "tensor([1.2346e+08, 1.0000e+00])"),
    (fake([1e20, 0.0]), "tensor([1.0000e+20, 0.0000e+00])"),
    (fake(1e-10), "tensor(1.0000e-10)"),
    (fake([1e100], "float64"), "tensor([1.0000e+100], dtype=rustgrad.float64)"),
    (fake([12345.678, 1.0]), "tensor([1.2346e+04, 1.0000e+00])"),
    (fake([NAN, INF, -INF, 1.0]), "tensor([nan, inf, -inf, 1.])"),
    (fake([NAN, 1.5]), "tensor([   nan, 1.5000])"),
    (fake([INF, 1.0]), "tensor([inf, 1.])"),
    (fake(NAN), "tensor(nan)"),
    (fake([1e-8, NAN]), "tensor([1.0000e-08,        nan])"),
    (fake([-0.0, 0.0]), "tensor([-0., 0.])"),
    (
        fake([[0.1234567, 100.0], [2.0, 3.0]]),
        "tensor([[  0.1235, 100.0000],\n        [  2.0000,   3.0000]])",
    ),
    (
        fake([[1e-5, 2.0], [3.0, 4.0]]),
        "tensor([[1.0000e-05, 2.0000e+00],\n        [3.0000e+00, 4.0000e+00]])",
    ),
    # 1.4 layout
    (fake([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), "tensor([[1., 2., 3.],\n        [4., 5., 6.]])"),
    (
        fake([[1.5, -2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True),
        "tensor([[ 1.5000, -2.0000,  3.0000],\n"
        "        [ 4.0000,  5.0000,  6.0000]], requires_grad=True)",
    ),
    (
        fake([[[0.0] * 4] * 3] * 2),
        "tensor([[[0., 0., 0., 0.],\n"
        "         [0., 0., 0., 0.],\n"
        "         [0., 0., 0., 0.]],\n\n"
        "        [[0., 0., 0., 0.],\n"
        "         [0., 0., 0., 0.],\n"
        "         [0., 0., 0., 0.]]])",
    ),
    (fake([[1, 2], [30, 4]]), "tensor([[ 1,  2],\n        [30,  4]])"),
    (fake([[[1, 2]], [[3, 4]]]), "tensor([[[1, 2]],\n\n        [[3, 4]]])"),
    (fake([1.0] * 18), "tensor([" + ", ".join(["1."] * 18) + "])"),
    (fake([1.0] * 19), "tensor([" + ", ".join(["1."] * 18) + ",\n        1.])"),
    (
        fake(list(range(30))),
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])",
    ),
    (
        fake([float(i) for i in range(30)]),
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        "        28., 29.])",
    ),
    # suffix wrapping, including the off-by-two quirk of last_line_len
    (
        fake([1.0] * 12, requires_grad=True),
        "tensor([" + ", ".join(["1."] * 12) + "], requires_grad=True)",
    ),
    (
        fake([1.0] * 13, requires_grad=True),
        "tensor([" + ", ".join(["1."] * 13) + "],\n       requires_grad=True)",
    ),
    (
        # Wraps where PyTorch's `dtype=torch.float64` would (line 1 is 81 wide).
        fake([0.0, 1.5, 3.0, 4.5, 6.0, 7.5], "float64", grad_fn="MulBackward0"),
        "tensor([0.0000, 1.5000, 3.0000, 4.5000, 6.0000, 7.5000], dtype=rustgrad.float64,\n"
        "       grad_fn=<MulBackward0>)",
    ),
    (
        fake([float(i) for i in range(14)], grad_fn="MulBackward0"),
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.],\n"
        "       grad_fn=<MulBackward0>)",
    ),
    (
        fake([[1.0, 2.0], [3.0, 4.0]], "float64", grad_fn="AddBackward0"),
        "tensor([[1., 2.],\n        [3., 4.]], dtype=rustgrad.float64, grad_fn=<AddBackward0>)",
    ),
    # summarization
    (fake([float(i) for i in range(1001)]), "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])"),
    (fake(list(range(1001))), "tensor([   0,    1,    2,  ...,  998,  999, 1000])"),
    (
        fake(ARANGE_1001_DIV_7),
        "tensor([  0.0000,   0.1429,   0.2857,  ..., 142.5714, 142.7143, 142.8571])",
    ),
    (
        fake([[1.0] * 40] * 40),
        "tensor([" + ",\n        ".join(["[1., 1., 1.,  ..., 1., 1., 1.]"] * 3 + ["..."]
                                        + ["[1., 1., 1.,  ..., 1., 1., 1.]"] * 3) + "])",
    ),
    (
        fake([[1.0] * 400] * 3),
        "tensor([" + ",\n        ".join(["[1., 1., 1.,  ..., 1., 1., 1.]"] * 3) + "])",
    ),
    (
        fake([list(range(1000)), list(range(1000, 2000))]),
        "tensor([[   0,    1,    2,  ...,  997,  998,  999],\n"
        "        [1000, 1001, 1002,  ..., 1997, 1998, 1999]])",
    ),
    (
        fake([[[0.0] * 130]] * 8),
        "tensor(["
        + ",\n\n        ".join(["[[0., 0., 0.,  ..., 0., 0., 0.]]"] * 3 + ["..."]
                               + ["[[0., 0., 0.,  ..., 0., 0., 0.]]"] * 3)
        + "])",
    ),
]


@pytest.mark.parametrize("tensor, expected", SPEC_EXAMPLES, ids=range(len(SPEC_EXAMPLES)))
def test_spec_example(tensor, expected):
    assert repr(tensor) == expected
    assert str(tensor) == expected


def test_arange_1000_prints_every_value():
    text = repr(fake([float(i) for i in range(1000)]))
    lines = text.splitlines()
    assert "..." not in text
    assert len(lines) == 84  # 12 values of width 4 per line
    assert lines[0] == "tensor([" + ", ".join(f"{i:>3}." for i in range(12)) + ","
    assert lines[-1] == "        996., 997., 998., 999.])"


def test_containers_use_repr():
    assert str([fake(1.0), fake([2.0])]) == "[tensor(1.), tensor([2.])]"
    pair = (fake(1.0), fake(2.0, requires_grad=True))
    assert str(pair) == "(tensor(1.), tensor(2., requires_grad=True))"


# 1.2 __format__


def test_format_0d_delegates_to_python_value():
    loss = fake(5.0, grad_fn="SumBackward0")
    assert f"{loss}" == "5.0"
    assert f"loss: {loss}" == "loss: 5.0"
    assert "{}".format(loss) == "5.0"
    assert f"{loss:>7f}" == "5.000000"
    assert f"{fake(0.1)}" == "0.10000000149011612"
    assert f"{fake(3)}" == "3"
    assert f"{fake(True)}" == "True"


def test_format_conversions_use_repr():
    loss = fake(13.0, grad_fn="SumBackward0")
    assert f"{loss!r}" == "tensor(13., grad_fn=<SumBackward0>)"
    assert f"{loss!s}" == "tensor(13., grad_fn=<SumBackward0>)"


def test_format_non_0d():
    assert f"{fake([2.5])}" == "tensor([2.5000])"
    with pytest.raises(TypeError) as info:
        f"{fake([1.5]):.2f}"
    assert str(info.value) == "unsupported format string passed to Tensor.__format__"


def test_format_0d_parameter_is_str():
    param = fake(2.0, requires_grad=True, cls=Parameter)
    assert f"{param}" == "Parameter containing:\ntensor(2., requires_grad=True)"


# 1.3 print options


def test_printoptions_precision_and_sci_mode():
    ts.set_printoptions(precision=2)
    assert repr(fake([1.123456789])) == "tensor([1.12])"
    ts.set_printoptions(sci_mode=False)
    assert repr(fake([1e-5, 1.0])) == "tensor([0.00, 1.00])"
    ts.set_printoptions(profile="default")
    assert repr(fake([1.123456789])) == "tensor([1.1235])"
    assert repr(fake([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"


def test_set_printoptions_resets_sci_mode():
    ts.set_printoptions(sci_mode=True)
    assert repr(fake([1.5])) == "tensor([1.5000e+00])"
    ts.set_printoptions(precision=4)
    assert ts.get_printoptions()["sci_mode"] is None
    assert repr(fake([1.5])) == "tensor([1.5000])"


def test_get_printoptions_default():
    assert ts.get_printoptions() == {
        "precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None,
    }


def test_profiles_and_context_manager():
    ts.set_printoptions(profile="short")
    assert ts.get_printoptions() == {
        "precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80, "sci_mode": None,
    }
    ts.set_printoptions(profile="full")
    assert ts.get_printoptions()["threshold"] == INF
    assert "..." not in repr(fake(list(range(2000))))
    ts.set_printoptions(profile="default")
    with ts.printoptions(threshold=5, edgeitems=2):
        assert repr(fake(list(range(10)))) == "tensor([0, 1,  ..., 8, 9])"
    assert repr(fake(list(range(10)))) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


def test_edgeitems_zero_adds_size_suffix():
    ts.set_printoptions(edgeitems=0)
    assert repr(fake([1.0, 2.0])) == "tensor([1., 2.], size=(2,))"
    ts.set_printoptions(threshold=1)
    assert repr(fake([[1.0, 2.0], [3.0, 4.0]])) == "tensor([...], size=(2, 2))"


# ----------------------------------------------------------------------------
# 2. The real rustgrad against torch.

REAL_CASES = [
    ([2.0, 3.0], None, True),
    (3.14159265, None, False),
    ([1, -2, 300], None, False),
    ([[True, False], [False, True]], None, False),
    ([1.0, 2.0], "float64", True),
    ([1, 2], "int64", False),  # int32 formatting is covered by the fake-tensor tests above
    ([], None, False),
    ([], "int64", False),
    ([[1e-5, 2.0], [3.0, 4.0]], None, False),
    ([NAN, INF, -INF, 1.0, -0.0], None, False),
    ([float(i) / 7 for i in range(1001)], None, False),
    ([[[1.0, 2.0]], [[3.0, 4.0]]], None, True),
]


def _torch_repr(obj):
    return repr(obj).replace("torch.", "rustgrad.")


@pytest.mark.parametrize("data, dtype, requires_grad", REAL_CASES)
def test_real_tensor_matches_torch(data, dtype, requires_grad):
    rustgrad = pytest.importorskip("rustgrad")
    torch = pytest.importorskip("torch")
    kwargs = {"requires_grad": requires_grad}
    torch_kwargs = dict(kwargs)
    if dtype is not None:
        kwargs["dtype"] = getattr(rustgrad, dtype)
        torch_kwargs["dtype"] = getattr(torch, dtype)
    ours = rustgrad.tensor(data, **kwargs)
    assert repr(ours) == str(ours) == _torch_repr(torch.tensor(data, **torch_kwargs))


def test_real_grad_fn_and_format_match_torch():
    rustgrad = pytest.importorskip("rustgrad")
    torch = pytest.importorskip("torch")
    x = rustgrad.tensor([2.0, 3.0], requires_grad=True)
    tx = torch.tensor([2.0, 3.0], requires_grad=True)
    assert repr(x * 2) == _torch_repr(tx * 2)
    assert repr((x * x).sum()) == _torch_repr((tx * tx).sum())
    assert f"{(x * x).sum()}" == f"{(tx * tx).sum()}" == "13.0"
    assert f"{(x * x).sum():>7.2f}" == f"{(tx * tx).sum():>7.2f}"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{x:.2f}"


# ----------------------------------------------------------------------------
# 3. Hypothesis: fake tensor against torch on random data and options.


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _floats(width):
    # Mixtures that land in each formatter mode: integral, fixed-point,
    # sci by ratio, sci by magnitude, plus the values the formatter skips.
    special = st.sampled_from([0.0, -0.0, NAN, INF, -INF, 1.0, 1e-4, 2e-4, 1e8, 1.1e8, 1000.0])
    return st.sampled_from([
        st.integers(-(10 ** 9), 10 ** 9).map(float),
        st.floats(-1000, 1000, width=width),
        st.builds(lambda m, e: m * 10.0 ** e, st.floats(-10, 10), st.integers(-12, 12)),
        st.floats(width=width),
        st.one_of(special, st.integers(-100, 100).map(float), st.floats(-2, 2, width=width)),
    ])


ELEMENTS = {
    "float32": _floats(32),
    "float64": _floats(64),
    "float16": _floats(16),
    "int64": st.just(st.integers(-(2 ** 63), 2 ** 63 - 1) | st.integers(-20, 20)),
    "int32": st.just(st.integers(-(2 ** 31), 2 ** 31 - 1)),
    "uint8": st.just(st.integers(0, 255)),
    "bool": st.just(st.booleans()),
}


def _reshape(flat, shape):
    if not shape:
        return flat[0]
    step = math.prod(shape[1:])
    return [_reshape(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


@st.composite
def tensor_cases(draw):
    dtype = draw(st.sampled_from(sorted(ELEMENTS)))
    dim = draw(st.integers(0, 3))
    max_size = {0: 0, 1: 40, 2: 8, 3: 5}[dim]
    shape = tuple(draw(st.lists(st.integers(0, max_size), min_size=dim, max_size=dim)))
    elements = draw(ELEMENTS[dtype])
    flat = draw(st.lists(elements, min_size=math.prod(shape), max_size=math.prod(shape)))
    floating = FakeDtype(dtype).is_floating_point
    autograd = draw(st.sampled_from(["none", "requires_grad", "grad_fn"])) if floating else "none"
    return dtype, shape, _reshape(flat, shape), autograd


def _check_against_torch(torch, case):
    dtype, shape, data, autograd = case
    # reshape: nested lists cannot express empty shapes such as (0, 3).
    expected = torch.tensor(data, dtype=getattr(torch, dtype)).reshape(shape)
    expected.requires_grad_(autograd != "none")
    if autograd == "grad_fn":
        expected = expected * 1  # same values, grad_fn=<MulBackward0>
    grad_fn = type(expected.grad_fn).__name__ if expected.grad_fn is not None else None
    # Data comes from torch's tolist(), as from rustgrad's: float32 widened.
    ours = Tensor(expected.tolist(), dtype, shape, grad_fn, expected.requires_grad)
    assert repr(ours) == _torch_repr(expected)


@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=tensor_cases())
def test_random_tensors_match_torch(torch, case):
    _check_against_torch(torch, case)


PRINTOPTIONS = st.fixed_dictionaries({
    "precision": st.integers(0, 8),
    "threshold": st.integers(0, 60),
    "edgeitems": st.integers(0, 4),
    "linewidth": st.integers(10, 120),
    "sci_mode": st.sampled_from([None, True, False]),
})


@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=tensor_cases(), options=PRINTOPTIONS)
def test_random_printoptions_match_torch(torch, case, options):
    torch.set_printoptions(**options)
    ts.set_printoptions(**options)
    try:
        assert ts.get_printoptions() == options
        _check_against_torch(torch, case)
    finally:
        torch.set_printoptions(profile="default")
        ts.set_printoptions(profile="default")
