"""Top-level nn ops (rustgrad.dropout, layer_norm, conv2d, embedding_bag, ...) vs PyTorch: values,
gradients, grad_fn names, tuple returns and parser / value errors; the dedicated nodes of
F.threshold / rrelu / pixel_shuffle / channel_shuffle."""

import numpy as np
import pytest

import rustgrad as rg
from rustgrad.autograd import gradcheck

torch = pytest.importorskip("torch")


def R(t):
    """The rustgrad copy of a torch tensor (same values, dtype and requires_grad)."""
    if t is None or not isinstance(t, torch.Tensor):
        return t
    out = rg.from_numpy(t.detach().numpy().copy())
    return out.requires_grad_() if t.requires_grad else out


def conv(args):
    return [R(a) if isinstance(a, torch.Tensor) else a for a in args]


def name(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


def leaf(*shape, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype).requires_grad_()


def check(fn, targs, kwargs=None, out_index=None, atol=1e-6):
    """Runs ``fn`` on torch and rustgrad copies of ``targs``: same values, grad_fn and input grads."""
    kwargs = kwargs or {}
    rargs = conv(targs)
    t = getattr(torch, fn)(*targs, **kwargs)
    r = getattr(rg, fn)(*rargs, **kwargs)
    assert type(t) is tuple or not isinstance(r, tuple)
    if isinstance(t, tuple):
        assert isinstance(r, tuple) and len(r) == len(t)
        for a, b in zip(t, r):
            assert tuple(a.shape) == tuple(b.shape)
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=atol)
            assert name(b) == name(a)
        t, r = t[out_index or 0], r[out_index or 0]
    np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy(), atol=atol)
    assert name(r) == name(t)
    if t.requires_grad:
        g = torch.randn(t.shape, dtype=t.dtype, generator=torch.Generator().manual_seed(1))
        t.backward(g)
        r.backward(R(g))
        for a, b in zip(targs, rargs):
            if isinstance(a, torch.Tensor) and a.requires_grad:
                np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), atol=atol)
    return t, r


def same_error(fn, args, kwargs=None):
    kwargs = kwargs or {}
    with pytest.raises(Exception) as te:
        getattr(torch, fn)(*args, **kwargs)
    rargs = conv(args)
    rkwargs = {k: R(v) for k, v in kwargs.items()}
    with pytest.raises(type(te.value)) as re_:
        getattr(rg, fn)(*rargs, **rkwargs)
    assert str(re_.value) == str(te.value)


# ----- dropout family -----

@pytest.mark.parametrize("fn", ["dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"])
def test_dropout_eval_and_p0_return_input(fn):
    x = R(leaf(3, 4))
    assert getattr(rg, fn)(x, 0.5, False) is x
    assert getattr(rg, fn)(x, 0.0, True) is x


@pytest.mark.parametrize("fn,node", [("dropout", "MulBackward0"), ("feature_dropout", "MulBackward0"),
                                     ("alpha_dropout", "AddBackward0"), ("feature_alpha_dropout", "AddBackward0")])
def test_dropout_train_node_and_scale(fn, node):
    x = R(leaf(4, 6, 5))
    y = getattr(rg, fn)(x, 0.5, True)
    assert name(y) == node == name(getattr(torch, fn)(leaf(4, 6, 5), 0.5, True))
    if fn == "dropout":
        kept = y.detach().numpy() != 0
        np.testing.assert_allclose(y.detach().numpy()[kept], 2 * x.detach().numpy()[kept])
        y.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), 2.0 * kept)
    if fn == "feature_dropout":
        # whole (sample, channel) rows are kept or dropped
        zero = (y.detach().numpy() == 0).all(-1)
        kept = (y.detach().numpy() != 0).all(-1)
        assert (zero | kept).all()


def test_dropout_inplace_returns_input():
    x = R(leaf(5, 5)).detach()
    assert rg.dropout_(x, 0.5, True) is x
    assert rg.feature_alpha_dropout_(x, 0.5, True) is x


