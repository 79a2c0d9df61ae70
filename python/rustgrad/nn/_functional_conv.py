"""Convolution and pooling of ``rustgrad.nn.functional`` (PyTorch's ``torch.nn.functional``).

``conv1d``/``conv2d`` are one Rust op (im2col + gemm, ``ConvolutionBackward0``); 2-d pooling is
one op each; the 1-d forms pool a height-1 image, as PyTorch does (``SqueezeBackward1``).
"""

import warnings

from .. import _core

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "max_pool1d",
    "max_pool2d",
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
    if n == 1:
        stride, before, after, dilation = (1, *stride), (0, *before), (0, *after), (1, *dilation)
    out = _core._convolution(input, weight, bias, list(stride), list(before), list(after), list(dilation), int(groups))
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation) of (N, C, L) or (C, L) by weight (O, C/groups, K)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation) of (N, C, H, W) or (C, H, W) by weight (O, C/groups, kH, kW)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


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
    out, indices = _core._max_pool2d(
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
    out, indices = _core._max_pool2d(
        input.unsqueeze(-2), [1, k], [1, s], [0, _pair(padding)[0]], [1, _pair(dilation)[0]], bool(ceil_mode)
    )
    out = out.squeeze(-2)
    return (out, indices.squeeze(-2)) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """2-d average pooling (``AvgPool2DBackward0``)."""
    kernel = _pair(kernel_size)
    return _core._avg_pool2d(
        input, list(kernel), list(_stride_or_kernel(stride, kernel)), list(_pair(padding)), bool(ceil_mode),
        bool(count_include_pad), None if divisor_override is None else int(divisor_override),
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling of (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    k = _pair(kernel_size)[0]
    s = _stride_or_kernel(stride, (k, k))[0]
    out = _core._avg_pool2d(
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
    return _core._adaptive_avg_pool2d(input, [oh, ow])
