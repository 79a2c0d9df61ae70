"""Shape, comparison, creation and random functions composed in Python: repeat_interleave, tile,
ravel, fliplr/flipud, broadcast_tensors/broadcast_shapes, clamp_max/clamp_min, aminmax, isin,
logspace, detach, normal, multinomial, randint_like, poisson and scalar_tensor (with their Tensor
methods where PyTorch has them)."""

import math
import numbers

from . import _arg_errors, _core, return_types
from ._native_ops import node_function
from ._sampling import multinomial_indices
from ._scalar_names import scalar_type_name
from ._size import Size

__all__ = ["repeat_interleave", "tile", "ravel", "fliplr", "flipud", "broadcast_tensors", "broadcast_shapes",
           "clamp_max", "clamp_min", "aminmax", "isin", "logspace", "detach", "normal", "multinomial",
           "randint_like", "poisson", "scalar_tensor"]

Tensor = _core.Tensor
_FLOATS = (_core.float32, _core.float64)


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _wrap(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _check_tensor(name, input):
    if not isinstance(input, Tensor):
        raise _arg_errors.not_a_tensor(name, input)


def _type_name(v):
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


def _invalid_combination(name, args, signatures):
    got = ", ".join(_type_name(a) for a in args)
    lines = "".join(f" * ({s})\n" for s in signatures)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     f"{lines}")


# ----- repeat_interleave / tile / ravel / fliplr / flipud -----
_RI_SIGS = ["Tensor input, Tensor repeats, int dim = None, *, int output_size = None",
            "Tensor repeats, *, int output_size = None",
            "Tensor input, int repeats, int dim = None, *, int output_size = None"]


def _repeats_to_index(repeats, output_size=None):
    """The tensor-only overload: ``[0]*r0 + [1]*r1 + ...`` (int64)."""
    if repeats.dim() != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if repeats.dtype not in (_core.int64, _core.int32):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{scalar_type_name(repeats.dtype)}'")
    counts = repeats.tolist()
    if any(c < 0 for c in counts):
        raise RuntimeError("repeats can not be negative")
    total = sum(counts)
    if output_size is not None and output_size != total:
        raise RuntimeError("allocated size does not match required size")
    out = [i for i, c in enumerate(counts) for _ in range(c)]
    return _core.tensor(out, dtype=repeats.dtype) if out else _core.zeros(0, dtype=repeats.dtype)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeats each element (or each slice along ``dim``) ``repeats`` times: an int repeat is an
    expand + copy (ViewBackward0 as PyTorch); a tensor of repeats is an index_select."""
    if repeats is None:
        if not isinstance(input, Tensor):
            raise _invalid_combination("repeat_interleave", (input,), _RI_SIGS)
        return _repeats_to_index(input, output_size)
    if not isinstance(input, Tensor) or not (isinstance(repeats, Tensor) or _is_int(repeats)) \
            or not (dim is None or _is_int(dim)):
        raise _invalid_combination("repeat_interleave", (input, repeats) + (() if dim is None else (dim,)), _RI_SIGS)
    if dim is None:
        input = input.flatten()
        dim = 0
    d = _wrap(dim, input.dim())
    if input.dim() == 0:
        input = input.reshape(1)
    if isinstance(repeats, Tensor):
        if repeats.dim() > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats.numel() == 1:
            repeats = repeats.reshape(1).expand(input.shape[d])  # still an index_select, as PyTorch
        if repeats.shape[0] != input.shape[d]:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {repeats.shape[0]} and input.size(0) = {input.shape[d]}")
        index = _repeats_to_index(repeats, output_size)
        return input.index_select(d, index.to(_core.int64))
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    total = input.shape[d] * repeats
    if output_size is not None and output_size != total:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {total} but got {output_size}")
    shape = list(input.shape)
    expanded = shape[:d + 1] + [repeats] + shape[d + 1:]
    out = input.unsqueeze(d + 1).expand(*expanded).contiguous()
    return out.view(shape[:d] + [total] + shape[d + 1:])


def _dims_arg(name, dims, position=1):
    if len(dims) == 1 and isinstance(dims[0], (list, tuple, Size)):
        dims = tuple(dims[0])
    for v in dims:
        if not _is_int(v):
            raise TypeError(f"{name}(): argument 'dims' (position {position}) must be tuple of ints, not "
                            f"{type(v).__name__}")
    return tuple(dims)


def _tile(self, *dims):
    """``self`` repeated ``dims`` times (dims padded with leading 1s to self's rank): RepeatBackward0."""
    dims = _dims_arg("tile", dims)
    n = self.dim()
    if len(dims) < n:
        dims = (1,) * (n - len(dims)) + dims
    return self.repeat(list(dims))


def tile(input, dims):
    _check_tensor("tile", input)
    if not isinstance(dims, (list, tuple, Size)):
        raise TypeError(f"tile(): argument 'dims' (position 2) must be tuple of ints, not {type(dims).__name__}")
    return _tile(input, *_dims_arg("tile", (dims,), 2))


def ravel(input):
    """``input`` flattened (a view when possible; ViewBackward0)."""
    _check_tensor("ravel", input)
    return input.contiguous().view(-1)  # a copy of a non-contiguous input ends in ViewBackward0, as PyTorch


def fliplr(input):
    _check_tensor("fliplr", input)
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return input.flip(1)


def flipud(input):
    _check_tensor("flipud", input)
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return input.flip(0)


# ----- broadcasting -----
def broadcast_shapes(*shapes):
    """The shape all ``shapes`` broadcast to (PyTorch's _broadcast_shapes, errors included)."""
    shapes = tuple((s,) if _is_int(s) else s for s in shapes if s is not None)
    if not shapes:
        return Size([])
    for shape in shapes:
        if not isinstance(shape, (list, tuple)):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {shape}")
    common = [1] * max(len(s) for s in shapes)
    for arg_idx, shape in enumerate(shapes):
        for idx in range(-1, -1 - len(shape), -1):
            if shape[idx] == common[idx]:
                continue
            if common[idx] == 1:
                if shape[idx] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[idx] = shape[idx]
            if shape[idx] == 1:
                continue
            if common[idx] != shape[idx]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[idx]} at {idx}! Mismatching "
                                   f"argument at index {arg_idx} had {shape}; but expected shape should be "
                                   f"broadcastable to {common}")
    return Size(common)


