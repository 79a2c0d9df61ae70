"""Shared test helpers: finite-difference gradient checks in float64, and PyTorch parity."""

import numpy as np
import pytest

import rustgrad


def torch_or_skip():
    """The reference PyTorch module, or a skip when it is not installed (parity tests only)."""
    return pytest.importorskip("torch")


def _loss_weights(shape, seed):
    # Random weights make every output element matter in the scalar loss.
    return np.random.default_rng(seed).standard_normal(shape)


def check_grads(f, *arrays, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0):
    """Checks the gradients of ``f`` (rustgrad tensors in, one tensor out) against central
    differences in float64, for the scalar loss ``sum(f(*inputs) * w)`` with random ``w``."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    inputs = [rustgrad.tensor(a, dtype=rustgrad.float64, requires_grad=True) for a in arrays]
    out = f(*inputs)
    w = _loss_weights(tuple(out.shape), seed)
    loss = (out * rustgrad.tensor(w, dtype=rustgrad.float64)).sum()
    analytical = rustgrad.autograd.grad(loss, inputs, allow_unused=True)

    def loss_at(values):
        with rustgrad.no_grad():
            ts = [rustgrad.tensor(v, dtype=rustgrad.float64) for v in values]
            return float((f(*ts) * rustgrad.tensor(w, dtype=rustgrad.float64)).sum())

    for i, a in enumerate(arrays):
        numerical = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            numerical[idx] = (loss_at(plus) - loss_at(minus)) / (2 * eps)
        got = np.zeros_like(a) if analytical[i] is None else np.array(analytical[i].tolist(), dtype=np.float64)
        np.testing.assert_allclose(got, numerical, atol=atol, rtol=rtol, err_msg=f"gradient of input {i}")


def check_against_torch(f, *arrays, dtype="float64", atol=1e-6, rtol=1e-5, seed=0):
    """Runs ``f(lib, *tensors)`` with rustgrad and with PyTorch and compares outputs and gradients."""
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        ts = [lib.tensor(np.array(a).tolist(), dtype=getattr(lib, dtype), requires_grad=True) for a in arrays]
        out = f(lib, *ts)
        w = _loss_weights(tuple(out.shape), seed).tolist()
        (out * lib.tensor(w, dtype=getattr(lib, dtype))).sum().backward()
        grads = [None if t.grad is None else np.array(t.grad.tolist()) for t in ts]
        results.append((np.array(out.detach().tolist()), grads))
    (ours, our_grads), (theirs, their_grads) = results
    np.testing.assert_allclose(ours, theirs, atol=atol, rtol=rtol)
    for i, (g1, g2) in enumerate(zip(our_grads, their_grads)):
        assert (g1 is None) == (g2 is None), f"input {i}: grad presence differs"
        if g1 is not None:
            np.testing.assert_allclose(g1, g2, atol=atol, rtol=rtol, err_msg=f"gradient of input {i}")


def error_of(lib, call):
    """``(exception type, message)`` that ``call(lib)`` raises (``torch.`` spelled ``rustgrad.``),
    or None when it returns."""
    try:
        call(lib)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e), str(e).replace("torch.", "rustgrad.")
    return None


def assert_error(call, exc_type, message):
    """``call(rustgrad)`` raises exactly ``exc_type`` with ``str(exc) == message``."""
    assert error_of(rustgrad, call) == (exc_type, message)


def assert_same_error_as_torch(call):
    """``call`` raises the same exception type and message under rustgrad as under PyTorch."""
    torch = torch_or_skip()
    theirs = error_of(torch, call)
    assert theirs is not None, "PyTorch accepts the call"
    assert error_of(rustgrad, call) == theirs
