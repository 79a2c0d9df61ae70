"""Packed sequences (``rustgrad.nn.utils.rnn``) and the recurrent layers over them: round trips
with hypothesis-drawn lengths, gradients against finite differences in float64, values,
gradients, grad_fn names, reprs and errors against PyTorch with the same weights."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad import nn
from rustgrad.nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence, pack_sequence,
                                   pad_packed_sequence, pad_sequence, unpack_sequence, unpad_sequence)
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

lengths_st = st.lists(st.integers(1, 5), min_size=1, max_size=4)


def padded_array(lengths, batch_first, features=2, seed=0):
    rng = np.random.default_rng(seed)
    steps = max(lengths)
    shape = (len(lengths), steps, features) if batch_first else (steps, len(lengths), features)
    return rng.standard_normal(shape)


# --- packing and padding --------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(lengths=lengths_st, batch_first=st.booleans(), padding=st.sampled_from([0.0, -1.5]), extra=st.integers(0, 2))
def test_pack_then_pad_round_trips(lengths, batch_first, padding, extra):
    seqs = [rustgrad.randn(n, 3) for n in lengths]
    padded = pad_sequence(seqs, batch_first=batch_first, padding_value=padding)
    packed = pack_padded_sequence(padded, lengths, batch_first=batch_first, enforce_sorted=False)
    assert packed.data.shape == (sum(lengths), 3)
    expected_sizes = [sum(n > t for n in lengths) for t in range(max(lengths))]
    assert packed.batch_sizes.tolist() == expected_sizes and packed.batch_sizes.dtype == rustgrad.int64
    order = packed.sorted_indices.tolist()
    assert [lengths[i] for i in order] == sorted(lengths, reverse=True)
    assert [order[i] for i in packed.unsorted_indices.tolist()] == list(range(len(lengths)))
    total = max(lengths) + extra
    back, back_lengths = pad_packed_sequence(packed, batch_first=batch_first, padding_value=padding,
                                             total_length=total)
    assert back_lengths.tolist() == lengths and back_lengths.dtype == rustgrad.int64
    expected = pad_sequence(seqs + [rustgrad.zeros(total, 3)], batch_first=batch_first, padding_value=padding)
    expected = expected.narrow(0 if batch_first else 1, 0, len(lengths))
    np.testing.assert_array_equal(back.numpy(), expected.numpy())
    assert [s.tolist() for s in unpack_sequence(packed)] == [s.tolist() for s in seqs]
    assert [s.tolist() for s in unpad_sequence(back, back_lengths, batch_first=batch_first)] == [
        s.tolist() for s in seqs]


@settings(max_examples=15, deadline=None)
@given(lengths=lengths_st)
def test_pack_sequence_sorted_equals_unsorted_after_sorting(lengths):
    seqs = [rustgrad.arange(n * 2).reshape(n, 2) + 10 * i for i, n in enumerate(lengths)]
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    sorted_pack = pack_sequence([seqs[i] for i in order])
    assert sorted_pack.sorted_indices is None and sorted_pack.unsorted_indices is None
    unsorted_pack = pack_sequence(seqs, enforce_sorted=False)
    assert unsorted_pack.batch_sizes.tolist() == sorted_pack.batch_sizes.tolist()
    # both hold each step's rows in length order (ties in either order)
    assert sorted(map(tuple, unsorted_pack.data.tolist())) == sorted(map(tuple, sorted_pack.data.tolist()))
    assert [s.tolist() for s in unpack_sequence(unsorted_pack)] == [s.tolist() for s in seqs]


@settings(max_examples=10, deadline=None)
@given(lengths=lengths_st, batch_first=st.booleans(), seed=st.integers(0, 99))
def test_pack_pad_gradients_match_finite_differences(lengths, batch_first, seed):
    x = padded_array(lengths, batch_first, seed=seed)

    def f(t):
        packed = pack_padded_sequence(t, lengths, batch_first=batch_first, enforce_sorted=False)
        return pad_packed_sequence(PackedSequence(packed.data * packed.data, packed.batch_sizes,
                                                  packed.sorted_indices, packed.unsorted_indices),
                                   batch_first=not batch_first, padding_value=2.0)[0]

    check_grads(f, x)


@settings(max_examples=10, deadline=None)
@given(lengths=lengths_st, batch_first=st.booleans(), enforce=st.booleans(), seed=st.integers(0, 99))
def test_pack_and_pad_match_torch(lengths, batch_first, enforce, seed):
    if enforce:
        lengths = sorted(lengths, reverse=True)
    x = padded_array(lengths, batch_first, seed=seed)

    def packed(lib, t):
        return lib.nn.utils.rnn.pack_padded_sequence(t, lengths, batch_first=batch_first, enforce_sorted=enforce)

    check_against_torch(lambda lib, t: packed(lib, t).data, x)
    check_against_torch(lambda lib, t: lib.nn.utils.rnn.pad_packed_sequence(
        packed(lib, t * 2), batch_first=batch_first, padding_value=-1.0, total_length=6)[0], x)
    check_against_torch(lambda lib, t: lib.nn.utils.rnn.unpad_sequence(
        t.clone(), lib.tensor(lengths), batch_first=batch_first)[-1], x)


def name(node):
    """A node's class name (PyTorch's ``node.name()`` spells CopySlices with its C++ namespace)."""
    return type(node).__name__


def test_grad_fn_names_saved_values_and_second_backward_match_torch():
    torch = torch_or_skip()
    names = []
    for lib in (torch, rustgrad):
        rnn = lib.nn.utils.rnn
        x = lib.randn(4, 3, 2, requires_grad=True)
        sorted_pack = rnn.pack_padded_sequence(x, [4, 3, 1])
        unsorted_pack = rnn.pack_padded_sequence(x, [3, 4, 1], enforce_sorted=False)
        node = sorted_pack.data.grad_fn
        out_sorted, lengths = rnn.pad_packed_sequence(sorted_pack)
        row = [name(node), node._saved_batch_first, tuple(node._saved_input_sym_sizes), node._saved_result1.tolist(),
               name(unsorted_pack.data.grad_fn), name(out_sorted.grad_fn),
               name(rnn.pad_packed_sequence(unsorted_pack)[0].grad_fn),
               name(rnn.pad_packed_sequence(sorted_pack, batch_first=True)[0].grad_fn),
               [name(s.grad_fn) for s in rnn.unpad_sequence(out_sorted, lengths, batch_first=False)]]
        sorted_pack.data.sum().backward()
        try:
            sorted_pack.data.sum().backward()
            row.append(None)
        except RuntimeError as e:
            row.append(str(e).replace("torch.", "rustgrad."))
        names.append(row)
    assert names[1] == names[0]
    assert names[1][0] == "PackPaddedSequenceBackward0"


def test_reprs_match_torch():
    torch = torch_or_skip()
    reprs = []
    for lib in (torch, rustgrad):
        rnn = lib.nn.utils.rnn
        ints = rnn.pack_sequence([lib.tensor([1, 2, 3]), lib.tensor([4, 5]), lib.tensor([6])])
        floats = rnn.pack_sequence([lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0, 4.0, 5.0])],
                                   enforce_sorted=False)
        padded = rnn.pad_packed_sequence(floats, batch_first=True)
        reprs.append([repr(ints), repr(floats), repr(padded), repr(rnn.unpack_sequence(ints)),
                      repr(rnn.invert_permutation(lib.tensor([2, 0, 1])))])
    assert [r.replace("torch.", "rustgrad.") for r in reprs[0]] == reprs[1]


def test_packed_sequence_behaves_as_a_named_tuple():
    packed = pack_sequence([rustgrad.ones(3, 2), rustgrad.ones(1, 2) * 2], enforce_sorted=False)
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data is packed.data and packed[1] is batch_sizes and len(packed) == 4
    assert isinstance(packed, tuple) and packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert packed.is_cuda is False
    assert packed.to(rustgrad.float32) is packed and packed.float() is packed
    double = packed.double()
    assert double.data.dtype == rustgrad.float64 and double.batch_sizes is batch_sizes
    assert double.sorted_indices.tolist() == sorted_indices.tolist()
    assert packed.cpu() is packed
    rebuilt = PackedSequence((data, batch_sizes), sorted_indices=rustgrad.tensor([1, 0]))
    assert rebuilt.unsorted_indices.tolist() == [1, 0] and rebuilt.data is data
    assert invert_permutation(None) is None
    assert invert_permutation(rustgrad.tensor([2, 0, 3, 1])).tolist() == [1, 3, 0, 2]
    assert pack_padded_sequence(rustgrad.ones(2, 2), rustgrad.tensor([2.0, 1.0])).batch_sizes.tolist() == [2, 1]


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [2, 3, 1]),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [3, 0, 1], enforce_sorted=False),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [3, 2, 0]),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [3, 2, -1]),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [3, 2]),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), [3, 2, 1], batch_first=True),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(4, 3, 2), lib.tensor([[3, 2, 1]])),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(3), [3]),
    lambda lib: lib.nn.utils.rnn.pack_padded_sequence(lib.ones(0, 2), []),
    lambda lib: lib.nn.utils.rnn.pad_packed_sequence(
        lib.nn.utils.rnn.pack_padded_sequence(lib.ones(3, 2), [3, 2]), total_length=2),
    lambda lib: lib.nn.utils.rnn.pack_sequence([]),
    lambda lib: lib.nn.utils.rnn.PackedSequence(lib.ones(3)),
    lambda lib: lib.nn.utils.rnn.unpad_sequence(lib.ones(3, 2, 1), lib.tensor([3, 2, 1])),
    lambda lib: lib.nn.GRU(2, 3)(lib.nn.utils.rnn.pack_sequence([lib.ones(2, 2), lib.ones(1, 2)]), lib.zeros(1, 1, 3)),
    lambda lib: lib.nn.RNN(3, 3)(lib.nn.utils.rnn.pack_sequence([lib.ones(2, 2), lib.ones(1, 2)])),
    lambda lib: lib.nn.GRU(2, 3)(lib.nn.utils.rnn.pack_sequence([lib.ones(2, 2, dtype=lib.float64)])),
    lambda lib: lib.nn.RNN(2, 3)(lib.nn.utils.rnn.pack_sequence([lib.ones(2, 2), lib.ones(1, 2)]), lib.zeros(2, 3)),
    lambda lib: lib.nn.LSTM(3, 3)(lib.nn.utils.rnn.pack_sequence([lib.ones(2, 2), lib.ones(1, 2)])),
    lambda lib: lib.nn.LSTM(2, 3)(lib.nn.utils.rnn.pack_sequence([lib.ones(2, 2, dtype=lib.float64)])),
] + [
    (lambda h, c: lambda lib: lib.nn.LSTM(2, 3, num_layers=2)(
        lib.nn.utils.rnn.pack_sequence([lib.ones(3, 2), lib.ones(2, 2), lib.ones(1, 2)]),
        (lib.zeros(*h), lib.zeros(*c))))(h, c)
    for h, c in [((2, 3, 3), (2, 2, 3)), ((2, 2, 3), (2, 2, 3)), ((2, 4, 3), (2, 4, 3)), ((2, 3, 3), (2, 4, 3)),
                 ((2, 3, 3), (3, 3)), ((3,), (2, 3, 3)), ((2, 3, 4), (2, 3, 3)), ((2, 3, 3), (2, 3, 2)),
                 ((1, 3, 3), (1, 3, 3)), ((3, 3, 3), (3, 3, 3))]
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


# --- recurrent layers over packed sequences -------------------------------------------------------

def copy_weights(theirs, ours):
    for name, p in theirs.named_parameters():
        with rustgrad.no_grad():
            getattr(ours, name).copy_(rustgrad.from_numpy(p.detach().numpy().copy()))


def run_packed_both(torch, kind, kwargs, x, lengths, enforce_sorted, hx):
    """Per library: packed output data, padded output, final states and every gradient (input,
    initial states, weights) of one module with PyTorch's weights copied in."""
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's oneDNN notice for LSTM projections
        theirs = getattr(torch.nn, kind)(3, 4, **kwargs)
        ours = getattr(nn, kind)(3, 4, **kwargs)
        copy_weights(theirs, ours)
        for lib, module in ((torch, theirs), (rustgrad, ours)):
            rnn = lib.nn.utils.rnn
            xt = lib.tensor(x, requires_grad=True)
            states = None if hx is None else [lib.tensor(a, requires_grad=True) for a in hx]
            packed = rnn.pack_padded_sequence(xt, lengths, batch_first=module.batch_first, enforce_sorted=enforce_sorted)
            h = None if states is None else (tuple(states) if kind == "LSTM" else states[0])
            out, hidden = module(packed) if h is None else module(packed, h)
            assert type(out).__name__ == "PackedSequence"
            assert out.batch_sizes is packed.batch_sizes and out.sorted_indices is packed.sorted_indices
            hidden = list(hidden) if isinstance(hidden, tuple) else [hidden]
            padded, out_lengths = rnn.pad_packed_sequence(out, batch_first=module.batch_first)
            loss = (padded * padded).sum() + sum((s * (i + 2.0)).sum() for i, s in enumerate(hidden))
            loss.backward()
            grads = [xt.grad] + ([] if states is None else [s.grad for s in states])
            results.append(([out.data.detach().numpy(), padded.detach().numpy(), out_lengths.numpy()]
                            + [s.detach().numpy() for s in hidden],
                            [g.numpy() for g in grads] + [p.grad.numpy() for _, p in module.named_parameters()],
                            [name(out.data.grad_fn)] + [name(s.grad_fn) for s in hidden]))
    return results


