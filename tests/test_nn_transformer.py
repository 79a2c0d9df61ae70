"""``scaled_dot_product_attention``, ``MultiheadAttention`` and the Transformer layers: gradients
against finite differences in float64, outputs/gradients/reprs/warnings/errors against PyTorch."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad import nn
from rustgrad.nn import functional as F
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip


def sdpa_reference(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q k^T * scale + bias) v in numpy, float64."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], dtype=bool)), s, -np.inf)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    e = np.exp(s - s.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)) @ v


@settings(max_examples=20, deadline=None)
@given(b=st.integers(1, 2), h=st.integers(1, 2), lq=st.integers(1, 4), lk=st.integers(1, 4), d=st.integers(1, 4),
       causal=st.booleans(), masked=st.booleans(), seed=st.integers(0, 999))
def test_sdpa_matches_reference_and_finite_differences(b, h, lq, lk, d, causal, masked, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((b, h, n, d)) for n in (lq, lk, lk))
    mask = rng.standard_normal((lq, lk)) if masked and not causal else None
    got = F.scaled_dot_product_attention(*(rustgrad.tensor(a) for a in (q, k, v)),
                                         attn_mask=None if mask is None else rustgrad.tensor(mask), is_causal=causal)
    want = sdpa_reference(q, k, v, mask, causal)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-10)
    if not causal or lk >= lq:  # a causal row with no visible key is NaN in both libraries
        f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else
                                                           rustgrad.tensor(mask), is_causal=causal)
        check_grads(f, q, k, v)


def test_sdpa_bool_mask_and_grouped_query_heads():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((1, 4, 3, 2))
    k, v = rng.standard_normal((1, 2, 5, 2)), rng.standard_normal((1, 2, 5, 2))
    mask = rng.random((3, 5)) > 0.3
    mask[:, 0] = True
    got = F.scaled_dot_product_attention(rustgrad.tensor(q), rustgrad.tensor(k), rustgrad.tensor(v),
                                         attn_mask=rustgrad.tensor(mask), enable_gqa=True, scale=0.7)
    # query heads 0,1 read key/value head 0; heads 2,3 read head 1
    want = sdpa_reference(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1), mask, scale=0.7)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.25}])
def test_sdpa_matches_torch(kw):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 3, 4)) for _ in range(3)]
    check_against_torch(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw), *arrays)


def copy_weights(theirs, ours):
    for name, p in theirs.named_parameters():
        target = ours
        for part in name.split("."):
            target = getattr(target, part)
        with rustgrad.no_grad():
            target.copy_(rustgrad.from_numpy(p.detach().numpy().copy()))


def run_both(torch, make, arrays, kwargs=lambda lib: {}, train=False):
    """Output, input gradients, parameter gradients, grad_fn name and repr under both libraries."""
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = make(torch), make(rustgrad)
    copy_weights(theirs, ours)
    for lib, module in ((torch, theirs), (rustgrad, ours)):
        module.train(train)
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = module(*inputs, **kwargs(lib))
        out = out[0] if isinstance(out, tuple) else out
        w = lib.tensor(np.random.default_rng(5).standard_normal(tuple(out.shape)).astype(np.float32))
        (out * w).sum().backward()
        results.append((out.detach().numpy(), [t.grad.numpy() for t in inputs],
                        [p.grad.numpy() for _, p in module.named_parameters()], type(out.grad_fn).__name__,
                        repr(module).replace("torch", "rustgrad")))
    return results


def assert_same(results, atol=2e-5):
    (t_out, t_gin, t_gp, t_fn, t_repr), (r_out, r_gin, r_gp, r_fn, r_repr) = results
    assert r_repr == t_repr
    assert r_fn == t_fn
    np.testing.assert_allclose(r_out, t_out, atol=atol)
    for a, b in zip(r_gin + r_gp, t_gin + t_gp):
        np.testing.assert_allclose(a, b, atol=atol * 10)


X = np.random.default_rng(2).standard_normal((5, 2, 8)).astype(np.float32)
MEM = np.random.default_rng(3).standard_normal((3, 2, 8)).astype(np.float32)


@pytest.mark.parametrize("make,arrays,kwargs", [
    (lambda lib: lib.nn.MultiheadAttention(8, 2), [X, X, X], lambda lib: {}),
    (lambda lib: lib.nn.MultiheadAttention(8, 2), [X, MEM, MEM], lambda lib: {"average_attn_weights": False}),
    (lambda lib: lib.nn.MultiheadAttention(8, 2, kdim=5, vdim=3, bias=False),
     [X, MEM[..., :5].copy(), MEM[..., :3].copy()], lambda lib: {}),
    (lambda lib: lib.nn.MultiheadAttention(8, 4, add_bias_kv=True, add_zero_attn=True), [X, X, X],
     lambda lib: {"need_weights": False, "key_padding_mask": lib.tensor([[False] * 3 + [True] * 3, [False] * 6])[:, :5],
                  "attn_mask": lib.ones(5, 5).tril().bool()}),
    (lambda lib: lib.nn.MultiheadAttention(8, 2, batch_first=True), [X[:2].transpose(1, 0, 2).copy()] * 3,
     lambda lib: {"attn_mask": lib.nn.Transformer.generate_square_subsequent_mask(2)}),
    (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16), [X], lambda lib: {}),
    (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, batch_first=True),
     [X], lambda lib: {"src_key_padding_mask": lib.tensor([[False, False, True]] * 5)[:, :2]}),
    (lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16), 2, lib.nn.LayerNorm(8)), [X],
     lambda lib: {"mask": lib.nn.Transformer.generate_square_subsequent_mask(5), "is_causal": True}),
    (lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16), [X, MEM], lambda lib: {}),
    (lambda lib: lib.nn.Transformer(8, 2, 1, 2, 16), [X, MEM],
     lambda lib: {"tgt_mask": lib.nn.Transformer.generate_square_subsequent_mask(3)}),
])
def test_modules_match_torch(make, arrays, kwargs):
    torch = torch_or_skip()
    assert_same(run_both(torch, make, arrays, kwargs))


def test_attention_weights_are_returned_like_torch():
    torch = torch_or_skip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = torch.nn.MultiheadAttention(8, 2), nn.MultiheadAttention(8, 2)
    copy_weights(theirs, ours)
    for average in (True, False):
        _, tw = theirs(*(torch.tensor(X),) * 3, average_attn_weights=average)
        _, rw = ours(*(rustgrad.tensor(X),) * 3, average_attn_weights=average)
        assert rw.shape == tuple(tw.shape)
        np.testing.assert_allclose(rw.detach().numpy(), tw.detach().numpy(), atol=1e-6)
    unbatched = ours(rustgrad.tensor(X[:, 0]), rustgrad.tensor(X[:, 0]), rustgrad.tensor(X[:, 0]))
    assert unbatched[0].shape == (5, 8) and unbatched[1].shape == (5, 5)


def test_mha_gradients_match_finite_differences():
    mha = nn.MultiheadAttention(4, 2, dtype=rustgrad.float64)
    rng = np.random.default_rng(4)
    q, kv = rng.standard_normal((3, 2, 4)), rng.standard_normal((2, 2, 4))
    mask = rustgrad.tensor([[False, True]] * 2)
    check_grads(lambda q, kv: mha(q, kv, kv, key_padding_mask=mask)[0], q, kv, atol=1e-5)


def test_dropout_only_in_training():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = rustgrad.tensor(X)
    layer.eval()
    assert bool((layer(x) == layer(x)).all())
    layer.train()
    assert not bool((layer(x) == layer(x)).all())


def test_a_tiny_transformer_learns_to_copy():
    rustgrad.manual_seed(0)
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True), 1,
                                  enable_nested_tensor=False)
    embed, head = nn.Embedding(5, 16), nn.Linear(16, 5)
    params = list(model.parameters()) + list(embed.parameters()) + list(head.parameters())
    opt = rustgrad.optim.Adam(params, lr=0.01)
    tokens = rustgrad.randint(0, 5, (16, 6))
    for step in range(60):
        loss = F.cross_entropy(head(model(embed(tokens))).reshape(-1, 5), tokens.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 0:
            first = float(loss)
    assert float(loss) < first / 5


def test_nested_tensor_warning_matches_torch():
    torch = torch_or_skip()
    messages = []
    for lib in (torch, rustgrad):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16), 1)
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True), 1)
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(9, 3, 16, batch_first=True), 1)
        messages.append([str(m.message) for m in w])
    assert messages[1] == messages[0] and len(messages[0]) == 3


def test_square_subsequent_mask_matches_torch():
    torch = torch_or_skip()
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(4).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.MultiheadAttention(6, 4),
    lambda lib: lib.nn.MultiheadAttention(0, 2),
    lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.ones(2, 4), lib.ones(1, 2, 4), lib.ones(1, 2, 4)),
    lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.ones(1, 1, 2, 4), lib.ones(1, 2, 4), lib.ones(1, 2, 4)),
    lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.ones(3, 1, 4), lib.ones(2, 1, 4), lib.ones(2, 1, 4),
                                                attn_mask=lib.ones(3, 3)),
    lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.ones(3, 1, 4), lib.ones(2, 1, 4), lib.ones(2, 1, 4),
                                                attn_mask=lib.ones(3, 2, dtype=lib.int64)),
    lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.ones(3, 1, 4), lib.ones(2, 1, 4), lib.ones(3, 1, 4)),
    lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.ones(3, 1, 4), lib.ones(2, 1, 4), lib.ones(2, 1, 4),
                                                key_padding_mask=lib.zeros(1, 3).bool()),
    lambda lib: lib.nn.MultiheadAttention(4, 2)(lib.ones(3, 1, 4), lib.ones(3, 1, 4), lib.ones(3, 1, 4),
                                                is_causal=True),
    lambda lib: lib.nn.functional.scaled_dot_product_attention(lib.ones(2, 3), lib.ones(2, 3), lib.ones(2, 3),
                                                               attn_mask=lib.ones(2, 2), is_causal=True),
    lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, activation="tanh"),
    lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(lib.ones(3, 2, 8), lib.ones(3, 1, 8)),
    lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(lib.ones(3, 2, 8), lib.ones(3, 2, 4)),
])
def test_errors_match_torch(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error_as_torch(call)
