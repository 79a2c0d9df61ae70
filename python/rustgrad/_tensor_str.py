"""Tensor printing: a port of PyTorch's ``torch/_tensor_str.py``.

Tensors print character-for-character like PyTorch's, except that qualified
names say ``rustgrad.`` (that text comes from ``repr(t.dtype)``); line breaks
stay where PyTorch puts them (see ``_str_intern``).

The port works on plain Python data only: it reads a tensor through
``tolist()``, ``shape``, ``dim()``, ``numel()``, ``dtype`` (``.name``,
``.is_floating_point``), ``grad_fn`` and ``requires_grad``, and never calls
tensor ops. PyTorch formats each element through ``item()``/``tolist()``, which
widen float32/float16 to Python floats, so formatting the widened values with
Python's own ``format`` reproduces its output exactly.

Not ported (rustgrad has no such tensors): complex, sparse, quantized, nested,
meta/fake, functorch wrappers, forward-mode tangents, non-CPU devices.
"""

import contextlib
import dataclasses
import math
from typing import Any
from . import _core


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()

# PyTorch leaves out `dtype=` for the default float dtype (set_default_dtype), its
# complex counterpart, int64 and bool: those are what a bare literal would infer.
_IMPLICIT_DTYPES = {"float32": frozenset({"float32", "complex64", "int64", "bool"}),
                    "float64": frozenset({"float64", "complex128", "int64", "bool"})}
_PREFIX = "tensor("


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
):
    """Set options for printing (same arguments and semantics as PyTorch).

    profile: one of "default", "short", "full"; explicit options override it.
    Like PyTorch, every call resets ``sci_mode`` to None unless it is passed.
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
        elif profile == "short":
            PRINT_OPTS.precision = 2
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 2
            PRINT_OPTS.linewidth = 80
        elif profile == "full":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = math.inf
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80

    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current options, as a dict that can be passed to set_printoptions()."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager that temporarily changes the print options."""
    old_kwargs = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old_kwargs)


class _Formatter:
    """Chooses one element format and width for a whole tensor.

    ``values`` is the flat list of the (possibly summarized) elements.
    """

    def __init__(self, values, floating_dtype):
        self.floating_dtype = floating_dtype
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1

        if not floating_dtype:
            for value in values:
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite = [v for v in values if math.isfinite(v) and v != 0]
        if not nonzero_finite:
            # Only zeros, nan and inf: PyTorch keeps int mode, width 1.
            return

        abs_values = [abs(v) for v in nonzero_finite]
        abs_min, abs_max = min(abs_values), max(abs_values)
        self.int_mode = all(v == math.ceil(v) for v in nonzero_finite)
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = (
                abs_max / abs_min > 1000.0 or abs_max > 1.0e8 or abs_min < 1.0e-4
            )
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        if self.sci_mode:
            widths = (len(f"{v:.{precision}e}") for v in nonzero_finite)
        elif self.int_mode:
            # +1 for the "." that marks an integral value as floating point.
            widths = (len(f"{v:.0f}") + 1 for v in nonzero_finite)
        else:
            widths = (len(f"{v:.{precision}f}") for v in nonzero_finite)
        self.max_width = max(self.max_width, max(widths))

    def width(self):
        return self.max_width

    def format(self, value):
        precision = PRINT_OPTS.precision
        if self.floating_dtype:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{precision}f}"
        else:
            text = f"{value}"
        return text.rjust(self.max_width)


def _flatten(data, dim):
    if dim == 0:
        return [data]
    if dim == 1:
        return list(data)
    return [value for row in data for value in _flatten(row, dim - 1)]


def _summarized_values(data, dim):
    """Flat elements of PyTorch's ``get_summarized_data``: what the formatter sees."""
    edge = PRINT_OPTS.edgeitems
    if dim == 0:
        return [data]
    if dim == 1:
        # With edge == 0, data[-0:] is the whole row, as in PyTorch.
        return data[:edge] + data[-edge:] if len(data) > 2 * edge else list(data)
    if not edge:
        return []
    rows = data[:edge] + data[-edge:] if len(data) > 2 * edge else data
    return [value for row in rows for value in _summarized_values(row, dim - 1)]


