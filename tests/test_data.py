"""rustgrad.utils.data: datasets, samplers, default_collate and DataLoader."""

import collections
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rustgrad
from rustgrad.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)

from _helpers import torch_or_skip


def _ds(n=10):
    return TensorDataset(rustgrad.arange(2 * n, dtype=rustgrad.float32).reshape(n, 2), rustgrad.arange(n))


# ----- datasets -----


def test_tensor_dataset_items_and_len():
    ds = _ds(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    assert isinstance(ds[0], tuple) and len(ds.tensors) == 2


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError) as e:
        TensorDataset(rustgrad.ones(3, 2), rustgrad.ones(4))
    assert str(e.value) == "Size mismatch between tensors"


def test_tensor_dataset_size_mismatch_matches_torch():
    torch = torch_or_skip()
    with pytest.raises(AssertionError) as e:
        torch.utils.data.TensorDataset(torch.ones(3, 2), torch.ones(4))
    assert str(e.value) == "Size mismatch between tensors"


def test_subset_and_concat():
    ds = _ds(6)
    sub = Subset(ds, [4, 1])
    assert len(sub) == 2 and sub[0][1].item() == 4 and sub[1][1].item() == 1
    cat = ds + _ds(3)
    assert isinstance(cat, ConcatDataset) and len(cat) == 9
    assert cat[7][1].item() == 1 and cat[-1][1].item() == 2
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cat[-10]


def test_base_dataset_getitem_raises():
    with pytest.raises(NotImplementedError):
        Dataset()[0]


# ----- random_split -----


