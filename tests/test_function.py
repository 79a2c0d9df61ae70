"""Custom autograd Functions (spec section 7): old and new style, the ctx API, gradient
validation, once_differentiable, printing of the generated ``<Name>Backward`` nodes.

Every test runs against rustgrad and, when it is installed, against PyTorch itself (the ``lib``
fixture), so the expected strings are checked to be PyTorch's (with ``torch`` spelt ``rustgrad``).
"""

import gc
import re
import warnings
import weakref

import pytest

import rustgrad

ADDRESS = r"0x[0-9a-f]+"
SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)
NO_BACKWARD = (
    "You must implement either the backward or vjp method for your custom autograd.Function "
    "to use it with backward mode AD."
)


@pytest.fixture(params=["rustgrad", "torch"])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip("torch")
    return rustgrad


def square_fn(lib):
    class MySquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_out):
            x, = ctx.saved_tensors
            return 2 * x * grad_out

    return MySquare


def mul_fn(lib):
    class MyMul(lib.autograd.Function):
        @staticmethod
        def forward(x, y, scale):
            return x * y * scale

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, y, scale = inputs
            ctx.save_for_backward(x, y)
            ctx.scale = scale

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            ctx.seen_needs = ctx.needs_input_grad
            return g * y * ctx.scale, g * x * ctx.scale, None

    return MyMul


def identity_fn(lib, name="Ident"):
    def forward(ctx, x):
        return x

    def backward(ctx, g):
        return g

    return type(name, (lib.autograd.Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})


# ----- 7.1 old style -----


def test_old_style_output_and_grad(lib):
    MySquare = square_fn(lib)
    x = lib.tensor([2.0, 3.0], requires_grad=True)
    y = MySquare.apply(x)
    assert repr(y) == "tensor([4., 9.], grad_fn=<MySquareBackward>)"
    y.sum().backward()
    assert repr(x.grad) == "tensor([4., 6.])"


def test_grad_fn_class_and_printing(lib):
    mod = lib.__name__
    MySquare = square_fn(lib)
    y = MySquare.apply(lib.tensor([2.0, 3.0], requires_grad=True))
    assert re.fullmatch(rf"<{mod}\.autograd\.function\.MySquareBackward object at {ADDRESS}>", repr(y.grad_fn))
    assert repr(type(y.grad_fn)) == f"<class '{mod}.autograd.function.MySquareBackward'>"
    assert type(y.grad_fn).__name__ == "MySquareBackward"
    assert type(y.grad_fn).__qualname__ == "MySquareBackward"
    assert type(y.grad_fn).__module__ == f"{mod}.autograd.function"
    assert y.grad_fn.name() == "MySquareBackward"
    assert y.grad_fn is y.grad_fn


def test_backward_class_of_function_defined_in_function(lib):
    Inner = identity_fn(lib, "Inner")
    y = Inner.apply(lib.ones(2, requires_grad=True))
    assert y.grad_fn.name() == "InnerBackward"
    assert type(y.grad_fn).__qualname__ == "InnerBackward"


def test_next_functions(lib):
    MySquare = square_fn(lib)
    y = MySquare.apply(lib.tensor([2.0, 3.0], requires_grad=True))
    nf = y.grad_fn.next_functions
    assert len(nf) == 1 and nf[0][1] == 0
    assert re.fullmatch(rf"<AccumulateGrad object at {ADDRESS}>", repr(nf[0][0]))
    MyMul = mul_fn(lib)
    z = MyMul.apply(lib.tensor(2.0, requires_grad=True), lib.tensor(5.0), 3.0)
    nf = z.grad_fn.next_functions
    assert len(nf) == 2
    assert re.fullmatch(rf"<AccumulateGrad object at {ADDRESS}>", repr(nf[0][0])) and nf[0][1] == 0
    assert nf[1] == (None, 0)