@pytest.mark.parametrize("call", [
    ("dropout", (0.5,)), ("dropout", (0.5, True, 1)), ("dropout", ("a", True)), ("dropout", (0.5, 1)),
    ("dropout", (1.5, True)), ("alpha_dropout", (-0.5, True)), ("feature_dropout_", (0.5,)),
    ("native_dropout", (1.5, True)), ("native_dropout", (0.5, "x")),
])
def test_dropout_errors(call):
    fn, rest = call
    same_error(fn, (leaf(2, 3),) + rest)


def test_dropout_errors_keywords_and_feature_dims():
    same_error("dropout", (leaf(2, 3), 0.5), {"train": True, "foo": 1})
    same_error("dropout", (leaf(2, 3),), {"p": 0.5, "train": None})
    same_error("dropout", (leaf(2, 3), 0.5, True), {"input": leaf(2)})
    same_error("dropout", (1, 0.5, True))
    same_error("feature_dropout", (leaf(3), 0.5, True))


def test_native_dropout():
    x = R(leaf(6, 7))
    out, mask = rg.native_dropout(x, 0.25, True)
    assert name(out) == "NativeDropoutBackward0" and mask.dtype == rg.bool and mask.grad_fn is None
    np.testing.assert_allclose(out.detach().numpy(), x.detach().numpy() * mask.numpy() / 0.75, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), mask.numpy() / 0.75)
    out, mask = rg.native_dropout(x, 0.5, False)
    assert name(out) == "NativeDropoutBackward0" and bool(mask.all()) and out is not x
    out, mask = rg.native_dropout(x, 1.0, True)
    assert not bool(mask.any()) and float(out.abs().sum()) == 0.0
    tout, tmask = torch.native_dropout(leaf(3), 0.5, False)
    assert name(tout) == "NativeDropoutBackward0" and tmask.dtype == torch.bool


def test_native_dropout_double_backward():
    x = R(leaf(4, 4))
    out, mask = rg.native_dropout(x, 0.5, True)
    (g,) = rg.autograd.grad(out.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), mask.numpy() * 2.0)


# ----- embeddings -----

def test_embedding():
    w = leaf(10, 3)
    idx = torch.tensor([[1, 2], [3, 9]])
    check("embedding", (w, idx))
    w = leaf(10, 3)
    check("embedding", (w, idx, 2))
    same_error("embedding", (w,))
    same_error("embedding", (w, idx, "a"))


@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("last", [False, True])
def test_embedding_bag(mode, last):
    w = leaf(6, 3)
    idx = torch.tensor([1, 2, 3, 5, 0, 2])
    offs = torch.tensor([0, 2, 5, 6]) if last else torch.tensor([0, 2, 5])
    t, r = check("embedding_bag", (w, idx, offs, False, mode, False, None, last))
    assert name(r) == "EmbeddingBagBackward0"


def test_embedding_bag_weights_padding_and_errors():
    w = leaf(6, 3)
    psw = leaf(4, seed=3)
    check("embedding_bag", (w, torch.tensor([1, 2, 3, 4]), torch.tensor([0, 1]), False, 0, False, psw))
    w = leaf(6, 3)
    check("embedding_bag", (w, torch.tensor([1, 2, 3, 4]), torch.tensor([0, 2]), False, 1, False, None, False, 2))
    same_error("embedding_bag", (w, torch.tensor([1, 2])))
    same_error("embedding_bag", ())


def test_embedding_bag_gradcheck():
    w = R(leaf(5, 2))
    idx, offs = rg.tensor([0, 2, 4, 1]), rg.tensor([0, 1])
    for mode in (0, 1, 2):
        assert gradcheck(lambda w: rg.embedding_bag(w, idx, offs, False, mode)[0], (w,))


# ----- normalization -----