@pytest.mark.parametrize("kind,kwargs", [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
    ("GRU", {}), ("GRU", {"num_layers": 2, "bidirectional": True}), ("GRU", {"batch_first": True, "bias": False}),
    ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 2, "bidirectional": True}), ("LSTM", {"proj_size": 3, "num_layers": 2}),
])
@pytest.mark.parametrize("enforce_sorted,with_hx", [(True, False), (False, False), (False, True)])
def test_layers_over_packed_sequences_match_torch(kind, kwargs, enforce_sorted, with_hx):
    torch = torch_or_skip()
    rng = np.random.default_rng(5)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    batch_first = kwargs.get("batch_first", False)
    x = rng.standard_normal((4, 5, 3) if batch_first else (5, 4, 3)).astype(np.float32)
    hx = None
    if with_hx:
        layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        h_size = kwargs.get("proj_size", 0) or 4
        hx = [rng.standard_normal((layers, 4, h_size)).astype(np.float32)]
        if kind == "LSTM":
            hx.append(rng.standard_normal((layers, 4, 4)).astype(np.float32))
    (t_vals, t_grads, t_names), (r_vals, r_grads, r_names) = run_packed_both(torch, kind, kwargs, x, lengths,
                                                                            enforce_sorted, hx)
    assert r_names == t_names
    for a, b in zip(r_vals, t_vals):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, atol=1e-5)
    for a, b in zip(r_grads, t_grads):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-4)


