"""``node_function(name)``: a class holding static ``forward(ctx, ...)`` / ``backward(ctx, ...)``
becomes a ``rustgrad.autograd.Function`` whose one graph node is named as PyTorch's dedicated node
(``AminmaxBackward0``...), so Python compositions print PyTorch's grad_fn."""

from .autograd import Function
from .autograd._native_node import native_node


def node_function(name):
    def decorate(cls):
        body = {k: v for k, v in vars(cls).items() if k in ("forward", "backward", "__doc__")}
        return native_node(name)(type(cls.__name__, (Function,), body))

    return decorate
