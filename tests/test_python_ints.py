"""Python ints that do not fit int64 (PyTorch 2.13): ``tensor(2**63)`` refuses them
("Overflow when unpacking long long"), arithmetic and comparisons with integer tensors wrap
2**63 <= n < 2**64 into int64 (PyTorch reads them as uint64 and casts), float tensors take their
float value, checked conversions (``full``, ``fill_``, ``where``, ``clamp``, ``masked_fill``,
``index_fill``) refuse them for integer dtypes, and larger ones raise OverflowError.
"""

import warnings

import pytest

import rustgrad
from _helpers import torch_or_skip


def _outcome(lib, call):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            out = call(lib)
        except (RuntimeError, IndexError, TypeError, ValueError, OverflowError) as e:
            return type(e).__name__, str(e).replace("torch.", "rustgrad.")
    if out is None:
        return None
    return out.tolist(), str(out.dtype).split(".")[-1]


def _same_as_torch(call):
    torch = torch_or_skip()
    assert _outcome(rustgrad, call) == _outcome(torch, call)


BIG = 2 ** 63

BIG_INT_CASES = [
    ("tensor(2**63)", lambda lib: lib.tensor(BIG)),
    ("tensor(-2**63)", lambda lib: lib.tensor(-BIG)),
    ("tensor(-2**63 - 1)", lambda lib: lib.tensor(-BIG - 1)),
    ("tensor([1, 2**63])", lambda lib: lib.tensor([1, BIG])),
    ("tensor([[1], [2**63]])", lambda lib: lib.tensor([[1], [BIG]])),
    ("tensor([True, 2**63])", lambda lib: lib.tensor([True, BIG])),
    ("tensor(2**100)", lambda lib: lib.tensor(2 ** 100)),
    ("tensor([1.5, 2**63])", lambda lib: lib.tensor([1.5, BIG])),
    ("tensor(2**63, float32)", lambda lib: lib.tensor(BIG, dtype=lib.float32)),
    ("tensor([2**100], float64)", lambda lib: lib.tensor([2 ** 100], dtype=lib.float64)),
    ("tensor([2**63], int64)", lambda lib: lib.tensor([BIG], dtype=lib.int64)),
    ("tensor([2**63], int32)", lambda lib: lib.tensor([BIG], dtype=lib.int32)),
    ("tensor(2**63, bool)", lambda lib: lib.tensor(BIG, dtype=lib.bool)),
    ("long + 2**63", lambda lib: lib.ones(3, dtype=lib.int64) + BIG),
    ("2**63 + long", lambda lib: BIG + lib.ones(3, dtype=lib.int64)),
    ("long - 2**63", lambda lib: lib.ones(3, dtype=lib.int64) - BIG),
    ("2**63 - long", lambda lib: BIG - lib.ones(3, dtype=lib.int64)),
    ("long * 2**63", lambda lib: lib.ones(3, dtype=lib.int64) * BIG),
    ("long * (2**64 - 1)", lambda lib: lib.ones(3, dtype=lib.int64) * (2 ** 64 - 1)),
    ("long + (2**63 + 5)", lambda lib: lib.tensor([-1, 0]) + (BIG + 5)),
    ("long.add(2**63)", lambda lib: lib.ones(2, dtype=lib.int64).add(BIG)),
    ("long.add_(2**63)", lambda lib: lib.ones(2, dtype=lib.int64).add_(BIG)),
    ("int32 + 2**63", lambda lib: lib.ones(2, dtype=lib.int32) + BIG),
    ("uint8 + 2**63", lambda lib: lib.ones(2, dtype=lib.uint8) + BIG),
    ("float + 2**63", lambda lib: lib.ones(2) + BIG),
    ("2**63 - float", lambda lib: BIG - lib.ones(2)),
    ("double * 2**63", lambda lib: lib.ones(2, dtype=lib.float64) * BIG),
    ("float.add_(2**63)", lambda lib: lib.ones(2).add_(BIG)),
    ("long == 2**63", lambda lib: lib.ones(2, dtype=lib.int64) == BIG),
    ("long != 2**63", lambda lib: lib.ones(2, dtype=lib.int64) != BIG),
    ("long < 2**63", lambda lib: lib.ones(2, dtype=lib.int64) < BIG),
    ("float == 2**63", lambda lib: lib.ones(2) == BIG),
    ("long + 2**64", lambda lib: lib.ones(2, dtype=lib.int64) + 2 ** 64),
    ("long + -2**63 - 1", lambda lib: lib.ones(2, dtype=lib.int64) + (-BIG - 1)),
    ("float * 2**100", lambda lib: lib.ones(2) * 2 ** 100),
    ("long == 2**100", lambda lib: lib.ones(2, dtype=lib.int64) == 2 ** 100),
    ("full(2**63)", lambda lib: lib.full((2,), BIG)),
    ("full(2**63, long)", lambda lib: lib.full((2,), BIG, dtype=lib.int64)),
    ("full(2**63, float32)", lambda lib: lib.full((2,), BIG, dtype=lib.float32)),
    ("full(2**100, float32)", lambda lib: lib.full((2,), 2 ** 100, dtype=lib.float32)),
    ("long.fill_(2**63)", lambda lib: lib.ones(2, dtype=lib.int64).fill_(BIG)),
    ("float.fill_(2**63)", lambda lib: lib.ones(2).fill_(BIG)),
    ("float.fill_(2**100)", lambda lib: lib.ones(2).fill_(2 ** 100)),
    ("where long", lambda lib: lib.where(lib.tensor([True, False]), lib.ones(2, dtype=lib.int64), BIG)),
    ("where float", lambda lib: lib.where(lib.tensor([True, False]), lib.ones(2), BIG)),
    ("clamp long", lambda lib: lib.ones(2, dtype=lib.int64).clamp(max=BIG)),
    ("clamp float", lambda lib: lib.ones(2).clamp(max=BIG)),
    ("clamp float 2**100", lambda lib: lib.ones(2).clamp(max=2 ** 100)),
    ("masked_fill long", lambda lib: lib.ones(2, dtype=lib.int64).masked_fill(lib.tensor([True, False]), BIG)),
    ("masked_fill float", lambda lib: lib.ones(2).masked_fill(lib.tensor([True, False]), BIG)),
    ("index_fill long", lambda lib: lib.ones(2, dtype=lib.int64).index_fill(0, lib.tensor([0]), BIG)),
    ("setitem long", lambda lib: lib.ones(2, dtype=lib.int64).__setitem__(0, BIG)),
    ("setitem float", lambda lib: lib.ones(2).__setitem__(0, BIG)),
    ("bool + 2**63", lambda lib: lib.ones(2, dtype=lib.bool) + BIG),
    ("int64 max + 1 wraps", lambda lib: lib.tensor([2 ** 63 - 1]) + 1),
    ("int64 product wraps", lambda lib: lib.tensor([2 ** 62, 3]) * 4),
    ("int64 min - 1 wraps", lambda lib: lib.tensor([-BIG]) - 1),
    ("2**62 + 1 is exact", lambda lib: lib.tensor([0]) + (2 ** 62 + 1)),
    ("where, two numbers", lambda lib: lib.where(lib.tensor([True, False]), BIG, 1)),
    ("where, two numbers swapped", lambda lib: lib.where(lib.tensor([True, False]), 1, BIG)),
    ("long.sub(2**63)", lambda lib: lib.ones(2, dtype=lib.int64).sub(BIG)),
    ("long += 2**63", lambda lib: (lambda t: (t.__iadd__(BIG), t)[1])(lib.ones(2, dtype=lib.int64))),
    ("long.clamp_(min=2**63)", lambda lib: lib.ones(2, dtype=lib.int64).clamp_(min=BIG)),
    ("float.masked_fill_(2**63)", lambda lib: lib.ones(2).masked_fill_(lib.tensor([True, False]), BIG)),
    ("float >= 2**63", lambda lib: lib.ones(2) >= BIG),
    ("long.eq(2**63)", lambda lib: lib.ones(2, dtype=lib.int64).eq(BIG)),
    ("full_like long", lambda lib: lib.full_like(lib.ones(2, dtype=lib.int64), BIG)),
    ("full_like float", lambda lib: lib.full_like(lib.ones(2), BIG)),
    ("index_fill float", lambda lib: lib.ones(2).index_fill(0, lib.tensor([0]), BIG)),
    ("fill_diagonal_ float", lambda lib: lib.zeros(2, 2).fill_diagonal_(BIG)),
    ("fill_diagonal_ long", lambda lib: lib.zeros(2, 2, dtype=lib.int64).fill_diagonal_(BIG)),
    ("long / 2**63", lambda lib: lib.ones(2, dtype=lib.int64) / BIG),
    ("2**63 / long", lambda lib: BIG / lib.ones(2, dtype=lib.int64)),
    ("float / 2**63", lambda lib: lib.ones(2) / BIG),
    ("long // 2**63", lambda lib: lib.ones(2, dtype=lib.int64) // BIG),
    ("long % 2**63", lambda lib: lib.ones(2, dtype=lib.int64) % BIG),
    ("long.remainder(2**63)", lambda lib: lib.ones(2, dtype=lib.int64).remainder(BIG)),
    ("long // 2**64", lambda lib: lib.ones(2, dtype=lib.int64) // 2 ** 64),
    # bitwise ops and shifts wrap a uint64 int into int64 as arithmetic does
    ("long & 2**63", lambda lib: lib.tensor([1, 2, -3]) & BIG),
    ("2**63 | long", lambda lib: BIG | lib.tensor([1, 2, -3])),
    ("long ^ (2**64 - 1)", lambda lib: lib.tensor([1, 2, -3]) ^ (2 ** 64 - 1)),
    ("long & 2**64", lambda lib: lib.tensor([1, 2, -3]) & 2 ** 64),
    ("long | -2**63 - 1", lambda lib: lib.tensor([1, 2, -3]) | (-BIG - 1)),
    ("int32 | 2**63", lambda lib: lib.tensor([1, 2], dtype=lib.int32) | BIG),
    ("int32 & (2**32 + 1)", lambda lib: lib.tensor([1, 2, 3], dtype=lib.int32) & (2 ** 32 + 1)),
    ("uint8 | 2**63", lambda lib: lib.tensor([1, 2], dtype=lib.uint8) | BIG),
    ("bool & 2**63", lambda lib: lib.ones(2, dtype=lib.bool) & BIG),
    ("float & 2**63", lambda lib: lib.ones(2) & BIG),
    ("long.bitwise_and(2**63)", lambda lib: lib.tensor([1, -1]).bitwise_and(BIG)),
    ("bitwise_and(2**63, long)", lambda lib: lib.bitwise_and(BIG, lib.tensor([1, -1]))),
    ("long.bitwise_or_(2**63)", lambda lib: lib.tensor([1, -1]).bitwise_or_(BIG)),
    ("long &= 2**63", lambda lib: (lambda t: (t.__iand__(BIG), t)[1])(lib.tensor([1, -1]))),
    ("long << 2**63", lambda lib: lib.tensor([1, 2]) << BIG),
    ("long >> 2**63", lambda lib: lib.tensor([1, -2]) >> BIG),
    ("2**63 << long", lambda lib: BIG << lib.tensor([0, 1])),
    ("long << 2**64", lambda lib: lib.tensor([1, 2]) << 2 ** 64),
    # integer powers: exponentiation by squaring on the whole int64 exponent, wrapping
    ("long ** 2**62", lambda lib: lib.tensor([1, 2, 3, -1, -3]) ** 2 ** 62),
    ("long ** (2**62 + 1)", lambda lib: lib.tensor([1, 2, 3, -1, -3]) ** (2 ** 62 + 1)),
    ("long ** (2**63 - 1)", lambda lib: lib.tensor([7, -3]) ** (2 ** 63 - 1)),
    ("long.pow(2**62)", lambda lib: lib.tensor([1, 2, 3]).pow(2 ** 62)),
    ("pow(long, 2**62)", lambda lib: lib.pow(lib.tensor([1, 2, 3]), 2 ** 62)),
    ("long.pow_(2**62)", lambda lib: lib.tensor([1, 2, 3]).pow_(2 ** 62)),
    ("long ** 2**63", lambda lib: lib.tensor([1, 2, 3]) ** BIG),
    ("long.pow_(2**63)", lambda lib: lib.tensor([1, 2, 3]).pow_(BIG)),
    ("long ** 2**64", lambda lib: lib.tensor([1, 2, 3]) ** 2 ** 64),
    ("long ** -2**63", lambda lib: lib.tensor([1, 2, 3]) ** -BIG),
    ("int32 ** 2**62", lambda lib: lib.tensor([1, 2], dtype=lib.int32) ** 2 ** 62),
    ("int32 ** 2**63", lambda lib: lib.tensor([1, 2], dtype=lib.int32) ** BIG),
    ("int32 ** (2**31 - 1)", lambda lib: lib.tensor([7, -1], dtype=lib.int32) ** (2 ** 31 - 1)),
    ("uint8 ** 256", lambda lib: lib.tensor([3], dtype=lib.uint8) ** 256),
    ("bool ** 2**63", lambda lib: lib.ones(2, dtype=lib.bool) ** BIG),
    ("float ** 2**63", lambda lib: lib.ones(2) ** BIG),
    ("long ** long tensor", lambda lib: lib.tensor([1, 2, 3, -3]) ** lib.tensor([2 ** 62, 2 ** 62 + 1, 2 ** 40, 2 ** 62 + 1])),
    ("int32 ** long tensor", lambda lib: lib.tensor([1, 2, 3], dtype=lib.int32) ** lib.tensor([2 ** 40])),
    ("2**63 ** long", lambda lib: BIG ** lib.tensor([1, 2])),
    ("(2**63 - 1) ** int32", lambda lib: (2 ** 63 - 1) ** lib.tensor([-3, 0, 2], dtype=lib.int32)),
    # arange from int bounds counts and computes in int64
    ("arange(2**62, 2**62 + 3)", lambda lib: lib.arange(2 ** 62, 2 ** 62 + 3)),
    ("arange(2**62, 2**62 + 3, 2)", lambda lib: lib.arange(2 ** 62, 2 ** 62 + 3, 2)),
    ("arange(2**63 - 3, 2**63 - 1)", lambda lib: lib.arange(2 ** 63 - 3, 2 ** 63 - 1)),
    ("arange(-2**63, -2**63 + 2)", lambda lib: lib.arange(-BIG, -BIG + 2)),
    ("arange(2**53 + 1, 2**53 + 4)", lambda lib: lib.arange(2 ** 53 + 1, 2 ** 53 + 4)),
    ("arange(2**63)", lambda lib: lib.arange(BIG)),
    ("arange(0, 10, 2**63)", lambda lib: lib.arange(0, 10, BIG)),
    ("arange(2**63, int32)", lambda lib: lib.arange(BIG, dtype=lib.int32)),
    ("arange(0, 2**63, 2**62, int32)", lambda lib: lib.arange(0, BIG, 2 ** 62, dtype=lib.int32)),
    ("arange(2**63, 2**63 + 2**11, 2**10, int32)", lambda lib: lib.arange(BIG, BIG + 2 ** 11, 2 ** 10, dtype=lib.int32)),
    ("arange(0, 2**63, 2**62)", lambda lib: lib.arange(0, BIG, 2 ** 62)),
    ("arange(2**64)", lambda lib: lib.arange(2 ** 64)),
    ("arange(-2**63 - 1, 0)", lambda lib: lib.arange(-BIG - 1, 0)),
    ("arange(2**62, 2**62 + 3, int32)", lambda lib: lib.arange(2 ** 62, 2 ** 62 + 3, dtype=lib.int32)),
    ("arange(2**62, 2**62 + 3, float64)", lambda lib: lib.arange(2 ** 62, 2 ** 62 + 3, dtype=lib.float64)),
    ("arange(2**62, 2**62 + 3.0)", lambda lib: lib.arange(2 ** 62, 2 ** 62 + 3.0)),
    ("arange(-2**63, 2**63 - 1, 2**62)", lambda lib: lib.arange(-BIG, BIG - 1, 2 ** 62)),
    ("arange(1, 2**63 - 1, 2**62)", lambda lib: lib.arange(1, BIG - 1, 2 ** 62)),
    ("arange(0, 2**62)", lambda lib: lib.arange(0, 2 ** 62)),
    ("arange(2**63 - 2)", lambda lib: lib.arange(BIG - 2)),
    ("arange(2**63, float64)", lambda lib: lib.arange(BIG, dtype=lib.float64)),
    ("arange(5, bool)", lambda lib: lib.arange(5, dtype=lib.bool)),
    # alpha
    ("long.add(alpha=2**62)", lambda lib: lib.tensor([1, 2]).add(lib.tensor([3]), alpha=2 ** 62)),
    ("long.sub_(alpha=2**62)", lambda lib: lib.tensor([1, 2]).sub_(lib.tensor([3]), alpha=2 ** 62)),
    ("long.add(alpha=2**63)", lambda lib: lib.tensor([1, 2]).add(lib.tensor([3]), alpha=BIG)),
    ("long.add(alpha=-2**63)", lambda lib: lib.tensor([1, 2]).add(lib.tensor([3]), alpha=-BIG)),
    ("long.add(alpha=2**64)", lambda lib: lib.tensor([1, 2]).add(lib.tensor([3]), alpha=2 ** 64)),
    ("int32.add(alpha=2**40)", lambda lib: lib.tensor([1], dtype=lib.int32).add(lib.tensor([1], dtype=lib.int32), alpha=2 ** 40)),
    ("int32.add(alpha=2**63)", lambda lib: lib.tensor([1], dtype=lib.int32).add(lib.tensor([1], dtype=lib.int32), alpha=BIG)),
    ("float.add(alpha=2**63)", lambda lib: lib.ones(2).add(lib.ones(2), alpha=BIG)),
    ("bool.add(alpha=2**63)", lambda lib: lib.ones(1, dtype=lib.bool).add(lib.ones(1, dtype=lib.bool), alpha=BIG)),
    ("bool.sub(alpha=2**63)", lambda lib: lib.ones(1, dtype=lib.bool).sub(lib.ones(1, dtype=lib.bool), alpha=BIG)),
    ("bool - 2**63", lambda lib: lib.ones(2, dtype=lib.bool) - BIG),
    ("2**63 - bool", lambda lib: BIG - lib.ones(2, dtype=lib.bool)),
    ("2**63 / bool", lambda lib: BIG / lib.tensor([True, False])),
    # division methods take uint64 ints as the operators do; in place, the result type is checked first
    ("long.div(2**63, floor)", lambda lib: lib.tensor([7, -7, 3]).div(BIG, rounding_mode="floor")),
    ("long.div(2**63, trunc)", lambda lib: lib.tensor([7, -7, 3]).div(BIG, rounding_mode="trunc")),
    ("long.div(2**63)", lambda lib: lib.tensor([1, 2]).div(BIG)),
    ("int32.div(2**63)", lambda lib: lib.tensor([1, 2], dtype=lib.int32).div(BIG)),
    ("bool.div(2**63)", lambda lib: lib.tensor([True]).div(BIG)),
    ("long.floor_divide(2**63)", lambda lib: lib.tensor([7, -7, 3]).floor_divide(BIG)),
    ("int32.floor_divide(2**63)", lambda lib: lib.tensor([7, -7], dtype=lib.int32).floor_divide(BIG)),
    ("long //= 2**63", lambda lib: (lambda t: (t.__ifloordiv__(BIG), t)[1])(lib.tensor([7, -7, 3]))),
    ("long.div_(2**63)", lambda lib: lib.tensor([1, 2]).div_(BIG)),
    ("long.remainder(2**63)", lambda lib: lib.tensor([4, 2]).remainder(BIG)),
    ("long.fmod(2**63)", lambda lib: lib.tensor([4, 2]).fmod(BIG)),
    ("long.fmod_(2**63)", lambda lib: lib.tensor([4, 2]).fmod_(BIG)),
    ("bool //= 0", lambda lib: (lambda t: (t.__ifloordiv__(0), t)[1])(lib.tensor([True]))),
    ("bool.remainder_(0)", lambda lib: lib.tensor([True]).remainder_(0)),
    ("bool.div_(0, trunc)", lambda lib: lib.tensor([True]).div_(0, rounding_mode="trunc")),
    # numbers past 2**53 written into int64 tensors stay exact
    ("full(2**62 + 1)", lambda lib: lib.full((2,), 2 ** 62 + 1)),
    ("full(2**53 + 1, float64)", lambda lib: lib.full((2,), 2 ** 53 + 1, dtype=lib.float64)),
    ("full_like(2**62 + 1)", lambda lib: lib.full_like(lib.zeros(2, dtype=lib.int64), 2 ** 62 + 1)),
    ("fill_(2**62 + 1)", lambda lib: lib.zeros(2, dtype=lib.int64).fill_(2 ** 62 + 1)),
    ("masked_fill(2**62 + 1)", lambda lib: lib.zeros(2, dtype=lib.int64).masked_fill(lib.tensor([True, False]), 2 ** 62 + 1)),
    ("setitem 2**62 + 1", lambda lib: (lambda t: (t.__setitem__(0, 2 ** 62 + 1), t)[1])(lib.zeros(2, dtype=lib.int64))),
    ("scatter 2**62 + 1", lambda lib: lib.zeros(2, dtype=lib.int64).scatter(0, lib.tensor([1]), 2 ** 62 + 1)),
    ("index_fill 2**62 + 1", lambda lib: lib.zeros(2, dtype=lib.int64).index_fill(0, lib.tensor([1]), 2 ** 62 + 1)),
    # clamp / where promote the number with the tensor first: a uint64 int cannot join bool
    ("bool.clamp(max=2**63)", lambda lib: lib.tensor([True]).clamp(max=BIG)),
    ("bool.clamp(min=2**63)", lambda lib: lib.tensor([True]).clamp(min=BIG)),
    ("bool.clamp_(2**63, 2**63)", lambda lib: lib.tensor([True]).clamp_(BIG, BIG)),
    ("bool.clip(max=2**63)", lambda lib: lib.tensor([True]).clip(max=BIG)),
    ("long.clamp(max=2**63)", lambda lib: lib.tensor([1, 2]).clamp(max=BIG)),
    ("float.clamp(max=2**63)", lambda lib: lib.tensor([1.0, 2.0]).clamp(max=BIG)),
    ("bool.clamp(max=2**64)", lambda lib: lib.tensor([True]).clamp(max=2 ** 64)),
    ("bool.clamp(min=-2**63 - 1)", lambda lib: lib.tensor([True]).clamp(min=-BIG - 1)),
    ("where(c, bool, 2**63)", lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([True, False]), BIG)),
    ("where(c, 2**63, bool)", lambda lib: lib.where(lib.tensor([True, False]), BIG, lib.tensor([True, False]))),
    ("bool.where(c, 2**63)", lambda lib: lib.tensor([True, False]).where(lib.tensor([True, False]), BIG)),
    ("where(c, long, 2**63)", lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1, 2]), BIG)),
    ("where(c, uint8, -2**63 - 1)", lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1, 2], dtype=lib.uint8), -BIG - 1)),
    # a fill keeps PyTorch's checked conversion: true for bool, overflow for integers
    ("bool.masked_fill(2**63)", lambda lib: lib.tensor([True, False]).masked_fill(lib.tensor([False, True]), BIG)),
    ("bool.scatter(2**63)", lambda lib: lib.tensor([False, False]).scatter(0, lib.tensor([1]), BIG)),
    ("long.scatter(2**63)", lambda lib: lib.tensor([1, 2]).scatter(0, lib.tensor([1]), BIG)),
    ("uint8.scatter_(2**64)", lambda lib: lib.tensor([1, 2], dtype=lib.uint8).scatter_(0, lib.tensor([1]), 2 ** 64)),
    ("float.scatter(-2**63 - 1)", lambda lib: lib.tensor([1.0, 2.0]).scatter(0, lib.tensor([1]), -BIG - 1)),
]


