"""``F.interpolate`` / ``F.upsample`` for 4-D inputs (``[N, C, H, W]``) in the ``nearest``,
``nearest-exact`` and ``bilinear`` modes and 5-D inputs (``[N, C, D, H, W]``) in the ``nearest``,
``nearest-exact`` and ``trilinear`` modes, with PyTorch's argument checks and messages (its Python
function, then ``upsample_nearest{2,3}d`` / ``_upsample_nearest_exact{2,3}d`` /
``upsample_bilinear2d`` / ``upsample_trilinear3d``: UpsampleNearest2DBackward0,
UpsampleTrilinear3DBackward0, ...)."""

import math
import warnings

from .. import _core

__all__ = ["interpolate", "upsample"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
# (input rank, mode) pairs with a Rust kernel: upsample_{nearest,bilinear}2d,
# upsample_{nearest,trilinear}3d and _upsample_nearest_exact{2,3}d.
_IMPLEMENTED = {(4, "nearest"), (4, "bilinear"), (4, "nearest-exact"), (5, "nearest"), (5, "trilinear"), (5, "nearest-exact")}


def _is_integer(x):
    return isinstance(x, int) and not isinstance(x, bool) or (isinstance(x, _core.Tensor) and not x.is_floating_point())


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resamples the spatial dimensions of ``input`` to ``size`` or by ``scale_factor``."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format."
                )
            if not all(_is_integer(x) for x in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    f"Tuple[int, int, int], but got size with types {[type(x) for x in size]}"
                )
            output_size = [int(s) for s in size]
        else:
            output_size = [size for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "scale_factor in (s1, s2, ...,sK) format."
                )
            scale_factors = list(scale_factor)
        else:
            scale_factors = [scale_factor for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [math.floor(input.size(i + 2) * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D tensor as input"
        )
    if (input.dim(), mode) in _IMPLEMENTED:
        if antialias:
            raise NotImplementedError("rustgrad does not implement antialiased bilinear interpolation")
        if output_size is None:
            # ATen's compute_output_size: the input size times the scale, truncated.
            output_size = [int(input.size(i + 2) * float(scale_factors[i])) for i in range(dim)]
            scales = [float(s) for s in scale_factors]
        else:
            scales = [None] * dim
        return _core._upsample(input, mode, bool(align_corners), list(output_size), scales)
    for rank, name, needs in ((3, "bilinear", 4), (3, "trilinear", 5), (4, "linear", 3), (4, "trilinear", 5),
                              (5, "linear", 3), (5, "bilinear", 4)):
        if input.dim() == rank and mode == name:
            raise NotImplementedError(f"Got {rank}D input, but {name} mode needs {needs}D input")
    if mode in _MODES.split(" | ") and input.dim() in (3, 4, 5):
        raise NotImplementedError(
            "rustgrad implements interpolate for 4-D inputs in the nearest, nearest-exact and bilinear modes and for "
            f"5-D inputs in the nearest, nearest-exact and trilinear modes only (got {input.dim()}D, {mode})"
        )
    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported"
        f" (got {input.dim()}D) for the modes: {_MODES}"
        f" (got {mode})"
    )


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (warns as PyTorch does)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)
