"""Nodes named as PyTorch's dedicated autograd nodes for the nn ops composed in Python.

``vjp_node(name, compose)`` gives an op whose forward is ``compose`` (run with grad mode off) and
whose one node, named ``name``, differentiates the same composition again in its backward (with
the original inputs, so the gradient is itself differentiable: double backward works). It serves
ops whose derivative formula is the derivative of their composition (EmbeddingBagBackward0,
MultiMarginLossBackward0...); ops with a short formula write it out instead.
"""

from ._core import Tensor
from .autograd.function import Function
from .autograd._native_node import native_node
from .autograd.grad_mode import enable_grad


def vjp_node(name, compose):
    """``apply(*args)``: ``compose(*args)`` recorded as one node ``name`` (tensor outputs that are
    not floating point are not differentiable)."""

    @native_node(name)
    class _Node(Function):
        @staticmethod
        def forward(ctx, *args):
            ctx.args = args
            out = compose(*args)
            outs = out if isinstance(out, tuple) else (out,)
            ctx.multi = isinstance(out, tuple)
            nondiff = [o for o in outs if isinstance(o, Tensor) and not o.is_floating_point()]
            if nondiff:
                ctx.mark_non_differentiable(*nondiff)
            return out

        @staticmethod
        def backward(ctx, *grads):
            from .autograd import grad as _grad

            args = ctx.args
            wanted = [i for i, a in enumerate(args) if isinstance(a, Tensor) and ctx.needs_input_grad[i]]
            with enable_grad():
                out = compose(*args)
                outs = out if isinstance(out, tuple) else (out,)
                pairs = [(o, g) for o, g in zip(outs, grads)
                         if isinstance(o, Tensor) and o.is_floating_point() and o.requires_grad and g is not None]
                found = _grad([o for o, _ in pairs], [args[i] for i in wanted], [g for _, g in pairs],
                              create_graph=True, allow_unused=True) if pairs and wanted else [None] * len(wanted)
            result = [None] * len(args)
            for i, g in zip(wanted, found):
                result[i] = g
            return tuple(result)

    _Node.__name__ = _Node.__qualname__ = name
    return _Node.apply
