"""Views, shape ops and indexing against numpy: view/reshape/flatten/transpose/permute/expand/
squeeze/unsqueeze/narrow, basic and advanced __getitem__ / __setitem__ (ints, step slices, None,
Ellipsis, bool masks, integer tensors and lists), split/chunk/unbind/cat/stack/repeat/gather/
scatter/index_select/masked_fill/where/flip/roll/tril/triu.

Shapes, dtypes, indices and layouts (contiguous, transposed, strided, expanded) are drawn by
hypothesis (tests/_strategies.py). Runs without torch.
"""

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rustgrad
from _strategies import (
    DTYPES, PARITY, assert_close, broadcastable, dims, make, result_dtype, shapes, tensors,
)

ANY_DTYPE = st.sampled_from(DTYPES)


@st.composite
def _tensor(draw, min_dims=0, max_dims=4, min_side=1, max_side=4, layouts=None):
    dtype = draw(ANY_DTYPE)
    shape = draw(shapes(min_dims, max_dims, min_side, max_side))
    kw = {} if layouts is None else {"layouts": layouts}
    a, t = draw(tensors(dtype, shape, **kw))
    return dtype, a, t


def _prime_factors(n):
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


@st.composite
def _reshape_target(draw, shape):
    """A shape with the same numel: the prime factors regrouped, ones sprinkled in, maybe one -1."""
    factors = draw(st.permutations(_prime_factors(int(np.prod(shape, dtype=np.int64)))))
    cuts = sorted(draw(st.lists(st.integers(0, len(factors)), max_size=3)))
    groups = [factors[i:j] for i, j in zip([0] + cuts, cuts + [len(factors)])]
    target = [int(np.prod(g, dtype=np.int64)) for g in groups]
    for _ in range(draw(st.integers(0, 2))):
        target.insert(draw(st.integers(0, len(target))), 1)
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return tuple(target)


@PARITY
@given(data=st.data())
def test_view_reshape_flatten(data):
    dtype, a, t = data.draw(_tensor())
    target = data.draw(_reshape_target(a.shape))
    assert_close(t.reshape(target), a.reshape(target), dtype)
    assert_close(t.reshape(*target) if target else t.reshape(()), a.reshape(target), dtype)
    c = make(np.ascontiguousarray(a))
    assert_close(c.view(target), a.reshape(target), dtype)
    start = data.draw(st.integers(-max(a.ndim, 1), max(a.ndim, 1) - 1))
    end = data.draw(st.integers(-max(a.ndim, 1), max(a.ndim, 1) - 1))
    s, e = start % max(a.ndim, 1), end % max(a.ndim, 1)
    assume(s <= e)
    expected = a.reshape(a.shape[:s] + (-1,) + a.shape[e + 1:]) if a.ndim else a.reshape(1)
    assert_close(t.flatten(start, end), expected, dtype)
    assert_close(rustgrad.flatten(t), a.reshape(-1), dtype)


@PARITY
@given(data=st.data())
def test_transpose_permute_t(data):
    dtype, a, t = data.draw(_tensor(min_dims=1))
    d0, d1 = data.draw(st.integers(-a.ndim, a.ndim - 1)), data.draw(st.integers(-a.ndim, a.ndim - 1))
    assert_close(t.transpose(d0, d1), np.swapaxes(a, d0, d1), dtype)
    perm = data.draw(st.permutations(range(a.ndim)))
    perm = [p - a.ndim if data.draw(st.booleans()) else p for p in perm]
    assert_close(t.permute(*perm) if perm else t.permute(()), np.transpose(a, [p % a.ndim for p in perm]), dtype)
    assert_close(rustgrad.permute(t, perm), np.transpose(a, [p % a.ndim for p in perm]), dtype)
    if a.ndim <= 2:
        assert_close(t.t(), a.T, dtype)