def test_random_split_lengths_and_fractions():
    g = rustgrad.Generator().manual_seed(42)
    a, b = random_split(range(10), [3, 7], generator=g)
    assert len(a) == 3 and len(b) == 7
    assert sorted(list(a.indices) + list(b.indices)) == list(range(10))
    parts = random_split(range(30), [0.3, 0.3, 0.4], generator=rustgrad.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [9, 9, 12]
    parts = random_split(range(11), [0.5, 0.5], generator=rustgrad.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [6, 5]  # remainder handed out round-robin
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(range(10), [3, 3])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


def test_random_split_deterministic_with_generator():
    s1 = random_split(range(20), [10, 10], generator=rustgrad.Generator().manual_seed(5))
    s2 = random_split(range(20), [10, 10], generator=rustgrad.Generator().manual_seed(5))
    assert s1[0].indices == s2[0].indices
    s3 = random_split(range(20), [10, 10], generator=rustgrad.Generator().manual_seed(6))
    assert s1[0].indices != s3[0].indices


# ----- samplers -----


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    perm = list(RandomSampler(range(50), generator=rustgrad.Generator().manual_seed(0)))
    assert sorted(perm) == list(range(50)) and perm != list(range(50))
    draws = list(RandomSampler(range(5), replacement=True, num_samples=70, generator=rustgrad.Generator().manual_seed(0)))
    assert len(draws) == 70 and all(0 <= d < 5 for d in draws)
    longer = list(RandomSampler(range(4), num_samples=10, generator=rustgrad.Generator().manual_seed(0)))
    assert len(longer) == 10 and sorted(longer[:4]) == [0, 1, 2, 3]
    assert sorted(SubsetRandomSampler([7, 8, 9], generator=rustgrad.Generator().manual_seed(0))) == [7, 8, 9]
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2


def test_sampler_argument_errors():
    with pytest.raises(ValueError) as e:
        BatchSampler(range(3), 0, False)
    assert str(e.value) == "batch_size should be a positive integer value, but got batch_size=0"
    with pytest.raises(ValueError) as e:
        BatchSampler(range(3), 2, 1)
    assert str(e.value) == "drop_last should be a boolean value, but got drop_last=1"
    with pytest.raises(TypeError) as e:
        RandomSampler(range(3), replacement=1)
    assert str(e.value) == "replacement should be a boolean value, but got replacement=1"
    with pytest.raises(ValueError) as e:
        RandomSampler(range(0))
    assert str(e.value) == "num_samples should be a positive integer value, but got num_samples=0"


# ----- collate -----


def test_default_collate_types():
    b = default_collate([rustgrad.tensor([1.0, 2.0]), rustgrad.tensor([3.0, 4.0])])
    assert b.tolist() == [[1.0, 2.0], [3.0, 4.0]] and b.dtype == rustgrad.float32
    f = default_collate([1.5, 2.5])
    assert f.dtype == rustgrad.float64 and f.tolist() == [1.5, 2.5]
    i = default_collate([1, 2])
    assert i.dtype == rustgrad.int64 and i.tolist() == [1, 2]
    assert default_collate([True, False]).dtype == rustgrad.bool
    assert default_collate(["a", "b"]) == ["a", "b"]
    d = default_collate([{"x": 1, "y": 2.0}, {"x": 3, "y": 4.0}])
    assert d["x"].tolist() == [1, 3] and d["y"].tolist() == [2.0, 4.0]
    od = default_collate([collections.OrderedDict(b=1, a=2)] * 2)
    assert isinstance(od, collections.OrderedDict) and list(od) == ["b", "a"]
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]
    t = default_collate([(1, 2.0), (3, 4.0)])
    assert isinstance(t, list) and t[0].tolist() == [1, 3]
    n = default_collate([np.array([1.0, 2.0], dtype=np.float32), np.array([3.0, 4.0], dtype=np.float32)])
    assert n.dtype == rustgrad.float32 and n.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    s = default_collate([np.float64(1.0), np.float64(2.0)])
    assert s.dtype == rustgrad.float64


def test_default_collate_errors():
    with pytest.raises(RuntimeError) as e:
        default_collate([[1, 2], [3]])
    assert str(e.value) == "each element in list of batch should be of equal size"
    with pytest.raises(TypeError) as e:
        default_collate([object(), object()])
    assert str(e.value) == (
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found <class 'object'>"
    )


def test_default_collate_matches_torch():
    torch = torch_or_skip()
    batch = [{"a": (1, 2.5), "b": [True, 3]}, {"a": (4, 5.5), "b": [False, 6]}]
    ours, theirs = default_collate(batch), torch.utils.data.default_collate(batch)
    for k in ("a", "b"):
        assert [t.tolist() for t in ours[k]] == [t.tolist() for t in theirs[k]]
        assert [str(t.dtype).split(".")[1] for t in ours[k]] == [str(t.dtype).split(".")[1] for t in theirs[k]]
    assert default_convert((1, 2)) == torch.utils.data.default_convert((1, 2))


# ----- DataLoader -----


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 23), batch_size=st.integers(1, 8), drop_last=st.booleans())
def test_dataloader_batches_and_len(n, batch_size, drop_last):
    dl = DataLoader(_ds(n), batch_size=batch_size, drop_last=drop_last)
    batches = list(dl)
    expected_len = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(dl) == len(batches) == expected_len
    labels = [v for _, y in batches for v in y.tolist()]
    assert labels == list(range(len(labels)))
    for x, y in batches[: n // batch_size]:
        assert list(x.shape) == [batch_size, 2] and list(y.shape) == [batch_size]


def test_dataloader_shuffle_deterministic_with_generator():
    def epoch(seed):
        g = rustgrad.Generator().manual_seed(seed)
        return [y.tolist() for _, y in DataLoader(_ds(20), batch_size=6, shuffle=True, generator=g)]

    a, b, c = epoch(0), epoch(0), epoch(1)
    assert a == b and a != c
    assert sorted(v for batch in a for v in batch) == list(range(20))
    # A new permutation per epoch from the same loader.
    dl = DataLoader(_ds(20), batch_size=20, shuffle=True, generator=rustgrad.Generator().manual_seed(0))
    e1, e2 = next(iter(dl))[1].tolist(), next(iter(dl))[1].tolist()
    assert e1 != e2 and sorted(e1) == sorted(e2)


def test_dataloader_shuffle_follows_manual_seed():
    def epoch():
        rustgrad.manual_seed(3)
        return [y.tolist() for _, y in DataLoader(_ds(12), batch_size=5, shuffle=True)]

    assert epoch() == epoch()


def test_dataloader_shuffle_order_after_base_seed_draw():
    # As PyTorch: each iterator first draws its workers' base seed from the generator, then the
    # sampler draws its permutation.
    g = rustgrad.Generator().manual_seed(9)
    ref = rustgrad.Generator().manual_seed(9)
    rustgrad.randint(0, 2**62, (), generator=ref)
    order = rustgrad.randperm(10, generator=ref).tolist()
    for workers in (0, 2):
        g.manual_seed(9)
        got = [y.item() for _, y in DataLoader(_ds(10), batch_size=1, shuffle=True, generator=g, num_workers=workers)]
        assert got == order


def test_dataloader_shuffle_order_matches_torch():
    torch = torch_or_skip()
    for seed in (0, 9):
        theirs = [int(b) for b in torch.utils.data.DataLoader(
            list(range(12)), batch_size=1, shuffle=True, generator=torch.Generator().manual_seed(seed))]
        ours = [int(b) for b in DataLoader(
            list(range(12)), batch_size=1, shuffle=True, generator=rustgrad.Generator().manual_seed(seed))]
        assert ours == theirs


def test_dataloader_custom_collate_sampler_and_no_batching():
    dl = DataLoader(_ds(4), batch_size=2, collate_fn=lambda batch: len(batch))
    assert list(dl) == [2, 2]
    dl = DataLoader(_ds(5), sampler=[4, 0, 2], batch_size=2)
    assert [y.tolist() for _, y in dl] == [[4, 0], [2]]
    dl = DataLoader(_ds(5), batch_sampler=[[1, 3], [0]])
    assert [y.tolist() for _, y in dl] == [[1, 3], [0]] and len(dl) == 2
    dl = DataLoader(_ds(3), batch_size=None)
    items = list(dl)
    assert len(dl) == 3 and isinstance(items[0], list) and items[2][1].item() == 2
    plain = DataLoader([1.0, 2.0, 3.0], batch_size=2)
    assert [b.tolist() for b in plain] == [[1.0, 2.0], [3.0]]


def test_dataloader_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError) as e:
        DataLoader(Stream(), shuffle=True)
    assert str(e.value) == "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=True"


