"""Grad mode: no_grad, enable_grad, set_grad_enabled, inference_mode (spec section 5).

Strings are PyTorch's, observed with torch 2.13, with ``torch`` spelt ``rustgrad``.
"""

import re
import threading

import pytest

import rustgrad

TIMEOUT = 10  # seconds; a thread test that waits longer has deadlocked


@pytest.fixture(autouse=True)
def _restore_grad_mode():
    # A failing test must not leave grad mode off for the tests after it.
    yield
    rustgrad.set_grad_enabled(True)
    assert not rustgrad.is_inference_mode_enabled()


def _x():
    return rustgrad.tensor([1., 2.], requires_grad=True)


def _in_thread(fn):
    """Run fn in a new thread and return its result (re-raising its exception here)."""
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            result["error"] = e

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    if "error" in result:
        raise result["error"]
    return result["value"]


# --- no_grad / enable_grad ---------------------------------------------------------------------------

def test_grad_enabled_by_default():
    assert rustgrad.is_grad_enabled() is True


def test_no_grad_context():
    x = _x()
    with rustgrad.no_grad():
        assert rustgrad.is_grad_enabled() is False
        y = x * 2
        # Factory functions are not affected: requires_grad=True still makes a leaf that requires grad.
        f = rustgrad.tensor([1., 2.], requires_grad=True)
    assert repr(y) == "tensor([2., 4.])"
    assert y.requires_grad is False
    assert y.grad_fn is None
    assert y.is_leaf is True
    assert f.requires_grad is True and f.is_leaf is True
    assert x.requires_grad is True
    assert rustgrad.is_grad_enabled() is True


def test_enable_grad_inside_no_grad():
    x = _x()
    with rustgrad.no_grad():
        with rustgrad.enable_grad():
            assert rustgrad.is_grad_enabled() is True
            y = x * 2
        assert rustgrad.is_grad_enabled() is False
    assert rustgrad.is_grad_enabled() is True
    assert repr(y) == "tensor([2., 4.], grad_fn=<MulBackward0>)"


@pytest.mark.parametrize(
    "make_context, inside",
    [
        (lambda: rustgrad.no_grad(), False),
        (lambda: rustgrad.enable_grad(), True),
        (lambda: rustgrad.set_grad_enabled(False), False),
        (lambda: rustgrad.inference_mode(), False),
    ],
    ids=["no_grad", "enable_grad", "set_grad_enabled", "inference_mode"],
)
@pytest.mark.parametrize("outside", [True, False])
def test_mode_restored_when_block_raises(make_context, inside, outside):
    rustgrad.set_grad_enabled(outside)
    with pytest.raises(ValueError):
        with make_context():
            assert rustgrad.is_grad_enabled() is inside
            raise ValueError("boom")
    assert rustgrad.is_grad_enabled() is outside
    assert rustgrad.is_inference_mode_enabled() is False


def test_no_grad_type_and_repr():
    assert str(type(rustgrad.no_grad())) == "<class 'rustgrad.autograd.grad_mode.no_grad'>"
    assert re.fullmatch(r"<rustgrad\.autograd\.grad_mode\.no_grad object at 0x[0-9a-f]+>", repr(rustgrad.no_grad()))


# --- decorators ---------------------------------------------------------------------------------------

def test_no_grad_decorator_with_parentheses():
    x = _x()

    @rustgrad.no_grad()
    def f(t):
        """Doubles t."""
        return rustgrad.is_grad_enabled(), t * 2

    assert rustgrad.is_grad_enabled() is True  # decorating does not change the mode
    enabled, y = f(x)
    assert enabled is False
    assert y.requires_grad is False
    assert f.__name__ == "f"
    assert f.__doc__ == "Doubles t."
    assert rustgrad.is_grad_enabled() is True


def test_no_grad_decorator_without_parentheses():
    x = _x()

    @rustgrad.no_grad
    def f(t):
        return rustgrad.is_grad_enabled(), t * 2

    enabled, y = f(x)
    assert enabled is False
    assert y.requires_grad is False
    assert f.__name__ == "f"
    assert rustgrad.is_grad_enabled() is True


