"""as_tensor / asarray (memory sharing with numpy and tensors, dtype and copy arguments),
is_floating_point as a function, and Tensor.element_size() / itemsize / nbytes, against PyTorch
(torch 2.13)."""

import warnings

import numpy as np
import pytest

import rustgrad
from _helpers import assert_same_error_as_torch, torch_or_skip

DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]


@pytest.mark.parametrize("fn", ["as_tensor", "asarray"])
def test_numpy_memory_is_shared_when_the_dtype_matches(fn):
    a = np.arange(6.0).reshape(2, 3)
    t = getattr(rustgrad, fn)(a)
    a[0, 0] = 9.0
    assert t.dtype == rustgrad.float64 and t[0, 0].item() == 9.0
    strided = np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2]
    s = getattr(rustgrad, fn)(strided)
    strided[2, 1] = -1
    assert s.dtype == rustgrad.int32 and s.tolist() == strided.tolist()
    converted = getattr(rustgrad, fn)(a, dtype=rustgrad.float32)
    a[0, 1] = 7.0
    assert converted.dtype == rustgrad.float32 and converted[0, 1].item() == 1.0  # a copy


def test_asarray_copy_argument():
    a = np.arange(3.0)
    copied = rustgrad.asarray(a, copy=True)
    a[0] = 5.0
    assert copied[0].item() == 0.0
    shared = rustgrad.asarray(a, copy=False)
    a[1] = 6.0
    assert shared[1].item() == 6.0
    for call in (lambda lib: lib.asarray(np.arange(3.0), dtype=lib.float32, copy=False),
                 lambda lib: lib.asarray([1, 2], copy=False), lambda lib: lib.asarray(3.5, copy=False),
                 lambda lib: lib.asarray(np.float64(3), copy=False),
                 lambda lib: lib.asarray(lib.ones(2), dtype=lib.float64, copy=False),
                 lambda lib: lib.asarray([[1, 2], [3]]), lambda lib: lib.as_tensor([[1, 2], [3]]),
                 lambda lib: lib.asarray([1, 2], requires_grad=True),
                 lambda lib: lib.asarray(np.arange(3), requires_grad=True)):
        assert_same_error_as_torch(call)


def test_tensor_inputs_alias_or_convert_as_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        assert lib.as_tensor(x) is x and lib.as_tensor(x, dtype=lib.float32) is x
        assert type(lib.as_tensor(x, dtype=lib.float64).grad_fn).__name__ == "ToCopyBackward0"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert lib.asarray(x) is x and lib.asarray(x, copy=False) is x
            assert type(lib.asarray(x, copy=True).grad_fn).__name__ == "CloneBackward0"
            assert type(lib.asarray(x, dtype=lib.float64).grad_fn).__name__ == "ToCopyBackward0"
        y = x * 2
        assert lib.asarray(y, requires_grad=True) is y
        assert lib.asarray(x.detach(), requires_grad=False).requires_grad is False


def test_asarray_requires_grad_warning_matches_torch():
    torch = torch_or_skip()
    import rustgrad._creation_extra as c

    c._asarray_warned = False
    texts = []
    for lib in (rustgrad, torch):
        x = lib.tensor([1.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.asarray(x)
            lib.asarray(x)
        texts.append([str(w.message).split(" (Triggered")[0].replace("torch.", "rustgrad.") for w in caught])
    # PyTorch warns once per process: compare the first message rustgrad gives with PyTorch's text.
    assert texts[0][:1] == [("rustgrad.asarray: unspecified requires_grad now defaults to obj.requires_grad instead "
                             "of False. Pass requires_grad=False explicitly to get the old behavior and silence this "
                             "warning.")]
    assert len(texts[0]) == 1 and texts[1] in ([], texts[0])


@pytest.mark.parametrize("obj", [[1, 2], [1.0, 2], 3, 3.5, True, [[True, False]], np.int32(3), np.float32(2.5),
                                 np.arange(3, dtype=np.uint8)])
def test_python_and_numpy_values_infer_torch_dtypes(obj):
    torch = torch_or_skip()
    for fn in ("as_tensor", "asarray"):
        ours, theirs = getattr(rustgrad, fn)(obj), getattr(torch, fn)(obj)
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        assert ours.tolist() == theirs.tolist() and tuple(ours.shape) == tuple(theirs.shape)
    assert rustgrad.asarray(obj, dtype=rustgrad.float64).dtype == rustgrad.float64
    assert rustgrad.asarray([1.0], requires_grad=True).requires_grad


@pytest.mark.parametrize("dtype", DTYPES)
def test_element_size_itemsize_nbytes(dtype):
    torch = torch_or_skip()
    for make in (lambda lib: lib.zeros(2, 3, dtype=getattr(lib, dtype)),
                 lambda lib: lib.zeros(2, 3, dtype=getattr(lib, dtype))[:, :1],
                 lambda lib: lib.zeros(2, 3, dtype=getattr(lib, dtype)).expand(4, 2, 3),
                 lambda lib: lib.zeros((), dtype=getattr(lib, dtype))):
        ours, theirs = make(rustgrad), make(torch)
        assert (ours.element_size(), ours.itemsize, ours.nbytes) == (theirs.element_size(), theirs.itemsize,
                                                                      theirs.nbytes)
    assert rustgrad.is_floating_point(rustgrad.zeros(1, dtype=getattr(rustgrad, dtype))) == (dtype in ("float32", "float64"))


def test_is_floating_point_refuses_non_tensors():
    assert_same_error_as_torch(lambda lib: lib.is_floating_point(3))


@pytest.mark.parametrize("size, stride", [((2, 3), (3, 1)), ((2, 3), (1, 2)), ((2, 3, 4), (1, 2, 6)), ((2, 3), (8, 2)),
                                          ((4, 3), (0, 1)), ((3,), (2,)), ((), ()), ((5, 1), (1, 1)),
                                          ((2, 3, 4), (12, 1, 3))])
def test_empty_strided_layouts_match_torch(size, stride):
    torch = torch_or_skip()
    ours = rustgrad.empty_strided(size, stride, dtype=rustgrad.float64, requires_grad=True)
    theirs = torch.empty_strided(size, stride, dtype=torch.float64, requires_grad=True)
    assert (tuple(ours.shape), ours.stride(), ours.is_contiguous(), ours.requires_grad, ours.is_leaf) == (
        tuple(theirs.shape), theirs.stride(), theirs.is_contiguous(), theirs.requires_grad, theirs.is_leaf)
    assert ours.dtype == rustgrad.float64
    filled = rustgrad.empty_strided(size, stride).fill_(2.0)
    assert float(filled.sum()) == 2.0 * int(np.prod(size))


def test_empty_strided_refuses_overlapping_layouts_it_cannot_build():
    with pytest.raises(RuntimeError, match="cannot lay out size"):
        rustgrad.empty_strided((2, 2), (1, 1))
