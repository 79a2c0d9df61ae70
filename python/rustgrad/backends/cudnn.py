"""``rustgrad.backends.cudnn``: settable flags with PyTorch's defaults; cuDNN itself is absent."""

enabled = True
benchmark = False
benchmark_limit = None
deterministic = False
allow_tf32 = True


def is_available():
    """False: rustgrad has no cuDNN."""
    return False


def version():
    """None: no cuDNN library is loaded."""
    return None


def is_acceptable(tensor):
    return False
