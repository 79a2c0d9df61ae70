"""``rustgrad.nn.functional.pad`` (PyTorch's ``torch._C._nn.pad``): 'constant', 'reflect' and
'replicate' run as one Rust op each (``ConstantPadNdBackward0``, ``ReflectionPad2DBackward0``,
...); 'circular' is PyTorch's ``_pad_circular``: slice copies into a new tensor (``CopySlices``).
Checks and messages follow ATen's ``_pad_enum`` and the padding kernels."""

from .. import _core
from .._core import Tensor

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _check_ints(pad):
    for i, p in enumerate(pad):
        if isinstance(p, bool) or not isinstance(p, int):
            if isinstance(p, Tensor) and p.dim() == 0 and not p.is_floating_point():
                continue
            raise TypeError(
                f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                f"{type(p).__name__} at pos {i}"
            )
    return [int(p) for p in pad]


def _check_reflect_replicate(input, pad, mode, n):
    shape = list(input.shape)
    ndim = len(shape)
    # non-batch dims must be non-empty (the batch dim may be 0)
    if any(s == 0 for s in shape[1:]) or (ndim == n + 1 and shape[0] == 0):
        raise RuntimeError(
            f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero "
            f"dimensions for input, but got: {shape}"
        )
    sizes = [shape[ndim - 1 - k] for k in range(n)]
    if mode == "reflect":
        for k in range(n):
            left, right = pad[2 * k], pad[2 * k + 1]
            if left >= sizes[k] or right >= sizes[k]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * k}: Padding size should be less than the corresponding input dimension, "
                    f"but got: padding ({left}, {right}) at dimension {ndim - 1 - k} of input {shape}"
                )
    outs = [sizes[k] + pad[2 * k] + pad[2 * k + 1] for k in range(n)]
    if n == 1 and outs[0] < 1:
        raise RuntimeError(f"input (W: {sizes[0]}) is too small. Calculated output W: {outs[0]}")
    if n == 2 and outs[0] < 1 and outs[1] < 1:
        raise RuntimeError(
            f"input (H: {sizes[1]}, W: {sizes[0]} ) is too small. Calculated output H: {outs[1]} W: {outs[0]}"
        )


def _pad_circular(input, pad):
    n = len(pad) // 2
    in_shape = list(input.shape)
    out_shape = list(in_shape)
    for k in range(n):
        d = input.dim() - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        if left > in_shape[d] or right > in_shape[d]:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        out_shape[d] = in_shape[d] + left + right
        if out_shape[d] < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    out = _core.empty(tuple(out_shape), dtype=input.dtype)
    if out.numel() == 0:
        return out
    # the input (cropped by negative pads) into the middle
    out_idx = [slice(None)] * input.dim()
    in_idx = [slice(None)] * input.dim()
    for k in range(n):
        d = input.dim() - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        out_idx[d] = slice(max(left, 0), out_shape[d] - max(right, 0))
        in_idx[d] = slice(max(-left, 0), in_shape[d] - max(-right, 0))
    out[tuple(out_idx)] = input[tuple(in_idx)]
    # then each dim's left and right pads from the opposite side
    for k in range(n):
        d = input.dim() - 1 - k
        left, right, size = pad[2 * k], pad[2 * k + 1], out_shape[d]
        if left > 0:
            _copy_within(out, d, 0, size - left - max(right, 0), left)
        if right > 0:
            _copy_within(out, d, size - right, max(left, 0), right)
    return out


_OVERLAP = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory "
    "location. Please clone() the tensor before performing the operation."
)


def _copy_within(out, d, dst, src, length):
    """``out[dst:dst+length] = out[src:src+length]`` along ``d`` with the result of an element-by-element
    forward copy (ATen's ``copy_``) when the ranges overlap."""

    def part(start, n):
        index = [slice(None)] * out.dim()
        index[d] = slice(start, start + n)
        return tuple(index)

    overlap = src < dst + length and dst < src + length
    if overlap and all(size == 1 for size in out.shape[:d]):
        # ATen refuses a copy between overlapping contiguous ranges (strided ones it copies in order)
        raise RuntimeError(_OVERLAP)
    # (sources are cloned: rustgrad refuses a copy between views of one storage)
    if src >= dst or src + length <= dst:
        out[part(dst, length)] = out[part(src, length)].clone()
        return
    gap = dst - src  # the source trails the destination: copy in chunks no longer than the gap
    for offset in range(0, length, gap):
        n = min(gap, length - offset)
        out[part(dst + offset, n)] = out[part(src + offset, n)].clone()


def pad(input, pad, mode="constant", value=None):
    """Pads the last ``len(pad) // 2`` dims of ``input``: ``pad`` lists (left, right) for the last
    dim first. 'constant' fills with ``value`` (default 0; negative pads crop); 'reflect' mirrors
    without the edge, 'replicate' repeats the edge, 'circular' wraps around."""
    pad = _check_ints(pad)
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.dim():
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(pad)} and input of dimension {input.dim()}"
        )
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        shape = list(input.shape)
        for k in range(len(pad) // 2):
            d = input.dim() - 1 - k
            if shape[d] + pad[2 * k] + pad[2 * k + 1] < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return _core._pad(input, pad, "constant", 0.0 if value is None else float(value))
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    n = len(pad) // 2
    if n not in (1, 2, 3) or input.dim() not in (n + 1, n + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.")
    if mode == "circular":
        return _pad_circular(input, pad)
    _check_reflect_replicate(input, pad, mode, n)
    return _core._pad(input, pad, mode, 0.0)
