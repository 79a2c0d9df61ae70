"""rustgrad.utils.data.DataLoader with worker processes (num_workers > 0), and tensor pickling."""

import os
import pickle
import time

import numpy as np
import pytest

import rustgrad
from rustgrad.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

from _helpers import torch_or_skip


def _ds(n=10):
    return TensorDataset(rustgrad.arange(2 * n, dtype=rustgrad.float32).reshape(n, 2), rustgrad.arange(n))


def _batches(loader):
    return [(x.tolist(), y.tolist()) for x, y in loader]


# ----- pickling tensors -----


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_tensor_pickle_round_trip(dtype):
    t = rustgrad.tensor([[0, 1, 2, 0], [1, 2, 0, 1], [2, 0, 1, 2]]).to(getattr(rustgrad, dtype))
    for src in (t, t.t(), t[:, 1::2], t[0, 0]):
        back = pickle.loads(pickle.dumps(src))
        assert back.dtype == src.dtype and back.shape == src.shape and back.tolist() == src.tolist()


def test_tensor_pickle_keeps_requires_grad_not_history():
    w = rustgrad.ones(2, requires_grad=True)
    w.grad = rustgrad.ones(2)
    y = w * 3
    for src, requires_grad in ((w, True), (y, True), (w.detach(), False)):
        back = pickle.loads(pickle.dumps(src))
        assert back.requires_grad == requires_grad and back.is_leaf and back.grad is None
        assert back.tolist() == src.tolist()
    back = pickle.loads(pickle.dumps(y))
    back.sum().backward()
    assert back.grad.tolist() == [1.0, 1.0]
    p = pickle.loads(pickle.dumps(rustgrad.nn.Parameter(rustgrad.ones(2))))
    assert isinstance(p, rustgrad.nn.Parameter) and p.requires_grad


def test_tensor_pickle_matches_torch():
    torch = torch_or_skip()
    w = torch.ones(2, requires_grad=True)
    theirs = pickle.loads(pickle.dumps(w * 2))
    ours = pickle.loads(pickle.dumps(rustgrad.ones(2, requires_grad=True) * 2))
    assert str(ours) == str(theirs) and ours.is_leaf == theirs.is_leaf


# ----- worker processes -----


@pytest.mark.parametrize("workers,batch_size,prefetch", [(1, 3, 1), (2, 4, None)])
def test_workers_give_the_same_batches_in_order(workers, batch_size, prefetch):
    ds = _ds(11)
    expected = _batches(DataLoader(ds, batch_size=batch_size))
    assert _batches(DataLoader(ds, batch_size=batch_size, num_workers=workers, prefetch_factor=prefetch)) == expected
    shuffled = lambda n: _batches(DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=n,
                                             generator=rustgrad.Generator().manual_seed(4)))
    assert shuffled(workers) == shuffled(0)


def test_workers_custom_collate_no_batching_and_drop_last():
    ds = _ds(7)
    assert list(DataLoader(ds, batch_size=2, num_workers=2, collate_fn=len)) == [2, 2, 2, 1]
    assert len(list(DataLoader(ds, batch_size=2, num_workers=2, drop_last=True))) == 3
    items = list(DataLoader(ds, batch_size=None, num_workers=2))
    assert [y.item() for _, y in items] == list(range(7))