def _broadcast_shape_of(tensors):
    shape = []
    for t in tensors:
        s = list(t.shape)
        a, b = ([1] * (len(s) - len(shape)) + shape, [1] * (len(shape) - len(s)) + s)
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                   f"non-singleton dimension {i}")
            out.append(y if x == 1 else x)
        shape = out
    return shape


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (a tensor already of that shape is returned itself)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    shape = _broadcast_shape_of(tensors)
    return tuple(t if list(t.shape) == shape else t.expand(*shape) for t in tensors)


# ----- clamp_max / clamp_min (Tensor.clamp_max/clamp_min are the core's: ClampMaxBackward0/1) -----
def _sum_to(grad, shape):
    """``grad`` summed down to ``shape`` (undoes broadcasting)."""
    shape = list(shape)
    if list(grad.shape) == shape:
        return grad
    lead = grad.dim() - len(shape)
    dims = list(range(lead)) + [lead + i for i, s in enumerate(shape) if s == 1 and grad.shape[lead + i] != 1]
    out = grad.sum(dims, keepdim=True) if dims else grad
    return out.reshape(shape)


def _bound_check(name, input, bound, method):
    """PyTorch's parser error for ``clamp_max`` / ``clamp_min`` given a bad input or bound."""
    arg = name[len("clamp_"):]
    ok_bound = isinstance(bound, Tensor) or (isinstance(bound, numbers.Number) and not isinstance(bound, complex))
    if method:
        if not ok_bound:
            bad = f"(!{type(bound).__name__}!)"
            raise TypeError(f"{name}() received an invalid combination of arguments - got ({type(bound).__name__}), "
                            f"but expected one of:\n * (Tensor {arg})\n      didn't match because some of the "
                            f"arguments have invalid types: {bad}\n * (Number {arg})\n      didn't match because "
                            f"some of the arguments have invalid types: {bad}\n")
    elif not ok_bound or not isinstance(input, Tensor):
        raise _invalid_combination(name, (input, bound), [f"Tensor input, Tensor {arg}, *, Tensor out = None",
                                                          f"Tensor input, Number {arg}, *, Tensor out = None"])


