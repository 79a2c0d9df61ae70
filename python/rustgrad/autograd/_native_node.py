"""Ops composed in Python that record one node named as PyTorch's dedicated node.

PyTorch computes ``rot90``, ``block_diag``, ``nansum``... with one kernel and one graph node
(``Rot90Backward0``...); composed here from other ops they would record several nodes, and
``y.grad_fn`` would print the last one's name.

``native_node(name)`` names the node of a ``rustgrad.autograd.Function`` subclass, for ops whose
derivative formula is written out. ``composite_node(name)`` wraps a composing function as a
whole: the forward runs once with grad mode off and records one node of that name; its backward
recomputes the composition with grad mode on from the saved inputs and differentiates it (as
checkpointing does), so the gradient is the composition's own, and with ``create_graph`` the
recomputation is recorded against the real inputs, so double backward works. The node classes live
in module ``builtins`` like the core's nodes.
"""

from .. import _core
from .function import BackwardCFunction, Function

_Tensor = _core.Tensor
_is_grad_enabled = _core.is_grad_enabled
_set_grad_enabled = _core._set_grad_enabled
_FLOATS = (_core.float32, _core.float64)


def native_node(name):
    """Class decorator for a ``rustgrad.autograd.Function``: its node is named ``name``."""

    def decorate(cls):
        cls._backward_cls = type(
            name, (BackwardCFunction,), {"_forward_cls": cls, "__module__": "builtins", "__qualname__": name}
        )
        return cls

    return decorate


def composite_node(name):
    """Decorator for a function of tensors (positional) and other arguments: when it is recorded,
    one node named ``name`` stands for the whole composition (see the module docstring)."""

    def decorate(fn):
        @native_node(name)
        class Composite(Function):
            @staticmethod
            def forward(ctx, kwargs, *args):
                ctx.args, ctx.kwargs = args, kwargs
                ctx.save_for_backward(*(a for a in args if isinstance(a, _Tensor)))
                out = fn(*args, **kwargs)
                outs = out if isinstance(out, tuple) else (out,)
                fixed = [o for o in outs if isinstance(o, _Tensor) and o.dtype not in _FLOATS]
                if fixed:
                    ctx.mark_non_differentiable(*fixed)
                return out

            @staticmethod
            def backward(ctx, *grads):
                saved = iter(ctx.saved_tensors)
                args = [next(saved) if isinstance(a, _Tensor) else a for a in ctx.args]
                wanted = [i for i, a in enumerate(args) if isinstance(a, _Tensor) and ctx.needs_input_grad[i + 1]]
                create_graph = _is_grad_enabled()
                if not create_graph:
                    # first-order only: differentiate fresh leaves, not the inputs' histories
                    for i in wanted:
                        args[i] = args[i].detach().requires_grad_()
                _set_grad_enabled(True)
                try:
                    out = fn(*args, **ctx.kwargs)
                finally:
                    _set_grad_enabled(create_graph)
                outs = out if isinstance(out, tuple) else (out,)
                pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
                result = [None] * (len(args) + 1)
                if pairs and wanted:
                    from . import grad as _grad

                    found = _grad([o for o, _ in pairs], [args[i] for i in wanted], [g for _, g in pairs],
                                  create_graph=create_graph, allow_unused=True)
                    for i, g in zip(wanted, found):
                        result[i + 1] = g if g is not None else _core.zeros_like(args[i])
                return tuple(result)

        def recorded(*args, **kwargs):
            if _is_grad_enabled() and any(isinstance(a, _Tensor) and a.requires_grad for a in args):
                return Composite.apply(kwargs, *args)
            return fn(*args, **kwargs)

        recorded.__name__, recorded.__qualname__, recorded.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
        recorded.__wrapped__ = fn
        return recorded

    return decorate


__all__ = ["native_node", "composite_node"]
