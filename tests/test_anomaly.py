"""Anomaly mode's forward traceback (spec 9.5): with anomaly detection on, every node records the
Python stack of the forward call that created it; when backward fails inside a node (NaN check,
in-place version error, any error raised there) a UserWarning shows that traceback before the
error propagates. Also the persistent per-node ``metadata`` dict (spec 4.2).
"""

import re
import warnings

import pytest

import rustgrad


@pytest.fixture(params=["rustgrad", "torch"])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip("torch")
    return rustgrad


def _anomaly_warnings(record):
    return [str(w.message) for w in record if str(w.message).startswith("Error detected in")]


def _strip_torch_suffix(message):
    # PyTorch's C++ TORCH_WARN appends where it was triggered inside its build tree.
    return re.sub(r" \(Triggered internally at .*\)$", "", message, flags=re.S)


def _sqrt_of_negative(lib):
    x = lib.tensor([-1.0, 4.0], requires_grad=True)
    y = x.sqrt()  # the forward line the traceback must show
    return y.sum()


def test_nan_warning_shows_the_forward_traceback(lib):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            z = _sqrt_of_negative(lib)
            with pytest.raises(RuntimeError) as info:
                z.backward()
    assert str(info.value) == "Function 'SqrtBackward0' returned nan values in its 0th output."
    (message,) = _anomaly_warnings(record)
    message = _strip_torch_suffix(message)
    assert message.startswith("Error detected in SqrtBackward0. Traceback of forward call that caused the error:\n")
    lines = message.split("\n")
    # The innermost frames: the caller, then the forward line itself.
    assert lines[-3] == f'  File "{__file__}", line {_sqrt_of_negative.__code__.co_firstlineno + 2}, in _sqrt_of_negative'
    assert lines[-2] == "    y = x.sqrt()  # the forward line the traceback must show"
    assert lines[-1] == ""
    assert "in test_nan_warning_shows_the_forward_traceback" in message
    assert "rustgrad/" not in message.replace(__file__, "")  # no library frames


def test_traceback_matches_torch_exactly():
    torch = pytest.importorskip("torch")
    texts = []
    for lib in (rustgrad, torch):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            with lib.autograd.detect_anomaly():
                z = _sqrt_of_negative(lib)
                with pytest.raises(RuntimeError):
                    z.backward()
        texts.append(_strip_torch_suffix(_anomaly_warnings(record)[0]))
    # Frames above this test (pytest's own) are the same for both.
    assert texts[0] == texts[1]


def test_inplace_version_error_warns_with_the_failing_node(lib):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            y = x.exp()
            z = y * 2
            y.add_(1)
            with pytest.raises(RuntimeError) as info:
                z.sum().backward()
    assert "Hint: the backtrace further above shows the operation that failed to compute its gradient." in str(info.value)
    (message,) = _anomaly_warnings(record)
    # exp saved its result y, which was modified: the failing node is ExpBackward0.
    assert message.startswith("Error detected in ExpBackward0. Traceback of forward call that caused the error:\n")
    assert _strip_torch_suffix(message).endswith("\n    y = x.exp()\n")


def test_error_raised_by_a_custom_function_backward(lib):
    class Fails(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("custom failure")

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            x = lib.tensor([1.0], requires_grad=True)
            out = Fails.apply(x)
            with pytest.raises(ValueError, match="custom failure"):
                out.sum().backward()
    (message,) = _anomaly_warnings(record)
    assert message.startswith("Error detected in FailsBackward. Traceback of forward call that caused the error:\n")
    assert "    out = Fails.apply(x)\n" in message


def test_node_created_without_anomaly_mode_has_no_traceback(lib):
    x = lib.tensor([-1.0], requires_grad=True)
    z = x.sqrt().sum()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            with pytest.raises(RuntimeError):
                z.backward()
    (message,) = _anomaly_warnings(record)
    assert _strip_torch_suffix(message) == (
        "Error detected in SqrtBackward0. No forward pass information available. "
        "Enable detect anomaly during forward pass for more information."
    )


def test_no_warning_when_anomaly_mode_is_off_or_backward_succeeds(lib):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with lib.autograd.detect_anomaly():
            z = _sqrt_of_negative(lib)
        with pytest.raises(RuntimeError):  # off again: in-place error, no anomaly warning
            x = lib.tensor([1.0], requires_grad=True)
            y = x.exp()
            y.add_(1)
            y.sum().backward()
        z.backward()  # anomaly off during backward: NaN is not checked
        with lib.autograd.detect_anomaly():
            x = lib.tensor([4.0], requires_grad=True)
            x.sqrt().sum().backward()
    assert _anomaly_warnings(record) == []


def test_set_detect_anomaly_records_tracebacks_too(lib):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with lib.autograd.set_detect_anomaly(True):
            x = lib.tensor([0.0], requires_grad=True)
            w = (x / x).sum()
            with pytest.raises(RuntimeError, match="returned nan values"):
                w.backward()
    (message,) = _anomaly_warnings(record)
    assert message.startswith("Error detected in DivBackward0.")
    assert "    w = (x / x).sum()\n" in message


# ----- Node.metadata -----


def test_metadata_is_one_dict_per_node(lib):
    x = lib.tensor([1.0], requires_grad=True)
    y = x * 2
    y.grad_fn.metadata["tag"] = 3
    assert y.grad_fn.metadata == {"tag": 3}  # survives the temporary Python node object
    assert y.grad_fn.metadata is y.grad_fn.metadata
    assert (x * 2).grad_fn.metadata == {}
    acc = y.grad_fn.next_functions[0][0]
    acc.metadata["leaf"] = True
    assert y.grad_fn.next_functions[0][0].metadata == {"leaf": True}


def test_metadata_of_custom_function_node(lib):
    class Id(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    out = Id.apply(lib.tensor([1.0], requires_grad=True))
    out.grad_fn.metadata["k"] = "v"
    assert out.grad_fn.metadata == {"k": "v"}