def _vector_str(row, indent, summarize, formatter):
    # Each element takes its width plus ", ".
    element_length = formatter.width() + 2
    elements_per_line = max(
        1, math.floor((PRINT_OPTS.linewidth - indent) / element_length)
    )
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and len(row) > 2 * edge:
        items = (
            [formatter.format(v) for v in row[:edge]]
            + [" ..."]
            + [formatter.format(v) for v in row[-edge:]]
        )
    else:
        items = [formatter.format(v) for v in row]

    lines = [
        ", ".join(items[i : i + elements_per_line])
        for i in range(0, len(items), elements_per_line)
    ]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(data, dim, indent, summarize, formatter):
    if dim == 0:
        return formatter.format(data)
    if dim == 1:
        return _vector_str(data, indent, summarize, formatter)

    edge = PRINT_OPTS.edgeitems
    size = len(data)
    if summarize and size > 2 * edge:
        shown = list(range(edge)) + [None] + list(range(size - edge, size))
    else:
        shown = list(range(size))
    slices = [
        "..." if i is None else _nested_str(data[i], dim - 1, indent + 1, summarize, formatter)
        for i in shown
    ]
    # dim - 1 newlines leave blank lines between the blocks of a 3-d+ tensor.
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(data, dim, numel, floating_dtype, indent):
    summarize = numel > PRINT_OPTS.threshold
    values = _summarized_values(data, dim) if summarize else _flatten(data, dim)
    formatter = _Formatter(values, floating_dtype)
    return _nested_str(data, dim, indent, summarize, formatter)


def _add_suffixes(tensor_str, suffixes, indent):
    """Append the (text, width) suffixes, wrapping where PyTorch wraps."""
    parts = [tensor_str]
    # PyTorch's measure is 2 more than the visible length of the last line;
    # kept so that suffixes wrap at exactly the same place.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for text, width in suffixes:
        if last_line_len + width + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + text)
            last_line_len = indent + width
        else:
            parts.append(", " + text)
            last_line_len += width + 2
    parts.append(")")
    return "".join(parts)


def _is_parameter(t):
    return getattr(type(t), "_is_param", False) is True


def _str_intern(t):
    indent = len(_PREFIX)
    # (text, width) pairs; the width is that of PyTorch's own text, so that
    # suffixes wrap exactly where PyTorch's do: `dtype=rustgrad.float64` is
    # measured as `dtype=torch.float64`, and a line may run 3 characters past
    # linewidth. Output is then PyTorch's with only the module name changed.
    suffixes = []
    dtype_name = t.dtype.name
    dtype_suffix = ("dtype=" + repr(t.dtype), len("dtype=torch." + dtype_name))
    size_text = "size=" + str(tuple(t.shape))
    size_suffix = (size_text, len(size_text))

    if t.numel() == 0:
        # Explicit shape unless it is (0,), to match NumPy.
        if t.dim() != 1:
            suffixes.append(size_suffix)
        # No elements to infer the dtype from, so even int64 and bool print it.
        if dtype_name != _core.get_default_dtype().name:
            suffixes.append(dtype_suffix)
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(size_suffix)
        if dtype_name not in _IMPLICIT_DTYPES[_core.get_default_dtype().name]:
            suffixes.append(dtype_suffix)
        tensor_str = _tensor_str(
            t.tolist(), t.dim(), t.numel(), t.dtype.is_floating_point, indent
        )

    try:
        grad_fn = t.grad_fn
        grad_fn_name = None if grad_fn is None else type(grad_fn).__name__
    except RuntimeError:
        # Reading grad_fn regenerates a stale view's history, which a view that may not be
        # rebased (made under no_grad, one of several outputs) refuses: PyTorch prints Invalid.
        grad_fn_name = "Invalid"
    if grad_fn_name is not None:
        grad_fn_text = f"grad_fn=<{grad_fn_name}>"
        suffixes.append((grad_fn_text, len(grad_fn_text)))
    elif t.requires_grad:
        suffixes.append(("requires_grad=True", len("requires_grad=True")))

    return _add_suffixes(_PREFIX + tensor_str, suffixes, indent)


def _str(t):
    """repr(t) and str(t), including PyTorch's Parameter header."""
    text = _str_intern(t)
    if _is_parameter(t):
        return "Parameter containing:\n" + text
    return text


def _format(t, spec):
    """Tensor.__format__: a 0-d plain tensor formats like its Python value."""
    if t.dim() == 0 and not _is_parameter(t):
        return t.tolist().__format__(spec)
    # str(t) for an empty spec, otherwise TypeError("unsupported format string
    # passed to Tensor.__format__") with the bare class name, exactly as PyTorch.
    if spec:
        raise TypeError(f"unsupported format string passed to {type(t).__name__}.__format__")
    return str(t)
