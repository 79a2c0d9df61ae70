"""Small Tensor predicates and accessors (ndimension, is_signed, is_nonzero, get_device,
conj/real/imag for real dtypes...), unsafe_chunk / unsafe_split / split_with_sizes / narrow_copy, and
the ``*_copy`` functions: the view's values in fresh contiguous memory, recorded as one node named
``<ViewNode>_copy`` as PyTorch's view_copy ops are."""

from . import _core
from ._native_ops import node_function
from ._tensor_api_more import _check_tensor

__all__ = ["isreal", "conj", "resolve_conj", "resolve_neg", "conj_physical", "real", "imag", "is_conj", "is_neg",
           "is_nonzero", "is_same_size", "is_signed", "unsafe_chunk", "unsafe_split", "split_with_sizes",
           "narrow_copy", "view_copy", "permute_copy", "expand_copy", "squeeze_copy", "unsqueeze_copy", "t_copy",
           "transpose_copy", "diagonal_copy", "select_copy", "slice_copy", "unbind_copy", "split_copy",
           "split_with_sizes_copy", "detach_copy", "alias_copy"]

Tensor = _core.Tensor


# ----- predicates / accessors -----
def _is_signed(self):
    return self.dtype not in (_core.uint8, _core.bool)


def _is_nonzero(self):
    n = self.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self.detach().reshape(-1)[0].item())


def _imag(self):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def _identity(self):
    # real dtypes: conjugation and negation bits never set, so these are the tensor itself (as PyTorch)
    return self


def _named(name, fn):
    fn = (lambda f: lambda *a, **k: f(*a, **k))(fn)
    fn.__name__ = fn.__qualname__ = name
    return fn


def isreal(input):
    _check_tensor("isreal", input)
    return _core.ones(list(input.shape), dtype=_core.bool)


def _fn_of(name, method):
    def f(input, *args, **kwargs):
        _check_tensor(name, input)
        return method(input, *args, **kwargs)

    f.__name__ = f.__qualname__ = name
    return f


conj = _fn_of("conj", _identity)
resolve_conj = _fn_of("resolve_conj", _identity)
resolve_neg = _fn_of("resolve_neg", _identity)
conj_physical = _fn_of("conj_physical", _identity)
real = _fn_of("real", _identity)
imag = _fn_of("imag", _imag)
is_conj = _fn_of("is_conj", lambda self: False)
is_neg = _fn_of("is_neg", lambda self: False)
is_nonzero = _fn_of("is_nonzero", _is_nonzero)
is_same_size = _fn_of("is_same_size", lambda self, other: tuple(self.shape) == tuple(other.shape))
is_signed = _fn_of("is_signed", _is_signed)


# ----- copies recorded as one node -----
def _copy_node(name):
    @node_function(name)
    class _Copy:
        @staticmethod
        def forward(ctx, x, view_fn):
            ctx.save_for_backward(x)
            ctx.view_fn = view_fn
            v = view_fn(x)
            return _core.empty(list(v.shape), dtype=v.dtype).copy_(v)  # fresh contiguous memory

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            # the gradient of a copy of a view is the view's vector-Jacobian product
            from .autograd import grad as _grad
            from .autograd.grad_mode import enable_grad

            create = _core.is_grad_enabled()
            with enable_grad():
                xx = x if create else x.detach().requires_grad_()
                (g,) = _grad(ctx.view_fn(xx), xx, grad, create_graph=create, allow_unused=True)
            return (x.new_zeros(list(x.shape)) if g is None else g), None

    return _Copy


_NODES = {}


def _copy(name, x, view_fn):
    if name not in _NODES:
        _NODES[name] = _copy_node(name)
    return _NODES[name].apply(x, view_fn)


def _copies(name, x, split_fn):
    n = len(split_fn(x.detach()))
    return tuple(_copy(name, x, lambda t, i=i: split_fn(t)[i]) for i in range(n))


def _unsafe_split(self, split_size, dim=0):
    return _copies("UnsafeSplitBackward0", self, lambda t: t.split(split_size, dim))


def _unsafe_chunk(self, chunks, dim=0):
    return _copies("UnsafeSplitBackward0", self, lambda t: t.chunk(chunks, dim))


def _narrow_copy(self, dim, start, length):
    self.narrow(dim, start, length)  # PyTorch's checks and errors
    return _copy("NarrowCopyBackward0", self, lambda t: t.narrow(dim, start, length))


