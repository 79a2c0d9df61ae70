"""Implicit reparameterisation gradients of gamma and Dirichlet samples, ported from ATen's
``standard_gamma_grad_one`` / ``dirichlet_grad_one`` (aten/src/ATen/native/Distributions.h) as
elementwise tensor formulas: each regime is evaluated for every element and the applicable one is
picked with ``where``. For ``x ~ Gamma(alpha)``, ``dx/dalpha = -(dF/dalpha)(x; alpha) / f(x; alpha)``
(F the cdf, f the density); ``_StandardGamma`` attaches it as the sample's backward."""

from .. import _core
from ..autograd.function import Function, once_differentiable

_GAMMA_UV = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367,
     -1.5247877e-07),
)


def _nan_to_zero(t):
    return _core.where(t != t, _core.zeros_like(t), t)


def standard_gamma_grad(alpha, x):
    """``dx/dalpha`` at the standard-gamma sample ``x`` (float64 tensors of one shape)."""
    # Small x: Taylor series of the lower incomplete gamma, differentiated in alpha.
    numer = _core.ones_like(x)
    denom = alpha
    series1 = numer / denom
    series2 = numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    pow_x_alpha = x.pow(alpha)
    gamma_pdf = x.pow(alpha - 1) * (-x).exp()
    gamma_cdf = pow_x_alpha * series1
    gamma_cdf_alpha = (x.log() - alpha.digamma()) * gamma_cdf - pow_x_alpha * series2
    small = _nan_to_zero(-gamma_cdf_alpha / gamma_pdf)

    # Large alpha: Rice saddle-point expansion, with a polynomial near x = alpha.
    numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
    numer_2 = 1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha + alpha * (107 + 3600 * x)
    near = numer_1 * numer_2 / (1244160 * (alpha * alpha) * (alpha * alpha))
    sdenom = (8 * alpha).sqrt()
    term2 = sdenom / (alpha - x)
    term3 = (x - alpha - alpha * (x / alpha).log()).pow(-1.5)
    term23 = _core.where(x < alpha, term2 - term3, term2 + term3)
    term1 = (x / alpha).log() * term23 - (2 / alpha).sqrt() * (alpha + x) / ((alpha - x) * (alpha - x))
    stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
    far = -stirling * (x * term1) / sdenom
    large = _core.where((0.9 * alpha <= x) & (x <= 1.1 * alpha), near, far)

    # Otherwise: a bivariate rational approximation in u = log(x/alpha), v = log(alpha).
    u = (x / alpha).log()
    v = alpha.log()
    cv = [_GAMMA_UV[0][i] + u * (_GAMMA_UV[1][i] + u * _GAMMA_UV[2][i]) for i in range(8)]
    p = cv[0] + v * (cv[1] + v * (cv[2] + v * cv[3]))
    q = cv[4] + v * (cv[5] + v * (cv[6] + v * cv[7]))
    rational = (p / q).exp()

    return _core.where(x < 0.8, small, _core.where(alpha > 8.0, large, rational))


class _StandardGamma(Function):
    """A Gamma(alpha, 1) draw whose gradient wrt ``alpha`` is the implicit one (PyTorch's
    ``_standard_gamma`` with StandardGammaBackward0)."""

    @staticmethod
    def forward(ctx, concentration):
        from ._sampling import standard_gamma

        x = standard_gamma(concentration)
        ctx.save_for_backward(concentration, x)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        concentration, x = ctx.saved_tensors
        # dL/dalpha = dL/dx * dx/dalpha
        g = standard_gamma_grad(concentration.to(_core.float64), x.to(_core.float64))
        return grad_output * g.to(grad_output.dtype)


# PyTorch records the native node StandardGammaBackward0 here; named (and, with no module prefix, printed) the same way.
_StandardGamma._backward_cls.__name__ = _StandardGamma._backward_cls.__qualname__ = "StandardGammaBackward0"
_StandardGamma._backward_cls.__module__ = "builtins"