def clamp_max(input, max):
    _bound_check("clamp_max", input, max, False)
    return input.clamp_max(max)


def clamp_min(input, min):
    _bound_check("clamp_min", input, min, False)
    return input.clamp_min(min)


# ----- aminmax -----
def _restore(t, dim, keepdim, ndim):
    return t if dim is None or keepdim or ndim == 0 else t.unsqueeze(dim)


@node_function("AminmaxBackward0")
class _Aminmax:
    @staticmethod
    def forward(ctx, self, dim, keepdim):
        if dim is None:
            lo, hi = self.amin(), self.amax()
            if keepdim:
                lo, hi = lo.reshape([1] * self.dim()), hi.reshape([1] * self.dim())
        else:
            lo, hi = self.amin(dim, keepdim=keepdim), self.amax(dim, keepdim=keepdim)
        ctx.save_for_backward(self, lo, hi)
        ctx.dim, ctx.keepdim = dim, keepdim
        return lo, hi

    @staticmethod
    def backward(ctx, g_min, g_max):
        self, lo, hi = ctx.saved_tensors
        dim, keepdim, n = ctx.dim, ctx.keepdim, self.dim()
        grad = None
        # each extreme's gradient is shared evenly among the elements equal to it
        for g, r in ((g_min, lo), (g_max, hi)):
            if g is None:
                continue
            mask = (self == _restore(r, dim, keepdim, n)).to(g.dtype)
            count = mask.sum() if dim is None else mask.sum(dim, keepdim=True)
            part = _restore(g, dim, keepdim, n) * mask / count
            grad = part if grad is None else grad + part
        return grad, None, None


def aminmax(input, *, dim=None, keepdim=False):
    """``(min, max)`` of ``input`` (over ``dim``), as ``return_types.aminmax`` (AminmaxBackward0)."""
    _check_tensor("aminmax", input)
    if dim is not None:
        d = _wrap(dim, input.dim())
        if input.dim() and input.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        dim = d if input.dim() else None
    elif input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    lo, hi = _Aminmax.apply(input, dim, keepdim)
    return return_types.aminmax((lo, hi))


