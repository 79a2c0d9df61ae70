"""Bad arguments raise PyTorch's exception type and exact message (the parser errors of methods
and function forms), and the overloads that used to be refused (`max(a, b)`, `where(cond)`)
behave as PyTorch's."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rustgrad
from _helpers import assert_error, assert_same_error_as_torch, check_against_torch, check_grads

EXAMPLES = settings(max_examples=6, deadline=None)


def t_of(lib):
    return lib.arange(6.0).reshape(2, 3)


# Each call raises under PyTorch; rustgrad must raise the same type with the same message.
CALLS = {
    # pow: the method and the function raise the parser's error instead of returning NotImplemented
    "pow_str": lambda lib: t_of(lib).pow("a"),
    "pow_none": lambda lib: t_of(lib).pow(None),
    "pow_list": lambda lib: t_of(lib).pow([1, "a"]),
    "pow_tuple": lambda lib: t_of(lib).pow(("a",)),
    "pow_dict": lambda lib: t_of(lib).pow({}),
    "pow_fn_str": lambda lib: lib.pow(t_of(lib), "a"),
    "pow_fn_none": lambda lib: lib.pow(t_of(lib), None),
    "pow_fn_str_base": lambda lib: lib.pow("a", t_of(lib)),
    "pow_fn_numbers": lambda lib: lib.pow(2, 3),
    "pow_inplace_str": lambda lib: t_of(lib).pow_("a"),
    "pow_operator": lambda lib: lib.ones(2) ** "a",
    "rpow_operator": lambda lib: "a" ** lib.ones(2),
    # function forms given a non-tensor input
    "neg_float": lambda lib: lib.neg(1.5),
    "sort_float": lambda lib: lib.sort(1.5),
    "sort_list": lambda lib: lib.sort([1, "a"]),
    "msort_none": lambda lib: lib.msort(None),
    "argsort_dict": lambda lib: lib.argsort({}),
    "median_str": lambda lib: lib.median("a"),
    "max_none_input": lambda lib: lib.max(None),
    # None where PyTorch wants an int / bool
    "median_none": lambda lib: t_of(lib).median(None),
    "median_fn_none": lambda lib: lib.median(t_of(lib), None),
    "median_kw_none": lambda lib: t_of(lib).median(dim=None),
    "median_keepdim_str": lambda lib: t_of(lib).median(0, "a"),
    "median_fn_keepdim_str": lambda lib: lib.median(t_of(lib), 0, "a"),
    "median_keepdim_only": lambda lib: t_of(lib).median(keepdim=True),
    "median_fn_too_many": lambda lib: lib.median(t_of(lib), "a", "b", "c"),
    "max_none": lambda lib: t_of(lib).max(None),
    "min_none": lambda lib: t_of(lib).min(None),
    "max_fn_none": lambda lib: lib.max(t_of(lib), None),
    "min_fn_none": lambda lib: lib.min(t_of(lib), None),
    "max_str": lambda lib: t_of(lib).max("a"),
    "max_keepdim_str": lambda lib: t_of(lib).max(0, "a"),
    "min_keepdim_str": lambda lib: t_of(lib).min(0, "a"),
    "max_other_and_keepdim": lambda lib: lib.max(t_of(lib), lib.ones(3), True),
    "prod_none": lambda lib: t_of(lib).prod(None),
    "prod_fn_none": lambda lib: lib.prod(t_of(lib), None),
    "prod_kw_none": lambda lib: t_of(lib).prod(dim=None),
    "prod_too_many": lambda lib: t_of(lib).prod("a", "b", "c"),
    "prod_fn_too_many": lambda lib: lib.prod(t_of(lib), "a", "b", "c"),
    "prod_keepdim_only": lambda lib: t_of(lib).prod(keepdim=True),
    "squeeze_none": lambda lib: t_of(lib).squeeze(None),
    "squeeze_fn_none": lambda lib: lib.squeeze(t_of(lib), None),
    "squeeze_kw_none": lambda lib: t_of(lib).squeeze(dim=None),
    "squeeze_str": lambda lib: t_of(lib).squeeze("a"),
    "squeeze_fn_two_ints": lambda lib: lib.squeeze(t_of(lib), 0, 1),
    "std_none_unbiased": lambda lib: t_of(lib).std(0, None),
    "var_none_unbiased": lambda lib: t_of(lib).var(0, None),
    "std_fn_none_unbiased": lambda lib: lib.std(t_of(lib), 0, None),
    "var_fn_none_unbiased": lambda lib: lib.var(t_of(lib), 0, None),
    "var_kw_none": lambda lib: t_of(lib).var(dim=None, unbiased=None),
    "var_none_keepdim": lambda lib: t_of(lib).var(0, True, None),
    "var_unbiased_and_correction": lambda lib: t_of(lib).var(0, True, correction=1),
    "std_strs": lambda lib: t_of(lib).std("a", "b", "c", "d"),
    "std_fn_strs": lambda lib: lib.std(t_of(lib), "a", "b", "c", "d"),
    "rsub_none_alpha": lambda lib: lib.rsub(t_of(lib), 0, None),
    "rsub_str_alpha": lambda lib: lib.rsub(t_of(lib), 0, "a"),
    "rsub_tensor_positional_alpha": lambda lib: lib.rsub(t_of(lib), t_of(lib), 2),
    "rsub_kw_none_alpha": lambda lib: lib.rsub(t_of(lib), 0, alpha=None),
    "rsub_number_input": lambda lib: lib.rsub(1, t_of(lib)),
    "contiguous_int": lambda lib: t_of(lib).contiguous(1),
    "contiguous_none": lambda lib: t_of(lib).contiguous(None),
    # data rustgrad.tensor / new_tensor cannot use: PyTorch's first complaint
    "tensor_none": lambda lib: lib.tensor(None),
    "tensor_dict": lambda lib: lib.tensor({}),
    "tensor_set": lambda lib: lib.tensor(set()),
    "tensor_object": lambda lib: lib.tensor(object()),
    "tensor_str": lambda lib: lib.tensor("a"),
    "tensor_bytes": lambda lib: lib.tensor(b"ab"),
    "tensor_tuple_str": lambda lib: lib.tensor(("a",)),
    "tensor_list_str": lambda lib: lib.tensor(["a"]),
    "tensor_list_none": lambda lib: lib.tensor([None]),
    "tensor_int_none": lambda lib: lib.tensor([1, None]),
    "tensor_nested_none": lambda lib: lib.tensor([[1], [None]]),
    "tensor_nested_dict": lambda lib: lib.tensor([[1], [{}]]),
    "tensor_float_object": lambda lib: lib.tensor([1.5, object()]),
    "tensor_str_row": lambda lib: lib.tensor([[1, 2], "ab"]),
    "tensor_str_in_row": lambda lib: lib.tensor([[1, 2], [3, "a"]]),
    "tensor_list_in_ints": lambda lib: lib.tensor([1, [2]]),
    "tensor_list_in_floats": lambda lib: lib.tensor([1.0, [2]]),
    "tensor_list_in_bools": lambda lib: lib.tensor([True, [2]]),
    "tensor_not_a_sequence": lambda lib: lib.tensor([[1], 2]),
    "tensor_ragged": lambda lib: lib.tensor([[1], [2, 3]]),
    "tensor_none_float32": lambda lib: lib.tensor(None, dtype=lib.float32),
    "tensor_str_row_int64": lambda lib: lib.tensor([[1, 2], "ab"], dtype=lib.int64),
    "tensor_none_in_bools": lambda lib: lib.tensor([1, None], dtype=lib.bool),
    "new_tensor_none": lambda lib: t_of(lib).new_tensor(None),
    "new_tensor_dict": lambda lib: t_of(lib).new_tensor({}),
    "new_tensor_tuple_str": lambda lib: t_of(lib).new_tensor(("a",)),
    "new_tensor_list_none": lambda lib: t_of(lib).new_tensor([None]),
    "new_tensor_object": lambda lib: t_of(lib).new_tensor([1, object()]),
    "new_tensor_missing": lambda lib: t_of(lib).new_tensor(),
    # where
    "where_str": lambda lib: lib.where("a"),
    "where_two_args": lambda lib: lib.where(t_of(lib) > 2, 1),
    "where_str_input": lambda lib: lib.where(t_of(lib), "a"),
    "where_none_other": lambda lib: lib.where(t_of(lib) > 2, t_of(lib), None),
    # type / einsum / arange / full_like / norm / normal_ / uniform_
    "type_unknown": lambda lib: t_of(lib).type("a"),
    "einsum_equation_only": lambda lib: lib.einsum("ij"),
    "einsum_nothing": lambda lib: lib.einsum(),
    "einsum_tensor_only": lambda lib: lib.einsum(t_of(lib)),
    "einsum_sublist_dict": lambda lib: lib.einsum(t_of(lib), {}),
    "einsum_none_equation": lambda lib: lib.einsum(None, t_of(lib)),
    "einsum_float_equation": lambda lib: lib.einsum(1.5, t_of(lib)),
    "einsum_list_equation": lambda lib: lib.einsum([t_of(lib)], "a"),
    "einsum_str_operand": lambda lib: lib.einsum("ij", t_of(lib), "a"),
    "arange_tensor_str": lambda lib: lib.arange(t_of(lib), "a"),
    "arange_tensor": lambda lib: lib.arange(lib.ones(2)),
    "arange_grad_scalar": lambda lib: lib.arange(lib.tensor(3.0, requires_grad=True)),
    "arange_none_step": lambda lib: lib.arange(t_of(lib), 0, None),
    "arange_none_end": lambda lib: lib.arange(5, None),
    "full_like_tensor": lambda lib: lib.full_like(t_of(lib), lib.ones(2)),
    "full_like_str": lambda lib: lib.full_like(t_of(lib), "a"),
    "norm_tensor": lambda lib: t_of(lib).norm(lib.ones(2)),
    "norm_fn_tensor": lambda lib: lib.norm(t_of(lib), lib.ones(2)),
    "norm_list": lambda lib: t_of(lib).norm([1, "a"]),
    "norm_complex": lambda lib: t_of(lib).norm(1.5j),
    "normal_tensor_mean": lambda lib: t_of(lib).normal_(lib.ones(2)),
    "normal_tensor_std": lambda lib: t_of(lib).normal_(0, lib.ones(2)),
    "normal_str": lambda lib: t_of(lib).normal_("a"),
    "normal_kw_none": lambda lib: t_of(lib).normal_(std=None),
    "uniform_tensor_from": lambda lib: t_of(lib).uniform_(lib.ones(2)),
    "uniform_tensor_to": lambda lib: t_of(lib).uniform_(0, lib.ones(2)),
    "uniform_three": lambda lib: t_of(lib).uniform_(1, 2, 3),
    # bitwise ops report the broadcast error before the float refusal
    "bitwise_and_shape": lambda lib: t_of(lib).bitwise_and(lib.ones(2)),
    "bitwise_or_inplace_shape": lambda lib: t_of(lib).bitwise_or_(lib.ones(2)),
    "bitwise_left_shift_shape": lambda lib: lib.bitwise_left_shift(t_of(lib), lib.ones(2)),
    "bitwise_right_shift_inplace_shape": lambda lib: t_of(lib).bitwise_right_shift_(lib.ones(2)),
    "bitwise_xor_float": lambda lib: t_of(lib).bitwise_xor(lib.ones(3)),
    # methods moved onto the argument parser
    "size_str": lambda lib: t_of(lib).size("a"),
    "size_two": lambda lib: t_of(lib).size(0, "a"),
    "stride_float": lambda lib: t_of(lib).stride(1.5),
    "roll_str": lambda lib: t_of(lib).roll("a"),
    "roll_dims_str": lambda lib: t_of(lib).roll(1, "a"),
    "roll_three": lambda lib: t_of(lib).roll(1, 2, 3),
    "roll_missing": lambda lib: t_of(lib).roll(),
    "roll_fn_str": lambda lib: lib.roll(t_of(lib), "a"),
    "roll_fn_missing": lambda lib: lib.roll(t_of(lib)),
    "repeat_str": lambda lib: t_of(lib).repeat("a"),
    "repeat_none": lambda lib: t_of(lib).repeat(None),
    "repeat_int_str": lambda lib: t_of(lib).repeat(1, "a"),
    "repeat_missing": lambda lib: t_of(lib).repeat(),
    "flip_missing": lambda lib: t_of(lib).flip(),
    "flip_str": lambda lib: t_of(lib).flip("a"),
    "flip_int_str": lambda lib: t_of(lib).flip(0, "a"),
    "flip_tuple_str": lambda lib: t_of(lib).flip(("a",)),
    "flip_fn_str": lambda lib: lib.flip(t_of(lib), "a"),
    "flip_fn_two_ints": lambda lib: lib.flip(t_of(lib), 0, 1),
    "narrow_four": lambda lib: t_of(lib).narrow(0, 0, 1, 1),
    "narrow_str": lambda lib: t_of(lib).narrow("a"),
    "narrow_none": lambda lib: t_of(lib).narrow(0, None),
    "narrow_fn_str": lambda lib: lib.narrow(t_of(lib), "a"),
    "gather_three": lambda lib: t_of(lib).gather(0, lib.zeros(1, 3, dtype=lib.int64), True),
    "gather_str": lambda lib: t_of(lib).gather("a"),
    "gather_index_str": lambda lib: t_of(lib).gather(0, "a"),
    "gather_fn_str": lambda lib: lib.gather(t_of(lib), "a"),
    "gather_fn_input_str": lambda lib: lib.gather("a"),
    "gather_fn_missing": lambda lib: lib.gather(t_of(lib)),
    "index_select_none": lambda lib: t_of(lib).index_select(None),
    "index_select_list": lambda lib: t_of(lib).index_select(0, [1]),
    "index_select_fn_str": lambda lib: lib.index_select(t_of(lib), "a"),
    # elementwise max/min with a tensor: broadcasting errors
    "max_tensor_broadcast": lambda lib: t_of(lib).max(lib.ones(2)),
    "min_fn_tensor_broadcast": lambda lib: lib.min(t_of(lib), lib.ones(2)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_error_matches_torch(name):
    assert_same_error_as_torch(CALLS[name])


def test_pow_method_raises_instead_of_returning_not_implemented():
    t = rustgrad.ones(2)
    with pytest.raises(TypeError, match=r"^pow\(\) received an invalid combination of arguments - got \(str\)"):
        t.pow("a")
    with pytest.raises(TypeError, match=r"^pow\(\) received an invalid combination of arguments - got \(Tensor, NoneType\)"):
        rustgrad.pow(t, None)
    # the operator still lets Python raise its own error
    assert t.__pow__("a") is NotImplemented
    assert_error(lambda lib: t ** "a", TypeError, "unsupported operand type(s) for ** or pow(): 'Tensor' and 'str'")
    assert rustgrad.pow(2, rustgrad.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]


def test_function_forms_refuse_numbers():
    assert_error(lambda lib: lib.neg(1.5), TypeError, "neg(): argument 'input' (position 1) must be Tensor, not float")
    assert_error(lambda lib: lib.msort("a"), TypeError, "msort(): argument 'input' (position 1) must be Tensor, not str")
    assert rustgrad.neg(rustgrad.tensor([1.0, -2.0])).tolist() == [-1.0, 2.0]


def test_none_is_refused_where_an_int_is_required():
    t = rustgrad.arange(6.0).reshape(2, 3)
    assert_error(lambda lib: t.median(None), TypeError, "median(): argument 'dim' (position 1) must be int, not NoneType")
    assert_error(lambda lib: t.contiguous(None), TypeError, "contiguous() takes 0 positional arguments but 1 was given")
    with pytest.raises(TypeError, match=r"^prod\(\) received an invalid combination"):
        t.prod(None)
    with pytest.raises(TypeError, match=r"^var\(\) received an invalid combination"):
        t.var(0, None)
    # the accepted spellings still work
    assert t.var(None).item() == pytest.approx(3.5)
    assert t.squeeze(0, 1).shape == (2, 3)
    assert t.prod(1, keepdim=True).tolist() == [[0.0], [60.0]]
    assert t.std(1, False, True).shape == (2, 1)
    assert t.var(True).item() == pytest.approx(3.5)
    assert t.var(dim=[0, 1], correction=0).item() == pytest.approx(35 / 12)
    assert t.median(1, keepdim=True).values.tolist() == [[1.0], [4.0]]
    assert rustgrad.rsub(t, 1, alpha=2).tolist() == [[1.0, -1.0, -3.0], [-5.0, -7.0, -9.0]]


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_a_tensor_are_elementwise(name):
    a = rustgrad.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], requires_grad=True)
    b = rustgrad.tensor([2.0, 2.0, 4.0], requires_grad=True)
    expected = np.maximum if name == "max" else np.minimum
    for out in (getattr(rustgrad, name)(a, b), getattr(a, name)(b), getattr(rustgrad, name)(a, other=b)):
        assert out.tolist() == expected(np.array(a.tolist()), np.array(b.tolist())).tolist()
        assert type(out.grad_fn).__name__ == ("MaximumBackward0" if name == "max" else "MinimumBackward0")
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of tensor b \\(2\\)"):
        getattr(a, name)(rustgrad.ones(2))


@EXAMPLES
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
    name=st.sampled_from(["max", "min"]),
    seed=st.integers(0, 2**16),
)
def test_max_min_with_a_tensor_grads(shape, name, seed):
    rng = np.random.default_rng(seed)
    # distinct values: the gradient of max/min has a kink where the inputs tie
    values = rng.permutation(2 * int(np.prod(shape))).astype(np.float64) / 3
    a, b = values[: values.size // 2].reshape(shape), values[values.size // 2 :].reshape(shape)
    b_row = b.reshape(-1)[: shape[-1]]  # broadcast along the leading dims
    check_grads(lambda x, y: getattr(rustgrad, name)(x, y), a, b_row)
    check_grads(lambda x, y: getattr(x, name)(y), a, b)
    check_against_torch(lambda lib, x, y: getattr(lib, name)(x, y), a, b_row)


def test_tensor_data_errors():
    assert_error(lambda lib: lib.tensor(None), RuntimeError, "Could not infer dtype of NoneType")
    assert_error(lambda lib: lib.tensor({}), RuntimeError, "Could not infer dtype of dict")
    assert_error(lambda lib: lib.tensor(("a",)), ValueError, "too many dimensions 'str'")
    assert_error(lambda lib: lib.tensor([[1, 2], "ab"]), TypeError, "new(): invalid data type 'str'")
    assert_error(lambda lib: lib.ones(2).new_tensor(None), TypeError, "must be real number, not NoneType")
    assert_error(lambda lib: lib.ones(2, dtype=lib.int64).new_tensor([None]), TypeError, "'NoneType' object cannot be interpreted as an integer")
    # accepted data is unchanged
    assert rustgrad.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert rustgrad.tensor([1, 1.5], dtype=rustgrad.int64).tolist() == [1, 1]


def test_where_with_a_condition_only():
    t = rustgrad.tensor([[0.0, 1.0, 2.0], [3.0, 0.0, float("nan")]])
    rows, cols = rustgrad.where(t)
    assert rows.tolist() == [0, 0, 1, 1] and cols.tolist() == [1, 2, 0, 2]
    assert rows.dtype == rustgrad.int64 and not rows.requires_grad
    assert [c.tolist() for c in rustgrad.where(t > 1)] == [[0, 1], [2, 0]]
    assert [c.tolist() for c in rustgrad.where(condition=t > 2)] == [[1], [0]]
    assert [c.tolist() for c in rustgrad.where(rustgrad.tensor(True))] == [[0]]
    assert [c.tolist() for c in rustgrad.where(rustgrad.zeros(0, 3))] == [[], []]
    assert rustgrad.where(t > 1, t, -t).tolist()[0] == [-0.0, -1.0, 2.0]


def test_einsum_sublist_form():
    a = rustgrad.arange(6.0).reshape(2, 3)
    b = rustgrad.arange(12.0).reshape(3, 4)
    expected = (a @ b).tolist()
    assert rustgrad.einsum(a, [0, 1], b, [1, 2], [0, 2]).tolist() == expected
    assert rustgrad.einsum("ij,jk->ik", [a, b]).tolist() == expected
    assert rustgrad.einsum(a, [Ellipsis, 1], b, [1, 2]).tolist() == expected
    with pytest.raises(ValueError, match=r"^einsum\(\): subscript in subscript list is not within the valid range \[0, 52\)$"):
        rustgrad.einsum(a, [0, 60])
    assert_error(lambda lib: lib.einsum("ij"), ValueError,
                 "einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list")


def test_random_fills_and_creation_take_zero_dim_tensors():
    t = rustgrad.zeros(1000)
    t.normal_(rustgrad.tensor(5.0), 0.5)
    assert 4.8 < t.mean().item() < 5.2
    t.uniform_(2, to=3)
    assert 2 <= t.min().item() and t.max().item() < 3
    assert rustgrad.arange(rustgrad.tensor(3)).tolist() == [0, 1, 2]
    assert rustgrad.full_like(rustgrad.ones(2), rustgrad.tensor(2.5)).tolist() == [2.5, 2.5]
    assert rustgrad.tensor([3.0, 4.0]).norm(rustgrad.tensor(2.0)).item() == pytest.approx(5.0)
    assert_error(lambda lib: lib.ones(2).type("a"), ValueError, "invalid type: 'a'")


def test_parser_methods_keep_their_spellings():
    t = rustgrad.arange(6.0).reshape(2, 3)
    assert t.size(None) == (2, 3) and t.size(dim=-1) == 3 and t.size(rustgrad.tensor(0)) == 2
    assert t.stride(None) == (3, 1) and t.stride(0) == 3
    assert t.roll(1).tolist() == [[5.0, 0.0, 1.0], [2.0, 3.0, 4.0]]
    assert t.roll(1, None).tolist() == t.roll(1).tolist()
    assert t.roll((1, 1), (0, 1)).tolist() == rustgrad.roll(t, shifts=(1, 1), dims=(0, 1)).tolist()
    assert t.repeat(2, 1).shape == t.repeat((2, 1)).shape == (4, 3)
    assert t.flip(0, 1).tolist() == t.flip([0, 1]).tolist() == rustgrad.flip(t, (0, 1)).tolist()
    assert t.narrow(1, rustgrad.tensor(1), 2).tolist() == rustgrad.narrow(t, 1, 1, 2).tolist() == [[1.0, 2.0], [4.0, 5.0]]
    index = rustgrad.tensor([[2], [0]])
    assert t.gather(1, index=index, sparse_grad=False).tolist() == rustgrad.gather(t, 1, index).tolist() == [[2.0], [3.0]]
    assert t.index_select(dim=1, index=rustgrad.tensor([0, 2])).tolist() == [[0.0, 2.0], [3.0, 5.0]]


# The top-level aliases of nn.functional ops take PyTorch's signatures, and these functions refuse
# non-tensors with its parser's TypeError (not an AttributeError from inside the composition).
ALIAS_CALLS = [
    lambda L: L.celu(L.ones(2), 1.0, True),
    lambda L: L.celu("a"),
    lambda L: L.hardshrink(L.ones(2), 0.5, 1),
    lambda L: L.group_norm("a", 2),
    lambda L: L.group_norm(L.ones(2, 4), 0),
    lambda L: L.group_norm(L.ones(2, 4), 2, None, "b"),
    lambda L: L.cosine_similarity(L.ones(2, 3), 1),
    lambda L: L.selu_(L.ones(2), 1),
    lambda L: L.selu("a"),
    lambda L: L.prelu("a", L.ones(1)),
    lambda L: L.nn.functional.prelu(L.ones(2), 1.0),
    lambda L: L.nn.functional.cosine_similarity(L.ones(2, 3), L.ones(2, 3), "a"),
    lambda L: L.meshgrid(L.ones(2), 1.5, indexing="ij"),
    lambda L: L.meshgrid(None, indexing="ij"),
    lambda L: L.pairwise_distance(L.ones(2), "a"),
    lambda L: L.nn.functional.group_norm(L.ones(2, 4), 2, "a"),
    lambda L: L.nn.functional.group_norm(L.ones(2, 4), 0),  # PyTorch's Python form divides by zero first
]


@pytest.mark.parametrize("index", range(len(ALIAS_CALLS)))
def test_alias_and_composed_function_errors_match_torch(index):
    assert_same_error_as_torch(ALIAS_CALLS[index])


def test_top_level_aliases_compute_the_functional_ops():
    x = rustgrad.tensor([[-1.0, 0.5, 2.0, -3.0]])
    F = rustgrad.nn.functional
    assert rustgrad.celu(x, 0.5).tolist() == F.celu(x, 0.5).tolist()
    assert rustgrad.selu(x).tolist() == F.selu(x).tolist()
    assert rustgrad.hardshrink(x, 1.0).tolist() == [[0.0, 0.0, 2.0, -3.0]]
    assert rustgrad.group_norm(x, 2).tolist() == F.group_norm(x, 2).tolist()


# ----- session 8: the sweep's remaining type differences -----
SWEEP_CALLS = [
    # var_mean / std_mean: PyTorch's three overloads refuse a None or a non-bool `unbiased`
    lambda L: L.var_mean(t_of(L), 0, None),
    lambda L: L.std_mean(t_of(L), 0, None),
    lambda L: L.var_mean(t_of(L), 0, "a"),
    lambda L: L.std_mean(t_of(L), 0, 1.5),
    lambda L: L.var_mean(t_of(L), {}),
    lambda L: L.std_mean(t_of(L), 0, L.ones(2)),
    lambda L: L.var_mean(t_of(L), 0, True, True, True),
    lambda L: L.var_mean(t_of(L), unbiased=True, correction=1),
    lambda L: L.std_mean("a"),
    # a tensor where a number is expected
    lambda L: L.nan_to_num(t_of(L), L.ones(2)),
    lambda L: L.nan_to_num(t_of(L), 0, L.ones(2)),
    lambda L: L.nan_to_num_(t_of(L), neginf=L.ones(2)),
    lambda L: t_of(L).nan_to_num(L.ones(2)),
    lambda L: t_of(L).nan_to_num_(0, L.ones(2)),
    lambda L: t_of(L).nan_to_num(nan="a"),
    lambda L: t_of(L).nan_to_num(0, 1, 2, 3),
    lambda L: L.nan_to_num("a"),
    lambda L: L.histc(t_of(L), 0, L.ones(2)),
    lambda L: L.histc(t_of(L), "a"),
    lambda L: t_of(L).histc(0, L.ones(2)),
    lambda L: t_of(L).histc(bins=1.5),
    lambda L: L.logit(t_of(L), L.ones(2)),
    lambda L: t_of(L).logit(L.ones(2)),
    lambda L: t_of(L).logit(eps="a"),
    lambda L: L.hardshrink(t_of(L), L.ones(2)),
    lambda L: L.nn.functional.hardshrink(t_of(L), L.ones(2)),
    lambda L: L.celu(t_of(L), L.ones(2)),
    lambda L: L.celu_(t_of(L), "a"),
    lambda L: L.nn.functional.celu(t_of(L), L.ones(2)),
    lambda L: L.group_norm(t_of(L), 0, "a"),
    lambda L: L.group_norm(t_of(L), L.ones(2)),
    lambda L: L.group_norm(t_of(L), 1, None, None, "a"),
    # cpu() takes no positional argument; cuda() parses its device first
    lambda L: t_of(L).cpu(0),
    lambda L: t_of(L).cpu("a", 1),
    lambda L: t_of(L).cpu(memory_format=1),
    lambda L: t_of(L).cpu(x=1),
    lambda L: t_of(L).cuda("a"),
    lambda L: t_of(L).cuda("cpu"),
    lambda L: t_of(L).cuda(L.device("cpu")),
    lambda L: t_of(L).cuda(1.5),
    lambda L: t_of(L).cuda(None, "a"),
    lambda L: t_of(L).cuda(0, None),
    lambda L: t_of(L).cuda(1, 2, 3),
    lambda L: t_of(L).cuda(x=1),
    # the deprecated add(alpha, other) overload: PyTorch's parser refusals around it
    lambda L: t_of(L).add(2, "a"),
    lambda L: t_of(L).add(2, None),
    lambda L: t_of(L).add("a", L.ones(3)),
    lambda L: t_of(L).add(2, L.ones(3), alpha=3),
    lambda L: t_of(L).sub_({}, "b"),
    lambda L: t_of(L).add("a", "b", "c"),
    lambda L: L.add(t_of(L), 2, L.ones(3), alpha=3),
    lambda L: L.sub(t_of(L), 2, "a"),
    lambda L: t_of(L).add(0, L.ones(2)),
    lambda L: L.sub(t_of(L), 0, L.ones(2)),
    # to(number): the number stands for a tensor (its dtype); an int is a device index
    lambda L: t_of(L).to(2),
    lambda L: t_of(L).to(1.5, L.float64),
    # clamp_min with a tensor bound broadcasts; anything else is refused with both overloads
    lambda L: t_of(L).clamp_min(L.ones(2)),
    lambda L: t_of(L).clamp_min_(L.ones(2)),
    lambda L: t_of(L).clamp_min("a"),
    lambda L: t_of(L).clamp_min_(None),
    # searchsorted: both overloads listed
    lambda L: L.searchsorted(t_of(L), None),
    lambda L: L.searchsorted(t_of(L), ("a",)),
    lambda L: L.searchsorted(t_of(L), {}),
    lambda L: L.searchsorted(t_of(L), "a"),
    lambda L: L.searchsorted("a"),
    lambda L: L.searchsorted(t_of(L), 0, L.ones(2)),
    lambda L: L.searchsorted(t_of(L), L.ones(2, 2), right="a"),
    lambda L: L.searchsorted(t_of(L), L.ones(2, 2), sorter=1),
    # unique: a tensor flag is tested for truth first
    lambda L: L.unique(t_of(L), 0, L.ones(2)),
    lambda L: t_of(L).unique(0, L.ones(2)),
    # all/any, argsort, bincount: PyTorch's parser errors (overload listings for all/any/argsort)
    lambda L: t_of(L).all(0, "a"),
    lambda L: t_of(L).any("a"),
    lambda L: t_of(L).all(x=1),
    lambda L: t_of(L).any(dim=[0, "a"]),
    lambda L: t_of(L).all(0, True, 1),
    lambda L: L.all(t_of(L), 0, "a"),
    lambda L: L.any(t_of(L), 1.5),
    lambda L: L.all("a"),
    lambda L: t_of(L).argsort("a"),
    lambda L: t_of(L).argsort(0, "a"),
    lambda L: t_of(L).argsort(stable=1),
    lambda L: t_of(L).argsort(dim=None),
    lambda L: L.argsort(t_of(L), "a"),
    lambda L: L.argsort(t_of(L), stable="a"),
    lambda L: L.argsort("a"),
    lambda L: t_of(L).long().bincount("a"),
    lambda L: t_of(L).long().bincount(None, "a"),
    lambda L: t_of(L).long().bincount(minlength=1.5),
    lambda L: L.bincount(t_of(L).long(), 0, "a"),
    lambda L: L.bincount(t_of(L).long(), weights="a"),
    lambda L: L.bincount("a"),
]


@pytest.mark.parametrize("index", range(len(SWEEP_CALLS)))
def test_sweep_leftovers_match_torch(index):
    assert_same_error_as_torch(SWEEP_CALLS[index])


def test_deprecated_add_overload_computes_as_torch():
    torch = pytest.importorskip("torch")
    import warnings

    for make in (lambda L, a, b: a.add(2, b), lambda L, a, b: a.sub(0.5, b), lambda L, a, b: L.add(a, 3, b),
                 lambda L, a, b: L.sub(a, 2, b), lambda L, a, b: (a * 1).add_(2, b), lambda L, a, b: (a * 1).sub_(-1, b),
                 lambda L, a, b: a.add(2, 1.5), lambda L, a, b: a.add(L.tensor(2.0), b)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_against_torch(lambda L, a, b: make(L, a, b), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.5, -1.0, 2.0])
            ours, theirs = (make(L, L.ones(2, 3, requires_grad=True), L.ones(3)) for L in (rustgrad, torch))
            assert ours.grad_fn.name() == theirs.grad_fn.name()


def test_deprecated_overload_warns_once_per_process_as_torch():
    # PyTorch's TORCH_WARN_ONCE: only the first deprecated call of the process warns, whichever it is
    # (its "(Triggered internally at ...)" suffix names its own C++ source and is left out)
    import subprocess
    import sys

    pytest.importorskip("torch")
    script = ("import warnings, {lib} as L\n"
              "with warnings.catch_warnings(record=True) as w:\n"
              "    warnings.simplefilter('always')\n"
              "    t = L.ones(3)\n"
              "    t.{first}(2, t); t.add(2, t); L.add(t, 2, t)\n"
              "print(len(w), w[0].category.__name__, str(w[0].message).split(' (Triggered')[0].replace('torch.', 'L.'))\n")
    def run(lib, first):
        return subprocess.run([sys.executable, "-c", script.format(lib=lib, first=first)], capture_output=True, text=True,
                              check=True).stdout

    theirs = run("torch", "sub_")
    assert run("rustgrad", "sub_") == theirs and theirs.startswith("1 UserWarning This overload of sub_")
    # an add() call first: the same text for add
    assert run("rustgrad", "add") == theirs.replace("sub_", "add")


def test_to_a_number_takes_its_dtype():
    t = rustgrad.arange(3)
    assert t.to(1.5).dtype == rustgrad.float64 and t.to(1.5).tolist() == [0.0, 1.0, 2.0]
    assert t.to(True).dtype == rustgrad.bool and t.to(True).tolist() == [False, True, True]
    check_against_torch(lambda L, a: a.to(2.5) * 2, [1.0, 2.0], dtype="float32")


def test_cpu_returns_the_tensor_itself():
    t = rustgrad.ones(2)
    assert t.cpu() is t and t.cpu(memory_format=None) is t


@EXAMPLES
@given(st.sampled_from([((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)), ((4,), ())]), st.integers(0, 2**16))
def test_clamp_min_with_a_tensor_bound(shapes, seed):
    rng = np.random.default_rng(seed)
    x, m = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    check_grads(lambda a, b: a.clamp_min(b), x, m)
    check_against_torch(lambda L, a, b: a.clamp_min(b), x, m)
    if np.broadcast_shapes(shapes[0], shapes[1]) == shapes[0]:
        check_against_torch(lambda L, a, b: (a * 1).clamp_min_(b), x, m)
        t = rustgrad.tensor(x)
        assert t.clamp_min_(rustgrad.tensor(m)) is t and t._version == 1
        np.testing.assert_array_equal(t.numpy(), np.maximum(x, m))
    torch = pytest.importorskip("torch")
    for L in (rustgrad, torch):
        a, b = L.tensor(x.tolist(), requires_grad=True), L.tensor(m.tolist(), requires_grad=True)
        node = a.clamp_min(b).grad_fn
        assert node.name() == "ClampMinBackward1" and node._saved_self is a and node._saved_min is b


def test_all_any_argsort_bincount_spellings_compute():
    torch = pytest.importorskip("torch")
    x = [[3.0, 0.0, 1.0], [2.0, 2.0, 0.0]]
    for make in (lambda L, t: t.all(), lambda L, t: t.any(1), lambda L, t: t.all(dim=0, keepdim=True),
                 lambda L, t: L.any(t, (0, 1)), lambda L, t: L.all(t, None), lambda L, t: t.any(-1, True),
                 lambda L, t: t.argsort(), lambda L, t: t.argsort(0, True), lambda L, t: t.argsort(dim=1, stable=True),
                 lambda L, t: L.argsort(t, descending=True, stable=False), lambda L, t: L.argsort(t, 0),
                 lambda L, t: t.long().flatten().bincount(), lambda L, t: L.bincount(t.long().flatten(), minlength=6),
                 lambda L, t: t.long().flatten().bincount(t.flatten(), 2), lambda L, t: L.bincount(t.long().flatten(), None, 5)):
        ours, theirs = make(rustgrad, rustgrad.tensor(x)), make(torch, torch.tensor(x))
        assert str(ours) == str(theirs).replace("torch.", "rustgrad.")


def test_the_parser_helpers_refuse_an_unregistered_name_with_a_key_error():
    from rustgrad import _core
    for helper in (_core._arg_error, _core._arg_bind):
        with pytest.raises(KeyError, match="no signatures for no_such_function"):
            helper("no_such_function", (1,), None)
