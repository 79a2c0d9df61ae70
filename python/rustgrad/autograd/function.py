"""Custom autograd Functions (PyTorch's ``torch.autograd.Function``).

A subclass defines ``forward`` and ``backward`` as static methods; ``MyFn.apply(*args)`` runs
``forward`` with grad mode off and records one graph node whose backward calls ``MyFn.backward``.
The context ``ctx`` given to both is the node's Python object, an instance of the generated class
``rustgrad.autograd.function.MyFnBackward`` (so ``y.grad_fn`` prints as PyTorch's does).
"""

import functools
import inspect
import warnings

from .. import _core
from .grad_mode import no_grad

_Tensor = _core.Tensor
_is_grad_enabled = _core.is_grad_enabled
_set_grad_enabled = _core._set_grad_enabled
_function_record = _core._function_record


class FunctionCtx:
    """What ``forward``/``setup_context`` use to pass state to ``backward``."""

    def save_for_backward(self, *tensors):
        """Saves tensors for ``backward`` (read back with ``ctx.saved_tensors``)."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type {type(t).__name__}"
                )
        self.to_save = tensors

    def mark_dirty(self, *args):
        """Declares inputs that ``forward`` modified in place."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args):
        """Declares outputs that get no gradient."""
        self.non_differentiable = args

    def set_materialize_grads(self, value):
        """Whether missing output gradients reach ``backward`` as zeros (default) or ``None``."""
        self.materialize_grads = value


class BackwardCFunction(_core.Node, FunctionCtx):
    """Base of the generated ``<Name>Backward`` node classes; an instance is the ``ctx``."""

    # Defaults of what forward may set (class attributes: no per-call work when unset).
    to_save = None
    dirty_tensors = ()
    non_differentiable = ()
    materialize_grads = True

    def apply(self, *grads):
        backward_fn = self._forward_cls.backward
        if backward_fn is Function.backward:
            raise NotImplementedError(
                "You must implement either the backward or vjp method for your custom autograd.Function "
                "to use it with backward mode AD."
            )
        return backward_fn(self, *grads)

    @property
    def saved_tensors(self):
        return _core._function_saved_tensors(self)


class FunctionMeta(type):
    """Creates the node class ``<Name>Backward`` for every Function subclass."""

    def __init__(cls, name, bases, attrs):
        backward_cls = type(
            name + "Backward",
            (BackwardCFunction,),
            {"_forward_cls": cls, "__module__": "rustgrad.autograd.function", "__qualname__": name + "Backward"},
        )
        cls._backward_cls = backward_cls
        base = globals().get("Function")
        # New style (forward without ctx, then setup_context), decided once per class.
        cls._new_style = base is not None and cls.setup_context is not base.setup_context
        super().__init__(name, bases, attrs)


def _bind_forward_args(cls, args, kwargs):
    """The inputs given to ``setup_context``: ``args`` and ``kwargs`` bound to ``forward``'s
    parameters, defaults filled in (binding errors are PyTorch's, from ``inspect``)."""
    info = cls.__dict__.get("_forward_params")
    if info is None:
        signature = inspect.signature(cls.forward)
        params = signature.parameters.values()
        simple = all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
        info = (signature, len(signature.parameters) if simple else -1)
        cls._forward_params = info
    signature, count = info
    if not kwargs and len(args) == count:
        return args  # every parameter given positionally: binding would change nothing
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.args


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class for custom differentiable operations."""

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, "
            "so you should invoke them on the class itself. Instantiating an autograd function will raise an "
            "error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function "
            "to use it with backward mode AD."
        )

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls()
        grad_on = _is_grad_enabled()
        if grad_on:
            ctx.needs_input_grad = tuple(isinstance(a, _Tensor) and a.requires_grad for a in args)
        else:
            ctx.needs_input_grad = (False,) * len(args)
        # forward runs with grad mode off (set directly: cheaper than a no_grad() block).
        if cls._new_style:
            # New style: forward(*inputs) without ctx, then setup_context(ctx, inputs, output).
            args = _bind_forward_args(cls, args, kwargs)
            _set_grad_enabled(False)
            try:
                output = cls.forward(*args)
            finally:
                _set_grad_enabled(grad_on)
            cls.setup_context(ctx, args, output)
        else:
            _set_grad_enabled(False)
            try:
                output = cls.forward(ctx, *args, **kwargs)
            finally:
                _set_grad_enabled(grad_on)
        if isinstance(output, tuple):
            return _function_record(ctx, args, output, ctx.to_save, ctx.dirty_tensors, ctx.non_differentiable)
        return _function_record(ctx, args, (output,), ctx.to_save, ctx.dirty_tensors, ctx.non_differentiable)[0]


def once_differentiable(fn):
    """Decorates a ``backward`` that is not itself differentiable: it runs with grad mode off, and
    differentiating its result again raises."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _core.is_grad_enabled():
            return outputs
        if not any(isinstance(a, _Tensor) and a.requires_grad for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wrapped = _core._delayed_error(
            outs, "trying to differentiate twice a function that was marked with @once_differentiable"
        )
        return wrapped[0] if single else wrapped

    return wrapper


__all__ = ["Function", "FunctionCtx", "once_differentiable"]