def test_next_functions_chain_to_inner_nodes(lib):
    MySquare = square_fn(lib)
    x = lib.ones(2, requires_grad=True)
    y = MySquare.apply(x * 2)
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    z = MySquare.apply(y)
    assert z.grad_fn.next_functions[0][0] is y.grad_fn


def test_state_inside_forward_and_backward(lib):
    seen = {}

    class Probe(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, plain, k):
            seen["fwd_grad"] = lib.is_grad_enabled()
            seen["fwd_req"] = x.requires_grad
            seen["fwd_needs"] = ctx.needs_input_grad
            return x * plain * k

        @staticmethod
        def backward(ctx, g):
            seen["bwd_needs"] = ctx.needs_input_grad
            seen["bwd_grad"] = lib.is_grad_enabled()
            seen["g"] = repr(g)
            return g * 2, None, None

    x = lib.ones(2, requires_grad=True)
    Probe.apply(x, lib.ones(2), 2.0).sum().backward()
    assert seen == {
        "fwd_grad": False, "fwd_req": True, "fwd_needs": (True, False, False),
        "bwd_needs": (True, False, False), "bwd_grad": False, "g": "tensor([1., 1.])",
    }
    lib.autograd.grad(Probe.apply(x, lib.ones(2), 2.0).sum(), x, create_graph=True)
    assert seen["bwd_grad"] is True


def test_double_backward_through_function(lib):
    MySquare = square_fn(lib)
    x = lib.tensor(3.0, requires_grad=True)
    g, = lib.autograd.grad(MySquare.apply(x), x, create_graph=True)
    assert repr(g) == "tensor(6., grad_fn=<MulBackward0>)"
    assert repr(lib.autograd.grad(g, x)) == "(tensor(2.),)"


