"""Tensor predicates/accessors (ndimension, is_signed, is_nonzero, storage_offset, data_ptr, conj/real/imag
for real dtypes), unsafe_chunk/unsafe_split/split_with_sizes/narrow_copy and the *_copy functions:
values, no shared memory, gradients, grad_fn names and errors vs torch 2.13."""

import numpy as np
import pytest

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip

A = np.random.default_rng(0).standard_normal((2, 3))

COPIES = [
    lambda lib, x: lib.view_copy(x, (3, 2)), lambda lib, x: lib.permute_copy(x, (1, 0)),
    lambda lib, x: lib.expand_copy(x, (2, 2, 3)), lambda lib, x: lib.squeeze_copy(x.unsqueeze(0)),
    lambda lib, x: lib.unsqueeze_copy(x, 1), lambda lib, x: lib.t_copy(x), lambda lib, x: lib.transpose_copy(x, 0, 1),
    lambda lib, x: lib.diagonal_copy(x, 1), lambda lib, x: lib.select_copy(x, 1, 2),
    lambda lib, x: lib.slice_copy(x, 1, 0, 3, 2), lambda lib, x: lib.alias_copy(x),
    lambda lib, x: x.narrow_copy(1, 1, 2), lambda lib, x: lib.narrow_copy(x, 0, 1, 1),
    lambda lib, x: lib.unbind_copy(x, 1)[2], lambda lib, x: lib.split_copy(x, 2, 1)[1],
    lambda lib, x: lib.split_with_sizes_copy(x, [1, 2], 1)[1], lambda lib, x: x.unsafe_chunk(2, 1)[1],
    lambda lib, x: lib.unsafe_split(x, 1)[0], lambda lib, x: lib.split_with_sizes(x, [2, 1], 1)[0],
]


@pytest.mark.parametrize("fn", COPIES)
def test_copies_values_grads_names_and_memory(fn):
    torch = torch_or_skip()
    check_against_torch(fn, A)
    check_grads(lambda x: fn(rustgrad, x), A)
    ours = fn(rustgrad, rustgrad.tensor(A, requires_grad=True))
    theirs = fn(torch, torch.tensor(A, requires_grad=True))
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__
    if fn in COPIES[-3:]:
        return  # unsafe_* share memory in PyTorch (here: copies); split_with_sizes is a view
    assert ours.stride() == theirs.stride()
    base = rustgrad.tensor(A)
    assert not np.shares_memory(fn(rustgrad, base).numpy(), base.numpy())


def test_copies_double_backward():
    x = rustgrad.tensor(A, dtype=rustgrad.float64, requires_grad=True)
    assert rustgrad.autograd.gradgradcheck(lambda t: rustgrad.permute_copy(t, (1, 0)) ** 2, (x,))


def test_detach_copy_matches_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x = lib.tensor(A, requires_grad=True)
        y = lib.detach_copy(x)
        assert type(y.grad_fn).__name__ == "NotImplemented" and y.tolist() == x.tolist()
        with pytest.raises(RuntimeError):
            y.sum().backward()


def test_predicates_match_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x = lib.tensor(A, requires_grad=True)
        assert x.ndimension() == 2 and x.is_signed() and not lib.tensor([1], dtype=lib.uint8).is_signed()
        assert not lib.tensor([True]).is_signed() and lib.tensor([1], dtype=lib.int32).is_signed()
        assert x.get_device() == -1 and x.is_same_size(x * 2) and not x.is_same_size(x[0])
        assert not x.is_conj() and not x.is_neg() and not lib.is_conj(x) and not lib.is_neg(x)
        for y in (x.conj(), x.resolve_conj(), x.resolve_neg(), x.conj_physical(), x.real, lib.real(x),
                  lib.conj(x), lib.conj_physical(x), lib.resolve_neg(x)):
            assert y is x
        assert x.isreal().all() and lib.isreal(x).dtype == lib.bool
        assert lib.tensor([3]).is_nonzero() and not lib.tensor(0.0).is_nonzero() and lib.is_nonzero(lib.tensor([True]))
        assert x.storage_offset() == 0 and x[1].storage_offset() == 3 and x[:, 2].storage_offset() == 2
        assert x[1, 1:].storage_offset() == 4 and x.t().storage_offset() == 0
        assert x[1].data_ptr() - x.data_ptr() == 3 * x.element_size()
        assert x.t().data_ptr() == x.data_ptr() and x[0].data_ptr() == x.data_ptr()
        assert x.clone().data_ptr() != x.data_ptr()


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([1, 2]).is_nonzero(),
    lambda lib: lib.tensor([]).is_nonzero(),
    lambda lib: lib.zeros(2).imag,
    lambda lib: lib.imag(lib.zeros(2)),
    lambda lib: lib.narrow_copy(lib.zeros(2, 3), 1, 2, 2),
    lambda lib: lib.select_copy(lib.zeros(2, 3), 0, 5),
    lambda lib: lib.view_copy(lib.zeros(2, 3), (4, 2)),
])
def test_errors_match_torch(call):
    torch = torch_or_skip()
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(rustgrad)
    assert str(ours.value).replace("rustgrad", "torch") == str(theirs.value)
