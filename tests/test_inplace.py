"""In-place ops written straight into their target (no node recorded) and through the general
compute-then-copy path (node recorded): values against PyTorch on contiguous, transposed, sliced and
expanded layouts, aliasing between target and operand, errors that leave the target untouched,
version counters, and the unchanged autograd of the recorded path."""

import numpy as np
import pytest

import rustgrad
from _helpers import check_against_torch, torch_or_skip

# Each in-place op as f(x, y): x the target, y a same-shaped (or broadcastable) float operand.
OPS = {
    "add_": lambda x, y: x.add_(y),
    "add_alpha": lambda x, y: x.add_(y, alpha=-2.5),
    "sub_": lambda x, y: x.sub_(y),
    "sub_alpha": lambda x, y: x.sub_(y, alpha=0.5),
    "mul_": lambda x, y: x.mul_(y),
    "div_": lambda x, y: x.div_(y),
    "iadd": lambda x, y: x.__iadd__(y),
    "isub": lambda x, y: x.__isub__(y),
    "imul": lambda x, y: x.__imul__(y),
    "itruediv": lambda x, y: x.__itruediv__(y),
    "copy_": lambda x, y: x.copy_(y),
    "add_number": lambda x, y: x.add_(1.25),
    "mul_number": lambda x, y: x.mul_(-3),
    "div_number": lambda x, y: x.div_(7.0),
    "sub_number_alpha": lambda x, y: x.sub_(2, alpha=3),
    "fill_": lambda x, y: x.fill_(0.75),
    "zero_": lambda x, y: x.zero_(),
    "relu_": lambda x, y: x.relu_(),
    "neg_": lambda x, y: x.neg_(),
    "abs_": lambda x, y: x.abs_(),
    "exp_": lambda x, y: x.exp_(),
    "sigmoid_": lambda x, y: x.sigmoid_(),
    "tanh_": lambda x, y: x.tanh_(),
    "clamp_both": lambda x, y: x.clamp_(-0.5, 0.25),
    "clamp_min": lambda x, y: x.clamp_(min=0),
    "clamp_max": lambda x, y: x.clamp_(max=-0.125),
}

# Target and operand layouts: (name, make_target(base), make_operand(lib, base_of_operand)).
LAYOUTS = {
    "contiguous": (lambda b: b, lambda o: o),
    "transposed": (lambda b: b.t(), lambda o: o.t()),
    "transposed_target_contiguous_operand": (lambda b: b.t(), lambda o: o.t().contiguous()),
    "column_slice": (lambda b: b[:, 1:4], lambda o: o[:, 1:4]),
    "step_slice": (lambda b: b[::2], lambda o: o[1::2]),
    "row_operand": (lambda b: b, lambda o: o[0]),
    "column_operand": (lambda b: b, lambda o: o[:, :1]),
    "expanded_operand": (lambda b: b, lambda o: o[0, :1].expand(6, 5)),
    "scalar_tensor_operand": (lambda b: b, lambda o: o[2, 3]),
}


def _data(seed, shape=(6, 5)):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, shape), rng.uniform(0.5, 2, shape)


def _run(lib, op, layout, dtype, mode):
    a, b = _data(1)
    base = lib.tensor(a.tolist(), dtype=getattr(lib, dtype))
    other = lib.tensor(b.tolist(), dtype=getattr(lib, dtype))
    make_target, make_operand = LAYOUTS[layout]
    if mode == "no_grad":
        with lib.no_grad():
            target = make_target(base)
            OPS[op](target, make_operand(other))
    else:  # grad mode on, nothing requires grad: no node either
        target = make_target(base)
        OPS[op](target, make_operand(other))
    return np.array(base.tolist()), base._version, target._version


@pytest.mark.parametrize(("dtype", "mode"), [("float32", "no_grad"), ("float64", "plain")])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("op", sorted(OPS))
def test_direct_writes_match_pytorch(op, layout, dtype, mode):
    torch = torch_or_skip()
    ours, ours_base_v, ours_target_v = _run(rustgrad, op, layout, dtype, mode)
    theirs, theirs_base_v, theirs_target_v = _run(torch, op, layout, dtype, mode)
    rtol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol)
    # One bump, seen through the base and the view alike.
    assert (ours_base_v, ours_target_v) == (theirs_base_v, theirs_target_v) == (1, 1)


