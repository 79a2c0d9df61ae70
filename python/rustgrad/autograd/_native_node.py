"""Ops composed in Python that record one node named as PyTorch's dedicated node.

PyTorch computes ``rot90``, ``threshold``, ``pixel_shuffle``... with one kernel and one graph node
(``Rot90Backward0``...); composed here from other ops they would record several nodes, and
``y.grad_fn`` would print the last one's name. A ``Function`` decorated with ``native_node(name)``
runs its forward composition with grad mode off and records a single node of that name, whose
backward is the op's own derivative formula (written with differentiable ops, so double backward
works as PyTorch's does). The node class lives in module ``builtins`` like the core's nodes.
"""

from .function import BackwardCFunction


def native_node(name):
    """Class decorator for a ``rustgrad.autograd.Function``: its node is named ``name``."""

    def decorate(cls):
        cls._backward_cls = type(
            name, (BackwardCFunction,), {"_forward_cls": cls, "__module__": "builtins", "__qualname__": name}
        )
        return cls

    return decorate


__all__ = ["native_node"]
