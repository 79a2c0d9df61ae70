"""Grad-mode context managers: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Ported from ``torch/autograd/grad_mode.py`` and ``torch/utils/_contextlib.py`` (torch 2.13) so that
code written for PyTorch behaves the same: each class works as a context manager and as a decorator
(``no_grad`` and ``enable_grad`` also without parentheses), decorated generators keep the mode on every
resume, and ``set_grad_enabled(False)`` as a plain call takes effect at once.

The flags themselves are thread-local and live in the Rust core; this module only saves and restores them.
The decorator helpers live here rather than in a ``utils`` module because nothing else uses them yet.
"""

import functools
import inspect
import sys
import warnings
from typing import Any, Callable, TypeVar

from rustgrad import _core

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"]

F = TypeVar("F", bound=Callable[..., Any])


def _wrap_generator(ctx_factory, func):
    """Wrap a generator function so the context is active whenever the generator body runs.

    A generator is suspended at each ``yield``; wrapping the whole iteration in one ``with`` would leak the
    mode into the caller between resumes, so every ``send``/``throw``/``close`` gets its own fresh context.
    """

    @functools.wraps(func)
    def generator_context(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with ctx_factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException:
                    with ctx_factory():
                        response = gen.throw(*sys.exc_info())
                else:
                    with ctx_factory():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value

    return generator_context


def _context_decorator(ctx_factory, func):
    """Like ``contextlib.ContextDecorator``, but with a fresh context per call and generator support."""
    if inspect.isclass(func):
        raise RuntimeError(
            "Cannot decorate classes; it is ambiguous whether or not only the "
            "constructor or all methods should have the context manager applied; "
            "additionally, decorating a class at definition-site will prevent "
            "use of the identifier as a conventional type.  "
            "To specify which methods to decorate, decorate each of them "
            "individually."
        )
    if inspect.isgeneratorfunction(func):
        return _wrap_generator(ctx_factory, func)

    @functools.wraps(func)
    def decorate_context(*args, **kwargs):
        with ctx_factory():
            return func(*args, **kwargs)

    return decorate_context


class _DecoratorContextManager:
    """Allow a context manager to be used as a decorator."""

    def __call__(self, orig_func: F) -> F:
        if inspect.isclass(orig_func):
            warnings.warn(
                "Decorating classes is deprecated and will be disabled in "
                "future versions. You should only decorate functions or methods. "
                "To preserve the current behavior of class decoration, you can "
                "directly decorate the `__init__` method and nothing else.",
                FutureWarning,
                stacklevel=2,
            )
            func = lambda *args, **kwargs: orig_func(*args, **kwargs)  # noqa: E731
        else:
            func = orig_func
        # clone, not self: the saved previous state must be per call (recursion, threads).
        return _context_decorator(self.clone, func)

    def __enter__(self) -> None:
        raise NotImplementedError

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        raise NotImplementedError

    def clone(self):
        return self.__class__()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Allow a context manager to be used as a decorator without parentheses (``@no_grad``)."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


def _check_bool(mode: Any) -> None:
    # The core may accept ints; PyTorch does not, and says so in these words.
    if not isinstance(mode, bool):
        raise TypeError(
            "set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
            f"not {type(mode).__name__}"
        )


class no_grad(_NoParamDecoratorContextManager):
    r"""Context manager that disables gradient calculation.

    Every result computed inside has ``requires_grad=False``, even when its inputs require grad.
    Factory functions called with ``requires_grad=True`` are not affected. Thread-local; also works as a
    decorator, with or without parentheses.

    Example::

        >>> x = rustgrad.tensor([1.], requires_grad=True)
        >>> with rustgrad.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = _core.is_grad_enabled()
        _core._set_grad_enabled(False)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _core._set_grad_enabled(self.prev)


class enable_grad(_NoParamDecoratorContextManager):
    r"""Context manager that enables gradient calculation (e.g. inside ``no_grad``).

    Thread-local; also works as a decorator, with or without parentheses.

    Example::

        >>> with rustgrad.no_grad():
        ...     with rustgrad.enable_grad():
        ...         y = x * 2
        >>> y.requires_grad
        True
    """

    def __enter__(self) -> None:
        self.prev = _core.is_grad_enabled()
        _core._set_grad_enabled(True)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _core._set_grad_enabled(self.prev)


class set_grad_enabled(_DecoratorContextManager):
    r"""Set gradient calculation on or off.

    Works as a plain function (the change takes effect at once and persists), as a context manager
    (restores the previous mode on exit) and as a decorator. Thread-local.

    Args:
        mode (bool): ``True`` to enable grad, ``False`` to disable it.

    Example::

        >>> with rustgrad.set_grad_enabled(False):
        ...     y = x * 2
        >>> y.requires_grad
        False
        >>> _ = rustgrad.set_grad_enabled(False)
        >>> (x * 2).requires_grad
        False
    """

    def __init__(self, mode: bool) -> None:
        _check_bool(mode)
        self.prev = _core.is_grad_enabled()
        self.mode = mode
        _core._set_grad_enabled(mode)

    def __call__(self, orig_func: F) -> F:
        # As a decorator, constructing the object must not change the mode of the defining code.
        _core._set_grad_enabled(self.prev)
        return super().__call__(orig_func)

    def __enter__(self) -> None:
        _core._set_grad_enabled(self.mode)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _core._set_grad_enabled(self.prev)

    def __str__(self) -> str:
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}(mode={self.mode})"

    def __repr__(self) -> str:
        return str(self)

    def clone(self) -> "set_grad_enabled":
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    r"""Context manager that enables or disables inference mode.

    Like ``no_grad``, but stricter: tensors created inside are inference tensors. ``inference_mode(True)``
    turns inference on and grad off; ``inference_mode(False)`` turns inference off and grad on (as
    PyTorch's ``c10::InferenceMode`` guard does); both flags are restored on exit. Thread-local; also works
    as a decorator, with or without parentheses.

    Args:
        mode (bool or function): whether to enable inference mode, or a function to decorate.

    Example::

        >>> with rustgrad.inference_mode():
        ...     y = x * x
        >>> y.requires_grad
        False
    """

    def __new__(cls, mode=True):
        # A non-bool argument is the function being decorated (``@inference_mode`` without parentheses).
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self.prev_inference = _core.is_inference_mode_enabled()
        self.prev_grad = _core.is_grad_enabled()
        _core._set_inference_mode(self.mode)
        _core._set_grad_enabled(not self.mode)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _core._set_inference_mode(self.prev_inference)
        _core._set_grad_enabled(self.prev_grad)

    def clone(self) -> "inference_mode":
        return self.__class__(self.mode)
