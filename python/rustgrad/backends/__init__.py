"""``rustgrad.backends``: the backend flags PyTorch scripts set or query (``cudnn.benchmark``,
``cudnn.deterministic``, ``mps.is_available()``). rustgrad has neither cuDNN nor MPS: the flags
are plain settable attributes with PyTorch's defaults and the queries answer as a CPU-only
PyTorch build does."""

from . import cudnn, mps, cuda  # noqa: F401
