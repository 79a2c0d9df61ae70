"""The margin, embedding, triplet and likelihood losses of ``torch.nn.functional``.

Most are compositions in PyTorch too (ATen's ``margin_ranking_loss``, ``hinge_embedding_loss``,
``cosine_embedding_loss``, ``triplet_margin_loss``, ``poisson_nll_loss``; the Python
``multilabel_soft_margin_loss``, ``triplet_margin_with_distance_loss``, ``gaussian_nll_loss``):
the same ops are composed here in the same order, so values and grad_fn chains are PyTorch's.
``soft_margin_loss``, ``multi_margin_loss`` and ``multilabel_margin_loss`` are single native nodes
in PyTorch (SoftMarginLossBackward0, MultiMarginLossBackward0, MultilabelMarginLossBackward0);
here they are composed from elementwise ops and reductions with the same formulas, run under one
node of PyTorch's name whose backward differentiates that composition (``autograd._native_node.composite_node``).
"""

import math
import warnings

from .. import _core
from ..autograd.grad_mode import no_grad
from ..autograd._native_node import composite_node
from ._functional_loss import _refuse_grad, _type_name

__all__ = [
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "poisson_nll_loss", "gaussian_nll_loss",
]


def _legacy_get_string(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.", stacklevel=4
    )
    return ret