def test_layer_norm_and_native():
    x, w, b = leaf(2, 3, 4), leaf(4, seed=1), leaf(4, seed=2)
    check("layer_norm", (x, [4], w, b))
    check("layer_norm", (leaf(2, 3, 4), (3, 4)), {"eps": 1e-3})
    check("native_layer_norm", (leaf(2, 3, 4), [3, 4], leaf(3, 4, seed=1), None, 1e-5))
    same_error("layer_norm", (leaf(2, 3), 3))
    same_error("layer_norm", (leaf(2, 3), "a"))
    same_error("layer_norm", (leaf(2, 3), [3], 1))
    same_error("layer_norm", (leaf(2, 3), [3], None, None, 1, "a"))
    same_error("native_layer_norm", (leaf(2, 3), [3]))


def test_batch_norm_forms():
    x, w, b = leaf(4, 3, 5), leaf(3, seed=1), leaf(3, seed=2)
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    rrm, rrv = R(rm), R(rv)
    t = torch.batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5, True)
    r = rg.batch_norm(R(x), R(w), R(b), rrm, rrv, True, 0.1, 1e-5, True)
    np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy(), atol=1e-7)
    np.testing.assert_allclose(rrm.numpy(), rm.numpy(), atol=1e-7)
    np.testing.assert_allclose(rrv.numpy(), rv.numpy(), atol=1e-7)
    assert name(r) == name(t) == "NativeBatchNormBackward0"
    check("batch_norm", (leaf(4, 3, 5), leaf(3, seed=1), None, rm.clone(), rv.clone(), False, 0.1, 1e-5, True))
    check("native_batch_norm", (leaf(4, 3, 5), leaf(3, seed=1), leaf(3, seed=2), None, None, True, 0.1, 1e-5))
    check("native_batch_norm", (leaf(4, 3, 5), None, None, rm.clone(), rv.clone(), False, 0.1, 1e-5))
    same_error("batch_norm", (leaf(4, 3), None, None, None, None, True, 0.1, 1e-5))
    same_error("batch_norm", (leaf(4, 3), None, None, None, None, False, 0.1, 1e-5, True))
    same_error("batch_norm", (leaf(4, 3), 1, None, None, None, False, 0.1, 1e-5, True))


def test_instance_and_rms_norm():
    check("instance_norm", (leaf(2, 3, 5), leaf(3, seed=1), leaf(3, seed=2), None, None, True, 0.1, 1e-5, True))
    same_error("instance_norm", (leaf(2, 3, 5), None, None, None, None, False, 0.1, 1e-5, True))
    check("rms_norm", (leaf(2, 3, 4), [4]))
    check("rms_norm", (leaf(2, 3, 4), [3, 4], leaf(3, 4, seed=1), 1e-3))
    same_error("rms_norm", (leaf(2, 3),))


# ----- convolutions -----

def test_convs():
    check("conv1d", (leaf(2, 4, 7), leaf(6, 4, 3, seed=1), leaf(6, seed=2), 2, 1))
    check("conv1d", (leaf(2, 4, 7), leaf(6, 2, 3, seed=1)), {"padding": "same", "groups": 2})
    check("conv2d", (leaf(2, 4, 5, 5), leaf(6, 4, 3, 3, seed=1), leaf(6, seed=2), (1, 2), 1, 1, 1))
    check("conv2d", (leaf(4, 5, 5), leaf(6, 4, 3, 3, seed=1)), {"padding": "valid"})
    check("conv_transpose1d", (leaf(2, 4, 7), leaf(4, 3, 3, seed=1), leaf(3, seed=2), 2, 1, 1))
    check("conv_transpose1d", (leaf(4, 7), leaf(4, 2, 3, seed=1)), {"groups": 2, "dilation": 2})
    check("conv_transpose2d", (leaf(2, 4, 5, 5), leaf(4, 3, 3, 3, seed=1), leaf(3, seed=2), 2, 1, 1))
    check("convolution", (leaf(2, 4, 7), leaf(6, 4, 3, seed=1), None, [1], [1], [1], False, [0], 1))
    check("convolution", (leaf(2, 4, 5, 5), leaf(4, 3, 3, 3, seed=1), leaf(3, seed=2), [2, 2], [1, 1], [1, 1], True,
                          [1, 1], 1))
    check("convolution", (leaf(2, 4, 7), leaf(4, 3, 3, seed=1), None, [2], [0], [1], True, [1], 1))