@PARITY
@given(data=st.data())
def test_expand_squeeze_unsqueeze_narrow(data):
    dtype, a, t = data.draw(_tensor(max_dims=3))
    target = data.draw(hnp.broadcastable_shapes(a.shape, min_dims=a.ndim, max_dims=4, max_side=4)
                       .map(lambda s: np.broadcast_shapes(s, a.shape)))
    lead = len(target) - a.ndim  # -1 keeps a dim of the input: only where it already has the target size
    spelled = tuple(-1 if i >= lead and a.shape[i - lead] == s and data.draw(st.booleans()) else s
                    for i, s in enumerate(target))
    # an empty shape is spelled (): PyTorch's expand() without arguments is missing 'size'
    assert_close(t.expand(*spelled) if spelled else t.expand(()), np.broadcast_to(a, target), dtype)
    assert_close(t.expand_as(rustgrad.zeros(target)), np.broadcast_to(a, target), dtype)
    u = data.draw(st.integers(-a.ndim - 1, a.ndim))
    assert_close(t.unsqueeze(u), np.expand_dims(a, u), dtype)
    b = np.expand_dims(a, u)
    tb = t.unsqueeze(u)
    assert_close(tb.squeeze(), np.squeeze(b), dtype)
    d = data.draw(st.integers(-b.ndim, b.ndim - 1))
    assert_close(tb.squeeze(d), np.squeeze(b, d) if b.shape[d] == 1 else b, dtype)
    if a.ndim:
        d = data.draw(st.integers(-a.ndim, a.ndim - 1))
        start = data.draw(st.integers(0, a.shape[d]))
        length = data.draw(st.integers(0, a.shape[d] - start))
        assert_close(t.narrow(d, start, length), np.take(a, range(start, start + length), axis=d), dtype)


# ----- indexing -----

def _positive_steps(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(not isinstance(i, slice) or i.step is None or i.step > 0 for i in items)


@PARITY
@given(data=st.data())
def test_basic_getitem_and_setitem(data):
    dtype, a, t = data.draw(_tensor(min_side=1, max_side=5, layouts=["contiguous", "transposed", "strided"]))
    index = data.draw(hnp.basic_indices(a.shape, allow_newaxis=True, allow_ellipsis=True).filter(_positive_steps))
    expected = a[index]
    assert_close(t[index], expected, dtype)
    # setitem: a scalar, then a tensor broadcastable to the selection; the base sees the writes.
    b = a.copy()
    value = data.draw(tensors(dtype, np.shape(expected), layouts=["contiguous"]))[0]
    b[index] = value
    version = t._version
    t[index] = rustgrad.tensor(value)
    assert_close(t, b, dtype)
    assert t._version == version + 1
    scalar = data.draw(st.integers(0, 5))
    b[index] = scalar
    t[index] = scalar
    assert_close(t, b, dtype)


@st.composite
def _advanced_index(draw, shape):
    """(index, unique) for numpy and rustgrad alike: bool masks, int tensors/lists (maybe negative),
    mixed with slices; `unique` tells whether no element is selected twice (setitem order)."""
    ndim = len(shape)
    kind = draw(st.sampled_from(["mask", "mask_prefix", "int_tensor", "int_list", "two_ints", "split_ints"]))
    if kind in ("mask", "mask_prefix"):
        k = ndim if kind == "mask" else draw(st.integers(1, ndim))
        mask = draw(hnp.arrays(np.bool_, shape[:k]))
        return mask, True, "mask"
    d = draw(st.integers(0, ndim - 1))
    n = shape[d]
    unique = draw(st.booleans())
    idx_shape = draw(shapes(1, 2, 1, 3)) if not unique else (draw(st.integers(1, n)),)
    idx = draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-n, n - 1), unique=unique))
    if kind == "two_ints" and ndim >= 2 and d + 1 < ndim:
        m = shape[d + 1]
        idx2 = draw(hnp.arrays(np.int64, idx_shape, elements=st.integers(-m, m - 1)))
        return (slice(None),) * d + (idx, idx2), False, "tensor"
    if kind == "split_ints" and d + 2 < ndim:
        m = shape[d + 2]
        idx2 = draw(hnp.arrays(np.int64, (1,), elements=st.integers(-m, m - 1)))
        return (slice(None),) * d + (idx, slice(None), idx2), unique, "tensor"
    if kind == "int_list":
        return (slice(None),) * d + (idx.reshape(-1).tolist(),), unique, "list"
    return (slice(None),) * d + (idx,), unique, "tensor"


def _to_rg_index(index):
    items = index if isinstance(index, tuple) else (index,)
    out = tuple(rustgrad.tensor(i) if isinstance(i, np.ndarray) else i for i in items)
    return out if isinstance(index, tuple) else out[0]


