"""``rustgrad.accelerator``: PyTorch's device-agnostic accelerator queries, answered as a
CPU-only build does (no accelerator)."""


def is_available():
    """False: rustgrad has no accelerator."""
    return False


def device_count():
    """0: no accelerator devices."""
    return 0


def current_accelerator(check_available=False):
    """None: the CPU is not an accelerator."""
    return None


def current_device_index():
    raise RuntimeError("Cannot access accelerator device when none is available.")


current_device_idx = current_device_index


def set_device_index(device):
    raise RuntimeError("Cannot access accelerator device when none is available.")


set_device_idx = set_device_index


def synchronize(device=None):
    raise RuntimeError("Cannot access accelerator device when none is available.")
