"""``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their cells: gradients against finite differences in
float64, outputs and gradients against PyTorch with the same weights, shapes, reprs and errors."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad import nn
from _helpers import assert_same_error_as_torch, check_grads, torch_or_skip

LAYERS = ["RNN", "LSTM", "GRU"]
CELLS = ["RNNCell", "LSTMCell", "GRUCell"]


def functional(module, names):
    """``f(x, *weights)``: ``module(x)`` with the parameters ``names`` replaced by the given tensors
    (plain attributes, so that the graph reaches them), output and final hidden state summed in."""

    def f(x, *weights):
        saved = {n: getattr(module, n) for n in names}
        for n, w in zip(names, weights):
            delattr(module, n)
            object.__setattr__(module, n, w)
        try:
            out = module(x)
        finally:
            for n in names:
                object.__delattr__(module, n)
                module.register_parameter(n, saved[n])
        if isinstance(out, tuple):  # layers: (output, h_n or (h_n, c_n)); LSTMCell: (h, c)
            rest = out[1]
            if isinstance(rest, tuple):
                return out[0].sum() + rest[0].sum() * 1.5 + rest[1].sum() * 0.5
            return out[0].sum() + rest.sum() * 0.5
        return out

    return f


@settings(max_examples=12, deadline=None)
@given(kind=st.sampled_from(LAYERS), seq=st.integers(1, 3), batch=st.integers(1, 2), hidden=st.integers(1, 3),
       layers=st.integers(1, 2), bidirectional=st.booleans(), batch_first=st.booleans(), seed=st.integers(0, 99))
def test_layer_gradients_match_finite_differences(kind, seq, batch, hidden, layers, bidirectional, batch_first, seed):
    module = getattr(nn, kind)(2, hidden, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first,
                               dtype=rustgrad.float64)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, seq, 2) if batch_first else (seq, batch, 2))
    names = ["weight_ih_l0", "weight_hh_l0", "bias_hh_l0"] + (["weight_ih_l1_reverse"] if layers == 2 and bidirectional else [])
    weights = [getattr(module, n).detach().numpy() for n in names]
    check_grads(functional(module, names), x, *weights, atol=1e-5)


@settings(max_examples=6, deadline=None)
@given(kind=st.sampled_from(CELLS), batch=st.integers(1, 3), hidden=st.integers(1, 3), seed=st.integers(0, 99))
def test_cell_gradients_match_finite_differences(kind, batch, hidden, seed):
    module = getattr(nn, kind)(2, hidden, dtype=rustgrad.float64)
    x = np.random.default_rng(seed).standard_normal((batch, 2))
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    check_grads(functional(module, names), x, *[getattr(module, n).detach().numpy() for n in names], atol=1e-5)


def test_lstm_projection_gradients_match_finite_differences():
    module = nn.LSTM(2, 3, proj_size=2, dtype=rustgrad.float64)
    x = np.random.default_rng(1).standard_normal((3, 2, 2))
    names = ["weight_hr_l0", "weight_hh_l0"]
    check_grads(functional(module, names), x, *[getattr(module, n).detach().numpy() for n in names], atol=1e-5)


def copy_weights(theirs, ours):
    for name, p in theirs.named_parameters():
        with rustgrad.no_grad():
            getattr(ours, name).copy_(rustgrad.from_numpy(p.detach().numpy().copy()))


def run_both(torch, kind, args, kwargs, x, hx=None):
    """Outputs, hidden states and all gradients of one module under both libraries, same weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's oneDNN notice for LSTM projections
        theirs = getattr(torch.nn, kind)(*args, **kwargs)
        ours = getattr(nn, kind)(*args, **kwargs)
        copy_weights(theirs, ours)
        results = []
        for lib, module in ((torch, theirs), (rustgrad, ours)):
            xt = lib.tensor(x, requires_grad=True)
            h = None if hx is None else tuple(lib.tensor(a) for a in hx) if isinstance(hx, tuple) else lib.tensor(hx)
            out = module(xt) if h is None else module(xt, h)
            flat = []
            for o in out if isinstance(out, tuple) else (out,):
                flat.extend(o if isinstance(o, tuple) else (o,))
            loss = sum((o * (i + 1.0)).sum() for i, o in enumerate(flat))
            loss.backward()
            results.append(([o.detach().numpy() for o in flat], xt.grad.numpy(),
                            [p.grad.numpy() for _, p in module.named_parameters()], repr(module)))
    return results


@pytest.mark.parametrize("kind,kwargs", [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}), ("GRU", {}),
    ("GRU", {"num_layers": 3, "bidirectional": True}), ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True,
                                                                                  "batch_first": True}),
    ("LSTM", {"proj_size": 2}), ("LSTM", {"bias": False}), ("GRU", {"batch_first": True, "bias": False}),
])
def test_layers_match_torch(kind, kwargs):
    torch = torch_or_skip()
    x = np.random.default_rng(0).standard_normal((5, 2, 3)).astype(np.float32)
    (t_out, t_gx, t_gp, t_repr), (r_out, r_gx, r_gp, r_repr) = run_both(torch, kind, (3, 4), kwargs, x)
    assert r_repr == t_repr
    assert [o.shape for o in r_out] == [o.shape for o in t_out]
    for a, b in zip(r_out, t_out):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(r_gx, t_gx, atol=1e-5)
    for a, b in zip(r_gp, t_gp):
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("kind", LAYERS)
def test_unbatched_input_and_given_hidden_state_match_torch(kind):
    torch = torch_or_skip()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    h = rng.standard_normal((2, 5)).astype(np.float32)
    hx = (h, rng.standard_normal((2, 5)).astype(np.float32)) if kind == "LSTM" else h
    (t_out, t_gx, t_gp, _), (r_out, r_gx, r_gp, _) = run_both(torch, kind, (3, 5), {"num_layers": 2}, x, hx)
    for a, b in zip(r_out + [r_gx] + r_gp, t_out + [t_gx] + t_gp):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("kind", CELLS)
