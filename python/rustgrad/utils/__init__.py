"""``rustgrad.utils``: helpers around autograd (hooks; checkpointing and data loading come later)."""

from . import hooks
from . import checkpoint
from . import data

__all__ = ["hooks"]
