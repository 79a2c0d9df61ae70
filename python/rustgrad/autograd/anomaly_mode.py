"""Anomaly detection (PyTorch's ``torch.autograd.anomaly_mode``): a process-global switch that
makes backward check every node's output for NaN and name the node that produced it."""

import os
import traceback
import warnings

from .. import _core
from .grad_mode import _DecoratorContextManager


class detect_anomaly(_DecoratorContextManager):
    """Context manager / decorator that turns anomaly detection on (and warns that it is slow)."""

    def __init__(self, check_nan=True):
        self.prev = _core.is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = _core.is_anomaly_check_nan_enabled()
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime "
            "and should only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self):
        _core._set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args):
        _core._set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Sets anomaly detection on or off: at once when called, restored on exit when used with
    ``with``."""

    def __init__(self, mode, check_nan=True):
        self.prev = _core.is_anomaly_enabled()
        self.prev_check_nan = _core.is_anomaly_check_nan_enabled()
        _core._set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *args):
        _core._set_anomaly_enabled(self.prev, self.prev_check_nan)


# ----- called by the core (through the bindings) only while anomaly mode is on -----

_PACKAGE_DIR = None


def _forward_stack():
    """The traceback of the forward call recording a node, as PyTorch's anomaly metadata keeps it
    (``traceback.format_list`` lines), without rustgrad's own frames."""
    global _PACKAGE_DIR
    if _PACKAGE_DIR is None:
        _PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    frames = [f for f in traceback.extract_stack()[:-1] if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)]
    return "".join(traceback.format_list(frames))


def _warn_anomaly(message):
    """The warning anomaly mode emits when backward fails in a node (before the error)."""
    warnings.warn(message, UserWarning, stacklevel=2)