@PARITY
@given(data=st.data())
def test_advanced_getitem_and_setitem(data):
    dtype, a, t = data.draw(_tensor(min_dims=1, layouts=["contiguous", "transposed", "strided"]))
    index, unique, _ = data.draw(_advanced_index(a.shape))
    np_index = tuple(np.array(i) if isinstance(i, list) else i for i in index) if isinstance(index, tuple) else index
    expected = a[np_index]
    assert_close(t[_to_rg_index(index)], expected, dtype)
    if unique:
        b = a.copy()
        value = data.draw(tensors(dtype, expected.shape, layouts=["contiguous"]))[0]
        b[np_index] = value
        version = t._version
        t[_to_rg_index(index)] = rustgrad.tensor(value)
        assert_close(t, b, dtype)
        assert t._version == version + 1
        b[np_index] = 1
        t[_to_rg_index(index)] = 1
        assert_close(t, b, dtype)


# ----- shape functions -----

@PARITY
@given(data=st.data())
def test_split_chunk_unbind(data):
    dtype, a, t = data.draw(_tensor(min_dims=1, max_side=6))
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[d]
    size = data.draw(st.integers(1, n + 1))
    pieces = t.split(size, d)
    cuts = list(range(size, n, size))
    expected = np.split(a, cuts, axis=d)
    assert len(pieces) == len(expected)
    for p, e in zip(pieces, expected):
        assert_close(p, e, dtype)
    sections = data.draw(st.lists(st.integers(0, n), min_size=1, max_size=3).filter(lambda l: sum(l) <= n))
    sections = sections + [n - sum(sections)]
    expected = np.split(a, np.cumsum(sections)[:-1], axis=d)
    for p, e in zip(rustgrad.split(t, sections, d), expected, strict=True):
        assert_close(p, e, dtype)
    chunks = data.draw(st.integers(1, n + 1))
    step = -(-n // chunks)
    expected = np.split(a, list(range(step, n, step)), axis=d)
    for p, e in zip(t.chunk(chunks, d), expected, strict=True):
        assert_close(p, e, dtype)
    for p, e in zip(t.unbind(d), np.moveaxis(a, d, 0), strict=True):
        assert_close(p, e, dtype)


@PARITY
@given(data=st.data(), stack=st.booleans())
def test_cat_and_stack_promote(data, stack):
    shape = data.draw(shapes(1, 3))
    d = data.draw(st.integers(-len(shape) - stack, len(shape) - 1 + stack))
    arrays, ts = [], []
    for _ in range(data.draw(st.integers(1, 3))):
        s = list(shape)
        if not stack:
            s[d] = data.draw(st.integers(0, 3))
        a, t = data.draw(tensors(data.draw(ANY_DTYPE), tuple(s), layouts=["contiguous", "transposed", "strided"]))
        arrays.append(a)
        ts.append(t)
    out_dtype = result_dtype(*[(a.dtype.name, 1) for a in arrays])
    ref = np.stack if stack else np.concatenate
    got = (rustgrad.stack if stack else rustgrad.cat)(ts, d)
    assert_close(got, ref([a.astype(out_dtype) for a in arrays], axis=d), out_dtype)


@PARITY
@given(data=st.data())
def test_repeat_flip_roll(data):
    dtype, a, t = data.draw(_tensor(max_dims=3))
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=max(a.ndim, 1), max_size=a.ndim + 2)))
    assert_close(t.repeat(*reps), np.tile(a, reps), dtype)
    if a.ndim:
        fd = data.draw(dims(a.ndim, none=False, single=False))
        assert_close(t.flip(fd), np.flip(a, fd), dtype)
        rd = data.draw(dims(a.ndim, none=False, single=False))
        shifts = tuple(data.draw(st.integers(-7, 7)) for _ in rd)
        assert_close(t.roll(shifts, rd), np.roll(a, shifts, rd), dtype)
        shift = data.draw(st.integers(-7, 7))
        assert_close(t.roll(shift), np.roll(a, shift), dtype)


@PARITY
@given(data=st.data(), diagonal=st.integers(-4, 4))
def test_tril_triu(data, diagonal):
    dtype, a, t = data.draw(_tensor(min_dims=2, max_dims=4))
    assert_close(t.tril(diagonal), np.tril(a, diagonal), dtype)
    assert_close(rustgrad.triu(t, diagonal), np.triu(a, diagonal), dtype)


