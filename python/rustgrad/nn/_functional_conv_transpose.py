"""``F.conv_transpose2d`` / ``F.conv_transpose3d`` (PyTorch's ``torch.nn.functional`` ones): the
adjoint of ``conv2d`` / ``conv3d``, one ``ConvolutionBackward0`` node (transposed) in the graph."""

from .. import _core

__all__ = ["conv_transpose2d", "conv_transpose3d"]


def _ntuple(value, n, name):
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * n
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to match the convolution "
                f"dimensions, but got {name}={list(value)}"
            )
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, n):
    if input.dim() not in (n + 1, n + 2):
        raise RuntimeError(
            f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to conv_transpose{n}d, but got input of size: "
            f"{list(input.shape)}"
        )
    unbatched = input.dim() == n + 1
    x = input.unsqueeze(0) if unbatched else input
    # The kernel works over (d, h, w): 2-d gets a unit depth.
    lead = 3 - n
    stride, padding, output_padding, dilation = (
        (fill,) * lead + _ntuple(v, n, name)
        for fill, v, name in (
            (1, stride, "stride"), (0, padding, "padding"), (0, output_padding, "output_padding"),
            (1, dilation, "dilation"),
        )
    )
    out = _core._conv_transpose(
        x, weight, bias, list(stride), list(padding), list(output_padding), int(groups), list(dilation)
    )
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution of ``input`` (N, C_in, H, W) or unbatched (C_in, H, W) with
    ``weight`` (C_in, C_out/groups, kH, kW)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-d convolution of ``input`` (N, C_in, D, H, W) or unbatched (C_in, D, H, W) with
    ``weight`` (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3)