def test_cells_match_torch(kind):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    for x in (rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)):
        (t_out, t_gx, t_gp, t_repr), (r_out, r_gx, r_gp, r_repr) = run_both(torch, kind, (3, 4), {}, x)
        assert r_repr == t_repr
        for a, b in zip(r_out + [r_gx] + r_gp, t_out + [t_gx] + t_gp):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_parameters_names_shapes_and_initial_range():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    names = [n for n, _ in lstm.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert names[5] == "weight_ih_l0_reverse" and names[-1] == "weight_hr_l1_reverse"
    assert lstm.weight_ih_l1.shape == (16, 4)  # two directions of projected size 2
    assert lstm.weight_hh_l0.shape == (16, 2)
    assert len(lstm.all_weights) == 4 and lstm.all_weights[0][0] is lstm.weight_ih_l0
    bound = 1 / 4 ** 0.5
    for p in lstm.parameters():
        assert float(p.abs().max()) <= bound
    assert lstm.flatten_parameters() is None


def test_output_shapes():
    out, (h, c) = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)(rustgrad.randn(2, 5, 3))
    assert out.shape == (2, 5, 8) and h.shape == (4, 2, 4) and c.shape == (4, 2, 4)
    out, h = nn.GRU(3, 4)(rustgrad.randn(5, 3))
    assert out.shape == (5, 4) and h.shape == (1, 4)
    h, c = nn.LSTMCell(3, 4)(rustgrad.randn(3))
    assert h.shape == (4,) and c.shape == (4,)


def test_reassigned_weight_is_used():
    rnn = nn.RNN(2, 3, bias=False)
    rnn.weight_ih_l0 = nn.Parameter(rustgrad.zeros(3, 2))
    rnn.weight_hh_l0 = nn.Parameter(rustgrad.zeros(3, 3))
    out, _ = rnn(rustgrad.randn(4, 1, 2))
    assert float(out.abs().sum()) == 0.0


def test_dropout_between_layers_only_in_training():
    gru = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = rustgrad.randn(6, 2, 3)
    gru.eval()
    a, _ = gru(x)
    b, _ = gru(x)
    assert rustgrad.equal(a, b) if hasattr(rustgrad, "equal") else bool((a == b).all())
    gru.train()
    rustgrad.manual_seed(0)
    c, _ = gru(x)
    assert not bool((c == a).all())


def test_a_training_loop_learns_a_sequence_sum():
    rustgrad.manual_seed(0)
    lstm, head = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 1)
    opt = rustgrad.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.02)
    x = rustgrad.rand(32, 5, 1)
    y = x.sum(1)
    for step in range(150):
        out, _ = lstm(x)
        loss = nn.functional.mse_loss(head(out[:, -1]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 0:
            first = float(loss)
    assert float(loss) < first / 10


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 2, 2, 3)),
    lambda lib: lib.nn.GRU(3, 4)(lib.ones(2, 2, 2, 3)),
    lambda lib: lib.nn.RNN(3, 4)(lib.ones(2, 2, 2, 3)),
    lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 2, 5)),
    lambda lib: lib.nn.GRU(3, 4)(lib.ones(2, 2, 3), lib.zeros(2, 2, 4)),
    lambda lib: lib.nn.GRU(3, 4)(lib.ones(2, 2, 3), lib.zeros(2, 4)),
    lambda lib: lib.nn.RNN(3, 4)(lib.ones(2, 3), lib.zeros(1, 1, 4)),
    lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(1, 3, 4))),
    lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 2, 3), (lib.zeros(2, 4), lib.zeros(2, 4))),
    lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 3), (lib.zeros(1, 1, 4), lib.zeros(1, 4))),
    lambda lib: lib.nn.LSTM(3, 4)(lib.ones(2, 2, 3, dtype=lib.float64)),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
    lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
    lambda lib: lib.nn.GRU(3, 4, proj_size=2),
    lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"),
    lambda lib: lib.nn.RNN(3, 4, dropout=1.5),
    lambda lib: lib.nn.RNN(3, 0),
    lambda lib: lib.nn.RNN(3.0, 4),
    lambda lib: lib.nn.RNN(3, 4, bias=1),
    lambda lib: lib.nn.RNN(3, 4, num_layers=0),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.ones(1, 1, 3)),
    lambda lib: lib.nn.LSTMCell(3, 4)(lib.ones(1, 3), (lib.ones(1, 1, 4), lib.ones(1, 4))),
    lambda lib: lib.nn.GRUCell(3, 4)(lib.ones(3), lib.ones(1, 1, 4)),
    lambda lib: lib.nn.RNNCell(3, 4)(lib.ones(1, 1, 3)),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_dropout_warning_with_one_layer_matches_torch():
    torch = torch_or_skip()
    messages = []
    for lib in (torch, rustgrad):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.LSTM(3, 4, dropout=0.2)
        messages.append([str(m.message) for m in w])
    assert messages[1] == messages[0] and len(messages[0]) == 1