def _beta_grad_alpha_small(x, alpha, beta):
    # Taylor expansion for x near 0 of the scaled d/dalpha of Beta(alpha, beta)'s cdf
    factor = alpha.digamma() - (alpha + beta).digamma() - x.log()
    numer = _core.ones_like(x)
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer = numer * ((i - beta) * x / i)
        denom = alpha + i
        series = series + numer / denom * (factor + 1 / denom)
    return _nan_to_zero(x * (1 - x).pow(-beta) * series)


def _beta_grad_beta_small(x, alpha, beta):
    factor = (alpha + beta).digamma() - beta.digamma()
    numer = _core.ones_like(x)
    betas = _core.ones_like(x)
    dbetas = _core.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    return _nan_to_zero(-(1 - x).pow(1 - beta) * series)


def _beta_grad_alpha_mid(x, alpha, beta):
    # Rice saddle point for large alpha and beta, polynomial near the mean
    total = alpha + beta
    mean = alpha / total
    std = (alpha * beta / (total + 1)).sqrt() / total
    poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
            3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (8 * (1 - x) * (135 * beta - 11)))))
    prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
    near = prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / (2 * alpha * beta / total).sqrt()
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1 = term1_num / ((2 * alpha / beta).sqrt() * total.pow(1.5) * axbx * axbx)
    term2 = 0.5 * (alpha / (total * x)).log()
    term3 = (8 * alpha * beta / total).sqrt() / (beta * x + alpha * (x - 1))
    term4 = (beta * (beta / (total * (1 - x))).log() + alpha * (alpha / (total * x)).log()).pow(-1.5)
    term1234 = term1 + term2 * (term3 + _core.where(x < mean, term4, -term4))
    far = stirling * prefactor * term1234
    return _core.where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), near, far)


_DIRICHLET_C = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))),
)


def dirichlet_grad(x, alpha, total):
    """ATen's ``_dirichlet_grad``: ``-(dF/dalpha)(x; alpha, total - alpha) / f / (1 - x)`` for the
    Beta(alpha, total - alpha) marginal at ``x`` (float64 tensors of one shape)."""
    beta = total - alpha
    boundary = total * x * (1 - x)
    small_x = _beta_grad_alpha_small(x, alpha, beta)
    large_x = -_beta_grad_beta_small(1 - x, beta, alpha)
    mid = _beta_grad_alpha_mid(x, alpha, beta)
    u = x.log()
    a = alpha.log() - u
    b = total.log() - a
    pow_u = (1, u, u * u)
    pow_a = (1, a, a * a)
    p = 0.0
    q = 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            c0, c1 = _DIRICHLET_C[0][i][j], _DIRICHLET_C[1][i][j]
            p = p + ua * (c0[0] + b * (c0[1] + b * (c0[2] + b * c0[3])))
            q = q + ua * (c1[0] + b * (c1[1] + b * (c1[2] + b * c1[3])))
    approx = x * (total.digamma() - alpha.digamma()) / beta
    rational = p / q * approx
    return _core.where((x <= 0.5) & (boundary < 2.5), small_x,
                       _core.where((x >= 0.5) & (boundary < 0.75), large_x,
                                   _core.where((alpha > 6) & (beta > 6), mid, rational)))


class _Dirichlet(Function):
    """A Dirichlet draw (normalised gammas) with PyTorch's implicit gradient wrt ``concentration``."""

    @staticmethod
    def forward(ctx, concentration):
        from .._dtype_info import finfo
        from ._sampling import standard_gamma

        gammas = standard_gamma(concentration)
        x = gammas / gammas.sum(-1, keepdim=True)
        fi = finfo(x.dtype)
        x = x.clamp(min=fi.tiny, max=1 - fi.eps)
        ctx.save_for_backward(x, concentration)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        x, concentration = ctx.saved_tensors
        total = concentration.sum(-1, True).expand_as(concentration)
        grad = dirichlet_grad(x.to(_core.float64), concentration.to(_core.float64),
                              total.to(_core.float64)).to(grad_output.dtype)
        # dL/dalpha_i = g_i * (dL/dx_i - sum_j x_j dL/dx_j), the simplex-projected chain rule
        return grad * (grad_output - (x * grad_output).sum(-1, True))