# ----- isin -----
_ISIN_SIGS = ["Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
              "Tensor out = None",
              "Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, "
              "Tensor out = None",
              "Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, "
              "Tensor out = None"]


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each of ``elements`` occurs in ``test_elements`` (a bool tensor shaped like ``elements``)."""
    e_t, t_t = isinstance(elements, Tensor), isinstance(test_elements, Tensor)
    if not (e_t or t_t) or not (e_t or isinstance(elements, numbers.Number)) \
            or not (t_t or isinstance(test_elements, numbers.Number)):
        raise _invalid_combination("isin", (elements, test_elements), _ISIN_SIGS)
    e = elements if e_t else _core.tensor(elements)
    t = test_elements if t_t else _core.tensor(test_elements)
    flat, tests = e.detach().reshape(-1, 1), t.detach().reshape(1, -1)
    if tests.shape[1] == 0:
        found = _core.zeros(flat.shape[0], dtype=_core.bool)
    else:
        found = (flat == tests).any(1)
    if invert:
        found = found.logical_not()
    return found.reshape(list(e.shape))


# ----- creation -----
def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    if not _is_int(steps):
        raise TypeError(f"logspace(): argument 'steps' (position 3) must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start = float(start.item()) if isinstance(start, Tensor) else float(start)
    end = float(end.item()) if isinstance(end, Tensor) else float(end)
    dtype = dtype or _core.get_default_dtype()
    exps = _core.linspace(start, end, steps, dtype=_core.float64)
    values = _core.tensor(float(base), dtype=_core.float64).pow(exps)
    result = values.to(dtype)
    if out is not None:
        return out.copy_(result)
    if requires_grad:
        result.requires_grad_()
    return result


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    """A 0-d tensor holding ``s`` (default dtype unless given)."""
    if not isinstance(s, numbers.Number) or isinstance(s, Tensor):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    return _core.tensor(s, dtype=dtype or _core.get_default_dtype(), requires_grad=requires_grad)


def detach(input):
    _check_tensor("detach", input)
    return input.detach()


# ----- random -----
_NORMAL_SIGS = [
    "Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None",
    "Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None",
    "float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None",
    "float mean, float std, tuple of ints size, *, torch.Generator generator = None, Tensor out = None, "
    "torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
    "bool requires_grad = False"]


def _zero_grads(*shapes):
    # the samples' gradient with respect to mean and std is defined as zero (derivatives.yaml)
    return lambda ctx, grad: tuple(None if s is None else grad.new_zeros(s) for s in shapes(ctx))


@node_function("NormalBackward1")
class _NormalTensorFloat:
    @staticmethod
    def forward(ctx, mean, std, generator):
        ctx.shape = list(mean.shape)
        return mean + std * _core.randn(*mean.shape, generator=generator, dtype=mean.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(ctx.shape), None, None


@node_function("NormalBackward2")
class _NormalFloatTensor:
    @staticmethod
    def forward(ctx, mean, std, generator):
        ctx.shape = list(std.shape)
        return mean + std * _core.randn(*std.shape, generator=generator, dtype=std.dtype)

    @staticmethod
    def backward(ctx, grad):
        return None, grad.new_zeros(ctx.shape), None


@node_function("NormalBackward3")
class _NormalTensorTensor:
    @staticmethod
    def forward(ctx, mean, std, generator):
        ctx.shapes = (list(mean.shape), list(std.shape))
        shape = _broadcast_shape_of((mean, std))
        dtype = mean.dtype if mean.dtype in _FLOATS else std.dtype
        return mean + std * _core.randn(*shape, generator=generator, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.new_zeros(ctx.shapes[0]), grad.new_zeros(ctx.shapes[1]), None


def _check_float(t):
    if t.dtype not in _FLOATS:
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{scalar_type_name(t.dtype)}'")


def _check_std_tensor(std):
    if std.numel() and not bool((std.detach() >= 0).all()):
        raise RuntimeError("normal expects all elements of std >= 0.0")


def _check_std_float(std):
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def normal(mean, std=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    """Normal samples with the given mean(s) and standard deviation(s): PyTorch's four overloads."""
    m_t, s_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    is_num = lambda v: isinstance(v, numbers.Real) and not isinstance(v, Tensor)  # noqa: E731
    if m_t and s_t and size is None:
        _check_float(mean)
        _check_std_tensor(std)
        result = _NormalTensorTensor.apply(mean, std, generator)
    elif m_t and (std is None or is_num(std)) and size is None:
        std = 1.0 if std is None else float(std)
        _check_float(mean)
        _check_std_float(std)
        result = _NormalTensorFloat.apply(mean, std, generator)
    elif is_num(mean) and s_t and size is None:
        _check_float(std)
        _check_std_tensor(std)
        result = _NormalFloatTensor.apply(float(mean), std, generator)
    elif is_num(mean) and is_num(std) and isinstance(size, (list, tuple)) and all(_is_int(s) for s in size):
        _check_std_float(float(std))
        dtype = dtype or _core.get_default_dtype()
        result = _core.randn(*size, generator=generator, dtype=dtype) * float(std) + float(mean)
        if requires_grad:
            result.requires_grad_()
    else:
        args = tuple(a for a in (mean, std, size) if a is not None)
        raise _invalid_combination("normal", args, _NORMAL_SIGS)
    if out is not None:
        return out.copy_(result)
    return result


