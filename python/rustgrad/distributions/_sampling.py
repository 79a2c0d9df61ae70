"""Rejection samplers for the Poisson, binomial and standard gamma laws on rustgrad tensors (the
algorithms PyTorch's ATen kernels use), vectorised: every still-unaccepted element draws fresh
uniforms/normals from rustgrad's generator each round until all are accepted. Work is in float64
on flat tensors; callers cast back."""

import math

from .. import _core

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _rand(n):
    return _core.rand((n,), dtype=_core.float64)


def _fill_by_rejection(n, propose):
    """Runs ``propose(n) -> (candidate, accepted)`` until every slot holds an accepted candidate."""
    result = _core.zeros((n,), dtype=_core.float64)
    pending = _core.ones((n,), dtype=_core.bool)
    while bool(pending.any()):
        cand, ok = propose()
        take = pending & ok
        result = _core.where(take, cand, result)
        pending = pending & ~ok
    return result


def _poisson_flat(rate):
    """Poisson draws for a flat float64 ``rate``: Hormann's PTRS transformed rejection for
    ``rate >= 10``, Knuth's product of uniforms below (as ATen's ``sample_poisson``)."""
    n = rate.numel()
    big = rate >= 10
    # Knuth: the number of uniforms whose running product stays above e^-rate.
    small_rate = _core.where(big, _core.zeros_like(rate), rate)
    enlam = (-small_rate).exp()
    count = _core.zeros_like(rate)
    prod = _core.ones_like(rate)
    active = ~big
    while bool(active.any()):
        prod = prod * _rand(n)
        still = active & (prod > enlam)
        count = count + still.to(_core.float64)
        active = still
    # PTRS for the large rates (rate clamped to 10 elsewhere so every formula stays finite).
    lam = _core.where(big, rate, _core.full_like(rate, 10.0))
    slam, loglam = lam.sqrt(), lam.log()
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)

    def propose():
        U = _rand(n) - 0.5
        V = _rand(n)
        us = 0.5 - U.abs()
        k = ((2 * a / us + b) * U + lam + 0.43).floor()
        quick = (us >= 0.07) & (V <= vr)
        reject = (k < 0) | ((us < 0.013) & (V > us))
        kk = k.clamp(min=0)
        # log V + log(1/alpha) - log(a/us^2 + b) <= -lam + k log lam - log k!
        slow = (V.log() + invalpha.log() - (a / (us * us) + b).log()
                <= -lam + kk * loglam - (kk + 1).lgamma())
        return k, quick | (~reject & slow)

    if bool(big.any()):
        large = _fill_by_rejection(n, propose)
        count = _core.where(big, large, count)
    return count


def poisson(rate):
    """One Poisson draw per element of ``rate`` (same shape and dtype)."""
    flat = rate.detach().reshape(-1).to(_core.float64)
    return _poisson_flat(flat).reshape(tuple(rate.shape)).to(rate.dtype)


def _stirling_tail(k):
    # log k! - (log sqrt(2 pi) + (k + 1/2) log(k + 1) - (k + 1)), the remainder BTRS needs
    return (k + 1).lgamma() - _LOG_SQRT_2PI - (k + 0.5) * (k + 1).log() + (k + 1)


def _binomial_small_p(count, prob):
    """Binomial draws for ``prob <= 1/2``: Hormann's BTRS where ``count * prob >= 10``, else
    inversion by summing geometric waiting times (ATen's ``sample_binomial``)."""
    n = count.numel()
    use_btrs = count * prob >= 10
    # Inversion: count the geometric gaps that fit into ``count`` trials.
    logprob = (-prob).log1p()
    geom_sum = _core.zeros_like(count)
    num_geom = _core.zeros_like(count)
    active = ~use_btrs & (prob > 0) & (count > 0)
    while bool(active.any()):
        geom = (_rand(n).log() / logprob).ceil()
        geom_sum = geom_sum + _core.where(active, geom, _core.zeros_like(geom))
        still = active & (geom_sum <= count)
        num_geom = num_geom + still.to(_core.float64)
        active = still
    # BTRS with safe parameter values outside its region.
    cnt = _core.where(use_btrs, count, _core.full_like(count, 40.0))
    p = _core.where(use_btrs, prob, _core.full_like(prob, 0.5))
    stddev = (cnt * p * (1 - p)).sqrt()
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = cnt * p + 0.5
    v_r = 0.92 - 4.2 / b
    r = p / (1 - p)
    alpha = (2.83 + 5.1 / b) * stddev
    m = ((cnt + 1) * p).floor()

    def propose():
        U = _rand(n) - 0.5
        V = _rand(n)
        us = 0.5 - U.abs()
        k = ((2 * a / us + b) * U + c).floor()
        inside = (k >= 0) & (k <= cnt)
        quick = (us >= 0.07) & (V <= v_r)
        kk = k.clamp(min=0).minimum(cnt)
        lv = (V * alpha / (a / (us * us) + b)).log()
        upper = ((m + 0.5) * ((m + 1) / (r * (cnt - m + 1))).log()
                 + (cnt + 1) * ((cnt - m + 1) / (cnt - kk + 1)).log()
                 + (kk + 0.5) * (r * (cnt - kk + 1) / (kk + 1)).log()
                 + _stirling_tail(m) + _stirling_tail(cnt - m) - _stirling_tail(kk) - _stirling_tail(cnt - kk))
        return k, inside & (quick | (lv <= upper))

    if bool(use_btrs.any()):
        num_geom = _core.where(use_btrs, _fill_by_rejection(n, propose), num_geom)
    return num_geom


def binomial(count, prob):
    """One Binomial(count, prob) draw per element (broadcast ``count``/``prob``; ``prob``'s dtype)."""
    shape = tuple(prob.shape)
    cnt = count.detach().reshape(-1).to(_core.float64)
    p = prob.detach().reshape(-1).to(_core.float64)
    flip = p > 0.5  # draw failures instead: Bin(n, p) = n - Bin(n, 1 - p)
    q = _core.where(flip, 1 - p, p)
    k = _binomial_small_p(cnt, q)
    k = _core.where(flip, cnt - k, k)
    k = _core.where(cnt <= 0, _core.zeros_like(k), k)
    return k.reshape(shape).to(prob.dtype)


def standard_gamma(concentration):
    """One Gamma(concentration, 1) draw per element by Marsaglia and Tsang's squeeze/rejection
    method; shapes below 1 are boosted: G(a) = G(a + 1) * U^(1/a). Clamped below at ``tiny``."""
    from .._dtype_info import finfo

    shape, dtype = tuple(concentration.shape), concentration.dtype
    alpha = concentration.detach().reshape(-1).to(_core.float64)
    n = alpha.numel()
    boost = alpha < 1
    scale = _core.where(boost, (1 - _rand(n)).pow(1.0 / alpha), _core.ones_like(alpha))
    alpha = _core.where(boost, alpha + 1, alpha)
    d = alpha - 1.0 / 3.0
    c = 1.0 / (9.0 * d).sqrt()

    def propose():
        x = _core.randn((n,), dtype=_core.float64)
        y = 1.0 + c * x
        v = y * y * y
        u = 1 - _rand(n)
        xx = x * x
        ok = (y > 0) & ((u < 1.0 - 0.0331 * xx * xx)
                        | (u.log() < 0.5 * xx + d * (1.0 - v + v.clamp(min=1e-300).log())))
        return d * v, ok

    value = scale * _fill_by_rejection(n, propose)
    value = _core.where(concentration.detach().reshape(-1) == 0, _core.zeros_like(value), value)
    return value.to(dtype).clamp(min=finfo(dtype).tiny).reshape(shape)
