"""PyTorch's top-level nn ops (``torch.dropout``, ``torch.layer_norm``, ``torch.conv2d``,
``torch.embedding_bag``...) under their own signatures (ATen's, not ``nn.functional``'s: e.g.
``dropout(input, p, train)`` takes all three, ``batch_norm`` takes weight before the running
statistics), with their parser's TypeErrors, their tuple returns and grad_fn names. The maths is
``rustgrad.nn.functional``'s.
"""

from . import _core
from ._core import Tensor
from ._nn_signatures import Overloads, signature
from .autograd._native_node import composite_node
from .autograd._native_node import native_node
from .autograd.function import Function
from .autograd.grad_mode import no_grad
from .nn import functional as F
from .nn import _functional_layers_extra as _FL

__all__ = [
    "dropout", "dropout_", "alpha_dropout", "alpha_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
    "feature_dropout", "feature_dropout_", "native_dropout", "embedding", "embedding_bag", "layer_norm",
    "native_layer_norm", "batch_norm", "native_batch_norm", "instance_norm", "rms_norm", "conv1d", "conv2d",
    "conv_transpose1d", "conv_transpose2d", "convolution", "constant_pad_nd", "bilinear", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "threshold", "threshold_", "rrelu", "rrelu_",
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "avg_pool1d", "max_pool1d", "max_pool1d_with_indices",
    "max_pool2d",
]


def _g(value):
    """A double as C++ streams print it (6 significant digits: 2.0 -> "2")."""
    return "%g" % value


def _num(value):
    return value.item() if isinstance(value, Tensor) else value


# ----- dropout family -----

def _dropout_sig(name):
    return signature(f"{name}(Tensor input, float p, bool train)")


def _make_dropout(name, feature, alpha, inplace):
    bind = _dropout_sig(name)

    def f(*args, **kwargs):
        input, p, train = bind(args, kwargs)
        p = float(_num(p))
        if p < 0 or p > 1:
            raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {_g(p)}")
        if feature and train and p > 0 and input.numel() > 0 and input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        return _FL._dropout_impl(input, p, train, feature, alpha, inplace)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"PyTorch's ``torch.{name}(input, p, train)``."
    return f


dropout = _make_dropout("dropout", False, False, False)
dropout_ = _make_dropout("dropout_", False, False, True)
alpha_dropout = _make_dropout("alpha_dropout", False, True, False)
alpha_dropout_ = _make_dropout("alpha_dropout_", False, True, True)
feature_dropout = _make_dropout("feature_dropout", True, False, False)
feature_dropout_ = _make_dropout("feature_dropout_", True, False, True)
feature_alpha_dropout = _make_dropout("feature_alpha_dropout", True, True, False)
feature_alpha_dropout_ = _make_dropout("feature_alpha_dropout_", True, True, True)


@native_node("NativeDropoutBackward0")
class _NativeDropout(Function):
    @staticmethod
    def forward(ctx, input, p, train):
        if train:
            mask = _core.rand_like(input) < (1 - p)
            scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
            out = input * mask.to(input.dtype) * scale
        else:
            mask = _core.ones_like(input, dtype=_core.bool)
            scale = 1.0
            out = input.clone()
        ctx.scale = scale
        ctx.save_for_backward(mask)
        ctx.mark_non_differentiable(mask)
        return out, mask

    @staticmethod
    def backward(ctx, grad, _grad_mask):
        # native_dropout_backward: grad * mask * scale, scale = 1/(1-p) in training (0 for p = 1)
        (mask,) = ctx.saved_tensors
        return grad * mask.to(grad.dtype) * ctx.scale, None, None


_native_dropout_bind = signature("native_dropout(Tensor input, float p, bool? train)")


def native_dropout(*args, **kwargs):
    """``(output, mask)``: ATen's dropout kernel (NativeDropoutBackward0); ``train=None`` trains."""
    input, p, train = _native_dropout_bind(args, kwargs)
    p = float(_num(p))
    train = True if train is None else train
    if train and (p < 0 or p > 1):
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(1 - p)}")
    return _NativeDropout.apply(input, p, train)


