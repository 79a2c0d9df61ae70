"""In-place Tensor methods whose out-of-place op exists: ``tril_``, ``cumsum_``, ``addmm_``, ``exp2_``...

Each runs the out-of-place op through ``_core._in_place_from``, the core's in-place path: the result
is computed first (an error leaves the target untouched), then written into the target, whose
version is bumped and whose history becomes the op's node. PyTorch's in-place forms record the
same node names as their out-of-place ops (``TrilBackward0``, ``AddmmBackward0``...), so the
printed ``grad_fn`` agrees. Also the element-wise Python callbacks ``apply_`` / ``map_`` / ``map2_``.
"""

import numbers

from . import _core
from ._scalar_names import scalar_type_name

Tensor = _core.Tensor
_in_place_from = _core._in_place_from


def _composed(name, compute):
    def method(self, *args, **kwargs):
        return _in_place_from(self, lambda t: compute(t, *args, **kwargs))

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"In-place version of ``{name[:-1]}``."
    return method


def _cumulative(name):
    op = getattr(Tensor, name)

    def compute(t, dim, *, dtype=None):
        if t.dtype == _core.bool:
            raise NotImplementedError(f"\"{name}_out_cpu\" not implemented for 'Bool'")
        return op(t, dim, dtype=dtype)

    return compute


_COMPOSED = {
    "tril_": lambda t, diagonal=0: t.tril(diagonal),
    "triu_": lambda t, diagonal=0: t.triu(diagonal),
    "cumsum_": _cumulative("cumsum"),
    "cumprod_": _cumulative("cumprod"),
    "erfc_": lambda t: t.erfc(),
    "erfinv_": lambda t: t.erfinv(),
    "exp2_": lambda t: t.exp2(),
    "logit_": lambda t, eps=None: t.logit(eps),
    "sinc_": lambda t: t.sinc(),
    "xlogy_": lambda t, other: t.xlogy(other),
    "atan2_": lambda t, other: t.atan2(other),
    "arctan2_": lambda t, other: t.atan2(other),
    "addmm_": lambda t, mat1, mat2, *, beta=1, alpha=1: t.addmm(mat1, mat2, beta=beta, alpha=alpha),
    "addmv_": lambda t, mat, vec, *, beta=1, alpha=1: t.addmv(mat, vec, beta=beta, alpha=alpha),
    "addbmm_": lambda t, batch1, batch2, *, beta=1, alpha=1: t.addbmm(batch1, batch2, beta=beta, alpha=alpha),
    "baddbmm_": lambda t, batch1, batch2, *, beta=1, alpha=1: t.baddbmm(batch1, batch2, beta=beta, alpha=alpha),
    # RenormBackward0 saves its input, which the write would overwrite: computed on a copy, as
    # PyTorch's in-place codegen saves the original self
    "renorm_": lambda t, p, dim, maxnorm: t.clone().renorm(p, dim, maxnorm),
}

for _name, _compute in _COMPOSED.items():
    setattr(Tensor, _name, _composed(_name, _compute))

# PyTorch's alias names of the comparison in-place methods.
Tensor.greater_ = Tensor.gt_
Tensor.greater_equal_ = Tensor.ge_
Tensor.less_ = Tensor.lt_
Tensor.less_equal_ = Tensor.le_
Tensor.not_equal_ = Tensor.ne_


# ----- element-wise Python callbacks (CPU only in PyTorch too; slow by nature) -----
def _callback_target(self, method):
    if self.requires_grad:
        raise RuntimeError(f"Can't call {method}() on Variable that requires grad. Use var.detach().{method}() instead.")
    return self.detach()


def _legacy_type(t):
    return f"torch.{scalar_type_name(t.dtype)}Tensor"


def _visit(target, operands, fn):
    """``target[i] = fn(target[i], *operands[i])`` element by element in index order, each write
    landing in storage before the next read (so elements sharing memory see earlier writes, as
    PyTorch's serial loop does)."""
    cast = float if target.dtype in (_core.float32, _core.float64) else bool if target.dtype == _core.bool else int
    values = [o.contiguous().reshape(-1).tolist() for o in operands]
    shape = list(target.shape)
    for flat in range(target.numel()):
        index, rest = [], flat
        for size in reversed(shape):
            index.append(rest % size)
            rest //= size
        index = tuple(reversed(index))
        result = fn(target[index].item(), *(v[flat] for v in values))
        if not isinstance(result, numbers.Number):
            raise TypeError(f"must be real number, not {type(result).__name__}")
        target[index] = cast(result)


def apply_(self, callable):
    """Replaces each element ``x`` by ``callable(x)``, in place."""
    target = _callback_target(self, "apply_")
    if not hasattr(callable, "__call__"):
        raise TypeError(f"'{type(callable).__name__}' object is not callable")
    _visit(target, [], callable)
    return self


def _map_operands(self, method, tensors):
    for other in tensors:
        if other.dtype != self.dtype:
            raise TypeError(f"{method}: expected {_legacy_type(self)} for 'other' (got {_legacy_type(other)})")
    return [o.expand(*self.shape) for o in tensors]


def map_(self, tensor, callable):
    """``self[i] = callable(self[i], tensor[i])`` with ``tensor`` broadcast to ``self``, in place."""
    target = _callback_target(self, "map_")
    _visit(target, _map_operands(self, "map_", [tensor]), callable)
    return self


def map2_(self, x, y, callable):
    """``self[i] = callable(self[i], x[i], y[i])`` with ``x``, ``y`` broadcast to ``self``, in place."""
    target = _callback_target(self, "map2_")
    _visit(target, _map_operands(self, "map2_", [x, y]), callable)
    return self


Tensor.apply_ = apply_
Tensor.map_ = map_
Tensor.map2_ = map2_