@pytest.mark.parametrize("with_parentheses", [True, False])
def test_enable_grad_decorator_inside_no_grad(with_parentheses):
    decorator = rustgrad.enable_grad() if with_parentheses else rustgrad.enable_grad

    @decorator
    def f(t):
        return rustgrad.is_grad_enabled(), t * 2

    with rustgrad.no_grad():
        enabled, y = f(_x())
        assert rustgrad.is_grad_enabled() is False
    assert enabled is True
    assert y.requires_grad is True
    assert f.__name__ == "f"


def test_set_grad_enabled_decorator():
    @rustgrad.set_grad_enabled(False)
    def f():
        return rustgrad.is_grad_enabled(), (_x() * 2).requires_grad

    # As a decorator, set_grad_enabled(False) does not switch grad off for the code that defines f.
    assert rustgrad.is_grad_enabled() is True
    assert f() == (False, False)
    assert f.__name__ == "f"
    assert rustgrad.is_grad_enabled() is True


def test_decorated_generator_keeps_mode_on_every_resume():
    @rustgrad.no_grad()
    def gen():
        yield rustgrad.is_grad_enabled()
        yield rustgrad.is_grad_enabled()

    assert list(gen()) == [False, False]

    # Between resumes the caller runs in its own mode.
    g = gen()
    assert next(g) is False
    assert rustgrad.is_grad_enabled() is True
    assert next(g) is False
    assert rustgrad.is_grad_enabled() is True
    assert gen.__name__ == "gen"


def test_decorated_generator_send_and_return_value():
    @rustgrad.no_grad
    def gen():
        received = yield rustgrad.is_grad_enabled()
        return received, rustgrad.is_grad_enabled()

    g = gen()
    assert next(g) is False
    with pytest.raises(StopIteration) as stop:
        g.send("hello")
    assert stop.value.value == ("hello", False)
    assert rustgrad.is_grad_enabled() is True


# --- set_grad_enabled ---------------------------------------------------------------------------------

def test_set_grad_enabled_as_function_persists():
    x = _x()
    rustgrad.set_grad_enabled(False)
    assert rustgrad.is_grad_enabled() is False
    assert (x * 2).requires_grad is False
    assert rustgrad.is_grad_enabled() is False  # still off: the returned object was never entered
    rustgrad.set_grad_enabled(True)
    assert rustgrad.is_grad_enabled() is True
    assert (x * 2).requires_grad is True


def test_set_grad_enabled_as_context_manager():
    with rustgrad.set_grad_enabled(False):
        assert rustgrad.is_grad_enabled() is False
    assert rustgrad.is_grad_enabled() is True

    with rustgrad.no_grad():
        with rustgrad.set_grad_enabled(True):
            assert (_x() * 2).requires_grad is True
        assert rustgrad.is_grad_enabled() is False


def test_set_grad_enabled_type():
    assert str(type(rustgrad.set_grad_enabled(True))) == "<class 'rustgrad.autograd.grad_mode.set_grad_enabled'>"


@pytest.mark.parametrize("value, type_name", [(1, "int"), (None, "NoneType")])
def test_set_grad_enabled_rejects_non_bool(value, type_name):
    with pytest.raises(TypeError) as exc:
        rustgrad.set_grad_enabled(value)
    assert str(exc.value) == f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {type_name}"
    assert rustgrad.is_grad_enabled() is True


# --- threads ------------------------------------------------------------------------------------------

def test_grad_mode_is_thread_local():
    x = _x()
    a_inside, b_done = threading.Event(), threading.Event()
    seen = {}

    def thread_a():
        with rustgrad.no_grad():
            a_inside.set()
            assert b_done.wait(TIMEOUT)
            seen["a"] = rustgrad.is_grad_enabled()

    def thread_b():
        assert a_inside.wait(TIMEOUT)
        seen["b"] = rustgrad.is_grad_enabled(), (x * 2).requires_grad
        b_done.set()

    a = threading.Thread(target=thread_a)
    a.start()
    try:
        _in_thread(thread_b)
        seen["main"] = rustgrad.is_grad_enabled()  # while A is still inside no_grad
    finally:
        b_done.set()
        a.join(TIMEOUT)
    assert seen == {"a": False, "b": (True, True), "main": True}


