"""``Tensor.view(dtype)``: the same bytes read as another dtype (torch 2.13's ``view_dtype``).

Strings are PyTorch's, with ``torch`` spelt ``rustgrad``.
"""

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_error, assert_same_error_as_torch, torch_or_skip

DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]
FMT = {"float32": "f", "float64": "d", "int64": "q", "int32": "i", "uint8": "B", "bool": "?"}


def _unpack(data, dtype):
    fmt = FMT[dtype]
    n = len(data) // struct.calcsize(fmt)
    return list(struct.unpack(f"<{n}{fmt}", data[: n * struct.calcsize(fmt)]))


def _flat(t):
    return np.array(t.tolist()).reshape(-1).tolist()


@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES)
def test_reinterprets_the_bytes(src, dst):
    values = [0, 1, 1, 0, 1, 1, 0, 1] * 3  # 0/1 so that every dtype, bool too, can read them
    x = rustgrad.tensor(values, dtype=getattr(rustgrad, src)).reshape(3, 8)
    data = struct.pack(f"<24{FMT[src]}", *[bool(v) if src == "bool" else v for v in values])
    if dst == "bool" and any(b > 1 for b in data):
        with pytest.raises(RuntimeError, match="cannot view bytes other than 0 and 1 as bool"):
            x.view(rustgrad.bool)
        return
    y = x.view(getattr(rustgrad, dst))
    assert y.dtype == getattr(rustgrad, dst)
    ratio = getattr(rustgrad, src).itemsize / getattr(rustgrad, dst).itemsize
    assert tuple(y.shape) == (3, int(8 * ratio))
    assert _flat(y) == _unpack(data, dst)


def test_writes_through_either_are_seen_by_the_other():
    x = rustgrad.arange(6.)
    i = x.view(rustgrad.int32)
    i[0] = struct.unpack("<i", struct.pack("<f", 7.5))[0]
    assert x[0].item() == 7.5
    x.mul_(2)
    assert i[1].item() == struct.unpack("<i", struct.pack("<f", 2.0))[0]
    b = x.view(rustgrad.uint8)
    b.zero_()
    assert x.tolist() == [0.0] * 6 and i.tolist() == [0] * 6
    # Viewing back is the base's own storage: same-storage checks of in-place ops see it.
    back = i.view(rustgrad.float32)
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[1:].add_(back[:-1])


def test_the_view_keeps_the_memory_alive():
    x = rustgrad.arange(4, dtype=rustgrad.int64)
    y = x.view(rustgrad.int32)
    del x
    assert y.tolist() == [0, 0, 1, 0, 2, 0, 3, 0]


def test_layouts_scale_the_last_dim_and_the_other_strides():
    x = rustgrad.arange(24.).reshape(4, 6)
    y = x[1:, 2:].view(rustgrad.float64)
    assert (tuple(y.shape), y.stride()) == ((3, 2), (3, 1))
    rows = x[1:, 2:].tolist()
    assert y.tolist() == [_unpack(struct.pack("<4f", *r), "float64") for r in rows]
    z = x[1::2].view(rustgrad.uint8)
    assert (tuple(z.shape), z.stride()) == ((2, 24), (48, 1))
    assert z.tolist() == [_unpack(struct.pack("<6f", *r), "uint8") for r in x[1::2].tolist()]
    assert tuple(rustgrad.zeros(0).view(rustgrad.float64).shape) == (0,)
    s = rustgrad.tensor(1.0)
    assert s.view(rustgrad.int32).item() == 1065353216 and s.view(rustgrad.int32).dim() == 0


def test_result_is_detached_and_shares_the_version_counter():
    r = rustgrad.arange(6.).requires_grad_()
    for dtype in (rustgrad.float32, rustgrad.float64, rustgrad.int32):
        v = r.view(dtype)
        assert not v.requires_grad and v.grad_fn is None and v._base is None and not v._is_view()
    w = r.view(rustgrad.int32)
    with rustgrad.no_grad():
        r.add_(1)
    assert w._version == r._version == 1
    w.add_(1)  # allowed on the leaf's detached alias, as in PyTorch
    assert r._version == 2
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        w.requires_grad_()


@pytest.mark.parametrize("call", [
    lambda lib: lib.arange(6.)[:5].view(lib.float64),
    lambda lib: lib.arange(6.).view(2, 3).t().view(lib.float64),
    lambda lib: lib.arange(6.).view(2, 3).t().view(lib.uint8),
    lambda lib: lib.arange(6.)[1:5].view(lib.float64),
    lambda lib: lib.tensor(1.).view(lib.uint8),
    lambda lib: lib.tensor(1.).view(lib.float64),
    lambda lib: lib.zeros(2, 0).view(lib.float64),
    lambda lib: lib.zeros(4, 5)[:, :4].view(lib.float64),
    lambda lib: lib.zeros(4, 5)[:, 1:5].view(lib.float64),
    lambda lib: lib.zeros(3, 2)[:, :1].view(lib.float64),
    lambda lib: lib.zeros(3).view(lib.float64, 2),
    lambda lib: lib.zeros(3).view(3, dtype=lib.float64),
    lambda lib: lib.zeros(3).view("float"),
    lambda lib: lib.zeros(3, dtype=lib.uint8).view(lib.int64),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_error_without_torch():
    assert_error(lambda lib: lib.arange(6.)[:5].view(lib.float64), RuntimeError,
                 "self.size(-1) must be divisible by 2 to view Float as Double (different element sizes), but got 5")


@settings(max_examples=25, deadline=None)
@given(src=st.sampled_from(DTYPES[:5]), dst=st.sampled_from(DTYPES[:5]),
       rows=st.integers(1, 4), cols=st.integers(1, 4), start=st.integers(0, 3), seed=st.integers(0, 2**31))
def test_against_torch(src, dst, rows, cols, start, seed):
    torch = torch_or_skip()
    raw = np.random.default_rng(seed).integers(0, 256, size=(rows, cols * 8 + 3 * 8), dtype=np.uint8)
    out = []
    for lib in (rustgrad, torch):
        base = lib.tensor(raw.tolist(), dtype=lib.uint8).view(getattr(lib, src))
        x = base[:, start:]
        try:
            y = x.view(getattr(lib, dst))
        except RuntimeError as e:
            out.append(("error", str(e)))
            continue
        vals = np.array(y.tolist(), dtype=np.float64)
        out.append((tuple(y.shape), y.stride(), np.nan_to_num(vals, nan=1.5).tolist()))
    assert out[0] == out[1]