def test_conv_transpose1d_gradcheck():
    x, w, b = R(leaf(1, 2, 4)), R(leaf(2, 3, 2, seed=1)), R(leaf(3, seed=2))
    assert gradcheck(lambda x, w, b: rg.conv_transpose1d(x, w, b, 2, 0, 1), (x, w, b))


def test_conv_errors():
    x, w = leaf(1, 1, 4, 4), leaf(1, 1, 2, 2)
    same_error("conv2d", (x,))
    same_error("conv2d", (x, w, None, 1.5))
    same_error("conv2d", (x, w), {"foo": 1})
    same_error("conv1d", (leaf(1, 1, 4), leaf(1, 1, 2), None, 1, "same", 1, 1, 1))
    same_error("conv_transpose1d", (leaf(1, 1, 4),))
    same_error("convolution", (x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0]))


# ----- padding, bilinear, prelu, hardshrink -----

def test_constant_pad_bilinear_prelu_hardshrink():
    check("constant_pad_nd", (leaf(2, 3, 4), [1, 2, 0, 1], 3.5))
    check("constant_pad_nd", (leaf(2, 3), (1, 1)))
    same_error("constant_pad_nd", (leaf(2, 3), (1, 1), "a"))
    same_error("constant_pad_nd", (leaf(2, 3), (1, 1.5)))
    check("bilinear", (leaf(2, 3), leaf(2, 4, seed=1), leaf(5, 3, 4, seed=2)))
    check("bilinear", (leaf(2, 3), leaf(2, 4, seed=1), leaf(5, 3, 4, seed=2), leaf(5, seed=3)))
    same_error("bilinear", (leaf(2, 4), leaf(2, 4), leaf(5, 3, 4)))
    x, w = leaf(2, 3, 4), leaf(3, seed=1)
    t, r = x.prelu(w), R(x).prelu(R(w))
    np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy())
    assert name(r) == name(t) == "PreluKernelBackward0"
    t, r = x.hardshrink(0.3), R(x).hardshrink(0.3)
    np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy())
    assert name(r) == name(t)
    assert name(R(x).hardshrink()) == name(x.hardshrink())


# ----- shuffles, threshold, rrelu -----

def test_shuffles():
    check("pixel_shuffle", (leaf(2, 8, 3, 2), 2))
    check("pixel_unshuffle", (leaf(2, 2, 4, 6), 2))
    check("channel_shuffle", (leaf(2, 6, 3), 3))
    check("channel_shuffle", (leaf(1, 4, 2, 2), 2))
    same_error("pixel_shuffle", (leaf(2, 7, 3, 2), 2))
    same_error("pixel_unshuffle", (leaf(2, 2, 5, 6), 2))
    same_error("channel_shuffle", (leaf(2, 5, 3), 2))
    same_error("pixel_shuffle", (leaf(2, 8, 3, 2), 2.0))


def test_native_channel_shuffle_has_no_derivative():
    t = torch.native_channel_shuffle(leaf(1, 4, 2), 2)
    r = rg.native_channel_shuffle(R(leaf(1, 4, 2)), 2)
    np.testing.assert_allclose(r.detach().numpy(), t.detach().numpy())
    assert name(r) == name(t) == "NotImplemented"
    with pytest.raises(RuntimeError) as te:
        t.sum().backward()
    with pytest.raises(RuntimeError) as re_:
        r.sum().backward()
    assert str(re_.value) == str(te.value)


def test_shuffle_gradcheck_and_double_backward():
    x = R(leaf(1, 8, 2, 2))
    assert gradcheck(lambda x: rg.pixel_shuffle(x, 2), (x,))
    assert gradcheck(lambda x: rg.pixel_unshuffle(x.reshape(1, 2, 4, 4), 2), (x,))
    assert gradcheck(lambda x: rg.channel_shuffle(x, 4), (x,))
    y = rg.pixel_shuffle(x, 2)
    (g,) = rg.autograd.grad((y * y).sum(), x, create_graph=True)
    assert name(g) is not None