@PARITY
@given(data=st.data())
def test_gather_index_select_scatter(data):
    dtype, a, t = data.draw(_tensor(min_dims=1))
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[d]
    # gather: index of any shape no larger than input's along the other dims
    ishape = tuple(data.draw(st.integers(1, 4)) if i == d % a.ndim else data.draw(st.integers(1, s))
                   for i, s in enumerate(a.shape))
    index = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, n - 1)))
    sub = a[tuple(slice(0, s) if i != d % a.ndim else slice(None) for i, s in enumerate(ishape))]
    assert_close(t.gather(d, rustgrad.tensor(index)), np.take_along_axis(sub, index, axis=d), dtype)
    sel = data.draw(hnp.arrays(np.int64, (data.draw(st.integers(0, 5)),), elements=st.integers(0, n - 1)))
    assert_close(t.index_select(d, rustgrad.tensor(sel)), np.take(a, sel, axis=d), dtype)
    # scatter: per slice along d, distinct targets (PyTorch leaves the order of duplicates unspecified)
    perm_len = data.draw(st.integers(1, n))
    sshape = tuple(perm_len if i == d % a.ndim else s for i, s in enumerate(a.shape))
    rows = [data.draw(st.permutations(range(n)))[:perm_len] for _ in range(int(np.prod(sshape)) // perm_len)]
    index = np.moveaxis(np.array(rows, dtype=np.int64).reshape(
        tuple(s for i, s in enumerate(sshape) if i != d % a.ndim) + (perm_len,)), -1, d)
    src = data.draw(tensors(dtype, sshape, layouts=["contiguous"]))[0]
    expected = a.copy()
    np.put_along_axis(expected, index, src, axis=d)
    assert_close(t.scatter(d, rustgrad.tensor(index), rustgrad.tensor(src)), expected, dtype)
    expected = a.copy()
    np.put_along_axis(expected, index, np.array(1).astype(dtype), axis=d)
    assert_close(rustgrad.scatter(t, d, rustgrad.tensor(index), value=1), expected, dtype)


@PARITY
@given(data=st.data())
def test_masked_fill_and_where_broadcast(data):
    sa, sm, sb = data.draw(broadcastable(3, max_dims=3))
    dtype = data.draw(ANY_DTYPE)
    a, t = data.draw(tensors(dtype, sa))
    mask = data.draw(hnp.arrays(np.bool_, sm))
    value = data.draw(st.integers(0, 1)) if dtype == "bool" else data.draw(st.integers(0, 9))
    if np.broadcast_shapes(sa, sm) == sa:  # masked_fill keeps the input's shape
        expected = a.copy()
        expected[np.broadcast_to(mask, sa)] = value
        assert_close(t.masked_fill(rustgrad.tensor(mask), value), expected, dtype)
        assert_close(t.masked_fill(rustgrad.tensor(mask), rustgrad.tensor(value)), expected, dtype)
    dtype_b = data.draw(ANY_DTYPE)
    b, tb = data.draw(tensors(dtype_b, sb))
    out = result_dtype((dtype, len(sa)), (dtype_b, len(sb)))
    assert_close(rustgrad.where(make(mask, "strided"), t, tb), np.where(mask, a.astype(out), b.astype(out)), out)
    assert_close(t.where(rustgrad.tensor(mask), tb), np.where(mask, a.astype(out), b.astype(out)), out)
    # Python scalars on either side take part in promotion with their category only.
    s = data.draw(st.one_of(st.integers(0, 5), st.floats(-5, 5).map(lambda v: round(v, 2)), st.booleans()))
    out = result_dtype((dtype, len(sa)), s)
    sv = np.array(s).astype(out)
    assert_close(rustgrad.where(rustgrad.tensor(mask), t, s), np.where(mask, a.astype(out), sv), out)
    assert_close(rustgrad.where(rustgrad.tensor(mask), s, t), np.where(mask, sv, a.astype(out)), out)


@PARITY
@given(data=st.data())
def test_contiguous_copies_any_layout_into_row_major(data):
    dtype, a, t = data.draw(_tensor())
    c = t.contiguous()
    row_major = tuple(s // a.itemsize for s in np.array(a, order="C").strides)
    # strides of size-1 dims do not matter (PyTorch's contiguous() returns such a tensor as it is)
    assert c.is_contiguous() and all(n == 1 or s == r for n, s, r in zip(a.shape, c.stride(), row_major))
    assert_close(c, a, dtype)
    if a.ndim == 2:
        assert_close(t.T, a.T, dtype)
