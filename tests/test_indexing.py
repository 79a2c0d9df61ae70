"""Indexing: ``t[key]`` (SelectBackward0, SliceBackward0, UnsqueezeBackward0, AliasBackward0,
IndexBackward0) and ``t[key] = value`` (CopySlices, IndexPutBackward0, version counter, leaf
errors), against PyTorch and by finite differences.

Strings are PyTorch's (torch 2.13), with ``torch`` spelt ``rustgrad``.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip

FEW = settings(max_examples=10, deadline=None)

GETITEM = [
    'a[:]',
    'a[...]',
    'a[None]',
    'a[0]',
    'a[0,1]',
    'a[:,1]',
    'a[0:1,1:]',
    'a[:, :]',
    'a[::2]',
    'a[:, ::-1]',
    'a[1:100]',
    'a[5:]',
    'a[-1]',
    'a[-3]',
    'a[2]',
    'a[0,3]',
    'a[0,0,0]',
    'a[[0,1]]',
    'a[torch.tensor([True,False])]',
    'a[[True,False]]',
    'a[:, [0,2]]',
    'a[[0,1],[1,2]]',
    'a[[0,1],:,None]',
    'a[[0],[0,1,2]]',
    'a[[0,1],[0,1,2]]',
    'a[[5]]',
    'a[[-1]]',
    'a[torch.tensor([[0,1],[1,0]])]',
    'a[0, [0,2]]',
    'a[[0,1], 1]',
    'a[None, [0,1], None, 1]',
    'a[1.5]',
    'a[torch.tensor(1)]',
    'a[torch.tensor([1.])]',
    'a[torch.tensor([True,False,True])]',
    'a[0:2, 1]',
    'a[0, :]',
    'a[:, None]',
    'a[..., 0]',
    'a[None, ...]',
    'a[0:2]',
    'a[..., ...]',
    'a[0, ..., 1]',
    'a[(0,)]',
    'a[[0]]',
    'a[(0,1),]',
    'a[torch.tensor([0,1]), 1:]',
    'a[[0,1], ..., [0,1]]',
    'a[:, [0,1], None]',
    'a[[[0,1]]]',
    'a[True]',
    'a[False]',
    'a[None, None]',
    'a[[]]',
    'a[torch.tensor([[True,False,True],[False,True,True]])]',
    'a[:, torch.tensor([True,False,True])]',
    'a[1:, 2:][0]',
    'a.t()[1:, 0]',
    'a.t()[[1, 2]]',
    'a.t()[:, [1, 0]]',
    'a[1:, 2:][0]',
    'a[torch.tensor([0, 1], dtype=torch.long)]',
    'a[-1:, -2:]',
    'a[:, 1:2:5]',
    'a[:, 10:]',
    'a[:, -10:2]',
    "a['x']",
    'a[[0, 1], [True, False, True]]',
    'a[torch.tensor([[True, False, True]]), None]',
    'a[0][None][..., 1:]',
    'a[:, :, None, 0]',
]

SETITEM = [
    'b = a.clone(); b[0] = 10.',
    'b = a.clone(); b[0] = 10.; b.sum().backward()',
    'b = torch.zeros(3); b[0:2] = a[:2]',
    'b = torch.zeros(3); b[0:2] = a[:2]; (b * torch.tensor([1.,2.,3.])).sum().backward()',
    'b = a.clone(); b[[0,1]] = 5.',
    'b = a.clone(); b[[0,1]] = torch.tensor([5., 6.]); b.sum().backward()',
    'b = a.clone(); b[torch.tensor([False,True,True])] = 0.; b.sum().backward()',
    'b = a; b[0] = 5.',
    'b = a; b[[0]] = 5.',
    'b = a; b[torch.tensor([False,True,True])] = 5.',
    'b = a; b[...] = 5.',
    'b = a; b[:] = 5.',
    'b = a; b[None] = 5.',
    'b = a.clone(); b[...] = 5.',
    'b = a.clone(); b[:] = 5.; b.sum().backward()',
    'b = a.clone(); b[None] = 5.',
    'b = a.clone(); b[3] = 5.',
    'b = a.clone(); b[0:2] = torch.tensor([1.,2.,3.])',
    'b = a.clone(); b[[0,1]] = torch.tensor([1.,2.,3.])',
    'b = torch.zeros(2,3); b[0] = torch.ones(1,3)',
    'b = torch.zeros(2,3); b[0] = torch.ones(1,1,3)',
    'b = torch.zeros(2,3); b[0] = torch.ones(2,3)',
    'b = torch.zeros(2,3); b[:, [0,1]] = torch.ones(2,1)',
    'b = torch.zeros(2,3); b[0, [0,1]] = torch.tensor([7.,8.])',
    'b = torch.zeros(2,3,dtype=torch.long); b[0] = 2.7',
    'b = torch.zeros(2,3,dtype=torch.long); b[0] = a',
    'b = torch.zeros(3); b[0] = torch.tensor(True)',
    'b = torch.zeros(2,3); b[0, [0,1]] = a[:2]; (b*b).sum().backward()',
    'b = a.clone(); b[0] = a[1]; b.sum().backward()',
    'b = torch.zeros(3); b[0] = 1; b[1:] = 2; v = b[0:1]; v.add_(1)',
    'b = torch.zeros(2,3); b[[0,1],[0,2]] = torch.tensor([1.,2.])',
    'b = torch.zeros(3); b[[5]] = 1.',
    'b = torch.zeros(3); b[1.5] = 1.',
    "b = torch.zeros(3); b[0] = 'x'",
    'b = torch.zeros(3); b[0] = [1.]',
    'b = m.clone(); b[:, 1] = a[:2] * 2; (b * torch.tensor([[1.,2.,3.],[4.,5.,6.]])).sum().backward()',
    'b = m.clone(); b[1, ::2] = a[1]; b.sum().backward()',
    'b = m.clone(); b[:, [2, 0]] = a[:2, None]; (b * b).sum().backward()',
    'b = m.clone(); b[torch.tensor([[False,False,False],[True,True,True]])] = 0.',
    'b = m.clone(); b[0] = 1.; b.sum().backward(); b.sum().backward()',
    'b = torch.zeros(3); b[0] = 1.; b[[1]] = 2.; after = b._version',
    'b = m.clone(); c = b ** 2; b[0, 0] = 1.; c.sum().backward()',
    'b = torch.zeros(2, 3); c = b[0]; c[1] = 5.; v = b.t(); v[2, 1] = 7.',
    'b = m.clone(); b[..., 1:] = torch.tensor([10., 20.]); (b*b).sum().backward()',
    'b = torch.zeros(3); b[torch.tensor([False,True,True])] = a[1:]; b.sum().backward()',
]


def _name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _nexts(t):
    if t.grad_fn is None:
        return None
    return tuple(None if f is None else (type(f).__name__, n) for f, n in t.grad_fn.next_functions)


def _get(lib, code):
    a = lib.tensor([[0., 1., 2.], [3., 4., 5.]], requires_grad=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(code, {"torch": lib, "a": a})
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return ("error", type(e).__name__, str(e).replace("torch.", "rustgrad."))
    (r * lib.ones(tuple(r.shape))).sum().backward()
    return (_name(r), _nexts(r), tuple(r.shape), r.tolist(), r.stride(), a.grad.tolist())


@pytest.mark.parametrize("code", GETITEM)
def test_getitem_matches_pytorch(code):
    torch = torch_or_skip()
    assert _get(rustgrad, code) == _get(torch, code)


def _set(lib, code):
    env = {"torch": lib}
    exec("a = torch.tensor([1., 2., 3.], requires_grad=True); "
         "m = torch.tensor([[0., 1., 2.], [3., 4., 5.]], requires_grad=True)", env)
    try:
        exec(code, env)
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return ("error", type(e).__name__, str(e).replace("torch.", "rustgrad."))
    out = []
    for k in ("b", "c", "v"):
        if k in env:
            x = env[k]
            out.append((k, repr(x).replace("torch.", "rustgrad."), _nexts(x), x._version, x.is_leaf, x.requires_grad))
    out += [(k, None if env[k].grad is None else env[k].grad.tolist()) for k in ("a", "m")]
    return out, env.get("after")


@pytest.mark.parametrize("code", SETITEM)
def test_setitem_matches_pytorch(code):
    torch = torch_or_skip()
    assert _set(rustgrad, code) == _set(torch, code)


# ----- literal behaviour from the spec (no PyTorch needed) -----

def test_getitem_node_names_of_the_spec_table():
    a = rustgrad.tensor([[0., 1., 2.], [3., 4., 5.]], requires_grad=True)
    for t in (a[0], a[0, 1], a[:, 1]):
        assert _name(t) == "SelectBackward0"
    for t in (a[:1], a[0:1, 1:]):
        assert _name(t) == "SliceBackward0"
    assert _name(a[[0, 1]]) == "IndexBackward0"
    assert _name(a[rustgrad.tensor([[False, False, True], [True, True, True]])]) == "IndexBackward0"
    assert _name(a[..., None]) == "UnsqueezeBackward0"
    assert _nexts(a[0, 1]) == (("SelectBackward0", 0),)


def test_copyslices_on_a_clone():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    b = a.clone()
    b[0] = 10.
    assert repr(b) == "tensor([10.,  2.], grad_fn=<CopySlices>)"
    b.sum().backward()
    assert a.grad.tolist() == [0., 1.]


def test_assigning_a_grad_requiring_value_into_plain_zeros():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    z = rustgrad.zeros(3)
    z[0:2] = a
    assert repr(z) == "tensor([1., 2., 0.], grad_fn=<CopySlices>)"
    assert not z.is_leaf and z.requires_grad
    (z * rustgrad.tensor([3., 4., 5.])).sum().backward()
    assert a.grad.tolist() == [3., 4.]


def test_leaf_errors_depend_on_whether_the_key_makes_a_view():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    view_message = "a view of a leaf Variable that requires grad is being used in an in-place operation."
    leaf_message = "a leaf Variable that requires grad is being used in an in-place operation."
    for key, message in ((0, view_message), (slice(0, 1), view_message), (None, view_message),
                         ([0], leaf_message), (Ellipsis, leaf_message), (slice(None), leaf_message)):
        with pytest.raises(RuntimeError) as info:
            x[key] = 5.
        assert str(info.value) == message
    with rustgrad.no_grad():
        x[0] = 5.
    assert x.tolist() == [5., 2.] and x.is_leaf and x._version == 1


def test_version_counter_sequence_of_the_spec():
    t = rustgrad.zeros(3)
    t.add_(1)
    assert t._version == 1
    t[0] = 5
    assert t._version == 2
    t.mul_(2).add_(1)
    assert t._version == 4
    v = t[0:1]
    v.add_(1)
    assert t._version == v._version == 5
    assert t.tolist() == [12., 3., 3.]


def test_writes_through_an_index_view_reach_the_base_and_back():
    base = rustgrad.zeros(2, 3)
    row = base[1]
    row[2] = 7.
    col = base[:, 0]
    base[0, 0] = 3.
    assert base.tolist() == [[3., 0., 0.], [0., 0., 7.]]
    assert col.tolist() == [3., 0.]
    base.t()[1] = 4.
    assert row.tolist() == [0., 4., 7.]


def test_index_errors():
    a = rustgrad.ones(2, 3)
    cases = [
        (lambda: a[2], IndexError, "index 2 is out of bounds for dimension 0 with size 2"),
        (lambda: a[0, 3], IndexError, "index 3 is out of bounds for dimension 1 with size 3"),
        (lambda: a[[0, 5]], IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
        (lambda: a[0, 0, 0], IndexError, "too many indices for tensor of dimension 2"),
        (lambda: a[:, ::-1], ValueError, "step must be greater than zero"),
        (lambda: a[1.5], IndexError, "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                                     "Variables are valid indices (got float)"),
        (lambda: a.__setitem__([[0, 1], [0, 1, 2]], 1.), IndexError,
         "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"),
        (lambda: a.__setitem__(0, "x"), TypeError, "can't assign a str to a rustgrad.FloatTensor"),
        (lambda: a.__setitem__(slice(0, 2), rustgrad.ones(3, 3)), RuntimeError,
         "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 0.  "
         "Target sizes: [2, 3].  Tensor sizes: [3, 3]"),
    ]
    for fn, kind, message in cases:
        with pytest.raises(kind) as info:
            fn()
        assert str(info.value) == message


def test_integer_and_bool_targets_take_converted_values():
    t = rustgrad.zeros(2, 3, dtype=rustgrad.int64)
    t[0] = 2.7
    t[1, [0, 2]] = rustgrad.tensor([5, 6])
    assert t.tolist() == [[2, 2, 2], [5, 0, 6]]
    m = rustgrad.zeros(3, dtype=rustgrad.bool)
    m[1] = True
    assert m.tolist() == [False, True, False]


def test_duplicate_indices_in_backward_accumulate():
    a = rustgrad.tensor([1., 2., 3.], requires_grad=True)
    a[[0, 0, 2, 0]].sum().backward()
    assert a.grad.tolist() == [3., 0., 1.]


def test_second_backward_through_index_nodes_fails():
    message = "Trying to backward through the graph a second time"
    a = rustgrad.tensor([1., 2., 3.], requires_grad=True)
    out = a[[0, 1]].sum()
    out.backward()
    with pytest.raises(RuntimeError, match=message):
        out.backward()
    b = a.clone()
    b[0] = 1.
    out = b.sum()
    out.backward()
    with pytest.raises(RuntimeError, match=message):
        out.backward()
    out = a[1:].sum()
    out.backward()
    out.backward()
    assert a.grad.tolist() == [1., 4., 3.]


def test_large_assignment_without_grad_writes_in_place():
    n = 100_000
    t = rustgrad.zeros(n)
    t[1::2] = 1.
    t[rustgrad.tensor([0, 2])] = rustgrad.tensor([5., 6.])
    assert t.sum().item() == n // 2 + 11
    assert t._version == 2


# ----- gradients -----

def _matrix():
    return st.tuples(st.integers(2, 4), st.integers(2, 4)).flatmap(
        lambda s: st.lists(st.floats(-3, 3, allow_nan=False), min_size=s[0] * s[1], max_size=s[0] * s[1]).map(
            lambda v: np.array(v).reshape(s)))


GET = {
    "int": lambda lib, x: x[1],
    "int_int": lambda lib, x: x[-1, 0] * x[0],
    "slices": lambda lib, x: x[1:, ::2],
    "none_ellipsis": lambda lib, x: x[None, ..., 1:, None],
    "int_list": lambda lib, x: x[[0, 1, 0]],
    "two_lists": lambda lib, x: x[[0, 1], [1, 0]],
    "list_after_slice": lambda lib, x: x[:, [1, 0, 1]],
    "tensor_2d": lambda lib, x: x[lib.tensor([[0, 1], [1, 1]])],
    "mask": lambda lib, x: x[lib.tensor([True, False] + [True] * (x.shape[0] - 2))],
    "mixed": lambda lib, x: x[1:, [0, 1]][None, :, 0],
    "transposed": lambda lib, x: x.t()[1:][[0, 0]],
}


@pytest.mark.parametrize("name", sorted(GET))
@FEW
@given(x=_matrix())
def test_getitem_gradients_by_finite_differences(name, x):
    check_grads(lambda t: GET[name](rustgrad, t), x)


@pytest.mark.parametrize("name", sorted(GET))
def test_getitem_gradients_against_pytorch(name):
    check_against_torch(GET[name], np.random.default_rng(5).standard_normal((3, 4)))


def _assign(key, value_fn):
    def f(lib, x, y):
        b = x * 1
        b[key] = value_fn(y)
        return b * b
    return f


SET = {
    "row": _assign(0, lambda y: y[0]),
    "column_broadcast": _assign((slice(None), 1), lambda y: y[0, :1]),
    "strided": _assign((slice(None), slice(None, None, 2)), lambda y: y[:, ::2] * 3),
    "index_put": _assign(([0, 1], [2, 0]), lambda y: y[1, :2]),
    "mixed": _assign((1, [0, 2]), lambda y: y[0, 1:3]),
    "scalar_tensor": _assign((0, 0), lambda y: y.sum()),
    "whole": _assign(Ellipsis, lambda y: y.exp()),
}


@pytest.mark.parametrize("name", sorted(SET))
@FEW
@given(seed=st.integers(0, 1000))
def test_setitem_gradients_by_finite_differences(name, seed):
    rng = np.random.default_rng(seed)
    check_grads(lambda x, y: SET[name](rustgrad, x, y), rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))


@pytest.mark.parametrize("name", sorted(SET))
def test_setitem_gradients_against_pytorch(name):
    rng = np.random.default_rng(6)
    check_against_torch(SET[name], rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))


# Writes through advanced indexing / masked_fill_ on an expanded tensor (internal overlap): PyTorch
# warns that this is deprecated (index_put_, then masked_fill_ when a single bool mask gets a
# one-element value) and writes anyway; basic indexing refuses instead.
INDEX_PUT_WARNING = (
    "Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before performing this "
    "operation. This also applies to advanced indexing e.g. tensor[indices] = tensor"
)
MASKED_FILL_WARNING = (
    "Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing this "
    "operation. This also applies to advanced indexing e.g. tensor[mask] = scalar"
)
OVERLAP_ERROR = (
    "unsupported operation: more than one element of the written-to tensor refers to a single memory location. "
    "Please clone() the tensor before performing the operation."
)
_MASK = [[True, False, True, False]] * 3

EXPANDED_WRITE_CASES = [
    (lambda lib, t: t.masked_fill_(lib.tensor(_MASK), 1.0), [MASKED_FILL_WARNING]),
    (lambda lib, t: t.masked_fill_(lib.tensor(_MASK), lib.tensor(2.0)), [MASKED_FILL_WARNING]),
    (lambda lib, t: t.masked_fill_(lib.tensor([True, False, True, False]), 3.0), [MASKED_FILL_WARNING]),
    (lambda lib, t: t.masked_fill(lib.tensor(_MASK), 1.0), []),
    (lambda lib, t: t.__setitem__(lib.tensor(_MASK), 1.0), [INDEX_PUT_WARNING, MASKED_FILL_WARNING]),
    (lambda lib, t: t.__setitem__(lib.tensor(_MASK), lib.tensor(2.0)), [INDEX_PUT_WARNING, MASKED_FILL_WARNING]),
    (lambda lib, t: t.__setitem__(lib.tensor(_MASK), lib.tensor([2.0])), [INDEX_PUT_WARNING, MASKED_FILL_WARNING]),
    (lambda lib, t: t.__setitem__(lib.tensor(_MASK), lib.ones(6)), [INDEX_PUT_WARNING]),
    (lambda lib, t: t.__setitem__((slice(None), lib.tensor([True, False, True, False])), 1.0),
     [INDEX_PUT_WARNING, MASKED_FILL_WARNING]),
    (lambda lib, t: t.__setitem__(lib.tensor([0, 1]), 1.0), [INDEX_PUT_WARNING]),
    (lambda lib, t: t.__setitem__([0, 2], 1.0), [INDEX_PUT_WARNING]),
    (lambda lib, t: t.__setitem__((slice(None), lib.tensor([0, 1])), 1.0), [INDEX_PUT_WARNING]),
    (lambda lib, t: t.__setitem__((slice(0, 2), lib.tensor([0, 3])), 5.0), [INDEX_PUT_WARNING]),
    (lambda lib, t: t.__setitem__((0, 0), 1.0), []),  # one element: no overlap
    (lambda lib, t: t.__setitem__(0, 1.0), OVERLAP_ERROR),
    (lambda lib, t: t.__setitem__(slice(0, 2), 1.0), OVERLAP_ERROR),
    (lambda lib, t: t.__setitem__(Ellipsis, 1.0), OVERLAP_ERROR),
    (lambda lib, t: t.fill_(4.0), []),
    (lambda lib, t: t.add_(1.0), OVERLAP_ERROR),
]


def _run_expanded_write(lib, call, requires_grad=False):
    base = lib.zeros(3, 1, requires_grad=requires_grad)
    t = (base * 1 if requires_grad else base).expand(3, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call(lib, t)
        except RuntimeError as e:
            return str(e)
    assert all(w.category is UserWarning for w in caught)
    # PyTorch appends " (Triggered internally at <file>:<line>.)" to C++ warnings; rustgrad leaves it out.
    messages = [str(w.message).split(" (Triggered internally at")[0] for w in caught]
    return messages, t.tolist()


@pytest.mark.parametrize("case", range(len(EXPANDED_WRITE_CASES)))
def test_writes_into_expanded_tensors_warn_or_refuse(case):
    call, expected = EXPANDED_WRITE_CASES[case]
    got = _run_expanded_write(rustgrad, call)
    if isinstance(expected, str):
        assert got == expected
    else:
        assert got[0] == expected


@pytest.mark.parametrize("case", range(len(EXPANDED_WRITE_CASES)))
@pytest.mark.parametrize("requires_grad", [False, True])
def test_writes_into_expanded_tensors_match_torch(case, requires_grad):
    torch = torch_or_skip()
    call, _ = EXPANDED_WRITE_CASES[case]
    assert _run_expanded_write(rustgrad, call, requires_grad) == _run_expanded_write(torch, call, requires_grad)


def test_expanded_write_warning_can_be_turned_into_an_error():
    t = rustgrad.zeros(3, 1).expand(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="Use of masked_fill_ on expanded tensors is deprecated"):
            t.masked_fill_(rustgrad.tensor(_MASK), 1.0)
        with pytest.raises(UserWarning, match="Use of index_put_ on expanded tensors is deprecated"):
            t[rustgrad.tensor([0])] = 1.0
    assert t.tolist() == [[0.0] * 4] * 3  # nothing written


# ----- index_put / index_put_ (IndexPutBackward0) -----

INDEX_PUT_CASES = [
    ("basic", lambda lib, t: t.index_put_((lib.tensor([0, 2]),), lib.tensor(1.0))),
    ("pairs", lambda lib, t: t.index_put_((lib.tensor([0, 2]), lib.tensor([1, 3])), lib.tensor([5.0, 6.0]))),
    ("accumulate", lambda lib, t: t.index_put_((lib.tensor([0, 0]),), lib.tensor(1.0), accumulate=True)),
    ("accumulate positional", lambda lib, t: t.index_put_((lib.tensor([0, 0]), lib.tensor([1, 1])), lib.tensor(1.0), True)),
    ("mask", lambda lib, t: t.index_put_((lib.tensor([True, False, True]),), lib.tensor(2.0))),
    ("2-d mask", lambda lib, t: t.index_put_((lib.tensor([[True, False, False, True]] * 3),), lib.tensor(2.0))),
    ("mask takes a number of another dtype", lambda lib, t: t.index_put_((lib.tensor([True, False, True]),), lib.tensor(3))),
    ("list of indices", lambda lib, t: t.index_put_([lib.tensor([1])], lib.tensor(2.0))),
    ("int32 indices", lambda lib, t: t.index_put_((lib.tensor([0, 1], dtype=lib.int32),), lib.tensor(1.0))),
    ("out of place", lambda lib, t: t.index_put((lib.tensor([0]),), lib.tensor(1.0))),
    ("function", lambda lib, t: lib.index_put(t, (lib.tensor([0]),), lib.tensor(1.0))),
    ("function in place", lambda lib, t: lib.index_put_(t, (lib.tensor([0]),), lib.tensor(1.0))),
    ("None index", lambda lib, t: t.index_put_((None, lib.tensor([1])), lib.tensor(2.0))),
    ("number value", lambda lib, t: t.index_put_((lib.tensor([1]),), 2.0)),
    ("dtype mismatch", lambda lib, t: t.index_put_((lib.tensor([1]),), lib.tensor(2.0, dtype=lib.float64))),
    ("int value", lambda lib, t: t.index_put((lib.tensor([1]),), lib.tensor(2))),
    ("too many", lambda lib, t: t.index_put_((lib.tensor([1]),) * 3, lib.tensor(2.0))),
    ("float index", lambda lib, t: t.index_put_((lib.tensor([1.0]),), lib.tensor(2.0))),
    ("out of bounds", lambda lib, t: t.index_put_((lib.tensor([5]),), lib.tensor(2.0))),
    ("shape mismatch", lambda lib, t: t.index_put_((lib.tensor([0, 1]),), lib.ones(3))),
    ("mask shape", lambda lib, t: t.index_put_((lib.tensor([True, False]),), lib.tensor(2.0))),
    ("not a tuple", lambda lib, t: t.index_put_(lib.tensor([0]), lib.tensor(1.0))),
]


def _run_index_put(lib, call):
    t = lib.zeros(3, 4)
    try:
        out = call(lib, t)
    except (RuntimeError, IndexError, TypeError) as e:
        return type(e).__name__, str(e)
    return out.tolist(), t.tolist(), out is t


@pytest.mark.parametrize("name", [c[0] for c in INDEX_PUT_CASES])
def test_index_put_matches_torch(name):
    torch = torch_or_skip()
    call = dict(INDEX_PUT_CASES)[name]
    assert _run_index_put(rustgrad, call) == _run_index_put(torch, call)


def test_index_put_values_and_errors():
    cases = dict(INDEX_PUT_CASES)
    out, t, same = _run_index_put(rustgrad, cases["accumulate"])
    assert same and out == [[2.0] * 4, [0.0] * 4, [0.0] * 4]
    out, t, same = _run_index_put(rustgrad, cases["out of place"])
    assert not same and t == [[0.0] * 4] * 3 and out[0] == [1.0] * 4
    assert _run_index_put(rustgrad, cases["dtype mismatch"]) == (
        "RuntimeError", "Index put requires the source and destination dtypes match, got Float for the destination and "
        "Double for the source.")
    assert _run_index_put(rustgrad, cases["too many"]) == ("IndexError", "too many indices for tensor of dimension 2 (got 3)")
    assert _run_index_put(rustgrad, cases["number value"]) == (
        "TypeError", "index_put_(): argument 'values' (position 2) must be Tensor, not float")
    assert _run_index_put(rustgrad, cases["None index"]) == (
        "TypeError", "expected Tensor as element 0 in argument 0, but got NoneType")


def test_index_put_gradients():
    check_grads(lambda t, v: t.index_put((rustgrad.tensor([2, 0, 2]),), v, accumulate=True), [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[1.0, -1.0]])
    check_grads(lambda t, v: (t * 1).index_put_((rustgrad.tensor([1]), rustgrad.tensor([0])), v), [[1.0, 2.0], [3.0, 4.0]], [7.0])
    check_against_torch(lambda lib, t, v: t.index_put((lib.tensor([[True, False], [False, True]]),), v * 2), [[1.0, 2.0], [3.0, 4.0]], [1.5])
    x = rustgrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place operation.$"):
        x.index_put_((rustgrad.tensor([0]),), rustgrad.tensor(1.0))
    y = (x * 1).index_put_((rustgrad.tensor([0]),), rustgrad.tensor(1.0, requires_grad=True))
    assert type(y.grad_fn).__name__ == "IndexPutBackward0"


def _index_put_expanded_warnings(lib, accumulate, value):
    t = lib.zeros(3, 1).expand(3, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t.index_put_((lib.tensor([True, False, True]),), lib.tensor(value), accumulate=accumulate)
    return [str(w.message).split(" (Triggered internally at")[0] for w in caught]


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("value", [[1.0], 1.0])
def test_index_put_into_an_expanded_tensor_warns(accumulate, value):
    # a single mask with a one-element value goes on to masked_fill_ (not when accumulating)
    expected = [INDEX_PUT_WARNING] if accumulate else [INDEX_PUT_WARNING, MASKED_FILL_WARNING]
    assert _index_put_expanded_warnings(rustgrad, accumulate, value) == expected


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("value", [[1.0], 1.0])
def test_index_put_into_an_expanded_tensor_warns_as_torch(accumulate, value):
    torch = torch_or_skip()
    assert _index_put_expanded_warnings(rustgrad, accumulate, value) == _index_put_expanded_warnings(torch, accumulate, value)


# ----- masked_scatter / masked_scatter_ (MaskedScatterBackward0) -----

_MS_MASK = [[True, False, True], [False, True, False]]
MASKED_SCATTER_CASES = [
    ("basic", lambda lib, x: x.masked_scatter(lib.tensor(_MS_MASK), lib.arange(1.0, 7).view(2, 3))),
    ("broadcast mask", lambda lib, x: x.masked_scatter(lib.tensor([True, False, True]), lib.arange(1.0, 7))),
    ("column mask", lambda lib, x: x.masked_scatter(lib.tensor([[True], [False]]), lib.arange(1.0, 7))),
    ("self broadcast", lambda lib, x: lib.zeros(3).masked_scatter(lib.ones(2, 3, dtype=lib.bool), lib.arange(1.0, 7))),
    ("in place", lambda lib, x: x.clone().masked_scatter_(lib.tensor(_MS_MASK), lib.arange(1.0, 7))),
    ("function", lambda lib, x: lib.masked_scatter(x, lib.tensor(_MS_MASK), lib.arange(1.0, 7))),
    ("0-d true", lambda lib, x: lib.zeros(()).masked_scatter(lib.tensor(True), lib.tensor([5.0, 6]))),
    ("0-d false", lambda lib, x: lib.zeros(()).masked_scatter(lib.tensor(False), lib.tensor([5.0, 6]))),
    ("int64", lambda lib, x: lib.zeros(2, dtype=lib.int64).masked_scatter(lib.tensor([True, True]), lib.tensor([5, 6]))),
    ("source too small", lambda lib, x: x.masked_scatter(lib.tensor(_MS_MASK), lib.arange(1.0, 3))),
    ("int mask", lambda lib, x: x.masked_scatter(lib.tensor(_MS_MASK).int(), lib.arange(1.0, 7))),
    ("dtypes differ", lambda lib, x: x.masked_scatter(lib.tensor(_MS_MASK).int(), lib.arange(1, 7))),
    ("number source", lambda lib, x: x.masked_scatter(lib.tensor(_MS_MASK), 1.0)),
    ("shapes", lambda lib, x: x.masked_scatter(lib.ones(2, 2, dtype=lib.bool), lib.arange(1.0, 7))),
    ("in place mask too big", lambda lib, x: lib.zeros(3).masked_scatter_(lib.ones(2, 3, dtype=lib.bool), lib.arange(1.0, 7))),
    ("in place mask shape", lambda lib, x: x.clone().masked_scatter_(lib.ones(2, 2, dtype=lib.bool), lib.arange(1.0, 7))),
    ("expanded", lambda lib, x: lib.zeros(3, 1).expand(3, 4).masked_scatter_(lib.ones(3, 4, dtype=lib.bool), lib.ones(12))),
    ("leaf", lambda lib, x: lib.zeros(3, requires_grad=True).masked_scatter_(lib.ones(3, dtype=lib.bool), lib.ones(3))),
]


def _run_masked_scatter(lib, call):
    try:
        out = call(lib, lib.zeros(2, 3))
    except (RuntimeError, TypeError) as e:
        return type(e).__name__, str(e)
    return out.tolist(), str(out.dtype).split(".")[-1]


@pytest.mark.parametrize("name", [c[0] for c in MASKED_SCATTER_CASES])
def test_masked_scatter_matches_torch(name):
    torch = torch_or_skip()
    call = dict(MASKED_SCATTER_CASES)[name]
    assert _run_masked_scatter(rustgrad, call) == _run_masked_scatter(torch, call)


def test_masked_scatter_values_and_errors():
    cases = dict(MASKED_SCATTER_CASES)
    assert _run_masked_scatter(rustgrad, cases["basic"]) == ([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]], "float32")
    assert _run_masked_scatter(rustgrad, cases["column mask"]) == ([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], "float32")
    assert _run_masked_scatter(rustgrad, cases["source too small"]) == (
        "RuntimeError", "Number of elements of source < number of ones in mask")
    assert _run_masked_scatter(rustgrad, cases["int mask"]) == (
        "RuntimeError", "masked_scatter_ only supports boolean masks, but got mask with dtype Int")
    assert _run_masked_scatter(rustgrad, cases["dtypes differ"]) == (
        "RuntimeError", "masked_scatter: expected self and source to have same dtypes but gotFloat and Long")
    assert _run_masked_scatter(rustgrad, cases["expanded"]) == ("RuntimeError", OVERLAP_ERROR)


@FEW
@given(st.lists(st.booleans(), min_size=6, max_size=6), st.integers(0, 3))
def test_masked_scatter_gradients(mask, extra):
    m = rustgrad.tensor(mask).view(2, 3)
    source = np.linspace(-1.0, 2.0, sum(mask) + extra)
    base = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
    if source.size:
        check_grads(lambda x, s: x.masked_scatter(m, s), base, source)
    else:
        check_grads(lambda x: x.masked_scatter(m, rustgrad.zeros(0, dtype=rustgrad.float64)), base)


def test_masked_scatter_matches_torch_gradients():
    check_against_torch(lambda lib, x, s: x.masked_scatter(lib.tensor([True, False, True]), s * 2),
                        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [1.0, 2.0, 3.0, 4.0, 5.0])
    check_against_torch(lambda lib, x, s: (x * 1).masked_scatter_(lib.tensor([[True], [False]]), s).exp(),
                        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.5, -0.5, 1.5])


def test_masked_scatter_node():
    a = rustgrad.zeros(2, 3, requires_grad=True)
    s = rustgrad.arange(1.0, 8, requires_grad=True)
    y = a.masked_scatter(rustgrad.tensor(_MS_MASK), s)
    assert type(y.grad_fn).__name__ == "MaskedScatterBackward0"
    assert tuple(y.grad_fn._saved_source_sym_sizes) == (7,)
    y.backward(rustgrad.arange(10.0, 16).view(2, 3))
    assert a.grad.tolist() == [[0.0, 11.0, 0.0], [13.0, 0.0, 15.0]]
    assert s.grad.tolist() == [10.0, 12.0, 14.0, 0.0, 0.0, 0.0, 0.0]
