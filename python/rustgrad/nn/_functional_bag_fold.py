"""``F.embedding_bag``, ``F.unfold`` and ``F.fold`` (PyTorch's ``torch.nn.functional``).

PyTorch runs each as one native node (EmbeddingBagBackward0, Im2ColBackward0, Col2ImBackward0);
here they are compositions with the same values and gradients: ``embedding`` rows summed into
their bags by ``index_add`` (IndexAddBackward0; ``max`` mode a ``max`` over padded bags), and
im2col / col2im as ``index_select`` gathers / ``index_add`` scatters over the padded image.
"""

from .. import _core
from ..autograd.grad_mode import no_grad
from ._functional_loss import _type_name

__all__ = ["embedding_bag", "unfold", "fold"]

_INDEX_ERROR = (
    "Expected i < index_size to be true, but got false.  (Could this error message be improved?  "
    "If so, please report an enhancement request to PyTorch.)"
)


def _bags(input, offsets, include_last_offset, n):
    """(bag of each input position, number of bags) from ``offsets``, with ATen's checks."""
    offs = [int(o) for o in offsets.tolist()]
    if include_last_offset:
        if len(offs) < 1:
            raise RuntimeError("include_last_offset: number of offset should be at least 1")
        # ATen's CPU kernel runs the last bag to the end of the input whatever offsets[-1] says
        bounds, num_bags = offs[:-1] + [n], len(offs) - 1
    else:
        bounds, num_bags = offs + [n], len(offs)
    if offs and offs[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. "
            f"However, got {offs[0]}\n[ rustgrad.{_type_name(offsets.dtype)}Tensor{{}} ]"
        )
    if offs and offs[-1] > n:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {offs[-1]}"
        )
    if any(b > a for a, b in zip(bounds[1:], bounds[:-1])):
        raise RuntimeError(_INDEX_ERROR)
    bag_of = []
    for b in range(num_bags):
        bag_of += [b] * (bounds[b + 1] - bounds[b])
    bag_of += [None] * (n - len(bag_of))  # no bags at all: the positions belong to none
    return bag_of, num_bags


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxes of bags of embedding rows: ``input`` 2-d (one bag per row) or 1-d cut
    into bags at ``offsets``; ``per_sample_weights`` scale each row (mode 'sum');
    ``padding_idx`` entries are left out of their bags."""
    import warnings

    from .functional import _embedding_renorm_

    if weight.dtype == _core.int64 and input.is_floating_point():
        warnings.warn(
            "Argument order of nn.functional.embedding_bag was changed. "
            "Usage `embedding_bag(weight, input, ...)` is deprecated, "
            "and should now be `embedding_bag(input, weight, ...)`.",
            stacklevel=2,
        )
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if not weight.dim() == 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length "
                f"sequences. However, found offsets of type {type(offsets)}"
            )
        offsets = _core.arange(0, input.numel(), input.size(1), dtype=input.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if sparse:
        raise NotImplementedError("rustgrad has no sparse tensors: use sparse=False")
    if _type_name(input.dtype) not in ("Long", "Int"):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got rustgrad.{_type_name(input.dtype)}Tensor instead (while checking arguments for embedding_bag)"
        )
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' "
            f"(got mode='{mode}'). Please open a feature request on GitHub."
        )
    rows = weight.size(0)
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise RuntimeError(
                f"padding_idx must be within the number of embeddings, {-rows} through {rows - 1}, but got {padding_idx}"
            )
        padding_idx %= rows
    ids = [int(i) for i in input.tolist()]
    if any(i < 0 or i >= rows for i in ids):
        raise RuntimeError(_INDEX_ERROR)
    bag_of, num_bags = _bags(input, offsets, include_last_offset, len(ids))
    keep = [p for p, (i, b) in enumerate(zip(ids, bag_of)) if b is not None and i != padding_idx]
    dim = weight.size(1)
    if not keep:
        # every bag empty: zeros that still lead back to weight, as PyTorch's node does
        nothing = _core.zeros(0, dtype=_core.int64)
        return _core.zeros((num_bags, dim), dtype=weight.dtype).index_add(0, nothing, weight[:0])
    positions = _core.tensor(keep, dtype=_core.int64)
    bags = _core.tensor([bag_of[p] for p in keep], dtype=_core.int64)
    vectors = _core.embedding(weight, input.to(_core.int64).index_select(0, positions), None, scale_grad_by_freq)
    if mode == "max":
        # the bags padded to one length with -inf rows; an empty bag's max is 0
        counts = [0] * num_bags
        slot = []
        for b in bags.tolist():
            slot.append(counts[b])
            counts[b] += 1
        width = max(counts)
        with no_grad():
            flat = _core.tensor([b * width + s for b, s in zip(bags.tolist(), slot)], dtype=_core.int64)
        padded = _core.full((num_bags * width, dim), float("-inf"), dtype=weight.dtype)
        padded[flat] = vectors
        padded = padded.view(num_bags, width, dim)
        empty = _core.tensor([[c == 0] for c in counts], dtype=_core.bool)
        return padded.max(1)[0].masked_fill(empty, 0)
    if per_sample_weights is not None:
        vectors = vectors * per_sample_weights.index_select(0, positions).unsqueeze(1)
    out = _core.zeros((num_bags, dim), dtype=weight.dtype).index_add(0, bags, vectors)
    if mode == "mean":
        counts = [0] * num_bags
        for b in bags.tolist():
            counts[b] += 1
        out = out / _core.tensor([[max(c, 1)] for c in counts], dtype=weight.dtype)
    return out


def _pair(value):
    if isinstance(value, int):
        return (value, value)
    values = tuple(int(v) for v in value)
    return values * 2 if len(values) == 1 else values


def _blocks(name_args, size, kernel, dilation, padding, stride):
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {kernel[0]} kernel_width: {kernel[1]}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {stride[0]} stride_width: {stride[1]}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilation_height: {dilation[0]} dilation_width: {dilation[1]}"
        )
    return tuple((size[i] + 2 * padding[i] - (dilation[i] * (kernel[i] - 1) + 1)) // stride[i] + 1 for i in range(2))


def _offsets(kernel, dilation, stride, blocks):
    """For each of the two dims: the padded-input coordinate of (kernel position, block)."""
    return [[[k * dilation[i] + b * stride[i] for b in range(blocks[i])] for k in range(kernel[i])] for i in range(2)]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: ``(N, C, H, W) -> (N, C * kH * kW, L)``, each column one sliding block."""
    from ._functional_pad import pad

    kernel, dilation, padding, stride = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    if input.dim() not in (3, 4):
        if input.dim() < 3:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-input.dim()}, {input.dim() - 1}], but got 2)"
            )
        raise RuntimeError(
            f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for "
            f"input, but got: {list(input.shape)}"
        )
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    n, c, h, w = x.shape
    blocks = _blocks("unfold", (h, w), kernel, dilation, padding, stride)
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"Given input with spatial size ({h}, {w}), kernel_size=({kernel[0]}, {kernel[1]}), "
            f"dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, {padding[1]}), calculated shape of the "
            f"array of sliding blocks as ({blocks[0]}, {blocks[1]}), but its components must be at least one."
        )
    if padding != (0, 0):
        x = pad(x, (padding[1], padding[1], padding[0], padding[0]))
    rows, cols = _offsets(kernel, dilation, stride, blocks)
    hi = _core.tensor([r for ks in rows for r in ks], dtype=_core.int64)
    wi = _core.tensor([r for ks in cols for r in ks], dtype=_core.int64)
    # [N, C, kH*oH, Wp] -> [N, C, kH, oH, kW*oW] -> [N, C, kH, kW, oH, oW]
    g = x.index_select(2, hi).index_select(3, wi).view(n, c, kernel[0], blocks[0], kernel[1], blocks[1])
    out = g.permute(0, 1, 2, 4, 3, 5).reshape(n, c * kernel[0] * kernel[1], blocks[0] * blocks[1])
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: ``(N, C * kH * kW, L) -> (N, C, H, W)``, overlapping block values summed."""
    output_size, kernel = _pair(output_size), _pair(kernel_size)
    dilation, padding, stride = _pair(dilation), _pair(padding), _pair(stride)
    if input.dim() not in (2, 3):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions "
            f"for input, but got: {list(input.shape)}"
        )
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    n, ckk, length = x.shape
    if ckk % (kernel[0] * kernel[1]) != 0:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={ckk} and kernel_size=({kernel[0]}, {kernel[1]})."
        )
    blocks = _blocks("fold", output_size, kernel, dilation, padding, stride)
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(
            f"Given output_size=({output_size[0]}, {output_size[1]}), kernel_size=({kernel[0]}, {kernel[1]}), "
            f"dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, {padding[1]}), "
            f"stride=({stride[0]}, {stride[1]}), expected size of input's dimension 2 to match the calculated number "
            f"of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={length}."
        )
    c = ckk // (kernel[0] * kernel[1])
    hp, wp = output_size[0] + 2 * padding[0], output_size[1] + 2 * padding[1]
    rows, cols = _offsets(kernel, dilation, stride, blocks)
    # the flat padded-image position of every (kh, kw, oh, ow) entry of a channel's columns
    flat = [rows[kh][oh] * wp + cols[kw][ow] for kh in range(kernel[0]) for kw in range(kernel[1])
            for oh in range(blocks[0]) for ow in range(blocks[1])]
    index = _core.tensor(flat, dtype=_core.int64)
    src = x.reshape(n, c, kernel[0] * kernel[1] * length)
    out = _core.zeros((n, c, hp * wp), dtype=input.dtype).index_add(2, index, src).view(n, c, hp, wp)
    if padding != (0, 0):
        out = out[:, :, padding[0]:padding[0] + output_size[0], padding[1]:padding[1] + output_size[1]]
    return out if batched else out.squeeze(0)
