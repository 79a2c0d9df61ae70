"""Shared pieces of the optimizers composed of tensor ops (``adamax.py``, ``nadam.py``, ``radam.py``,
``adadelta.py``, ``rprop.py``, ``asgd.py``): PyTorch runs these per parameter on the CPU
(``_single_tensor_<name>``), and so do they, op for op, so the updates are PyTorch's floats."""

import rustgrad


def lerp_(start, end, weight):
    """``start.lerp_(end, weight)`` for a Python-number weight, as PyTorch's kernel rounds it:
    ``start + weight * (end - start)`` below one half, ``end - (end - start) * (1 - weight)`` above."""
    diff = end - start
    if abs(weight) < 0.5:
        return start.add_(diff, alpha=weight)
    return start.copy_(end - diff * (1 - weight))


def zero_step():
    return rustgrad.tensor(0.0, dtype=rustgrad.float32)


def check_lr(lr):
    if hasattr(lr, "numel") and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_adam_like(lr, eps, betas, weight_decay):
    check_lr(lr)
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


GROUP_DEFAULTS = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}


def check_state_shapes(params, state_lists):
    """Refuses, before any tensor changes, a per-element state whose shape is not its parameter's
    (a corrupted or mismatched ``load_state_dict``): the update then never stops half-way."""
    for states in state_lists:
        for p, s in zip(params, states):
            if s.dim() != 0 and s.shape != p.shape:
                raise RuntimeError(f"output with shape {list(p.shape)} doesn't match the broadcast shape {list(s.shape)}")