def test_apply_under_no_grad(lib):
    calls = []

    class S(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            calls.append(1)
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g

    x = lib.tensor(3.0, requires_grad=True)
    with lib.no_grad():
        y = S.apply(x)
    assert repr(y) == "tensor(9.)" and y.requires_grad is False and y.grad_fn is None and calls == [1]


def test_no_input_requires_grad(lib):
    class S(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    y = S.apply(lib.tensor(1.0))
    assert repr(y) == "tensor(2.)" and y.requires_grad is False and y.grad_fn is None


def test_non_tensor_args_and_kwargs(lib):
    class NIG(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, n=1):
            ctx.n = n
            return a * b * n

        @staticmethod
        def backward(ctx, g):
            return g * ctx.n, None, None

    a = lib.ones(2, requires_grad=True)
    y = NIG.apply(a, lib.ones(2), n=3)
    assert repr(y) == "tensor([3., 3.], grad_fn=<NIGBackward>)"
    y.sum().backward()
    assert repr(a.grad) == "tensor([3., 3.])"


def test_instantiation_warns_then_call_raises(lib):
    MySquare = square_fn(lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = MySquare()
    assert [w.category for w in caught] == [DeprecationWarning]
    assert str(caught[0].message) == (
        f"{MySquare} should not be instantiated. Methods on autograd functions are all static, so you should "
        "invoke them on the class itself. Instantiating an autograd function will raise an error in a future "
        "version of PyTorch."
    )
    with pytest.raises(RuntimeError) as info:
        f(lib.ones(1))
    assert str(info.value) == (
        "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
        "function with static forward method. (Example: "
        "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
    )


def test_missing_forward(lib):
    class NoFwd(lib.autograd.Function):
        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(NotImplementedError) as info:
        NoFwd.apply(lib.ones(1, requires_grad=True))
    assert str(info.value) == "You must implement the forward function for custom autograd.Function."


def test_missing_backward_fails_at_backward_time(lib):
    class NoBwd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    y = NoBwd.apply(lib.ones(1, requires_grad=True))
    assert y.grad_fn.name() == "NoBwdBackward"
    with pytest.raises(NotImplementedError) as info:
        y.sum().backward()
    assert str(info.value) == NO_BACKWARD


def test_metaclass_name(lib):
    assert repr(type(square_fn(lib))) == f"<class '{lib.__name__}.autograd.function.FunctionMeta'>"
    assert isinstance(square_fn(lib), lib.autograd.function.FunctionMeta)


def test_tutorial_my_square(lib, capsys):
    class MySquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input ** 2

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 2 * input

    x = lib.tensor([3.0], requires_grad=True)
    square = MySquare.apply
    y = square(x)
    y.backward()
    print(f"x: {x}")
    print(f"y: {y}")
    print(f"dy/dx: {x.grad}")
    assert capsys.readouterr().out == (
        "x: tensor([3.], requires_grad=True)\ny: tensor([9.], grad_fn=<MySquareBackward>)\ndy/dx: tensor([6.])\n"
    )


# ----- 7.2 new style -----


def test_new_style_setup_context(lib):
    MyMul = mul_fn(lib)
    a, b = lib.tensor(2.0, requires_grad=True), lib.tensor(5.0)
    y = MyMul.apply(a, b, 3.0)
    assert repr(y) == "tensor(30., grad_fn=<MyMulBackward>)"
    y.backward()
    assert repr(a.grad) == "tensor(15.)" and b.grad is None
    assert y.grad_fn.seen_needs == (True, False, False)


def test_new_style_forward_with_ctx_parameter(lib):
    class Both(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError) as info:
        Both.apply(lib.ones(1))
    assert str(info.value) == "missing a required argument: 'x'"


def _ns_forward(x):
    return x


def test_ctx_less_forward_without_setup_context(lib):
    # PyTorch's message names the function's __qualname__ (here as at module level).
    _ns_forward.__qualname__ = "NS.forward"
    NS = type("NS", (lib.autograd.Function,), {"forward": staticmethod(_ns_forward),
                                               "backward": staticmethod(lambda ctx, g: g)})
    with pytest.raises(TypeError) as info:
        NS.apply(lib.ones(1))
    assert str(info.value) == "NS.forward() takes 1 positional argument but 2 were given"


def test_new_style_with_kwarg_defaults(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, k=2.0):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = lib.ones(2, requires_grad=True)
    Scale.apply(x).sum().backward()
    Scale.apply(x, k=5.0).sum().backward()
    assert repr(x.grad) == "tensor([7., 7.])"


# ----- 7.3 ctx API -----


def test_save_for_backward_none_and_intermediates(lib):
    seen = {}

    class Saver(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            mid = x + 1
            ctx.save_for_backward(x, None)
            ctx.save_for_backward(x, None, mid)  # the last call wins
            return mid * 2

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            seen["saved"] = repr(saved)
            return g * 2 + 0 * saved[2]

    x = lib.tensor(3.0, requires_grad=True)
    Saver.apply(x).backward()
    assert seen["saved"] == "(tensor(3., requires_grad=True), None, tensor(4.))"
    assert repr(x.grad) == "tensor(2.)"


def test_save_for_backward_rejects_non_tensors(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 1)
            return x

    with pytest.raises(TypeError) as info:
        Bad.apply(lib.ones(1, requires_grad=True))
    assert str(info.value) == "save_for_backward can only save variables, but argument 1 is of type int"


def test_node_saved_tensors_and_needs_input_grad(lib):
    MySquare = square_fn(lib)
    x = lib.tensor(3.0, requires_grad=True)
    y = MySquare.apply(x)
    assert repr(y.grad_fn.saved_tensors) == "(tensor(3., requires_grad=True),)"
    assert y.grad_fn.needs_input_grad == (True,)
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.grad_fn.saved_tensors
    assert str(info.value) == SECOND_BACKWARD
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert str(info.value) == SECOND_BACKWARD


def test_retain_graph_keeps_saved_tensors(lib):
    MySquare = square_fn(lib)
    x = lib.tensor(3.0, requires_grad=True)
    y = MySquare.apply(x)
    y.backward(retain_graph=True)
    y.backward()
    assert repr(x.grad) == "tensor(12.)"


def test_saved_output_is_reattached(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return g * out

    x = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
    y = Exp.apply(x)
    assert y.grad_fn.saved_tensors[0].grad_fn is y.grad_fn
    g, = lib.autograd.grad(y, x, create_graph=True)
    g2, = lib.autograd.grad(g, x)
    assert abs(g2.item() - x.exp().item()) < 1e-12


def test_arbitrary_ctx_attributes(lib):
    class K(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.k = 5
            return x * 5

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k

    x = lib.ones(2, requires_grad=True)
    y = K.apply(x)
    assert y.grad_fn.k == 5
    y.sum().backward()
    assert repr(x.grad) == "tensor([5., 5.])"


def add_one_inplace(lib):
    class AddOneInplace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    return AddOneInplace


def test_mark_dirty(lib):
    AddOneInplace = add_one_inplace(lib)
    a = lib.ones(2, requires_grad=True)
    b = a * 1
    c = AddOneInplace.apply(b)
    assert c is b
    assert repr(c) == "tensor([2., 2.], grad_fn=<AddOneInplaceBackward>)"
    assert b._version == 2
    (c * lib.tensor([3.0, 4.0])).sum().backward()
    assert repr(a.grad) == "tensor([3., 4.])"


def test_mark_dirty_without_grad(lib):
    AddOneInplace = add_one_inplace(lib)
    d = lib.ones(2)
    e = AddOneInplace.apply(d)
    assert e is d and d._version == 2 and e.grad_fn is None


def test_mark_dirty_on_leaf_requiring_grad(lib):
    AddOneInplace = add_one_inplace(lib)
    with pytest.raises(RuntimeError) as info:
        AddOneInplace.apply(lib.ones(2, requires_grad=True))
    assert str(info.value) == "a leaf Variable that requires grad has been used in an in-place operation."


def test_mark_dirty_invalidates_earlier_saves(lib):
    AddOneInplace = add_one_inplace(lib)
    x = lib.ones(2, requires_grad=True)
    b = x * 1
    y = b.exp()  # saves its output b.exp(), not b: unaffected
    z = b * x  # saves b
    AddOneInplace.apply(b)
    y.sum().backward()
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    assert "is at version 2; expected version 0 instead." in str(info.value)


def argsort_fn(lib, materialize=True):
    seen = {}

    class Sortish(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = lib.tensor([1, 2, 0])
            ctx.mark_non_differentiable(idx)
            ctx.set_materialize_grads(materialize)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, gidx):
            seen["gidx"] = repr(gidx)
            return g * 2

    return Sortish, seen


def test_mark_non_differentiable(lib):
    Sortish, seen = argsort_fn(lib)
    x = lib.ones(3, requires_grad=True)
    out, idx = Sortish.apply(x)
    assert idx.requires_grad is False and idx.grad_fn is None
    assert repr(idx) == "tensor([1, 2, 0])"
    assert out.grad_fn.name() == "SortishBackward"
    out.sum().backward()
    assert seen["gidx"] == "tensor([0, 0, 0])"
    assert repr(x.grad) == "tensor([2., 2., 2.])"


def test_mark_non_differentiable_only_output(lib):
    class Only(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, g):
            return g

    y = Only.apply(lib.ones(2, requires_grad=True))
    assert y.requires_grad is False
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    assert str(info.value) == "element 0 of tensors does not require grad and does not have a grad_fn"


def two_outputs(lib, materialize):
    seen = {}

    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g"] = (repr(g1), repr(g2))
            return g1 * 2 + (0 if g2 is None else g2 * 3)

    return Two, seen


@pytest.mark.parametrize("materialize, expected", [(True, "tensor([0., 0.])"), (False, "None")])
def test_materialize_grads(lib, materialize, expected):
    Two, seen = two_outputs(lib, materialize)
    x = lib.ones(2, requires_grad=True)
    o1, o2 = Two.apply(x)
    o1.sum().backward()
    assert seen["g"] == ("tensor([1., 1.])", expected)
    assert repr(x.grad) == "tensor([2., 2.])"
    o1, o2 = Two.apply(x)
    (o1.sum() + o2.sum()).backward()
    assert repr(x.grad) == "tensor([7., 7.])"


def test_non_tensor_outputs(lib):
    seen = {}

    class Mixed(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3, 5

        @staticmethod
        def backward(ctx, g1, g2, g3):
            seen["g3"] = g3
            return g1 * 2 + g2 * 3

    x = lib.ones(2, requires_grad=True)
    a, b, c = Mixed.apply(x)
    assert c == 5 and type(c) is int
    (a.sum() + b.sum()).backward()
    assert seen["g3"] is None
    assert repr(x.grad) == "tensor([5., 5.])"


def test_forward_returning_only_a_non_tensor(lib):
    class Five(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 5

        @staticmethod
        def backward(ctx, g):
            return None

    assert Five.apply(lib.ones(2, requires_grad=True)) == 5


def test_returning_input_unchanged(lib):
    Ident = identity_fn(lib)
    v = lib.ones(2, requires_grad=True)
    o = Ident.apply(v)
    assert o is not v
    assert repr(o) == "tensor([1., 1.], grad_fn=<IdentBackward>)"
    o.sum().backward()
    assert repr(v.grad) == "tensor([1., 1.])"
    plain = lib.ones(2)
    o = Ident.apply(plain)
    assert o is not plain and o.grad_fn is None
    # The new object shares the input's data and version counter.
    plain.add_(1)
    assert repr(o) == "tensor([2., 2.])" and o._version == plain._version == 1


def test_inplace_change_of_saved_input(lib):
    MySquare = square_fn(lib)
    x = lib.ones(2, requires_grad=True)
    a = x + 1
    y = MySquare.apply(a)
    a.add_(1)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    assert str(info.value) == (
        f"one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{lib.__name__}.FloatTensor [2]], which is output 0 of Add, is at version 1; expected version 0 "
        f"instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
        f"with {lib.__name__}.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def test_inplace_change_of_saved_output(lib):
    class S2(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * x
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return 2 * y * g

    y = S2.apply(lib.ones(2, requires_grad=True))
    y.mul_(2)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    assert "[{}.FloatTensor [2]], which is output 0 of S2, is at version 1; expected version 0".format(
        lib.__name__) in str(info.value)


# ----- 7.4 gradient validation -----


def run_backward(lib, fn, *args):
    out = fn.apply(*args)
    out.sum().backward()


def make(lib, name, backward, forward=None):
    fwd = forward or (lambda ctx, *args: args[0] * 2)
    return type(name, (lib.autograd.Function,), {"forward": staticmethod(fwd), "backward": staticmethod(backward)})


def test_too_few_gradients(lib):
    Bad = make(lib, "Bad", lambda ctx, g: g, lambda ctx, x, y: x * y)
    with pytest.raises(RuntimeError) as info:
        run_backward(lib, Bad, lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True))
    assert str(info.value) == "function BadBackward returned an incorrect number of gradients (expected 2, got 1)"


def test_too_many_gradients(lib):
    Bad2 = make(lib, "Bad2", lambda ctx, g: (g, g, g))
    with pytest.raises(RuntimeError) as info:
        run_backward(lib, Bad2, lib.ones(2, requires_grad=True))
    assert str(info.value) == "function Bad2Backward returned an incorrect number of gradients (expected 1, got 3)"


def test_extra_trailing_nones_allowed(lib):
    Ok = make(lib, "Ok", lambda ctx, g: (g, None, None))
    x = lib.ones(2, requires_grad=True)
    run_backward(lib, Ok, x)
    assert repr(x.grad) == "tensor([1., 1.])"


def test_gradient_for_non_tensor_input(lib):
    Bad2b = make(lib, "Bad2b", lambda ctx, g: (g, g), lambda ctx, x, k: x * k)
    with pytest.raises(RuntimeError) as info:
        run_backward(lib, Bad2b, lib.ones(2, requires_grad=True), 2.0)
    assert str(info.value) == (
        "function Bad2bBackward returned a gradient different than None at position 2, but the corresponding "
        "forward input was not a Variable"
    )


def test_none_gradient_for_input_requiring_grad(lib):
    NoneGrad = make(lib, "NoneGrad", lambda ctx, g: None)
    x = lib.ones(2, requires_grad=True)
    run_backward(lib, NoneGrad, x)
    assert x.grad is None


def test_wrong_gradient_shape(lib):
    Bad3 = make(lib, "Bad3", lambda ctx, g: lib.ones(3))
    with pytest.raises(RuntimeError) as info:
        run_backward(lib, Bad3, lib.ones(2, requires_grad=True))
    assert str(info.value) == (
        "Function Bad3Backward returned an invalid gradient at index 0 - got [3] but expected shape compatible with [2]"
    )
    Bad4 = make(lib, "Bad4", lambda ctx, g: lib.ones(1))
    with pytest.raises(RuntimeError) as info:
        run_backward(lib, Bad4, lib.ones(2, requires_grad=True))
    assert str(info.value) == (
        "Function Bad4Backward returned an invalid gradient at index 0 - got [1] but expected shape compatible with [2]"
    )


def test_broadcastable_gradient_is_summed(lib):
    Wide = make(lib, "Wide", lambda ctx, g: lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
    x = lib.ones(2, requires_grad=True)
    run_backward(lib, Wide, x)
    assert repr(x.grad) == "tensor([4., 6.])"


def test_non_tensor_gradient(lib):
    Flt = make(lib, "Flt", lambda ctx, g: 1.0)
    with pytest.raises(RuntimeError) as info:
        run_backward(lib, Flt, lib.ones(2, requires_grad=True))
    assert str(info.value) == "expected Variable or None (got float)"


def test_wrong_gradient_dtype_is_cast(lib):
    F64 = make(lib, "F64", lambda ctx, g: g.double())
    x = lib.ones(2, requires_grad=True)
    run_backward(lib, F64, x)
    assert x.grad.dtype == lib.float32


# ----- 7.5 once_differentiable -----


def once_fn(lib):
    class OD(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            ctx.grad_mode = lib.is_grad_enabled()
            x, = ctx.saved_tensors
            return 2 * x * g

    return OD


def test_once_differentiable_plain_grads(lib):
    OD = once_fn(lib)
    x = lib.tensor(3.0, requires_grad=True)
    y = OD.apply(x)
    g, = lib.autograd.grad(y, x, create_graph=True)
    assert repr(g) == "tensor(6.)" and g.requires_grad is False
    assert y.grad_fn.grad_mode is False


def test_once_differentiable_twice_raises(lib):
    OD = once_fn(lib)
    x = lib.tensor(3.0, requires_grad=True)
    z = OD.apply(x) * x
    g, = lib.autograd.grad(z, x, create_graph=True)
    assert repr(g) == "tensor(27., grad_fn=<AddBackward0>)"
    with pytest.raises(RuntimeError) as info:
        g.backward()
    assert str(info.value) == "trying to differentiate twice a function that was marked with @once_differentiable"


def test_once_differentiable_importable_from_autograd(lib):
    assert lib.autograd.function.once_differentiable is not None
    assert lib.autograd.function.FunctionCtx is not None


# ----- memory -----


def test_ctx_holding_its_output_is_collected(lib):
    class Leak(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.out = out
            return out

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = lib.ones(2, requires_grad=True)
    y = Leak.apply(x)
    node_ref, out_ref = weakref.ref(y.grad_fn), weakref.ref(y)
    del y
    gc.collect()
    assert node_ref() is None and out_ref() is None


def test_cycle_kept_while_graph_is_reachable(lib):
    # The collector must not break a ctx whose node is still reachable from a later op.
    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.out = out
            return out

        @staticmethod
        def backward(ctx, g):
            assert ctx.out is not None
            return g * 2

    x = lib.ones(2, requires_grad=True)
    z = Keep.apply(x) * 3
    gc.collect()
    z.sum().backward()
    assert repr(x.grad) == "tensor([6., 6.])"


def test_function_graph_is_freed(lib):
    MySquare = square_fn(lib)
    x = lib.ones(2, requires_grad=True)
    y = MySquare.apply(x)
    node_ref = weakref.ref(y.grad_fn)
    del y
    assert node_ref() is None


# ----- parity of values with torch on random data -----


def test_values_match_torch():
    torch = pytest.importorskip("torch")
    import numpy as np

    data = np.random.default_rng(0).standard_normal((3, 4))
    results = []
    for lib in (rustgrad, torch):
        MyMul, MySquare = mul_fn(lib), square_fn(lib)
        a = lib.tensor(data.tolist(), dtype=lib.float64, requires_grad=True)
        b = lib.tensor((data[::-1] * 2).tolist(), dtype=lib.float64, requires_grad=True)
        out = MySquare.apply(MyMul.apply(a, b, 0.5)).sum()
        out.backward()
        results.append((out.item(), a.grad.tolist(), b.grad.tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-12)


def test_grad_fn_outlives_its_output(lib):
    # The context keeps its node usable once the output is gone (PyTorch's node and context are one).
    MySquare = square_fn(lib)
    x = lib.tensor([2.0, 3.0], requires_grad=True)
    f = MySquare.apply(x * 1).grad_fn
    gc.collect()
    assert f.name() == "MySquareBackward"
    assert f.next_functions[0][0].name() == "MulBackward0"
    assert repr(f.saved_tensors) == "(tensor([2., 3.], grad_fn=<MulBackward0>),)"
    assert f.needs_input_grad == (True,)
    ref = weakref.ref(f)
    del f
    assert ref() is None  # freed at once: no reference cycle


def test_context_kept_by_user_code_stays_callable(lib):
    kept = []

    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            kept.append(ctx)
            ctx.save_for_backward(x)
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = lib.ones(2, requires_grad=True)
    Keep.apply(x)
    assert kept[0].name() == "KeepBackward" and len(kept[0].saved_tensors) == 1
    y = Keep.apply(x)
    y.sum().backward()
    assert repr(x.grad) == "tensor([3., 3.])"


# ----- nodes are called even when no gradient reached them (as PyTorch's engine does) -----


def _blocker(lib):
    class Block(lib.autograd.Function):
        """Passes values through and sends no gradient back (returns None)."""

        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return None

    return Block


@pytest.mark.parametrize("materialize", [True, False])
def test_function_backward_called_when_no_gradient_arrives(lib, materialize):
    calls = []

    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, a, b):
            calls.append((None if a is None else a.tolist(), None if b is None else b.tolist()))
            return None if a is None else a

    x = lib.ones(2, requires_grad=True)
    y, _ = Two.apply(x)
    _blocker(lib).apply(y).sum().backward()
    expected = ([0.0, 0.0], [0.0, 0.0]) if materialize else (None, None)
    assert calls == [expected]
    assert x.grad is None or x.grad.tolist() == [0.0, 0.0]
    assert (x.grad is None) == (not materialize)


def test_builtin_node_without_gradient_still_checks_its_saved_tensors(lib):
    x = lib.ones(2, requires_grad=True)
    y = x.exp()
    out = _blocker(lib).apply(y)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    # ... and frees them: a second backward through it fails.
    y = x.exp()
    _blocker(lib).apply(y).sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()
    assert x.grad is None


def test_builtin_node_without_gradient_runs_its_hooks(lib):
    x = lib.ones(2, requires_grad=True)
    y = x.sin()
    seen = []
    y.grad_fn.register_prehook(lambda grad_outputs: seen.append(("pre", grad_outputs)))
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(("post", grad_inputs, grad_outputs)))
    _blocker(lib).apply(y).sum().backward()
    assert seen == [("pre", (None,)), ("post", (None,), (None,))]
