"""Convolution and pooling of ``rustgrad.nn.functional`` (PyTorch's ``torch.nn.functional``).

``conv1d``/``conv2d``/``conv3d`` are one Rust op (im2col + gemm, ``ConvolutionBackward0``); 2-d and
3-d pooling are one op each; the 1-d forms pool a height-1 image, as PyTorch does
(``SqueezeBackward1``).
"""

import warnings

from .. import _core

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "conv1d",
    "conv2d",
    "conv3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
]


def _tuple(value, n, name):
    """An int or a sequence of ints as an n-tuple, with PyTorch's message for a wrong length."""
    if isinstance(value, int):
        return (value,) * n
    values = tuple(int(v) for v in value)
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the convolution "
            f"dimensions, but got {name}={list(values)}"
        )
    return values


def _conv(input, weight, bias, stride, padding, dilation, groups, n):
    name = f"conv{n}d"
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(
            f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, but got input of size: "
            f"{list(input.shape)}"
        )
    stride = _tuple(stride, n, "stride")
    dilation = _tuple(dilation, n, "dilation")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0,) * n
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (k - 1) for d, k in zip(dilation, kernel)]
            before = tuple(t // 2 for t in total)
            after = tuple(t - b for t, b in zip(total, before))
            if before != after:
                warnings.warn(
                    "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy "
                    "of the input be created",
                    stacklevel=3,
                )
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        before = after = _tuple(padding, n, "padding")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in before):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    unbatched = input.dim() == n + 1
    if unbatched:
        input = input.unsqueeze(0)
    # The kernel works over (d, h, w): lower ranks get unit leading dims.
    lead = 3 - n
    stride, dilation = (1,) * lead + stride, (1,) * lead + dilation
    before, after = (0,) * lead + tuple(before), (0,) * lead + tuple(after)
    out = _core._convolution(input, weight, bias, list(stride), list(before), list(after), list(dilation), int(groups))
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation) of (N, C, L) or (C, L) by weight (O, C/groups, K)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation) of (N, C, H, W) or (C, H, W) by weight (O, C/groups, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution (cross-correlation) of (N, C, D, H, W) or (C, D, H, W) by weight (O, C/groups, kD, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)


def _pair(value):
    if isinstance(value, int):
        return (value, value)
    values = tuple(int(v) for v in value)
    return values * 2 if len(values) == 1 else values


def _stride_or_kernel(stride, kernel):
    return kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _pair(stride)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-d max pooling (``MaxPool2DWithIndicesBackward0``); ``return_indices`` also gives the flat
    index of each maximum in its input plane."""
    kernel = _pair(kernel_size)
    out, indices = _core._max_pool(
        input, list(kernel), list(_stride_or_kernel(stride, kernel)), list(_pair(padding)), list(_pair(dilation)),
        bool(ceil_mode),
    )
    return (out, indices) if return_indices else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-d max pooling of (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    k = _pair(kernel_size)[0]
    s = _stride_or_kernel(stride, (k, k))[0]
    out, indices = _core._max_pool(
        input.unsqueeze(-2), [1, k], [1, s], [0, _pair(padding)[0]], [1, _pair(dilation)[0]], bool(ceil_mode)
    )
    out = out.squeeze(-2)
    return (out, indices.squeeze(-2)) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """2-d average pooling (``AvgPool2DBackward0``)."""
    kernel = _pair(kernel_size)
    return _core._avg_pool(
        input, list(kernel), list(_stride_or_kernel(stride, kernel)), list(_pair(padding)), bool(ceil_mode),
        bool(count_include_pad), None if divisor_override is None else int(divisor_override),
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling of (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    k = _pair(kernel_size)[0]
    s = _stride_or_kernel(stride, (k, k))[0]
    out = _core._avg_pool(
        input.unsqueeze(-2), [1, k], [1, s], [0, _pair(padding)[0]], bool(ceil_mode), bool(count_include_pad), None
    )
    return out.squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    """Adaptive 2-d average pooling to ``output_size`` (``None`` keeps an input size); a 1x1
    output is a mean over the last two dims, as in PyTorch (``MeanBackward1``)."""
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    h, w = input.shape[-2], input.shape[-1]
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if input.dim() in (3, 4) and (oh, ow) == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    return _core._adaptive_avg_pool(input, [oh, ow])


def _triple(value, name, op):
    """An int or a 1-/3-sequence of ints as a 3-tuple, with PyTorch's message for another length."""
    if isinstance(value, int):
        return (value,) * 3
    values = tuple(int(v) for v in value)
    if len(values) == 1:
        return values * 3
    if len(values) != 3:
        raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of three ints")
    return values


def _pool3d_stride(stride, kernel, op):
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):
        return kernel
    if not isinstance(stride, int) and len(stride) not in (1, 3):
        raise RuntimeError(f"{op}: stride must either be omitted, a single int, or a tuple of three ints")
    return _triple(stride, "stride", op)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-d max pooling of (N, C, D, H, W) or (C, D, H, W) (``MaxPool3DWithIndicesBackward0``);
    ``return_indices`` also gives the flat index of each maximum in its input volume."""
    op = "max_pool3d"
    kernel = _triple(kernel_size, "kernel_size", op)
    out, indices = _core._max_pool(
        input, list(kernel), list(_pool3d_stride(stride, kernel, op)), list(_triple(padding, "padding", op)),
        list(_triple(dilation, "dilation", op)), bool(ceil_mode),
    )
    return (out, indices) if return_indices else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """3-d average pooling (``AvgPool3DBackward0``)."""
    op = "avg_pool3d"
    kernel = _triple(kernel_size, "kernel_size", op)
    return _core._avg_pool(
        input, list(kernel), list(_pool3d_stride(stride, kernel, op)), list(_triple(padding, "padding", op)),
        bool(ceil_mode), bool(count_include_pad), None if divisor_override is None else int(divisor_override),
    )


def _adaptive_size(input, output_size, op, message):
    """``output_size`` as three ints (``None`` keeps that input size)."""
    if isinstance(output_size, int):
        output_size = (output_size,) * 3
    output_size = tuple(output_size)
    if len(output_size) != 3:
        raise RuntimeError(message)
    return [input.shape[i - 3] if s is None else int(s) for i, s in enumerate(output_size)]


def adaptive_avg_pool3d(input, output_size):
    """Adaptive 3-d average pooling to ``output_size``; a 1x1x1 output is a mean over the last
    three dims, as in PyTorch (``MeanBackward1``)."""
    size = _adaptive_size(input, output_size, "adaptive_avg_pool3d", "adaptive_avg_pool3d: output_size must be 3")
    if size == [1, 1, 1]:
        # PyTorch's composite takes this path before any rank check.
        return input.mean((-1, -2, -3), keepdim=True)
    return _core._adaptive_avg_pool(input, size)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Adaptive 3-d max pooling (``AdaptiveMaxPool3DBackward0``); ``return_indices`` also gives the
    flat index of each maximum in its input volume."""
    size = _adaptive_size(
        input, output_size, "adaptive_max_pool3d", "adaptive_max_pool3d(): internal error: output_size.size() must be 3"
    )
    out, indices = _core._adaptive_max_pool(input, size)
    return (out, indices) if return_indices else out