ALIASES = {
    "x.add_(x)": lambda x: x.add_(x),
    "x.mul_(x)": lambda x: x.mul_(x),
    "x.sub_(x, alpha=2)": lambda x: x.sub_(x, alpha=2),
    "x.add_(x.t())": lambda x: x.add_(x.t()),
    "x.t().div_(x)": lambda x: x.t().div_(x),
    "x[1:].add_(x[:-1])": lambda x: x[1:].add_(x[:-1]),
    "x[:-1].mul_(x[1:])": lambda x: x[:-1].mul_(x[1:]),
    "x.copy_(x.flip(0))": lambda x: x.copy_(x.flip(0)),
    "x.copy_(x.t())": lambda x: x.copy_(x.t()),
    "x[:, :2].copy_(x[:, 1:3])": lambda x: x[:, :2].copy_(x[:, 1:3]),
    "x.mul_(x[0])": lambda x: x.mul_(x[0]),
    "x.add_(x[1, 2])": lambda x: x.add_(x[1, 2]),
    "x.t().copy_(x)": lambda x: x.t().copy_(x),
    "x += x[2]": lambda x: x.__iadd__(x[2]),
}


@pytest.mark.parametrize("grad_mode", [False, True])
@pytest.mark.parametrize("case", sorted(ALIASES))
def test_aliasing_operands_match_pytorch(case, grad_mode):
    torch = torch_or_skip()
    a = np.arange(16, dtype=np.float64).reshape(4, 4) * 0.5 - 3.0
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(a.tolist(), dtype=lib.float64)
        with lib.set_grad_enabled(grad_mode):
            err = _error(lib, lambda: ALIASES[case](x))  # dense views overlapping in part are refused
        results.append((err, x.tolist(), x._version))
    assert results[0] == results[1]


def test_non_dense_overlapping_operands_are_read_as_they_were():
    # PyTorch's overlap check cannot tell for non-dense views ("too hard") and its result then
    # depends on its loop order (x.sub_(x[:, :1]) zeroes column 0 first and subtracts the zeros);
    # rustgrad reads such an operand as it was before the write, as the out-of-place op would.
    a = np.arange(16, dtype=np.float64).reshape(4, 4) * 0.5 - 3.0
    for grad_mode in (False, True):
        x = rustgrad.tensor(a.tolist(), dtype=rustgrad.float64)
        with rustgrad.set_grad_enabled(grad_mode):
            x.sub_(x[:, :1])
            x[:, 1:].mul_(x[:, :3])
        want = a - a[:, :1]
        want[:, 1:] = want[:, 1:] * want[:, :3].copy()
        np.testing.assert_array_equal(np.array(x.tolist()), want)
        assert x._version == 2


@pytest.mark.parametrize("n", [1, 7, 17, 32767, 32768, 32769, 200_003])
@pytest.mark.parametrize("threads", [1, 2])
def test_sizes_around_the_grain_and_threads_match_pytorch(n, threads):
    torch = torch_or_skip()
    before = rustgrad.get_num_threads()
    rustgrad.set_num_threads(threads)
    try:
        rng = np.random.default_rng(n)
        a, b = rng.uniform(-3, 3, n).astype(np.float32), rng.uniform(0.5, 2, n).astype(np.float32)
        for name in ["add_alpha", "mul_", "div_", "copy_", "zero_", "relu_", "sigmoid_", "clamp_both", "neg_"]:
            results = []
            for lib in (rustgrad, torch):
                x, y = lib.tensor(a), lib.tensor(b)
                with lib.no_grad():
                    OPS[name](x, y)
                    OPS[name](x, y)  # twice: the second reads the first's output
                results.append(np.array(x.tolist(), dtype=np.float32))
            np.testing.assert_allclose(results[0], results[1], rtol=2e-6, atol=1e-6, err_msg=name)
    finally:
        rustgrad.set_num_threads(before)


