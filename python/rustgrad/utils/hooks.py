"""``rustgrad.utils.hooks``: the handle returned by hook registration."""

from .._core import RemovableHandle

__all__ = ["RemovableHandle"]