def test_dataloader_argument_errors():
    ds = _ds(3)
    cases = [
        (dict(sampler=[0], shuffle=True), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2),
         "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
        (dict(batch_size=None, drop_last=True),
         "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
        (dict(num_workers=-1), "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."),
        (dict(timeout=-1), "timeout option should be non-negative"),
        (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
        (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing."
         "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."),
        (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
        (dict(multiprocessing_context="fork"),
         "multiprocessing_context can only be used with multi-process loading (num_workers > 0), but got num_workers=0"),
        (dict(num_workers=1, multiprocessing_context="nope"),
         "multiprocessing_context option should specify a valid start method in "
         f"{__import__('multiprocessing').get_all_start_methods()!r}, but got multiprocessing_context='nope'"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError) as e:
            DataLoader(ds, **kwargs)
        assert str(e.value) == message
    with pytest.raises(TypeError) as e:
        DataLoader(ds, num_workers=1, multiprocessing_context=3)
    assert str(e.value) == ("multiprocessing_context option should be a valid context object or a string "
                            "specifying the start method, but got multiprocessing_context=3")


def test_dataloader_argument_errors_match_torch():
    torch = torch_or_skip()
    ds = torch.utils.data.TensorDataset(torch.ones(3))
    for kwargs, ours in [
        (dict(sampler=[0], shuffle=True), "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2),
         "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
        (dict(batch_size=None, drop_last=True),
         "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
        (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
        (dict(multiprocessing_context="fork"),
         "multiprocessing_context can only be used with multi-process loading (num_workers > 0), but got num_workers=0"),
    ]:
        with pytest.raises(ValueError) as e:
            torch.utils.data.DataLoader(ds, **kwargs)
        assert str(e.value) == ours


def test_dataloader_trains_a_model():
    # End to end: a linear fit through batches from a shuffled loader.
    rustgrad.manual_seed(0)
    x = rustgrad.randn(64, 3)
    true_w = rustgrad.tensor([[1.0], [-2.0], [0.5]])
    y = x @ true_w
    w = rustgrad.zeros(3, 1, requires_grad=True)
    opt = rustgrad.optim.SGD([w], lr=0.1)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=rustgrad.Generator().manual_seed(0))
    for _ in range(30):
        for xb, yb in loader:
            opt.zero_grad()
            ((xb @ w - yb) ** 2).mean().backward()
            opt.step()
    np.testing.assert_allclose(w.detach().tolist(), true_w.tolist(), atol=1e-3)