def packed_functional(module, names, lengths, cell=lambda h: h * 0.5):
    """``f(x, h0, *weights)``: ``module`` over ``x`` packed with ``lengths`` (unsorted) from the
    initial state ``h0`` (``(h0, cell(h0))`` for an LSTM), padded output and final states flattened."""

    def f(x, h0, *weights):
        saved = {n: getattr(module, n) for n in names}
        for n, w in zip(names, weights):
            delattr(module, n)
            object.__setattr__(module, n, w)
        try:
            packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
            out, hidden = module(packed, (h0, cell(h0)) if isinstance(module, nn.LSTM) else h0)
        finally:
            for n in names:
                object.__delattr__(module, n)
                module.register_parameter(n, saved[n])
        padded = pad_packed_sequence(out, padding_value=0.25)[0]
        hidden = hidden if isinstance(hidden, tuple) else (hidden,)
        return rustgrad.cat([padded.reshape(-1)] + [h.reshape(-1) * (i + 1.5) for i, h in enumerate(hidden)])

    return f


@settings(max_examples=6, deadline=None)
@given(kind=st.sampled_from(["LSTM", "GRU", "RNN"]), lengths=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       bidirectional=st.booleans(), seed=st.integers(0, 99))
def test_packed_layer_gradients_match_finite_differences(kind, lengths, bidirectional, seed):
    module = getattr(nn, kind)(2, 2, bidirectional=bidirectional, dtype=rustgrad.float64)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((max(lengths), len(lengths), 2))
    h0 = rng.standard_normal((2 if bidirectional else 1, len(lengths), 2))
    names = ["weight_ih_l0", "weight_hh_l0", "bias_hh_l0"] + (["weight_hh_l0_reverse"] if bidirectional else [])
    weights = [getattr(module, n).detach().numpy() for n in names]
    check_grads(packed_functional(module, names, lengths), x, h0, *weights, atol=1e-5)


