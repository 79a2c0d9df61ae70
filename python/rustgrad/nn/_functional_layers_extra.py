"""More of ``torch.nn.functional``: feature and alpha dropout, ``threshold``, ``rrelu``,
``pixel_shuffle``/``pixel_unshuffle``, ``channel_shuffle``, ``local_response_norm``, ``rms_norm``,
``adaptive_avg_pool1d`` and ``gumbel_softmax``.

All are compositions of existing ops. Where PyTorch composes too (dropouts, ``local_response_norm``,
``rms_norm``, ``adaptive_avg_pool1d``, ``gumbel_softmax``) the grad_fn chain is PyTorch's. Where
PyTorch has one native node (ThresholdBackward0/1, RreluWithNoiseBackward0/1, PixelShuffleBackward0,
PixelUnshuffleBackward0, ChannelShuffleBackward0) the composition runs under one node of that name
(``native_node``) whose backward is PyTorch's derivative formula.
"""

import math

from .. import _core
from ..autograd._native_node import native_node
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ._functional_loss import _type_name

__all__ = [
    "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "threshold", "threshold_",
    "rrelu", "rrelu_", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
    "local_response_norm", "rms_norm", "adaptive_avg_pool1d", "gumbel_softmax",
]

_SELU_ALPHA = 1.7580993408473766  # ATen's alpha' of alpha dropout: -scale * alpha of SELU


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input, p, train, feature, alpha, inplace):
    """ATen's ``_dropout_impl``: a Bernoulli(1 - p) mask (one per (sample, channel) for feature
    dropout) scaled by 1/(1-p); alpha dropout maps dropped values to SELU's saturation value
    and keeps mean and variance with ``a * (x * mask) + b``."""
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = _core.zeros((), dtype=input.dtype)
        return input.mul_(zero) if inplace else input * zero
    with no_grad():
        if feature:
            if input.dim() < 2:
                raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
            shape = (input.shape[0], input.shape[1]) + (1,) * (input.dim() - 2)
            noise = (_core.rand(shape, dtype=input.dtype) < (1 - p)).to(input.dtype)
        else:
            noise = (_core.rand_like(input) < (1 - p)).to(input.dtype)
        if alpha:
            a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
            b = noise.add(-1).mul_(_SELU_ALPHA * a).add_(_SELU_ALPHA * a * p)
            noise.mul_(a)
        else:
            noise.div_(1 - p)
    out = input.mul_(noise) if inplace else input * noise
    return out.add_(b) if alpha else out


