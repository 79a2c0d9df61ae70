"""PyTorch's argument-parser errors for the function forms written in Python.

A function form catches the error of the method it calls and asks ``_core._arg_error`` what
PyTorch raises for the arguments as the user passed them (positions count ``input``); the
``try`` costs nothing when the call succeeds.
"""

from . import _core


def reraise_parser_error(key, args, kwargs):
    """Raises PyTorch's parser error for ``key(*args, **kwargs)`` if its parser refuses them."""
    err = _core._arg_error(key, tuple(args), kwargs)
    if err is not None:
        raise err from None


def not_a_tensor(name, input):
    """PyTorch's TypeError for a one-tensor function form given something else as ``input``."""
    return TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def method_form(name, input, args, kwargs):
    """``input.<name>(*args, **kwargs)`` for the function form ``rustgrad.<name>``: a refusal is
    PyTorch's parser error for the function's own signature (positions count ``input``)."""
    if not isinstance(input, _core.Tensor):
        reraise_parser_error(name, (input, *args), kwargs)
        raise not_a_tensor(name, input)
    try:
        return getattr(input, name)(*args, **kwargs)
    except TypeError:
        reraise_parser_error(name, (input, *args), kwargs)
        raise
