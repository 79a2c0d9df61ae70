"""``rustgrad.special``: PyTorch's ``torch.special`` functions (the Cephes ones computed by the Rust
kernels of ``src/cpu/bessel.rs``, ``igamma.rs``, ``erfcx.rs`` and ``gamma.rs``)."""

from . import _core
from ._core import Tensor
from ._scalar_names import scalar_type_name
from ._special_functions import erfc, erfinv, exp2, logit, sinc as _sinc, xlogy

__all__ = [
    "expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "logsumexp", "softmax", "log_softmax",
    "sinc", "xlogy", "i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "erfcx", "entr", "xlog1py", "zeta",
    "gammainc", "gammaincc", "multigammaln", "psi", "digamma", "gammaln", "polygamma", "round",
]


def _check(name, input, position=1, arg="input"):
    if not isinstance(input, Tensor):
        raise TypeError(
            f"special_{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(input).__name__}"
        )


def _unary_kernel(name, doc):
    def f(input):
        return _core._special_unary(name, input)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


i0 = _unary_kernel("i0", "The modified Bessel function I0 (I0Backward0).")
i0e = _unary_kernel("i0e", "``exp(-|x|) I0(x)`` (SpecialI0EBackward0).")
i1 = _unary_kernel("i1", "The modified Bessel function I1 (SpecialI1Backward0).")
i1e = _unary_kernel("i1e", "``exp(-|x|) I1(x)`` (SpecialI1EBackward0).")
ndtr = _unary_kernel("ndtr", "The standard normal CDF, ``(1 + erf(x / sqrt 2)) / 2``.")
ndtri = _unary_kernel("ndtri", "The inverse of the standard normal CDF (SpecialNdtriBackward0).")
log_ndtr = _unary_kernel("log_ndtr", "``log(ndtr(x))`` accurate in the lower tail (SpecialLogNdtrBackward0).")
erfcx = _unary_kernel("erfcx", "The scaled complementary error function ``exp(x**2) erfc(x)``.")
entr = _unary_kernel("entr", "The elementwise entropy ``-x log x`` (SpecialEntrBackward0).")


def xlog1py(input, other):
    """``input * log1p(other)``, 0 where ``input == 0`` (either side may be a number)."""
    return _core._special_binary("xlog1py", input, other)


def zeta(input, other):
    """The Hurwitz zeta function (differentiable in ``other`` only, as PyTorch)."""
    return _core._special_binary("zeta", input, other)


def gammainc(input, other):
    """The regularized lower incomplete gamma function (``igamma``)."""
    _check("gammainc", input)
    _check("gammainc", other, 2, "other")
    return input.igamma(other)


def gammaincc(input, other):
    """The regularized upper incomplete gamma function (``igammac``)."""
    _check("gammaincc", input)
    _check("gammaincc", other, 2, "other")
    return input.igammac(other)


def multigammaln(input, p):
    """The multivariate log-gamma function (``mvlgamma``)."""
    _check("multigammaln", input)
    if isinstance(p, bool) or not isinstance(p, int):
        raise TypeError(f"special_multigammaln(): argument 'p' (position 2) must be int, not {type(p).__name__}")
    return input.mvlgamma(p)


def psi(input):
    """The digamma function (DigammaBackward0)."""
    _check("psi", input)
    return input.digamma()


def digamma(input):
    _check("digamma", input)
    return input.digamma()


def gammaln(input):
    """``log |Gamma(x)|`` (LgammaBackward0)."""
    _check("gammaln", input)
    return input.lgamma()


def polygamma(n, input):
    """The ``n``-th derivative of digamma (PolygammaBackward0)."""
    _check("polygamma", input, 2)
    return input.polygamma(n)


def round(input, *, decimals=0):
    """Round half to even to ``decimals`` places (RoundBackward1; floats only, as PyTorch)."""
    _check("round", input)
    if decimals == 0 and not input.is_floating_point():
        raise NotImplementedError(f"\"round_vml_cpu\" not implemented for '{scalar_type_name(input.dtype)}'")
    return input.round(decimals=decimals)


def sinc(input):
    _check("sinc", input)
    return _sinc(input)


def expit(input):
    """The logistic sigmoid (SigmoidBackward0)."""
    import rustgrad

    return rustgrad.sigmoid(input)


def erf(input):
    import rustgrad

    return rustgrad.erf(input)


def expm1(input):
    import rustgrad

    return rustgrad.expm1(input)


def log1p(input):
    _check("log1p", input)
    return input.log1p()


def logsumexp(input, dim, keepdim=False):
    import rustgrad

    return rustgrad.logsumexp(input, dim, keepdim)


def softmax(input, dim, *, dtype=None):
    import rustgrad

    return rustgrad.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    import rustgrad

    return rustgrad.log_softmax(input, dim, dtype=dtype)