def _channel_dropout(input, p, training, inplace, is_batched):
    """Channel dropout of a batched input; an unbatched one gets a batch dim of 1 for the call."""
    if not is_batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = _dropout_impl(input, p, training, True, False, inplace)
    if not is_batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of ``(N, C, L)`` or ``(C, L)`` inputs."""
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. "
            "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
            "spatial dimension, a channel dimension, and an optional batch dimension "
            "(i.e. 2D or 3D inputs)."
        )
    is_batched = inp_dim == 3
    return _channel_dropout(input, p, training, inplace, is_batched)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of ``(N, C, H, W)`` inputs (a 3-d input is taken as ``(N, C, L)``)."""
    import warnings

    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {inp_dim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if inp_dim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout_impl(input, p, training, True, False, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs."""
    import warnings

    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {inp_dim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    is_batched = inp_dim == 5
    return _channel_dropout(input, p, training, inplace, is_batched)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps zero mean and unit variance (AddBackward0)."""
    _check_p(p)
    return _dropout_impl(input, p, training, False, True, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels."""
    _check_p(p)
    return _dropout_impl(input, p, training, True, True, inplace)


class _Threshold(Function):
    """``value`` where ``input <= threshold``, else ``input`` (NaN kept)."""

    @staticmethod
    def forward(ctx, input, threshold, value, inplace):
        mask = input <= threshold
        ctx.save_for_backward(mask)
        if inplace:
            ctx.mark_dirty(input)
            return input.masked_fill_(mask, value)
        return input.masked_fill(mask, value)

    @staticmethod
    def backward(ctx, grad):
        # d/dx threshold(x) = 1 where x > threshold (or NaN), else 0
        (mask,) = ctx.saved_tensors
        return grad.masked_fill(mask, 0.0), None, None, None


_ThresholdOut = native_node("ThresholdBackward0")(type("_ThresholdOut", (_Threshold,), {}))
_ThresholdIn = native_node("ThresholdBackward1")(type("_ThresholdIn", (_Threshold,), {}))


def threshold(input, threshold, value, inplace=False):
    """``value`` where ``input <= threshold``, else ``input`` (NaN kept); grad passes where kept
    (ThresholdBackward0, ThresholdBackward1 in place)."""
    if inplace:
        return _ThresholdIn.apply(input, threshold, value, True)
    return _ThresholdOut.apply(input, threshold, value, False)


def threshold_(input, threshold, value):
    return _ThresholdIn.apply(input, threshold, value, True)


class _RreluWithNoise(Function):
    """ATen's ``rrelu_with_noise``: training multiplies by a noise of U(lower, upper) slopes where
    ``input <= 0`` (1 elsewhere); eval is leaky_relu with the mean slope."""

    @staticmethod
    def forward(ctx, input, lower, upper, training, inplace):
        ctx.slope = (lower + upper) / 2
        ctx.noisy = training and upper - lower > 1e-6
        if training:
            noise = _core.empty_like(input).uniform_(lower, upper)
            noise = noise.masked_fill_(input > 0, 1.0)
            out = input.mul_(noise) if inplace else input * noise
            ctx.noise = noise
        else:
            out = _core.leaky_relu_(input, ctx.slope) if inplace else _core.leaky_relu(input, ctx.slope)
        if inplace:
            ctx.mark_dirty(input)
        ctx.save_for_backward(out if inplace else input)
        return out

    @staticmethod
    def backward(ctx, grad):
        # training: d/dx (x * noise) = noise; else leaky_relu's slope where x <= 0
        (saved,) = ctx.saved_tensors
        if ctx.noisy:
            return grad * ctx.noise, None, None, None, None
        return grad * _core.ones_like(saved).masked_fill_(saved <= 0, ctx.slope), None, None, None, None


_RreluOut = native_node("RreluWithNoiseBackward0")(type("_RreluOut", (_RreluWithNoise,), {}))
_RreluIn = native_node("RreluWithNoiseBackward1")(type("_RreluIn", (_RreluWithNoise,), {}))


def _rrelu(input, lower, upper, training, inplace):
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    return (_RreluIn if inplace else _RreluOut).apply(input, lower, upper, training, inplace)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: slopes drawn from U(lower, upper) in training, their mean in eval
    (RreluWithNoiseBackward0, RreluWithNoiseBackward1 in place)."""
    return _rrelu(input, lower, upper, training, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return _rrelu(input, lower, upper, training, True)


def _check_factor(name, kind, factor):
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {kind}, but got {factor}")


def _pixel_shuffle(input, upscale_factor):
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``."""
    r = upscale_factor
    if input.dim() < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {input.dim()} dimension(s)"
        )
    _check_factor("pixel_shuffle", "upscale_factor", r)
    *lead, c, h, w = input.shape
    if c % (r * r) != 0:
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={c} is not divisible by {r * r}"
        )
    oc = c // (r * r)
    n = len(lead)
    x = input.reshape(*lead, oc, r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, oc, h * r, w * r)


def _pixel_unshuffle(input, downscale_factor):
    """``(*, C, H r, W r) -> (*, C r^2, H, W)``."""
    r = downscale_factor
    if input.dim() < 3:
        raise RuntimeError(
            "pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
            f"{input.dim()} dimension(s)"
        )
    _check_factor("pixel_unshuffle", "downscale_factor", r)
    *lead, c, h, w = input.shape
    if h % r != 0:
        raise RuntimeError(
            f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={h} is not "
            f"divisible by {r}"
        )
    if w % r != 0:
        raise RuntimeError(
            f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={w} is not "
            f"divisible by {r}"
        )
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def _channel_shuffle(input, groups):
    """Interleaves the channels (dim 1) of ``groups`` groups: ``(N, g, C/g, *) -> (N, C/g, g, *)``."""
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    c = input.shape[1]
    if c % groups != 0:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)


@native_node("PixelShuffleBackward0")
class _PixelShuffle(Function):
    @staticmethod
    def forward(ctx, input, r):
        ctx.r = r
        return _pixel_shuffle(input, r)

    @staticmethod
    def backward(ctx, grad):
        # the shuffle is a permutation of elements: its adjoint is the inverse permutation
        return pixel_unshuffle(grad, ctx.r), None


@native_node("PixelUnshuffleBackward0")
class _PixelUnshuffle(Function):
    @staticmethod
    def forward(ctx, input, r):
        ctx.r = r
        return _pixel_unshuffle(input, r)

    @staticmethod
    def backward(ctx, grad):
        # adjoint of a permutation: the inverse permutation
        return pixel_shuffle(grad, ctx.r), None


@native_node("ChannelShuffleBackward0")
class _ChannelShuffle(Function):
    @staticmethod
    def forward(ctx, input, groups):
        out = _channel_shuffle(input, groups)  # checks groups first
        ctx.inverse_groups = input.shape[1] // groups
        return out

    @staticmethod
    def backward(ctx, grad):
        # shuffling g groups of C/g channels is undone by shuffling C/g groups of g
        return channel_shuffle(grad, ctx.inverse_groups), None


@native_node("NotImplemented")
class _NativeChannelShuffle(Function):
    """PyTorch's ``native_channel_shuffle`` has no derivative: its node raises on backward."""

    @staticmethod
    def forward(ctx, input, groups):
        return _channel_shuffle(input, groups)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::native_channel_shuffle is not implemented")


def pixel_shuffle(input, upscale_factor):
    """``(*, C r^2, H, W) -> (*, C, H r, W r)`` (PixelShuffleBackward0)."""
    return _PixelShuffle.apply(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    """``(*, C, H r, W r) -> (*, C r^2, H, W)`` (PixelUnshuffleBackward0)."""
    return _PixelUnshuffle.apply(input, downscale_factor)


def channel_shuffle(input, groups):
    """Interleaves the channels of ``groups`` groups (ChannelShuffleBackward0)."""
    return _ChannelShuffle.apply(input, groups)


def native_channel_shuffle(input, groups):
    """``channel_shuffle`` whose node, as PyTorch's, has no derivative (NotImplemented)."""
    return _NativeChannelShuffle.apply(input, groups)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """``x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta`` (PyTorch's composition;
    the 5-d ``avg_pool3d`` with a ``(size, 1, 1)`` window is the same average as a ``(size, 1)``
    ``avg_pool2d`` over the flattened spatial dims)."""
    from ._functional_conv import avg_pool2d
    from ._functional_pad import pad

    dim = input.dim()
    if dim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)"
        )
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], -1)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


_EPS = {"Float": 1.1920928955078125e-07, "Double": 2.220446049250313e-16}


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x^2 over normalized_shape) + eps) * weight`` (eps defaults to the dtype's
    machine epsilon), ATen's composition."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    shape = [int(s) for s in normalized_shape]
    if weight is not None and list(weight.shape) != shape:
        raise RuntimeError(
            f"Expected weight to be of same shape as normalized_shape, but got weight of shape {list(weight.shape)} "
            f"and normalized_shape = {shape}"
        )
    n = len(shape)
    if input.dim() < n or list(input.shape[input.dim() - n:]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={shape}, expected input with shape [*{', '.join(str(s) for s in shape)}], "
            f"but got input of size{list(input.shape)}"
        )
    if eps is None:
        eps = _EPS.get(_type_name(input.dtype), _EPS["Float"])
    dims = [input.dim() - i - 1 for i in range(n)]
    rsqrt = input.pow(2).mean(dims, keepdim=True).add_(eps).rsqrt()
    out = input.mul(rsqrt).type_as(input)
    return out if weight is None else out.mul(weight)


def adaptive_avg_pool1d(input, output_size):
    """Adaptive average pooling of ``(N, C, L)`` or ``(C, L)`` over L (a height-1 2-d pool, SqueezeBackward1)."""
    from ._functional_conv import adaptive_avg_pool2d

    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 1:
            raise RuntimeError(
                f"adaptive_avg_pool1d() argument 'output_size' should contain one int (got {len(output_size)})"
            )
        output_size = output_size[0]
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 'self' "
            "(while checking arguments for adaptive_avg_pool1d)"
        )
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, int(output_size))).squeeze(-2)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Softmax of ``(logits + Gumbel(0, 1) noise) / tau``; ``hard`` returns one-hot samples whose
    gradient is the soft sample's (straight through)."""
    import warnings

    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    with no_grad():
        # Exponential(1) by inversion, -log(1 - U); its -log is Gumbel(0, 1)
        exponential = (1 - _core.rand_like(logits)).log().neg_()
        gumbels = -exponential.log()
    gumbels = (logits + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if hard:
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = _core.zeros_like(logits).scatter_(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft
    return y_soft