def _error(lib, f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the type and text are what is compared
        return type(e).__name__, str(e)
    return None


FAILING = {
    "int.add_(1.5)": (lambda lib: lib.tensor([1, 2, 3]), lambda lib, x: x.add_(1.5)),
    "int.mul_(float tensor)": (lambda lib: lib.tensor([1, 2, 3]), lambda lib, x: x.mul_(lib.tensor([0.5, 1.0, 2.0]))),
    "int.div_(int)": (lambda lib: lib.tensor([4, 2, 6]), lambda lib, x: x.div_(lib.tensor([2, 2, 2]))),
    "int /= 2": (lambda lib: lib.tensor([4, 2, 6]), lambda lib, x: x.__itruediv__(2)),
    "bool.add_(1)": (lambda lib: lib.tensor([True, False]), lambda lib, x: x.add_(1)),
    "float.sub_(bool)": (lambda lib: lib.tensor([1.0, 2.0]), lambda lib, x: x.sub_(lib.tensor([True, False]))),
    "shape: target broadcast": (lambda lib: lib.ones(3), lambda lib, x: x.add_(lib.ones(2, 3))),
    "shape: no broadcast": (lambda lib: lib.ones(3), lambda lib, x: x.mul_(lib.ones(2))),
    "shape: copy_ no broadcast": (lambda lib: lib.ones(2, 3), lambda lib, x: x.copy_(lib.ones(2, 2))),
    "leaf requires grad add_": (lambda lib: lib.ones(3, requires_grad=True), lambda lib, x: x.add_(1.0)),
    "leaf requires grad zero_": (lambda lib: lib.ones(3, requires_grad=True), lambda lib, x: x.zero_()),
    "leaf requires grad relu_": (lambda lib: lib.ones(3, requires_grad=True), lambda lib, x: x.relu_()),
    "expanded target add_": (lambda lib: lib.ones(1, 3), lambda lib, x: x.expand(2, 3).add_(1.0)),
    "expanded target copy_": (lambda lib: lib.ones(1, 3), lambda lib, x: x.expand(2, 3).copy_(lib.zeros(2, 3))),
    "expanded target clamp_": (lambda lib: lib.ones(1, 3), lambda lib, x: x.expand(2, 3).clamp_(0, 0.5)),
    "expanded target exp_": (lambda lib: lib.ones(1, 3), lambda lib, x: x.expand(2, 3).exp_()),
    "no_grad view rebase": (
        lambda lib: lib.ones(2, 3, requires_grad=True).clone(),
        lambda lib, x: _no_grad_view(lib, x).mul_(2.0),
    ),
    "clamp_ no bounds": (lambda lib: lib.ones(3), lambda lib, x: x.clamp_()),
    "float32 clamp_ overflowing bound": (lambda lib: lib.ones(3), lambda lib, x: x.clamp_(min=1e300)),
}


def _no_grad_view(lib, x):
    with lib.no_grad():
        return x[0]


@pytest.mark.parametrize("case", sorted(FAILING))
def test_errors_leave_the_target_unchanged(case):
    torch = torch_or_skip()
    make, op = FAILING[case]
    outcomes = []
    for lib in (rustgrad, torch):
        x = make(lib)
        before = x.detach().clone()
        version = x._version
        err = _error(lib, lambda: op(lib, x))
        err = err and (err[0], err[1].replace(lib.__name__ + ".", "torch."))
        unchanged = bool((x.detach() == before).all())
        outcomes.append((err, unchanged, x._version - version))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] is not None and outcomes[0][1]


def test_inference_tensor_refused_outside_inference_mode_and_unchanged():
    with rustgrad.inference_mode():
        x = rustgrad.ones(3)
    for f in (lambda: x.add_(1.0), lambda: x.zero_(), lambda: x.copy_(rustgrad.zeros(3)), lambda: x.relu_(), lambda: x.clamp_(0, 0.5)):
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            f()
    assert x.tolist() == [1.0, 1.0, 1.0]
    with rustgrad.inference_mode():
        x.add_(1.0)
        x.mul_(rustgrad.full((3,), 2.0))
    assert x.tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "case",
    [
        "float32 += int64",
        "float64 += float32",
        "float32 += float64 tensor",
        "float32 *= 0-d float64",
        "float64.add_(int, alpha)",
        "float32.copy_(int64)",
        "int64.copy_(float64)",
        "int64 += 2",
        "uint8.mul_(3)",
        "bool.copy_(float)",
    ],
)
def test_dtype_promotion_matches_pytorch(case):
    torch = torch_or_skip()
    a = [[1.5, -2.25, 3.0], [0.125, 7.0, -0.5]]
    ops = {
        "float32 += int64": ("float32", lambda lib, x: x.__iadd__(lib.tensor([[1, 2, 3], [4, 5, 6]]))),
        "float64 += float32": ("float64", lambda lib, x: x.__iadd__(lib.tensor([0.1, 0.2, 0.3], dtype=lib.float32))),
        "float32 += float64 tensor": ("float32", lambda lib, x: x.__iadd__(lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64))),
        "float32 *= 0-d float64": ("float32", lambda lib, x: x.__imul__(lib.tensor(0.1, dtype=lib.float64))),
        "float64.add_(int, alpha)": ("float64", lambda lib, x: x.add_(lib.tensor([[1, 2, 3], [4, 5, 6]]), alpha=0.1)),
        "float32.copy_(int64)": ("float32", lambda lib, x: x.copy_(lib.tensor([7, 8, 9]))),
        "int64.copy_(float64)": ("int64", lambda lib, x: x.copy_(lib.tensor([7.9, -8.5, 9.2], dtype=lib.float64))),
        "int64 += 2": ("int64", lambda lib, x: x.__iadd__(2)),
        "uint8.mul_(3)": ("uint8", lambda lib, x: x.mul_(3)),
        "bool.copy_(float)": ("bool", lambda lib, x: x.copy_(lib.tensor([0.0, 0.5, 2.0]))),
    }
    dtype, op = ops[case]
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(a).abs().to(getattr(lib, dtype))
        with lib.no_grad():
            op(lib, x)
        results.append((str(x.dtype).split(".")[-1], np.array(x.tolist(), dtype=np.float64)))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-7)


