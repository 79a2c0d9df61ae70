"""Function forms of the view, shape and indexing methods (`rustgrad.transpose(x, 0, 1)` is
`x.transpose(0, 1)`), plus `cat` / `stack` from the core."""

from ._core import cat, stack
from . import _arg_errors, _core  # noqa: F401

concat = cat
concatenate = cat


def transpose(input, dim0, dim1):
    try:
        return input.transpose(dim0, dim1)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("transpose", (input, dim0, dim1), {})
        raise


swapaxes = transpose


def t(input):
    try:
        return input.t()
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("t", input) from None


def permute(input, dims):
    try:
        return input.permute(dims)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("permute", (input, dims), {})
        raise


def squeeze(input, *args, **kwargs):
    try:
        if len(args) > 1:  # the method's `squeeze(0, 1)` spelling is not the function's
            raise TypeError
        return input.squeeze(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("squeeze", (input, *args), kwargs)
        raise


def unsqueeze(input, dim):
    try:
        return input.unsqueeze(dim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("unsqueeze", input) from None


def flatten(input, start_dim=0, end_dim=-1):
    try:
        return input.flatten(start_dim, end_dim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("flatten", input) from None


def narrow(input, *args, **kwargs):
    try:
        return input.narrow(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("narrow", (input, *args), kwargs)
        raise


def select(input, dim, index):
    try:
        return input.select(dim, index)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("select", input) from None


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    try:
        return input.chunk(chunks, dim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("chunk", input) from None


def unbind(input, dim=0):
    try:
        return input.unbind(dim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("unbind", input) from None


def gather(input, *args, **kwargs):
    try:
        return input.gather(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("gather", (input, *args), kwargs)
        raise


def scatter(input, dim, index, src=None, *, value=None):
    try:
        return input.scatter(dim, index, src, value=value)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("scatter", input) from None


def scatter_add(input, dim, index, src):
    try:
        return input.scatter_add(dim, index, src)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("scatter_add", input) from None


def index_select(input, *args, **kwargs):
    try:
        return input.index_select(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("index_select", (input, *args), kwargs)
        raise


def masked_select(input, mask):
    try:
        return input.masked_select(mask)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("masked_select", input) from None


def flip(input, *args, **kwargs):
    try:
        if len(args) > 1:  # the method's varargs spelling is not the function's
            raise TypeError
        return input.flip(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("flip", (input, *args), kwargs)
        raise


def roll(input, *args, **kwargs):
    try:
        return input.roll(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("roll", (input, *args), kwargs)
        raise


def tril(input, diagonal=0):
    try:
        return input.tril(diagonal)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("tril", input) from None


def triu(input, diagonal=0):
    try:
        return input.triu(diagonal)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("triu", input) from None


__all__ = [
    "cat", "concat", "concatenate", "stack", "transpose", "swapaxes", "t", "permute", "squeeze",
    "unsqueeze", "flatten", "narrow", "select", "split", "chunk", "unbind", "gather", "scatter",
    "scatter_add", "index_select", "masked_select", "flip", "roll", "tril", "triu",
]