def _get_enum(reduction):
    """PyTorch's ``_Reduction.get_enum``, returning the (validated) reduction name."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=4)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _get_enum(_legacy_get_string(size_average, reduce))
    return _get_enum(reduction)


def _apply(loss, reduction):
    """ATen's ``apply_loss_reduction``."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    return _apply((-target * (input1 - input2) + margin).clamp_min_(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``input`` where ``target == 1``, ``max(0, margin - input)`` where ``target == -1`` (summed
    where ``target`` is neither, as ATen does)."""
    reduction = _reduction(size_average, reduce, reduction)
    zeros = _core.zeros_like(input)
    margin_clamp = (margin - input).clamp_min_(0)
    output_margin = _core.where(target != 1, margin_clamp, zeros)
    output_self = _core.where(target != -1, input, zeros)
    return _apply(output_margin + output_self, reduction)


_EPSILON = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where ``target == -1``."""
    reduction = _reduction(size_average, reduce, reduction)
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if targ_dim == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(
                "1D target tensor expects 2D input tensors, but found inputs with sizes "
                f"{list(input1.shape)} and {list(input2.shape)}."
            )
    elif input1.dim() != 1 or input2.dim() != 1:
        raise RuntimeError(
            "0D target tensor expects 1D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    prod_sum = (input1 * input2).sum(targ_dim)
    mag_square1 = (input1 * input1).sum(targ_dim) + _EPSILON
    mag_square2 = (input2 * input2).sum(targ_dim) + _EPSILON
    denom = (mag_square1 * mag_square2).sqrt_()
    cos = prod_sum / denom
    zeros = _core.zeros_like(cos)
    pos = 1 - cos
    neg = (cos - margin).clamp_min_(0)
    output_pos = _core.where(target == 1, pos, zeros)
    output_neg = _core.where(target == -1, neg, zeros)
    return _apply(output_pos + output_neg, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))`` (ATen's order: neg, mul, exp, add 1, log)."""
    reduction = _reduction(size_average, reduce, reduction)
    _refuse_grad("soft_margin_loss", target=target)
    return _soft_margin_node(input, target, reduction)


def _soft_margin_compose(input, target, reduction):
    # d/dx log(1 + exp(-t x)) = -t exp(-t x) / (1 + exp(-t x)): the chain rule through the composition
    loss = ((-input) * target).exp().add(1).log()
    return _apply(loss, reduction)


_soft_margin_node = composite_node("SoftMarginLossBackward0")(_soft_margin_compose)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-(t log sigmoid(x) + (1 - t) log sigmoid(-x))`` averaged over the class (last) dim."""
    from ._functional_extra import logsigmoid

    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    C = input.size(class_dim)
    loss = loss.sum(dim=class_dim) / C
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def _check_long(target):
    if _type_name(target.dtype) != "Long":
        raise RuntimeError(f"expected scalar type Long but found {_type_name(target.dtype)}")


def _frames(input):
    ndims = input.dim()
    if not ((ndims == 2 and input.size(1) != 0) or (ndims == 1 and input.size(0) != 0) or ndims == 0):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(input.shape)}"
        )
    if ndims <= 1:
        return 1, 1 if ndims == 0 else input.size(0)
    return input.size(0), input.size(1)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """``sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C`` per sample."""
    reduction = _reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _refuse_grad("multi_margin_loss", weight=weight)
    nframe, dim = _frames(input)
    if target.dim() > 1 or target.numel() != nframe:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples "
            f"(batch size). Expected target size [{nframe}], but got {list(target.shape)}. "
            f"Input has shape {list(input.shape)}."
        )
    if weight is not None and (weight.dim() > 1 or weight.numel() != dim):
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got {list(weight.shape)}")
    _check_long(target)
    if weight is not None and weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input.dtype)} but found {_type_name(weight.dtype)}")
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= dim):
        raise RuntimeError("target out of range")
    return _multi_margin_node(input, target, p, margin, weight, reduction)


def _multi_margin_compose(input, target, p, margin, weight, reduction):
    nframe, dim = _frames(input)
    x = input.reshape(nframe, dim)
    y = target.reshape(nframe, 1)
    # z_j = margin - x[y] + x[j], hinged, squared for p = 2, weighted by w[y], the j = y term dropped
    z = (margin - x.gather(1, y) + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight.gather(0, y.reshape(-1)).reshape(nframe, 1)
    with no_grad():
        own = _core.zeros((nframe, dim), dtype=_core.bool).scatter_(1, y, True)
    loss = z.masked_fill(own, 0).sum(1) / dim
    if reduction == "none":
        return loss if target.dim() > 0 else loss.reshape(())
    return _apply(loss, reduction)


_multi_margin_node = composite_node("MultiMarginLossBackward0")(_multi_margin_compose)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``sum_{j in targets} sum_{k not in targets} max(0, 1 - (x[j] - x[k])) / C`` per sample;
    each row of ``target`` lists class indices up to the first -1."""
    reduction = _reduction(size_average, reduce, reduction)
    nframe, dim = _frames(input)
    if input.dim() <= 1:
        if target.dim() > 1 or target.numel() != dim:
            raise RuntimeError(
                f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
            )
    elif target.dim() != 2 or target.size(0) != nframe or target.size(1) != dim:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    _check_long(target)
    if target.numel() and (int(target.min()) < -1 or int(target.max()) >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    return _multilabel_margin_node(input, target, reduction)


def _multilabel_margin_compose(input, target, reduction):
    nframe, dim = _frames(input)
    x = input.reshape(nframe, dim)
    with no_grad():
        t = target.reshape(nframe, dim)
        # the targets of a row are the entries before its first -1
        valid = (t >= 0).to(_core.int64).cumprod(1).to(_core.bool)
        index = t.masked_fill(valid.logical_not(), 0)
        hits = _core.zeros((nframe, dim), dtype=_core.int64).scatter_add_(1, index, valid.to(_core.int64))
        is_target = hits > 0
        pair = (valid.unsqueeze(2) & is_target.logical_not().unsqueeze(1)).to(input.dtype)
    # pair (j, k): max(0, 1 - x[target_j] + x[k]) for k outside the targets
    z = (1 - x.gather(1, index).unsqueeze(2) + x.unsqueeze(1)).clamp_min(0)
    loss = (z * pair).sum((1, 2)) / dim
    if reduction == "none":
        return loss if target.dim() > 1 else loss.reshape(())
    return _apply(loss, reduction)


_multilabel_margin_node = composite_node("MultilabelMarginLossBackward0")(_multilabel_margin_compose)


def _check_triplet_dims(anchor, positive, negative):
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim and p_dim == n_dim):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, "
            f"but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs"
        )


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the pairwise p-norm distance."""
    from ._functional_extra import pairwise_distance

    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_swap = pairwise_distance(positive, negative, p, eps)
        dist_neg = _core.Tensor.minimum(dist_neg, dist_swap)
    return _apply((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """``triplet_margin_loss`` with any distance function (``pairwise_distance`` by default)."""
    from ._functional_extra import pairwise_distance

    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    if distance_function is None:
        distance_function = pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_swap = distance_function(positive, negative)
        dist_neg = _core.Tensor.minimum(dist_neg, dist_swap)
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    return _apply(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """``exp(input) - target * input`` (``log_input``) or ``input - target * log(input + eps)``,
    plus Stirling's term ``t log t - t + log(2 pi t) / 2`` where ``target > 1`` when ``full``."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_get_string(size_average, reduce)
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling_term = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss += stirling_term.masked_fill(target <= 1, 0)
    return _apply(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``(log(max(var, eps)) + (input - target)^2 / max(var, eps)) / 2`` (+ ``log(2 pi) / 2`` when ``full``)."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * _core.ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and sum(y for x, y in zip(input.size(), var.size()) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)
    return _apply(loss, reduction)
