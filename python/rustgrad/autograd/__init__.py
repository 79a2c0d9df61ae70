"""``rustgrad.autograd``: reverse-mode automatic differentiation (PyTorch's ``torch.autograd``)."""

from collections.abc import Sequence

from .. import _core
_C = _core
from .grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode
from .function import Function, FunctionCtx, once_differentiable
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from . import graph
from .gradcheck import gradgradcheck, GradcheckError
from . import gradcheck  # the module, callable as the function (PyTorch's gradcheck.GradcheckError also works)
from . import functional

_Tensor = _core.Tensor


def _as_tuple(obj):
    if isinstance(obj, _Tensor):
        return (obj,)
    if obj is None:
        return ()
    return tuple(obj)


def _grads_list(grads, count):
    if grads is None:
        return [None] * count
    if isinstance(grads, _Tensor):
        return [grads]
    return list(grads)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulates the gradients of ``tensors`` into the ``.grad`` of graph leaves."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    tensors = _as_tuple(tensors)
    grads = _grads_list(grad_tensors, len(tensors))
    if inputs is not None:
        inputs = _as_tuple(inputs)
    _C._backward(tensors, grads, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Returns the gradients of ``outputs`` with respect to ``inputs`` (a tuple), leaving ``.grad``
    untouched."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    if isinstance(inputs, dict):
        keys = list(inputs)
        values = grad(outputs, [inputs[k] for k in keys], grad_outputs, retain_graph, create_graph,
                      only_inputs, allow_unused, is_grads_batched, materialize_grads)
        return dict(zip(keys, values))
    outputs = _as_tuple(outputs)
    if isinstance(inputs, _Tensor):
        inputs = (inputs,)
    elif not isinstance(inputs, Sequence):
        iter(inputs)  # raises PyTorch's "'int' object is not iterable" for non-iterables
        inputs = tuple(inputs)
    grads = _grads_list(grad_outputs, len(outputs))
    return _C._grad(outputs, tuple(inputs), grads, retain_graph, create_graph, allow_unused, materialize_grads)


__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "detect_anomaly", "set_detect_anomaly", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "graph", "gradcheck", "gradgradcheck", "functional"]