def test_packed_lstm_with_projection_gradients_match_finite_differences():
    module = nn.LSTM(2, 3, proj_size=2, num_layers=2, dtype=rustgrad.float64)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 3, 2))
    h0 = rng.standard_normal((2, 3, 2))
    names = ["weight_hr_l0", "weight_ih_l1"]
    # the cell state has the hidden size 3, the projected state 2
    f = packed_functional(module, names, [2, 3, 1], cell=lambda h: rustgrad.cat([h, h.narrow(2, 0, 1)], 2) * 0.5)
    check_grads(f, x, h0, *[getattr(module, n).detach().numpy() for n in names], atol=1e-5)


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_packed_run_equals_each_sequence_run_alone(kind):
    rustgrad.manual_seed(0)
    module = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    lengths = [2, 5, 1, 4]
    seqs = [rustgrad.randn(n, 3) for n in lengths]
    out, hidden = module(pack_sequence(seqs, enforce_sorted=False))
    padded, _ = pad_packed_sequence(out, batch_first=True)
    h_n = hidden[0] if kind == "LSTM" else hidden
    for b, seq in enumerate(seqs):
        alone, alone_hidden = module(seq.unsqueeze(0))
        alone_h = alone_hidden[0] if kind == "LSTM" else alone_hidden
        np.testing.assert_allclose(padded[b, :lengths[b]].detach().numpy(), alone[0].detach().numpy(), atol=1e-6)
        assert float(padded[b, lengths[b]:].abs().sum()) == 0.0
        np.testing.assert_allclose(h_n[:, b].detach().numpy(), alone_h[:, 0].detach().numpy(), atol=1e-6)
