"""In-place sampling methods composed from the generator's uniform / normal / randint draws (the
``generator=`` keyword picks the stream): bernoulli_ / bernoulli, exponential_, geometric_,
log_normal_, cauchy_ and random_. Samples are drawn in float64, transformed by the distribution's
inverse CDF, and copied into ``self`` (cast to its dtype, bumping its version like any in-place op)."""

import math
import warnings

from . import _arg_errors, _core
from ._scalar_names import scalar_type_name

__all__ = ["bernoulli"]

Tensor = _core.Tensor
_FLOATS = (_core.float32, _core.float64)
_CPP_NAMES = {"rustgrad.uint8": "unsigned char", "rustgrad.bool": "bool", "rustgrad.int32": "int",
              "rustgrad.int64": "long int", "rustgrad.float32": "float", "rustgrad.float64": "double"}


_name = scalar_type_name


def _uniform(self, generator):
    """Samples uniform on [0, 1) in float64, shaped like ``self``."""
    return _core.empty(list(self.shape), dtype=_core.float64).uniform_(0, 1, generator=generator)


def _fill(self, values):
    # copy_ under the caller's grad mode: a leaf that requires grad gets PyTorch's in-place error
    return self.copy_(values)


def _bernoulli_(self, p=0.5, *, generator=None):
    """Fills ``self`` with 1 where a uniform sample falls below ``p`` (a number, or a tensor broadcast to
    ``self``'s shape), else 0."""
    u = _uniform(self, generator)
    if isinstance(p, Tensor):
        probs = p.detach().expand(*self.shape).to(_core.float64)
        if not bool(((probs >= 0) & (probs <= 1)).all()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                               "be improved?  If so, please report an enhancement request to PyTorch.)")
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={float(p):g}")
        probs = p
    return _fill(self, u < probs)


def bernoulli(input, p=None, *, generator=None, out=None):
    """Samples 0/1 with the probabilities in ``input`` (or with probability ``p`` everywhere), in
    ``input``'s dtype and shape."""
    if not isinstance(input, Tensor):
        raise _arg_errors.not_a_tensor("bernoulli", input)
    result = _core.empty(list(input.shape), dtype=input.dtype)
    if p is None:
        if input.dtype not in _FLOATS:
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{_name(input.dtype)}'")
        _bernoulli_(result, input, generator=generator)
    else:
        _bernoulli_(result, p, generator=generator)
    if out is not None:
        return out.copy_(result)
    return result


def _continuous(self, what, cpp=False):
    if self.dtype not in _FLOATS:
        name = _CPP_NAMES[str(self.dtype)] if cpp else _name(self.dtype)
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {name}")


def _exponential_(self, lambd=1.0, *, generator=None):
    """Exponential(rate ``lambd``) samples: ``-log(1 - U) / lambd``."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={float(lambd):g}")
    _continuous(self, "Exponential")
    u = _uniform(self, generator)
    return _fill(self, (1 - u).log().neg() / lambd)


def _geometric_(self, p, *, generator=None):
    """Geometric(``p``) samples on {1, 2, ...} (trials up to the first success): ``ceil(log(1 - U) / log(1 - p))``."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={float(p):g}")
    u = _uniform(self, generator)
    return _fill(self, ((1 - u).log() / math.log1p(-p)).ceil().clamp_min(1))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """exp of Normal(``mean``, ``std``) samples."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={float(std):g}")
    if self.dtype not in _FLOATS:
        raise NotImplementedError(f"\"log_normal_cpu\" not implemented for '{_name(self.dtype)}'")
    z = _core.empty(list(self.shape), dtype=_core.float64).normal_(0, 1, generator=generator)
    return _fill(self, (z * std + mean).exp())


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Cauchy(``median``, ``sigma``) samples: ``median + sigma * tan(pi * (U - 1/2))``."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={float(sigma):g}")
    _continuous(self, "Cauchy", cpp=True)
    u = _uniform(self, generator)
    return _fill(self, ((u - 0.5) * math.pi).tan() * sigma + median)


_MAX = {"rustgrad.uint8": 255, "rustgrad.bool": 1, "rustgrad.int32": 2**31 - 1, "rustgrad.int64": 2**63 - 1,
        "rustgrad.float32": 2**24, "rustgrad.float64": 2**53}
_MIN = {"rustgrad.uint8": 0, "rustgrad.bool": 0, "rustgrad.int32": -2**31, "rustgrad.int64": -2**63,
        "rustgrad.float32": -2**24, "rustgrad.float64": -2**53}


def _random_(self, *args, generator=None, **kwargs):
    """Integers uniform on [from, to - 1]: ``random_()`` spans [0, the largest integer the dtype holds
    exactly], ``random_(to)`` is [0, to), ``random_(from, to)``."""
    low = kwargs.pop("from", None)
    high = kwargs.pop("to", None)
    if kwargs:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if len(args) == 1 and low is None:
        high = args[0] if high is None else high
        low = 0
    elif len(args) == 2:
        low, high = args
    elif len(args) == 0 and low is None:
        low = 0
    key = str(self.dtype)
    if high is None:
        high = _MAX[key] + 1
    else:
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if self.dtype in _FLOATS:
            if high - 1 > _MAX[key] or low < _MIN[key]:
                bound = "2^24" if self.dtype == _core.float32 else "2^53"
                which = "from" if low < _MIN[key] else "to - 1"
                kind = "float" if self.dtype == _core.float32 else "double"
                warnings.warn(f"{which} is out of bounds [-({bound}), {bound}]. Due to precision limitations {kind} can "
                              "support discrete uniform distribution only within this range. This warning will become an "
                              "error in version 1.7 release, please fix the code in advance", UserWarning, stacklevel=2)
        else:
            if low < _MIN[key]:
                raise RuntimeError(f"from is out of bounds for {_CPP_NAMES[key]}")
            if high - 1 > _MAX[key]:
                raise RuntimeError(f"to - 1 is out of bounds for {_CPP_NAMES[key]}")
    return _fill(self, _randint_wide(low, high, list(self.shape), generator))


def _randint_wide(low, high, shape, generator):
    """Integers uniform on [low, high) for any span an int64 holds the ends of (randint takes spans
    below 2^63): wider spans pick one of two halves in proportion to its size, then draw within it."""
    span = high - low
    if span < 2**63:
        if high < 2**63:
            return _core.randint(low, high, shape, generator=generator)
        return _core.randint(0, span, shape, generator=generator) + low
    mid = low + span // 2
    lower = _core.empty(shape, dtype=_core.float64).uniform_(0, 1, generator=generator) < (mid - low) / span
    return _core.where(lower, _randint_wide(low, mid, shape, generator), _randint_wide(mid, high, shape, generator))


_core.Tensor.bernoulli_ = _bernoulli_
_core.Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
_core.Tensor.exponential_ = _exponential_
_core.Tensor.geometric_ = _geometric_
_core.Tensor.log_normal_ = _log_normal_
_core.Tensor.cauchy_ = _cauchy_
_core.Tensor.random_ = _random_
