"""``F.conv_transpose2d`` (PyTorch's ``torch.nn.functional.conv_transpose2d``): the adjoint of
``conv2d``, one ``ConvolutionBackward0`` node (transposed) in the graph."""

from .. import _core

__all__ = ["conv_transpose2d"]


def _pair(value):
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * 2
        return tuple(int(v) for v in value)
    return (int(value),) * 2


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution of ``input`` (N, C_in, H, W) or unbatched (C_in, H, W) with
    ``weight`` (C_in, C_out/groups, kH, kW)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(
            "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: "
            f"{list(input.shape)}"
        )
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    out = _core._conv_transpose2d(
        x, weight, bias, list(_pair(stride)), list(_pair(padding)), list(_pair(output_padding)), int(groups),
        list(_pair(dilation)),
    )
    return out.squeeze(0) if unbatched else out