def test_threshold():
    check("threshold", (leaf(3, 4), 0.1, 20.0))
    x = leaf(3, 4)
    t = torch.threshold_(x.clone(), 0.1, 20.0)
    r = rg.threshold_(R(x).clone(), 0.1, 20.0)
    assert name(r) == name(t) == "ThresholdBackward1"
    t.sum().backward()
    rx = R(x)
    r = rg.threshold_(rx.clone(), 0.1, 20.0)
    r.sum().backward()
    np.testing.assert_allclose(rx.grad.numpy(), x.grad.numpy())
    same_error("threshold", (leaf(2), "a", 1))
    same_error("threshold", (leaf(2), 0.5))
    rx = R(leaf(2, 2))
    assert gradcheck(lambda x: rg.threshold(x, 0.2, -1.0), (rx,))


def test_rrelu():
    check("rrelu", (leaf(3, 4),))
    check("rrelu", (leaf(3, 4), 0.2, 0.2, True))
    x = R(leaf(4, 5))
    y = rg.rrelu(x, 0.1, 0.3, True)
    assert name(y) == "RreluWithNoiseBackward0"
    ratio = (y.detach().numpy() / x.detach().numpy())
    neg = x.detach().numpy() < 0
    assert ((ratio[neg] >= 0.1) & (ratio[neg] <= 0.3)).all() and np.allclose(ratio[~neg], 1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ratio)
    z = rg.rrelu_(R(leaf(3)).clone(), training=True)
    assert name(z) == name(torch.rrelu_(leaf(3).clone(), training=True)) == "RreluWithNoiseBackward1"
    same_error("rrelu", (leaf(2), "a"))
    same_error("rrelu", (leaf(2), 0.5, 0.1, True))


def test_F_dedicated_nodes():
    F, TF = rg.nn.functional, torch.nn.functional
    x = leaf(1, 4, 2, 2)
    for fn, args in [("threshold", (0.0, 1.0)), ("rrelu", ()), ("pixel_shuffle", (2,)), ("pixel_unshuffle", (2,)),
                     ("channel_shuffle", (2,))]:
        assert name(getattr(F, fn)(R(x), *args)) == name(getattr(TF, fn)(x, *args))
    assert name(F.threshold(R(x).clone(), 0.0, 1.0, True)) == name(TF.threshold(x.clone(), 0.0, 1.0, True))
    assert name(F.rrelu(R(x), training=True)) == name(TF.rrelu(x, training=True))


# ----- pools -----

def test_pools():
    check("adaptive_avg_pool1d", (leaf(2, 3, 7), 3))
    check("adaptive_max_pool1d", (leaf(2, 3, 7), 3))
    check("adaptive_max_pool1d", (leaf(3, 8), [4]))
    check("avg_pool1d", (leaf(2, 3, 7), 2))
    check("avg_pool1d", (leaf(2, 3, 7), 3, 2, 1, True, False))
    check("max_pool1d", (leaf(2, 3, 7), 2))
    check("max_pool1d", (leaf(2, 3, 7), 3, 1, 1, 2, True))
    check("max_pool1d_with_indices", (leaf(2, 3, 7), 2))
    check("max_pool2d", (leaf(2, 3, 6, 6), 2))
    check("max_pool2d", (leaf(2, 3, 6, 6), (3, 2), (2, 1), 1))
    same_error("max_pool2d", (leaf(2, 3, 6, 6),))
    same_error("adaptive_max_pool1d", (leaf(2, 3, 7), "a"))
    same_error("avg_pool1d", (leaf(2, 3, 7), 2.5))


def test_adaptive_max_pool1d_gradcheck():
    x = R(leaf(2, 7))
    assert gradcheck(lambda x: rg.adaptive_max_pool1d(x, 3)[0], (x,))
