"""Multinomial draws: the one implementation behind ``rustgrad.multinomial`` / ``Tensor.multinomial``
and ``utils.data.WeightedRandomSampler``."""

import math

from . import _core


def _check_no_replacement(w):
    # PyTorch's fast path (no replacement, or one sample) checks the whole tensor at once.
    if not (max(w, default=0.0) < math.inf and all(x >= 0 for x in w)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if sum(w) == 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def _check_replacement(w):
    for x in w:
        if not x >= 0:
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if math.isinf(x) or math.isnan(x):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    if not sum(w) > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial_indices(weights, num_samples, replacement, generator=None):
    """``num_samples`` indices of the 1-d float64 ``weights``: with replacement by inverting the
    cumulative weights; without, as PyTorch: the top ``num_samples`` of ``w / E`` with ``E ~ Exp(1)``."""
    n = weights.shape[0]
    w = weights.tolist()
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not replacement or num_samples == 1:
        _check_no_replacement(w)
        u = _core.rand(n, generator=generator, dtype=_core.float64)
        q = -(1 - u).log()  # Exp(1) by inversion
        return (weights / q).topk(num_samples).indices
    _check_replacement(w)
    cdf = weights.cumsum(0)
    u = _core.rand(num_samples, generator=generator, dtype=_core.float64) * cdf[-1]
    from ._common_ops import searchsorted

    return searchsorted(cdf, u, right=True).clamp(max=n - 1)