def _grad_state_in_new_thread():
    return _in_thread(lambda: (rustgrad.is_grad_enabled(), (_x() * 2).requires_grad))


def test_new_thread_starts_enabled_when_started_inside_no_grad():
    with rustgrad.no_grad():
        assert _grad_state_in_new_thread() == (True, True)


def test_new_thread_starts_enabled_after_global_set_grad_enabled_false():
    rustgrad.set_grad_enabled(False)
    assert _grad_state_in_new_thread() == (True, True)
    assert rustgrad.is_grad_enabled() is False


def test_inference_mode_is_thread_local():
    with rustgrad.inference_mode():
        seen = _in_thread(lambda: (rustgrad.is_inference_mode_enabled(), rustgrad.is_grad_enabled()))
        assert rustgrad.is_inference_mode_enabled() is True
    assert seen == (False, True)


def test_anomaly_mode_is_global():
    rustgrad.autograd.set_detect_anomaly(True)
    try:
        assert _in_thread(rustgrad.is_anomaly_enabled) is True
    finally:
        rustgrad.autograd.set_detect_anomaly(False)
    assert rustgrad.is_anomaly_enabled() is False


# --- inference_mode -----------------------------------------------------------------------------------

def test_inference_mode_basics():
    x = _x()
    assert rustgrad.is_inference_mode_enabled() is False
    with rustgrad.inference_mode():
        assert rustgrad.is_grad_enabled() is False
        assert rustgrad.is_inference_mode_enabled() is True
        t = x * 2
    assert repr(t) == "tensor([2., 4.])"
    assert t.requires_grad is False
    assert rustgrad.is_inference_mode_enabled() is False
    assert rustgrad.is_grad_enabled() is True


def test_inference_mode_false():
    with rustgrad.inference_mode(False):
        assert rustgrad.is_inference_mode_enabled() is False
        assert rustgrad.is_grad_enabled() is True
    # Nested: inference_mode(False) switches grad back on, and exiting restores both flags.
    with rustgrad.inference_mode():
        with rustgrad.inference_mode(False):
            assert (rustgrad.is_inference_mode_enabled(), rustgrad.is_grad_enabled()) == (False, True)
        assert (rustgrad.is_inference_mode_enabled(), rustgrad.is_grad_enabled()) == (True, False)


@pytest.mark.parametrize("with_parentheses", [True, False])
def test_inference_mode_decorator(with_parentheses):
    decorator = rustgrad.inference_mode() if with_parentheses else rustgrad.inference_mode

    @decorator
    def f(t):
        return rustgrad.is_inference_mode_enabled(), (t * 2).requires_grad

    assert f(_x()) == (True, False)
    assert f.__name__ == "f"
    assert rustgrad.is_inference_mode_enabled() is False


def test_inference_tensors():
    x = _x()
    with rustgrad.inference_mode():
        t = x * 2
    with rustgrad.no_grad():
        u = x * 2
    assert t.is_inference() is True
    assert u.is_inference() is False


def test_inference_tensor_errors():
    x = _x()
    with rustgrad.inference_mode():
        t = rustgrad.tensor([1., 2.])

    with pytest.raises(RuntimeError) as exc:
        t * x
    assert str(exc.value) == (
        "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode "
        "in computation tracked by autograd. To work around this, you can make a clone to get a normal tensor "
        "and use it in autograd, or use `rustgrad.no_grad()` instead of `rustgrad.inference_mode()`."
    )
    with pytest.raises(RuntimeError) as exc:
        t.add_(1)
    assert str(exc.value) == (
        "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a "
        "normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details."
    )
    with pytest.raises(RuntimeError) as exc:
        t.requires_grad_()
    assert str(exc.value) == "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
