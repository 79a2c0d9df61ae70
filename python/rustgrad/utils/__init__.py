"""``rustgrad.utils``: helpers around autograd (hooks; checkpointing and data loading come later)."""

from . import hooks

__all__ = ["hooks"]