# The recorded path is unchanged: grad_fn names, saved tensors and gradients as PyTorch's.
RECORDED = {
    "mul_ tensor": lambda lib, x, y: x.clone().mul_(y),
    "mul_ number": lambda lib, x, y: x.clone().mul_(2.5),
    "add_ alpha": lambda lib, x, y: x.clone().add_(y, alpha=3),
    "div_": lambda lib, x, y: x.clone().div_(y),
    "copy_": lambda lib, x, y: x.clone().copy_(y * 2),
    "relu_ of a view": lambda lib, x, y: _then_base(x.clone(), lambda b: b[1:].relu_()),
    "sigmoid_ transposed": lambda lib, x, y: _then_base((x * 1).t(), lambda b: b.sigmoid_()),
    "clamp_": lambda lib, x, y: (x * y).clamp_(-0.5, 0.5),
    "into a plain tensor": lambda lib, x, y: lib.zeros(3, 4, dtype=lib.float64).add_(x * y),
    "plain view gains history": lambda lib, x, y: _then_base(lib.zeros(3, 4, dtype=lib.float64), lambda b: b[:, 1:3].mul_(y[:, :2])),
}


def _then_base(base, f):
    f(base)
    return base


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_recorded_in_place_ops_match_pytorch_values_and_gradients(case):
    rng = np.random.default_rng(3)
    a, b = rng.uniform(-1, 1, (3, 4)), rng.uniform(0.5, 1.5, (3, 4))
    check_against_torch(lambda lib, x, y: RECORDED[case](lib, x, y), a, b)


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_recorded_in_place_ops_keep_pytorch_grad_fn_names(case):
    torch = torch_or_skip()
    rng = np.random.default_rng(4)
    a, b = rng.uniform(-1, 1, (3, 4)), rng.uniform(0.5, 1.5, (3, 4))
    names = []
    for lib in (rustgrad, torch):
        x = lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True)
        y = lib.tensor(b.tolist(), dtype=lib.float64, requires_grad=True)
        names.append(type(RECORDED[case](lib, x, y).grad_fn).__name__)
    assert names[0] == names[1]


def test_mul_saves_the_value_before_the_write():
    torch = torch_or_skip()
    grads = []
    for lib in (rustgrad, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
        h = x * 1
        h.mul_(w)  # MulBackward0 saves h as it was for w's gradient
        h.sum().backward()
        grads.append((w.grad.tolist(), x.grad.tolist(), type(h.grad_fn).__name__))
    assert grads[0] == grads[1]


def test_a_direct_write_invalidates_saved_tensors_as_pytorch():
    torch = torch_or_skip()
    messages = []
    for lib in (rustgrad, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        x = lib.tensor([3.0, 4.0])
        y = (w * x).sum()  # saves x
        with lib.no_grad():
            x.add_(1.0)  # no node: written straight in, version bumped
        messages.append(_error(lib, y.backward))
    assert messages[0][0] == messages[1][0] == "RuntimeError"
    assert "modified by an inplace operation" in messages[0][1]


def test_views_see_direct_writes_and_share_one_version_counter():
    x = rustgrad.zeros(4, 5)
    t, row, col = x.t(), x[1], x[:, 2]
    with rustgrad.no_grad():
        t.add_(rustgrad.arange(4.0))  # column j of x gets j... through the transpose
        row.mul_(10.0)
        col.copy_(rustgrad.full((4,), -1.0))
    want = np.tile(np.arange(4.0)[:, None], (1, 5))
    want[1] *= 10
    want[:, 2] = -1
    np.testing.assert_array_equal(np.array(x.tolist()), want)
    assert x._version == t._version == row._version == col._version == 3


def test_direct_fill_of_an_expanded_tensor_is_allowed():
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        base = lib.ones(1, 3)
        e = base.expand(4, 3)
        e.fill_(2.5)
        results.append((base.tolist(), base._version))
    assert results[0] == results[1]