def _multinomial(self, num_samples, replacement=False, *, generator=None):
    """``num_samples`` category indices per row of the (1-d or 2-d) weights ``self`` (int64)."""
    if not _is_int(num_samples):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 1) must be int, not "
                        f"{type(num_samples).__name__}")
    if self.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if self.dtype not in _FLOATS:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{scalar_type_name(self.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > self.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    weights = self.detach().to(_core.float64)
    if self.dim() == 1:
        return multinomial_indices(weights, num_samples, replacement, generator)
    rows = [multinomial_indices(w, num_samples, replacement, generator) for w in weights.unbind(0)]
    if not rows:
        return _core.zeros(0, num_samples, dtype=_core.int64)
    return _core.stack(rows)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    _check_tensor("multinomial", input)
    result = _multinomial(input, num_samples, replacement, generator=generator)
    return out.copy_(result) if out is not None else result


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    """Integers uniform in ``[low, high)`` shaped like ``input`` (its dtype unless given);
    ``randint_like(input, high)`` draws from ``[0, high)``."""
    _check_tensor("randint_like", input)
    if high is None:
        low, high = 0, low
    if not low < high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype = dtype or input.dtype
    draws = _core.randint(low, high, list(input.shape), generator=generator, dtype=_core.int64)
    result = draws.to(dtype)
    if requires_grad:
        result.requires_grad_()
    return result


def _poisson_draw(rates, generator):
    """One Poisson(rate) sample per element by inverting the CDF at a uniform draw: the pmf is summed
    from 12 standard deviations below the rate (the mass below is < 1e-30) upwards."""
    lam = rates.detach().to(_core.float64).reshape(-1)
    n = lam.shape[0]
    u = _core.rand(n, generator=generator, dtype=_core.float64)
    if n == 0:
        return lam
    start = (lam - 12 * lam.sqrt() - 1).floor().clamp(min=0)
    width = int(float((12 * 2 * lam.sqrt() + 40).max()))
    log_lam = lam.log()
    k = start.clone()
    cdf = _core.zeros(n, dtype=_core.float64)
    result = _core.full([n], -1.0, dtype=_core.float64)
    for _ in range(width):
        # log pmf(k) = k log(rate) - rate - lgamma(k + 1)   (rate 0: all mass at k = 0)
        logp = _core.where(lam > 0, k * log_lam - lam - (k + 1).lgamma(), _core.where(k == 0, 0.0, -math.inf))
        cdf = cdf + logp.exp()
        hit = (cdf > u) & (result < 0)
        result = _core.where(hit, k, result)
        k = k + 1
        if not bool((result < 0).any()):
            break
    result = _core.where(result < 0, k - 1, result)
    return result.reshape(list(rates.shape))


@node_function("PoissonBackward0")
class _Poisson:
    @staticmethod
    def forward(ctx, rates, generator):
        ctx.shape = list(rates.shape)
        return _poisson_draw(rates, generator).to(rates.dtype)

    @staticmethod
    def backward(ctx, grad):
        # samples are not differentiable in their rate: PyTorch defines the gradient as zero
        return grad.new_zeros(ctx.shape), None


def poisson(input, generator=None):
    """Poisson samples with the rates in ``input`` (PoissonBackward0, zero gradient)."""
    _check_tensor("poisson", input)
    if input.dtype not in _FLOATS:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{scalar_type_name(input.dtype)}'")
    if input.numel() and not bool((input.detach() >= 0).all()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _Poisson.apply(input, generator)


# ----- Tensor methods -----
def _repeat_interleave_method(self, repeats, dim=None, *, output_size=None):
    return repeat_interleave(self, repeats, dim, output_size=output_size)


def _aminmax_method(self, *, dim=None, keepdim=False):
    return aminmax(self, dim=dim, keepdim=keepdim)


def _detach_like(name, fn):
    fn.__name__ = fn.__qualname__ = name
    return fn


return_types.aminmax = return_types._make("aminmax", ("min", "max"))
return_types.__all__.append("aminmax")

Tensor.repeat_interleave = _detach_like("repeat_interleave", _repeat_interleave_method)
Tensor.tile = _tile
Tensor.ravel = _detach_like("ravel", lambda self: ravel(self))
Tensor.fliplr = _detach_like("fliplr", lambda self: fliplr(self))
Tensor.flipud = _detach_like("flipud", lambda self: flipud(self))
Tensor.aminmax = _aminmax_method
Tensor.multinomial = _multinomial