# ----- embeddings -----

_embedding_bind = signature(
    "embedding(Tensor weight, Tensor indices, int padding_idx = -1, bool scale_grad_by_freq = False, "
    "bool sparse = False)"
)


def embedding(*args, **kwargs):
    """Rows of ``weight`` at ``indices`` (EmbeddingBackward0); ``padding_idx < 0`` is none."""
    weight, indices, padding_idx, scale_grad_by_freq, sparse = _embedding_bind(args, kwargs)
    padding_idx = int(_num(padding_idx))
    return F.embedding(indices, weight, padding_idx if padding_idx >= 0 else None,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


_embedding_bag_over = Overloads(
    "embedding_bag(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq, int mode, bool sparse, "
    "Tensor? per_sample_weights, bool include_last_offset, int? padding_idx)",
    "embedding_bag(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq = False, int mode = 0, "
    "bool sparse = False, Tensor per_sample_weights = None, bool include_last_offset = False)",
)
_MODES = {0: "sum", 1: "mean", 2: "max"}


def _bag_ranges(n, offsets, include_last_offset):
    offs = [int(o) for o in offsets.tolist()]
    if include_last_offset:
        starts, ends = offs[:-1], offs[1:-1] + [n]
    else:
        starts, ends = offs, offs[1:] + [n]
    return list(zip(starts, ends))


def _bag_compose(weight, indices, offsets, scale_grad_by_freq, mode, per_sample_weights, include_last_offset,
                 padding_idx):
    """``(output, offset2bag, bag_size, max_indices)`` as ATen's CPU kernel returns them."""
    out = F.embedding_bag(indices, weight, offsets, scale_grad_by_freq=scale_grad_by_freq, mode=_MODES[mode],
                          per_sample_weights=per_sample_weights, include_last_offset=include_last_offset,
                          padding_idx=padding_idx)
    with no_grad():
        ranges = _bag_ranges(indices.numel(), offsets, include_last_offset)
        idx = [int(i) for i in indices.tolist()]
        nbags = len(ranges)
        offset2bag = [0] * len(idx)
        for b, (s, e) in enumerate(ranges):
            for k in range(s, e):
                offset2bag[k] = b
        if mode == 0:
            # ATen's float32 sum kernel (fbgemm) leaves offset2bag empty; the generic one fills it
            if weight.dtype == _core.float32:
                offset2bag = []
            zeros = _core.zeros((nbags,), dtype=_core.int64)
            return out, _core.tensor(offset2bag, dtype=_core.int64), zeros, zeros.clone()
        sizes = [sum(1 for k in range(s, e) if idx[k] != padding_idx) for s, e in ranges]
        offset2bag = _core.tensor(offset2bag, dtype=_core.int64)
        bag_size = _core.tensor(sizes, dtype=_core.int64)
        if mode == 1:
            return out, offset2bag, bag_size, bag_size.clone()
        dim = weight.shape[1]
        rows = []
        for s, e in ranges:
            members = [idx[k] for k in range(s, e) if idx[k] != padding_idx]
            if not members:
                rows.append([-1] * dim)
                continue
            sel = weight.index_select(0, _core.tensor(members, dtype=_core.int64))
            pos = sel.argmax(0).tolist()
            rows.append([members[p] for p in pos])
        max_indices = _core.tensor(rows, dtype=_core.int64).reshape(nbags, dim)
        return out, offset2bag, bag_size, max_indices


_embedding_bag_node = composite_node("EmbeddingBagBackward0")(_bag_compose)


def embedding_bag(*args, **kwargs):
    """ATen's ``embedding_bag``: ``(output, offset2bag, bag_size, max_indices)`` (EmbeddingBagBackward0)."""
    which, values = _embedding_bag_over.bind(args, kwargs)
    if which == 0:
        weight, indices, offsets, sgbf, mode, sparse, psw, last, padding_idx = values
    else:
        (weight, indices, offsets, sgbf, mode, sparse, psw, last), padding_idx = values, None
    mode = int(_num(mode))
    if mode not in _MODES:
        raise RuntimeError("mode has to be one of sum, mean or max")
    if padding_idx is not None and padding_idx < 0:
        padding_idx = None
    return _embedding_bag_node(weight, indices, offsets, sgbf, mode, psw, last, padding_idx)


# ----- normalization -----

_layer_norm_bind = signature(
    "layer_norm(Tensor input, int[] normalized_shape, Tensor weight = None, Tensor bias = None, float eps = 1e-05, "
    "bool cudnn_enable = True)"
)


def layer_norm(*args, **kwargs):
    """Normalizes over the trailing ``normalized_shape`` dims (NativeLayerNormBackward0)."""
    input, shape, weight, bias, eps, _ = _layer_norm_bind(args, kwargs)
    return F.layer_norm(input, list(shape), weight, bias, float(_num(eps)))


_native_layer_norm_bind = signature(
    "native_layer_norm(Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias, float eps)"
)


def native_layer_norm(*args, **kwargs):
    """``(output, mean, rstd)``; ``mean`` and ``rstd`` keep the normalized dims as size 1."""
    input, shape, weight, bias, eps = _native_layer_norm_bind(args, kwargs)
    eps = float(_num(eps))
    out = F.layer_norm(input, list(shape), weight, bias, eps)
    with no_grad():
        dims = list(range(input.dim() - len(shape), input.dim()))
        if dims:
            mean = input.mean(dims, keepdim=True)
            var = (input - mean).pow(2).mean(dims, keepdim=True)
        else:
            mean, var = input.clone(), _core.zeros_like(input)
        rstd = (var + eps).rsqrt()
    return out, mean, rstd


_batch_norm_bind = signature(
    "batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, "
    "float momentum, float eps, bool cudnn_enabled)"
)


def batch_norm(*args, **kwargs):
    """Batch normalization over every dim but 1 (NativeBatchNormBackward0)."""
    input, weight, bias, rm, rv, training, momentum, eps, _ = _batch_norm_bind(args, kwargs)
    return F.batch_norm(input, rm, rv, weight, bias, training, float(_num(momentum)), float(_num(eps)))


_native_batch_norm_bind = signature(
    "native_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
    "bool training, float momentum, float eps)"
)


def native_batch_norm(*args, **kwargs):
    """``(output, save_mean, save_invstd)``: the batch statistics in training, empty in eval."""
    input, weight, bias, rm, rv, training, momentum, eps = _native_batch_norm_bind(args, kwargs)
    if not training and (rm is None or rv is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    out, mean, invstd = _core.native_batch_norm(input, weight, bias, rm, rv, training, float(_num(momentum)),
                                                float(_num(eps)))
    if not training:
        mean = _core.zeros((0,), dtype=input.dtype)
        invstd = _core.zeros((0,), dtype=input.dtype)
    return out, mean, invstd


_instance_norm_bind = signature(
    "instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
    "bool use_input_stats, float momentum, float eps, bool cudnn_enabled)"
)


def instance_norm(*args, **kwargs):
    """Normalization of each (sample, channel) over its spatial dims (ViewBackward0)."""
    input, weight, bias, rm, rv, use_input_stats, momentum, eps, _ = _instance_norm_bind(args, kwargs)
    if not use_input_stats and (rm is None or rv is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    return F.instance_norm(input, rm, rv, weight, bias, use_input_stats, float(_num(momentum)), float(_num(eps)))


_rms_norm_bind = signature(
    "rms_norm(Tensor input, int[] normalized_shape, Tensor weight = None, float? eps = None)"
)


def rms_norm(*args, **kwargs):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape`` dims."""
    input, shape, weight, eps = _rms_norm_bind(args, kwargs)
    return F.rms_norm(input, list(shape), weight, None if eps is None else float(_num(eps)))


# ----- convolutions -----

def _conv_overloads(name, n):
    ones = "1"
    return Overloads(
        f"{name}(Tensor input, Tensor weight, Tensor bias = None, int[{n}] stride = {ones}, int[{n}] padding = 0, "
        f"int[{n}] dilation = 1, int groups = 1)",
        f'{name}(Tensor input, Tensor weight, Tensor bias = None, int[{n}] stride = {ones}, str padding = "valid", '
        f"int[{n}] dilation = 1, int groups = 1)",
    )


_conv1d_over = _conv_overloads("conv1d", 1)
_conv2d_over = _conv_overloads("conv2d", 2)


def conv1d(*args, **kwargs):
    """1-d convolution (ConvolutionBackward0); ``padding`` ints or 'valid' / 'same'."""
    _, (input, weight, bias, stride, padding, dilation, groups) = _conv1d_over.bind(args, kwargs)
    return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(*args, **kwargs):
    """2-d convolution (ConvolutionBackward0); ``padding`` ints or 'valid' / 'same'."""
    _, (input, weight, bias, stride, padding, dilation, groups) = _conv2d_over.bind(args, kwargs)
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose_sig(name, n):
    return signature(
        f"{name}(Tensor input, Tensor weight, Tensor bias = None, int[{n}] stride = 1, int[{n}] padding = 0, "
        f"int[{n}] output_padding = 0, int groups = 1, int[{n}] dilation = 1)"
    )


_conv_transpose1d_bind = _conv_transpose_sig("conv_transpose1d", 1)
_conv_transpose2d_bind = _conv_transpose_sig("conv_transpose2d", 2)


def _one(v):
    return [int(v)] if isinstance(v, int) else [int(x) for x in v]


def _conv_transpose1d_compose(input, weight, bias, stride, padding, output_padding, groups, dilation):
    """The 1-d transposed convolution as a 2-d one of height 1."""
    out = F.conv_transpose2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, [1] + stride, [0] + padding,
                             [0] + output_padding, groups, [1] + dilation)
    return out.squeeze(-2)


_conv_transpose1d_node = composite_node("ConvolutionBackward0")(_conv_transpose1d_compose)


def _conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation):
    if input.dim() not in (2, 3):
        raise RuntimeError(
            "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of size: "
            f"{list(input.shape)}"
        )
    unbatched = input.dim() == 2
    out = _conv_transpose1d_node(input.unsqueeze(0) if unbatched else input, weight, bias, _one(stride),
                                 _one(padding), _one(output_padding), int(groups), _one(dilation))
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(*args, **kwargs):
    """Transposed 1-d convolution (one ConvolutionBackward0 node)."""
    return _conv_transpose1d(*_conv_transpose1d_bind(args, kwargs))


def conv_transpose2d(*args, **kwargs):
    """Transposed 2-d convolution (ConvolutionBackward0)."""
    input, weight, bias, stride, padding, output_padding, groups, dilation = _conv_transpose2d_bind(args, kwargs)
    return F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


_convolution_bind = signature(
    "convolution(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, "
    "bool transposed, int[] output_padding, int groups)"
)


def convolution(*args, **kwargs):
    """ATen's generic convolution: 1-d or 2-d by the weight's dims, transposed or not."""
    input, weight, bias, stride, padding, dilation, transposed, output_padding, groups = _convolution_bind(args, kwargs)
    n = weight.dim() - 2
    if n not in (1, 2):
        raise RuntimeError(f"rustgrad.convolution supports 1-d and 2-d convolutions, got a {weight.dim()}-d weight")
    if transposed:
        if n == 1:
            return _conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation)
        return F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return (F.conv1d if n == 1 else F.conv2d)(input, weight, bias, stride, padding, dilation, groups)


# ----- padding, bilinear -----

_constant_pad_nd_bind = signature("constant_pad_nd(Tensor input, int[] pad, Scalar value = 0)")


def constant_pad_nd(*args, **kwargs):
    """Pads the last dims by ``pad`` (pairs from the last dim) with ``value`` (ConstantPadNdBackward0)."""
    input, pad, value = _constant_pad_nd_bind(args, kwargs)
    return F.pad(input, list(pad), "constant", _num(value))


_bilinear_bind = signature("bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor bias = None)")


def bilinear(*args, **kwargs):
    """``x1^T W_o x2 + b_o`` for every output ``o``."""
    return F.bilinear(*_bilinear_bind(args, kwargs))


# ----- shuffles, threshold, rrelu -----

_pixel_shuffle_bind = signature("pixel_shuffle(Tensor input, int upscale_factor)")
_pixel_unshuffle_bind = signature("pixel_unshuffle(Tensor input, int downscale_factor)")
_channel_shuffle_bind = signature("channel_shuffle(Tensor input, int groups)")
_native_channel_shuffle_bind = signature("native_channel_shuffle(Tensor input, int groups)")


def pixel_shuffle(*args, **kwargs):
    input, r = _pixel_shuffle_bind(args, kwargs)
    return _FL.pixel_shuffle(input, int(_num(r)))


def pixel_unshuffle(*args, **kwargs):
    input, r = _pixel_unshuffle_bind(args, kwargs)
    return _FL.pixel_unshuffle(input, int(_num(r)))


def channel_shuffle(*args, **kwargs):
    input, groups = _channel_shuffle_bind(args, kwargs)
    return _FL.channel_shuffle(input, int(_num(groups)))


def native_channel_shuffle(*args, **kwargs):
    input, groups = _native_channel_shuffle_bind(args, kwargs)
    return _FL.native_channel_shuffle(input, int(_num(groups)))


_threshold_bind = signature("threshold(Tensor input, Scalar threshold, Scalar value)")
_threshold__bind = signature("threshold_(Tensor input, Scalar threshold, Scalar value)")


def threshold(*args, **kwargs):
    """``value`` where ``input <= threshold``, else ``input`` (ThresholdBackward0)."""
    input, th, value = _threshold_bind(args, kwargs)
    return _FL.threshold(input, _num(th), _num(value))


def threshold_(*args, **kwargs):
    """In-place ``threshold`` (ThresholdBackward1)."""
    input, th, value = _threshold__bind(args, kwargs)
    return _FL.threshold_(input, _num(th), _num(value))


_rrelu_bind = signature(
    "rrelu(Tensor input, Scalar lower = 0.125, Scalar upper = 0.3333333333333333, bool training = False, "
    "Generator? generator = None)"
)
_rrelu__bind = signature(
    "rrelu_(Tensor input, Scalar lower = 0.125, Scalar upper = 0.3333333333333333, bool training = False, "
    "Generator? generator = None)"
)


def rrelu(*args, **kwargs):
    """Randomized leaky ReLU (RreluWithNoiseBackward0)."""
    input, lower, upper, training, _ = _rrelu_bind(args, kwargs)
    return _FL.rrelu(input, _num(lower), _num(upper), training)


def rrelu_(*args, **kwargs):
    """In-place randomized leaky ReLU (RreluWithNoiseBackward1)."""
    input, lower, upper, training, _ = _rrelu__bind(args, kwargs)
    return _FL.rrelu_(input, _num(lower), _num(upper), training)


# ----- 1-d pools, max_pool2d -----

_adaptive_avg_pool1d_bind = signature("adaptive_avg_pool1d(Tensor input, int[1] output_size)")
_adaptive_max_pool1d_bind = signature("adaptive_max_pool1d(Tensor input, int[1] output_size)")


def adaptive_avg_pool1d(*args, **kwargs):
    input, size = _adaptive_avg_pool1d_bind(args, kwargs)
    return _FL.adaptive_avg_pool1d(input, _one(size))


def _adaptive_max_2d_compose(input, out_size):
    """Max over the windows ``[floor(i L / n), ceil((i + 1) L / n))`` of the last dim of a 4-d input;
    the indices are positions along that dim."""
    length = input.shape[-1]
    vals, idxs = [], []
    for i in range(out_size):
        start, end = (i * length) // out_size, -(-((i + 1) * length) // out_size)
        v, k = input[..., start:end].max(-1, keepdim=True)
        vals.append(v)
        idxs.append(k + start)
    return _core.cat(vals, -1), _core.cat(idxs, -1)


@native_node("AdaptiveMaxPool2DBackward0")
class _AdaptiveMaxPool2d(Function):
    @staticmethod
    def forward(ctx, input, out_size):
        out, idx = _adaptive_max_2d_compose(input, out_size)
        ctx.save_for_backward(idx)
        ctx.in_shape = tuple(input.shape)
        ctx.mark_non_differentiable(idx)
        return out, idx

    @staticmethod
    def backward(ctx, grad, _grad_idx):
        # the gradient goes to each window's argmax: a scatter-add along the pooled dim
        (idx,) = ctx.saved_tensors
        return _core.zeros(ctx.in_shape, dtype=grad.dtype).scatter_add(-1, idx, grad), None


def adaptive_max_pool1d(*args, **kwargs):
    """``(values, indices)`` of adaptive max pooling over the last dim (SqueezeBackward1)."""
    input, size = _adaptive_max_pool1d_bind(args, kwargs)
    size = _one(size)
    if len(size) != 1:
        raise RuntimeError(f"adaptive_max_pool1d() argument 'output_size' should contain one int (got {len(size)})")
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: {list(input.shape)}"
        )
    for d in range(1, input.dim()):
        if input.shape[d] == 0:
            raise RuntimeError(
                "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch dimensions, but input has "
                f"sizes {list(input.shape)} with dimension {d} being empty"
            )
    if size[0] < 0:
        raise RuntimeError("adaptive_max_pool2d(): Expected output_size to be non-negative")
    x = input.unsqueeze(-2)
    if x.dim() == 3:
        x = x.unsqueeze(0)
        out, idx = _AdaptiveMaxPool2d.apply(x, size[0])
        return out.squeeze(0).squeeze(-2), idx.squeeze(0).squeeze(-2)
    out, idx = _AdaptiveMaxPool2d.apply(x, size[0])
    return out.squeeze(-2), idx.squeeze(-2)


_avg_pool1d_bind = signature(
    "avg_pool1d(Tensor input, int[1] kernel_size, int[1] stride = None, int[1] padding = 0, bool ceil_mode = False, "
    "bool count_include_pad = True)"
)


def _stride(stride):
    return None if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else stride


def avg_pool1d(*args, **kwargs):
    input, kernel, stride, padding, ceil_mode, count_include_pad = _avg_pool1d_bind(args, kwargs)
    return F.avg_pool1d(input, kernel, _stride(stride), padding, ceil_mode, count_include_pad)


def _max_pool_sig(name, n):
    return signature(
        f"{name}(Tensor input, int[{n}] kernel_size, int[{n}] stride = None, int[{n}] padding = 0, "
        f"int[{n}] dilation = 1, bool ceil_mode = False)"
    )


_max_pool1d_bind = _max_pool_sig("max_pool1d", 1)
_max_pool1d_wi_bind = _max_pool_sig("max_pool1d_with_indices", 1)
_max_pool2d_bind = _max_pool_sig("max_pool2d", 2)


def max_pool1d(*args, **kwargs):
    input, kernel, stride, padding, dilation, ceil_mode = _max_pool1d_bind(args, kwargs)
    return F.max_pool1d(input, kernel, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(*args, **kwargs):
    """``(values, indices)`` of 1-d max pooling."""
    input, kernel, stride, padding, dilation, ceil_mode = _max_pool1d_wi_bind(args, kwargs)
    return F.max_pool1d(input, kernel, _stride(stride), padding, dilation, ceil_mode, return_indices=True)


def max_pool2d(*args, **kwargs):
    input, kernel, stride, padding, dilation, ceil_mode = _max_pool2d_bind(args, kwargs)
    return F.max_pool2d(input, kernel, _stride(stride), padding, dilation, ceil_mode)


# ----- Tensor methods -----

def _prelu_method(self, weight):
    from ._nn_aliases import prelu

    return prelu(self, weight)


def _hardshrink_method(self, lambd=0.5):
    from ._nn_aliases import hardshrink

    return hardshrink(self, lambd)


_core.Tensor.prelu = _prelu_method
_core.Tensor.hardshrink = _hardshrink_method
