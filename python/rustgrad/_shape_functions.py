"""Function forms of the view, shape and indexing methods (`rustgrad.transpose(x, 0, 1)` is
`x.transpose(0, 1)`), plus `cat` / `stack` from the core."""

from ._core import cat, stack
from . import _arg_errors

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
    return input.t()


def permute(input, dims):
    try:
        return input.permute(dims)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("permute", (input, dims), {})
        raise


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def narrow(input, dim, start, length):
    return input.narrow(dim, start, length)


def select(input, dim, index):
    return input.select(dim, index)


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def unbind(input, dim=0):
    return input.unbind(dim)


def gather(input, dim, index, *, sparse_grad=False):
    return input.gather(dim, index)


def scatter(input, dim, index, src=None, *, value=None):
    return input.scatter(dim, index, src, value=value)


def scatter_add(input, dim, index, src):
    return input.scatter_add(dim, index, src)


def index_select(input, dim, index):
    return input.index_select(dim, index)


def masked_select(input, mask):
    return input.masked_select(mask)


def flip(input, dims):
    return input.flip(dims)


def roll(input, shifts, dims=None):
    return input.roll(shifts, dims)


def tril(input, diagonal=0):
    return input.tril(diagonal)


def triu(input, diagonal=0):
    return input.triu(diagonal)


__all__ = [
    "cat", "concat", "concatenate", "stack", "transpose", "swapaxes", "t", "permute", "squeeze",
    "unsqueeze", "flatten", "narrow", "select", "split", "chunk", "unbind", "gather", "scatter",
    "scatter_add", "index_select", "masked_select", "flip", "roll", "tril", "triu",
]