class _WhoAmI(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        info = get_worker_info()
        return i, info.id, info.num_workers, info.seed, os.getpid(), info.dataset is self, _seen.get("init")


_seen = {}


def _init(worker_id):
    _seen["init"] = (worker_id, get_worker_info().id)


def test_worker_info_seeds_and_round_robin():
    assert get_worker_info() is None
    loader = DataLoader(_WhoAmI(), batch_size=1, num_workers=2, worker_init_fn=_init, collate_fn=lambda b: b[0],
                        generator=rustgrad.Generator().manual_seed(0))
    rows = list(loader)
    assert [r[0] for r in rows] == list(range(6))
    assert [r[1] for r in rows] == [0, 1, 0, 1, 0, 1]  # tasks go round robin
    assert all(r[2] == 2 and r[5] for r in rows)
    assert all(r[6] == (r[1], r[1]) for r in rows)
    seeds = {r[1]: r[3] for r in rows}
    assert seeds[1] == seeds[0] + 1
    base = int(rustgrad.randint(0, 2**62, (), generator=rustgrad.Generator().manual_seed(0)).item())
    assert seeds[0] == base
    assert os.getpid() not in {r[4] for r in rows} and len({r[4] for r in rows}) == 2
    assert "init" not in _seen


class _RandomItems(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return rustgrad.rand(1).item(), float(np.random.rand()), __import__("random").random()


def test_workers_are_seeded_differently_and_reproducibly():
    def run():
        return list(DataLoader(_RandomItems(), batch_size=None, num_workers=2, generator=rustgrad.Generator().manual_seed(1)))

    a, b = run(), run()
    assert a == b
    assert a[0] != a[1]  # workers 0 and 1 draw from different seeds
    assert a[0] != a[2]  # a worker's stream moves on


class _Fails(Dataset):
    def __init__(self, exc):
        self.exc = exc

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            raise self.exc
        return i


@pytest.mark.parametrize("exc", [ValueError("bad index 4"), KeyError("k"), IndexError("out")])
def test_worker_exception_reraised_in_main(exc):
    loader = DataLoader(_Fails(exc), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0, 1] and next(it).tolist() == [2, 3]
    with pytest.raises(type(exc)) as e:
        next(it)
    message = e.value.args[0]
    assert message.startswith(
        f"Caught {type(exc).__name__} in DataLoader worker process 0.\nOriginal Traceback (most recent call last):\n")
    assert message.rstrip().endswith(f"{type(exc).__name__}: {exc}")
    assert "__getitem__" in message


def test_worker_exception_message_shape_matches_torch():
    torch = torch_or_skip()
    with pytest.raises(ValueError) as theirs:
        list(torch.utils.data.DataLoader(_Fails(ValueError("bad")), batch_size=2, num_workers=2))
    with pytest.raises(ValueError) as ours:
        list(DataLoader(_Fails(ValueError("bad")), batch_size=2, num_workers=2))
    first = lambda e: e.value.args[0].splitlines()[:2]
    last = lambda e: e.value.args[0].rstrip().splitlines()[-1]
    assert first(ours) == first(theirs) and last(ours) == last(theirs)


def _bad_init(worker_id):
    raise RuntimeError(f"init failed in {worker_id}")


def test_worker_init_fn_exception():
    with pytest.raises(RuntimeError) as e:
        list(DataLoader(_ds(4), batch_size=1, num_workers=1, worker_init_fn=_bad_init))
    assert e.value.args[0].startswith("Caught RuntimeError in DataLoader worker process 0.")
    assert "RuntimeError: init failed in 0" in e.value.args[0]


class _Slow(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(1)
        return i


def test_timeout():
    with pytest.raises(RuntimeError) as e:
        list(DataLoader(_Slow(), num_workers=1, timeout=0.3))
    assert str(e.value) == "DataLoader timed out after 0.3 seconds"


class _Dies(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        os._exit(3)


def test_dead_worker_detected():
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid\(s\) \d+\) exited unexpectedly$"):
        list(DataLoader(_Dies(), num_workers=1, timeout=2))


def test_persistent_workers_reuse_processes():
    loader = DataLoader(_WhoAmI(), batch_size=2, num_workers=2, persistent_workers=True, collate_fn=lambda b: b)
    first = list(loader)
    second = list(loader)
    assert [r[0] for b in first for r in b] == list(range(6)) == [r[0] for b in second for r in b]
    assert {r[4] for b in first for r in b} == {r[4] for b in second for r in b}
    assert iter(loader) is loader._iterator
    fresh = DataLoader(_WhoAmI(), batch_size=2, num_workers=2, collate_fn=lambda b: b)
    assert {r[4] for b in fresh for r in b}.isdisjoint({r[4] for b in list(fresh) for r in b})


class _Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def test_iterable_dataset_with_workers():
    got = [b.tolist() for b in DataLoader(_Stream(9), batch_size=2, num_workers=2)]
    # worker 0 yields 0 2 4 6 8, worker 1 yields 1 3 5 7; batches alternate between workers
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8]]
    got = [b.tolist() for b in DataLoader(_Stream(9), batch_size=2, num_workers=2, drop_last=True)]
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7]]


def test_iterable_dataset_with_workers_matches_torch():
    torch = torch_or_skip()

    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, 11, info.num_workers))

    theirs = [b.tolist() for b in torch.utils.data.DataLoader(TorchStream(), batch_size=3, num_workers=2)]
    ours = [b.tolist() for b in DataLoader(_Stream(11), batch_size=3, num_workers=2)]
    assert ours == theirs


class _Parallel(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        # Large enough to run the parallel kernels: must not wait on the parent's pool threads.
        x = rustgrad.ones(1 << 20)
        return (x * 2).sum() + i


def test_parallel_kernels_in_workers():
    rustgrad.ones(1 << 20).sum()  # the parent's kernel pool is up when workers fork
    got = [t.item() for t in DataLoader(_Parallel(), batch_size=None, num_workers=2, timeout=30)]
    assert got == [2.0 * (1 << 20), 2.0 * (1 << 20) + 1]


def test_workers_train_a_model():
    rustgrad.manual_seed(0)
    x = rustgrad.randn(48, 3)
    true_w = rustgrad.tensor([[1.0], [-2.0], [0.5]])
    loader = DataLoader(TensorDataset(x, x @ true_w), batch_size=16, shuffle=True, num_workers=2,
                        persistent_workers=True)
    w = rustgrad.zeros(3, 1, requires_grad=True)
    opt = rustgrad.optim.SGD([w], lr=0.1)
    for _ in range(25):
        for xb, yb in loader:
            opt.zero_grad()
            ((xb @ w - yb) ** 2).mean().backward()
            opt.step()
    np.testing.assert_allclose(w.detach().tolist(), true_w.tolist(), atol=1e-3)


def test_too_many_workers_warning_matches_torch():
    torch = torch_or_skip()
    n = len(os.sched_getaffinity(0)) + 1
    with pytest.warns(UserWarning) as theirs:
        torch.utils.data.DataLoader([1], num_workers=n).check_worker_number_rationality()
    with pytest.warns(UserWarning) as ours:
        DataLoader([1], num_workers=n).check_worker_number_rationality()
    assert str(ours[0].message) == str(theirs[0].message)