@pytest.mark.parametrize("name", [c[0] for c in BIG_INT_CASES])
def test_big_python_ints_match_torch(name):
    _same_as_torch(dict(BIG_INT_CASES)[name])


def test_big_python_ints():
    cases = dict(BIG_INT_CASES)
    run = lambda name: _outcome(rustgrad, cases[name])
    assert run("tensor(2**63)") == ("ValueError", "Overflow when unpacking long long")
    assert run("tensor([1, 2**63])") == ("ValueError", "Overflow when unpacking long long")
    assert run("tensor(-2**63)")[:2] == (-BIG, "int64")
    assert run("tensor([1.5, 2**63])")[:2] == ([1.5, float(BIG)], "float32")
    # integer tensors wrap the number into int64, as PyTorch's uint64 -> int64 cast
    assert run("long + 2**63")[:2] == ([1 - BIG] * 3, "int64")
    assert run("2**63 - long")[0] == [BIG - 1] * 3
    assert run("long + (2**63 + 5)")[0] == [-BIG + 4, -BIG + 5]
    assert run("float + 2**63")[:2] == ([float(BIG)] * 2, "float32")
    assert run("long == 2**63")[0] == [False, False]
    assert run("long + 2**64") == ("OverflowError", "int too big to convert")
    assert run("long + -2**63 - 1") == ("OverflowError", "can't convert negative int to unsigned")
    assert run("full(2**63)") == ("RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert run("where float")[0] == [1.0, float(BIG)]
    assert run("setitem float") == ("ValueError", "Overflow when unpacking long long")
    assert run("int64 max + 1 wraps")[0] == [-BIG]
    assert run("2**62 + 1 is exact")[0] == [2 ** 62 + 1]
    assert run("long & 2**63")[0] == [0, 0, -BIG]
    assert run("long ** 2**62")[:2] == ([1, 0, 1, 1, 1], "int64")
    assert run("long ** (2**62 + 1)")[0] == [1, 0, 3, -1, -3]
    assert run("long ** 2**63") == ("RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert run("int32 ** 2**62") == ("RuntimeError", "value cannot be converted to type int without overflow")
    assert run("arange(2**62, 2**62 + 3)")[:2] == ([2 ** 62, 2 ** 62 + 1, 2 ** 62 + 2], "int64")
    assert run("arange(2**63)") == ("RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert run("long.add(alpha=2**62)")[0] == [1 + 3 * 2 ** 62 - 2 ** 64, 2 + 3 * 2 ** 62 - 2 ** 64]
    assert run("long.add(alpha=2**63)") == ("RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert run("full(2**62 + 1)")[0] == [2 ** 62 + 1] * 2


def test_big_python_ints_in_promoting_ops():
    cases = dict(BIG_INT_CASES)
    run = lambda name: _outcome(rustgrad, cases[name])
    promotion = ("RuntimeError", "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote Bool and UInt64")
    for name in ["bool.clamp(max=2**63)", "bool.clamp(min=2**63)", "bool.clamp_(2**63, 2**63)", "bool.clip(max=2**63)",
                 "where(c, bool, 2**63)", "where(c, 2**63, bool)", "bool.where(c, 2**63)"]:
        assert run(name) == promotion, name
    assert run("long.clamp(max=2**63)") == ("RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert run("float.clamp(max=2**63)")[:2] == ([1.0, 2.0], "float32")
    assert run("bool.clamp(max=2**64)") == ("OverflowError", "int too big to convert")
    assert run("bool.clamp(min=-2**63 - 1)") == ("OverflowError", "can't convert negative int to unsigned")
    assert run("where(c, long, 2**63)") == ("RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert run("where(c, uint8, -2**63 - 1)") == ("OverflowError", "can't convert negative int to unsigned")
    assert run("bool.masked_fill(2**63)")[:2] == ([True, True], "bool")
    assert run("bool.scatter(2**63)")[:2] == ([False, True], "bool")
    assert run("long.scatter(2**63)") == ("RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert run("uint8.scatter_(2**64)") == ("OverflowError", "int too big to convert")
    assert run("float.scatter(-2**63 - 1)") == ("OverflowError", "can't convert negative int to unsigned")

