"""numpy interop: from_numpy and numpy() share memory, tensor(ndarray) copies."""

import gc
import warnings

import numpy as np
import pytest

import rustgrad
from _helpers import torch_or_skip

DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_numpy_shares_memory_both_ways(dtype):
    a = np.zeros((2, 3), dtype=dtype)
    t = rustgrad.from_numpy(a)
    assert t.dtype is getattr(rustgrad, dtype) and t.shape == (2, 3)
    t.fill_(1)
    assert a.tolist() == np.ones((2, 3), dtype=dtype).tolist()
    a[1, 2] = 0
    assert t.tolist()[1][2] == a[1, 2]


def test_from_numpy_keeps_the_array_alive_and_views_strides():
    t = rustgrad.from_numpy(np.arange(12.0).reshape(3, 4))
    gc.collect()
    assert t.tolist() == np.arange(12.0).reshape(3, 4).tolist()
    base = np.arange(20.0).reshape(4, 5)
    v = rustgrad.from_numpy(base.T)
    assert v.shape == (5, 4) and v.stride() == (1, 5) and not v.is_contiguous()
    assert v.tolist() == base.T.tolist()
    s = rustgrad.from_numpy(base[:, 1:4])
    s.mul_(2)
    assert base[:, 1:4].tolist() == (np.arange(20.0).reshape(4, 5)[:, 1:4] * 2).tolist()
    assert base[:, 0].tolist() == [0.0, 5.0, 10.0, 15.0]
    assert rustgrad.from_numpy(np.array(3.0)).shape == ()
    assert rustgrad.from_numpy(np.zeros((0, 3))).shape == (0, 3)


def test_tensor_of_ndarray_copies():
    a = np.ones(3, dtype=np.float32)
    t = rustgrad.tensor(a)
    t.add_(1)
    assert a.tolist() == [1.0, 1.0, 1.0] and t.tolist() == [2.0, 2.0, 2.0]
    assert rustgrad.tensor(np.zeros(2, dtype=np.int32)).dtype is rustgrad.int32
    assert rustgrad.tensor(np.zeros(2, dtype=np.uint8)).dtype is rustgrad.uint8


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_shares_memory_and_outlives_the_tensor(dtype):
    t = rustgrad.zeros(4, dtype=getattr(rustgrad, dtype))
    n = t.numpy()
    assert n.dtype == np.dtype(dtype) and n.flags.writeable
    n[1] = 1
    assert t.tolist()[1] == n[1]
    t.fill_(1)
    assert n.tolist() == np.ones(4, dtype=dtype).tolist()
    del t
    gc.collect()
    assert n.sum() == 4


def test_numpy_of_views_and_requires_grad():
    x = rustgrad.arange(12.0).reshape(3, 4)
    assert x.numpy().tolist() == np.arange(12.0).reshape(3, 4).tolist()
    e = rustgrad.ones(1, 4).expand(3, 4)
    assert e.numpy().strides == (0, 4)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."):
        rustgrad.ones(2, requires_grad=True).numpy()
    r = rustgrad.ones(2, requires_grad=True)
    d = r.detach().numpy()
    d[0] = 5
    assert r.tolist() == [5.0, 1.0]
    assert r.numpy(force=True).tolist() == [5.0, 1.0]


def test_array_protocol():
    t = rustgrad.tensor([1.0, 2.0])
    a = np.asarray(t)
    a[0] = 9
    assert t.tolist() == [9.0, 2.0]
    assert np.asarray(t, dtype=np.int64).tolist() == [9, 2]
    c = np.array(t, copy=True)
    c[1] = 0
    assert t.tolist() == [9.0, 2.0]
    assert (np.exp(rustgrad.zeros(2)) == 1).all()


def test_from_numpy_errors_match_pytorch():
    torch = torch_or_skip()
    cases = [
        lambda m: m.from_numpy([1]),
        lambda m: m.from_numpy(np.float64(3.0)),
        lambda m: m.from_numpy(np.zeros(3, dtype=">f4")),
        lambda m: m.from_numpy(np.zeros(3)[::-1]),
        lambda m: m.from_numpy(np.zeros(3, dtype=object)),
    ]
    for case in cases:
        outcomes = []
        for lib in (rustgrad, torch):
            with pytest.raises(Exception) as info:
                case(lib)
            outcomes.append((info.type, str(info.value).split(" The only")[0]))
        assert outcomes[0] == outcomes[1]


def test_non_writable_array_warns():
    a = np.frombuffer(b"abcdefgh", dtype=np.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = rustgrad.from_numpy(a)
    assert t.tolist() == list(b"abcdefgh")
    assert any("The given NumPy array is not writable" in str(w.message) for w in caught)


def test_invalid_bool_bytes_are_rejected():
    with pytest.raises(ValueError, match="bytes other than 0 and 1"):
        rustgrad.from_numpy(np.array([0, 2], dtype=np.uint8).view(np.bool_))
