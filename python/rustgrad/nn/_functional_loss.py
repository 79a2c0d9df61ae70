"""Loss functions and layer norm of ``rustgrad.nn.functional`` (PyTorch's ``torch.nn.functional``).

The heavy parts are single Rust ops (``NllLossBackward0``, ``MseLossBackward0``, ...); this file
does PyTorch's Python-level argument handling: reductions, warnings, shape checks and messages.
"""

import warnings

from .. import _core
from .._scalar_names import scalar_type_name

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]

_type_name = scalar_type_name


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's ``_Reduction.legacy_get_string``: old boolean flags override ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.", stacklevel=3
    )
    return ret


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _broadcast_shape(a, b):
    """The broadcast of two shapes, with ``torch.broadcast_tensors``' message on a mismatch."""
    a, b = tuple(a), tuple(b)
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + a
    b = (1,) * (n - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
            )
        out.append(y if x == 1 else x)
    return tuple(out)


def _warn_size_mismatch(input, target):
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
            "This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def _broadcast_pair(input, target):
    shape = _broadcast_shape(input.shape, target.shape)
    if tuple(input.shape) != shape:
        input = input.expand(*shape)
    if tuple(target.shape) != shape:
        target = target.expand(*shape)
    return input, target


def _weighted_reduce(loss, weight, input, reduction, mean_by_weight):
    """PyTorch's Python path for the ``weight=`` argument of mse/l1/huber losses."""
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = loss * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum() if mean_by_weight else weighted.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error (``MseLossBackward0``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _warn_size_mismatch(input, target)
    input, target = _broadcast_pair(input, target)
    if weight is not None:
        return _weighted_reduce((input - target) ** 2, weight, input, reduction, True)
    _check_reduction(reduction)
    return _core._pointwise_loss("mse", input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error, composed as PyTorch does: ``(input - target).abs().mean()``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _warn_size_mismatch(input, target)
    input, target = _broadcast_pair(input, target)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted_reduce(loss, weight, input, reduction, True)
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss (``HuberLossBackward0``)."""
    _warn_size_mismatch(input, target)
    input, target = _broadcast_pair(input, target)
    if weight is None:
        _check_reduction(reduction)
        return _core._pointwise_loss("huber", input, target, reduction, float(delta))
    loss = _core._pointwise_loss("huber", input, target, "none", float(delta))
    return _weighted_reduce(loss, weight, input, reduction, False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1 loss (``SmoothL1LossBackward0``); ``beta=0`` is the L1 loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _warn_size_mismatch(input, target)
    input, target = _broadcast_pair(input, target)
    _check_reduction(reduction)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return _core._pointwise_loss("smooth_l1", input, target, reduction, float(beta))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy of probabilities (``BinaryCrossEntropyBackward0``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}) is deprecated. "
            "Please ensure they have the same size."
        )
    if weight is not None:
        shape = _broadcast_shape(target.shape, weight.shape)
        if tuple(shape) != tuple(target.shape):
            raise RuntimeError(
                f"Attempting to broadcast a dimension of length {weight.shape[-1]} at -1! Mismatching argument "
                f"at index 1 had {weight.size()}; but expected shape should be broadcastable to {list(target.shape)}"
            )
        weight = weight.expand(*shape)
    _refuse_grad("binary_cross_entropy", weight=weight)
    return _core._binary_cross_entropy(input, target, weight, reduction)


def _refuse_grad(function, **args):
    """PyTorch's error for a non-differentiable argument (class weights...) that requires grad
    while grad mode is on."""
    if not _core.is_grad_enabled():
        return
    for name, t in args.items():
        if t is not None and t.requires_grad:
            raise RuntimeError(
                f"The function '{function}' is not differentiable with respect to argument '{name}'. "
                "This input cannot have requires_grad True."
            )


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """Binary cross entropy of logits, numerically stable (``BinaryCrossEntropyWithLogitsBackward0``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not (target.size() == input.size()):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    for extra in (weight, pos_weight):
        if extra is not None:
            _broadcast_shape(input.shape, extra.shape)
    _refuse_grad("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    return _core._binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def _check_nll_args(input, target, weight):
    dim = input.dim()
    if dim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {dim})")
    if dim != 1 and input.shape[0] != target.shape[0]:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0]})."
        )
    if dim <= 2:
        if target.dim() > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if dim == 1 and target.dim() == 1 and target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    elif dim == 4 and target.dim() != 3:
        raise RuntimeError(
            f"only batches of spatial targets supported (3D tensors) but got targets of dimension: {target.dim()}"
        )
    elif tuple(target.shape[1:]) != tuple(input.shape[2:]):
        expected = [input.shape[0], *input.shape[2:]]
        raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    classes = input.shape[-1] if dim == 1 else input.shape[1]
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes but got weight tensor "
            f"of shape: {list(weight.shape)}"
        )
    if _type_name(target.dtype) not in ("Long", "Byte"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_type_name(target.dtype)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``."""
    _refuse_grad("nll_loss_forward", weight=weight)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_nll_args(input, target, weight)
    if input.dim() == 1 and target.dim() == 1:
        # A 1-d input with a one-element target is a batch of one.
        return _core._nll_loss(input.unsqueeze(0), target, weight, int(ignore_index), reduction)
    return _core._nll_loss(input, target, weight, int(ignore_index), reduction)


def _class_weight_view(weight, input, class_dim):
    shape = [1] * input.dim()
    shape[class_dim] = weight.shape[0]
    return weight.view(*shape)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Cross entropy of logits: ``nll_loss(log_softmax(input))`` for class indices, or the
    soft-label form for class probabilities (``target`` shaped like ``input``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {float(label_smoothing):g}")
    class_dim = 0 if input.dim() == 1 else 1
    if input.shape == target.shape:
        if not target.is_floating_point():
            raise RuntimeError(
                f"Expected floating point type for target with class probabilities, got {_type_name(target.dtype)}"
            )
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        classes = input.shape[class_dim]
        if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
            raise RuntimeError(
                f"cross_entropy: weight tensor should be defined either for all {classes} classes or no classes "
                f"but got weight tensor of shape: {list(weight.shape)}"
            )
        logp = input.log_softmax(class_dim)
        if label_smoothing > 0.0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        prod = logp * target
        if weight is not None:
            prod = prod * _class_weight_view(weight, input, class_dim)
        if reduction == "mean":
            if input.numel() == 0:
                return -prod.sum() * float("nan")
            return -prod.sum() / (input.numel() // classes)
        if reduction == "sum":
            return -prod.sum()
        return -prod.sum(class_dim)
    logp = input.log_softmax(class_dim)
    if label_smoothing <= 0.0:
        return nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    classes = input.shape[class_dim]
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    ignore_mask = target == ignore_index
    if weight is not None:
        smooth = -(logp * _class_weight_view(weight, input, class_dim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore_mask, 0.0)
    if reduction == "mean":
        if weight is not None:
            kept = target.masked_select(ignore_mask.logical_not()).flatten()
            smooth = smooth.sum() / weight.gather(0, kept).sum()
        else:
            smooth = smooth.sum() / ignore_mask.logical_not().sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` dims (``NativeLayerNormBackward0``)."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _core._layer_norm(input, [int(d) for d in normalized_shape], weight, bias, float(eps))