unsafe_split = _fn_of("unsafe_split", _unsafe_split)
unsafe_chunk = _fn_of("unsafe_chunk", _unsafe_chunk)
split_with_sizes = _fn_of("split_with_sizes", lambda self, split_sizes, dim=0: self.split_with_sizes(split_sizes, dim))
narrow_copy = _fn_of("narrow_copy", _narrow_copy)


def _view_copy_fn(name, node, view):
    def f(input, *args, **kwargs):
        _check_tensor(name, input)
        view(input.detach(), *args, **kwargs)  # the view's own checks and errors
        return _copy(node, input, lambda t: view(t, *args, **kwargs))

    f.__name__ = f.__qualname__ = name
    return f


def _slice(t, dim=0, start=None, end=None, step=1):
    index = [slice(None)] * dim + [slice(start, end, step)]
    return t[tuple(index)]


view_copy = _view_copy_fn("view_copy", "ViewBackward0_copy", lambda t, size: t.view(size))
permute_copy = _view_copy_fn("permute_copy", "PermuteBackward0_copy", lambda t, dims: t.permute(dims))
expand_copy = _view_copy_fn("expand_copy", "ExpandBackward0_copy", lambda t, size, implicit=False: t.expand(*size))
squeeze_copy = _view_copy_fn("squeeze_copy", "SqueezeBackward0_copy",
                             lambda t, dim=None: t.squeeze() if dim is None else t.squeeze(dim))
unsqueeze_copy = _view_copy_fn("unsqueeze_copy", "UnsqueezeBackward0_copy", lambda t, dim: t.unsqueeze(dim))
t_copy = _view_copy_fn("t_copy", "TBackward0_copy", lambda t: t.t())
transpose_copy = _view_copy_fn("transpose_copy", "TransposeBackward0_copy", lambda t, dim0, dim1: t.transpose(dim0, dim1))
diagonal_copy = _view_copy_fn("diagonal_copy", "DiagonalBackward0_copy",
                              lambda t, offset=0, dim1=0, dim2=1: t.diagonal(offset, dim1, dim2))
select_copy = _view_copy_fn("select_copy", "SelectBackward0_copy", lambda t, dim, index: t.select(dim, index))
slice_copy = _view_copy_fn("slice_copy", "SliceBackward0_copy", _slice)
alias_copy = _view_copy_fn("alias_copy", "AliasBackward0_copy", lambda t: t.view(list(t.shape)))


def unbind_copy(input, dim=0):
    _check_tensor("unbind_copy", input)
    return _copies("UnbindBackward0_copy", input, lambda t: t.unbind(dim))


def split_copy(input, split_size, dim=0):
    _check_tensor("split_copy", input)
    return _copies("SplitBackward0_copy", input, lambda t: t.split(split_size, dim))


def split_with_sizes_copy(input, split_sizes, dim=0):
    _check_tensor("split_with_sizes_copy", input)
    return _copies("SplitWithSizesBackward0_copy", input, lambda t: t.split_with_sizes(split_sizes, dim))


@node_function("NotImplemented")
class _DetachCopy:
    @staticmethod
    def forward(ctx, x):
        return _core.empty(list(x.shape), dtype=x.dtype).copy_(x)

    @staticmethod
    def backward(ctx, grad):
        # PyTorch has no derivative for detach_copy: its graph node refuses to run
        raise RuntimeError("derivative for aten::detach_copy is not implemented")


def detach_copy(input):
    """A copy of ``input`` (PyTorch records a ``NotImplemented`` node for it when ``input`` requires grad)."""
    _check_tensor("detach_copy", input)
    return _DetachCopy.apply(input)


# ----- Tensor methods -----
for _name, _fn in (("ndimension", lambda self: self.dim()), ("is_signed", _is_signed), ("is_nonzero", _is_nonzero),
                   ("is_same_size", lambda self, other: tuple(self.shape) == tuple(other.shape)),
                   ("get_device", lambda self: -1),
                   ("is_conj", lambda self: False), ("is_neg", lambda self: False), ("conj", _identity),
                   ("resolve_conj", _identity), ("resolve_neg", _identity), ("conj_physical", _identity),
                   ("isreal", lambda self: isreal(self)), ("unsafe_chunk", _unsafe_chunk),
                   ("unsafe_split", _unsafe_split), ("narrow_copy", _narrow_copy)):
    setattr(Tensor, _name, _named(_name, _fn))
Tensor.real = property(_identity)
Tensor.imag = property(_imag)
del _name, _fn
