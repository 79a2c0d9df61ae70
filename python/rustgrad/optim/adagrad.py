"""``rustgrad.optim.Adagrad``, ported from ``torch/optim/adagrad.py`` (torch 2.13); the update runs in Rust."""

import rustgrad
from rustgrad import _core

from .optimizer import Optimizer, _check_fused_foreach, _fused_step, _to_scalar

__all__ = ["Adagrad"]


def _new_state(p, initial_accumulator_value):
    return {
        "step": rustgrad.tensor(0.0, dtype=rustgrad.float32),
        "sum": rustgrad.full(tuple(p.shape), initial_accumulator_value, dtype=p.dtype),
    }


class Adagrad(Optimizer):
    r"""Implements the Adagrad algorithm. Its state (``step`` and ``sum``) is created with the optimizer.

    Args:
        params (iterable): iterable of parameters or named_parameters to optimize or iterable of dicts
            defining parameter groups.
        lr (float, optional): learning rate (default: 1e-2)
        lr_decay (float, optional): learning rate decay (default: 0)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        initial_accumulator_value (float, optional): initial value of the sum of squares of gradients
            (default: 0)
        eps (float, optional): term added to the denominator to improve numerical stability
            (default: 1e-10)
        maximize (bool, optional): maximize the objective instead of minimizing (default: False)
        foreach, differentiable, fused: accepted for compatibility; rustgrad always runs one fused Rust
            kernel per param group.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")

        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        _check_fused_foreach(fused, foreach, differentiable)

        for group in self.param_groups:
            for p in group["params"]:
                self.state[p].update(_new_state(p, initial_accumulator_value))

    def __setstate__(self, state):
        defaults = {
            "foreach": None, "maximize": False, "differentiable": False, "fused": None,
        }
        self._setstate_groups(state, defaults)

    step = _fused_step()

    def _update_group(self, group):
        # PyTorch takes the optimizer-wide initial_accumulator_value here, not the group's.
        initial = self.defaults["initial_accumulator_value"]
        params, grads, (state_sums, state_steps) = self._gather_group(
            group, lambda p: _new_state(p, initial), ("sum", "step"))
        _core._adagrad_step(
            params,
            grads,
            state_sums,
            state_steps,
            lr=float(_to_scalar(group["lr"])),
            weight_decay=float(group["weight_decay"]),
            lr_decay=float(group["lr_decay"]),
            eps=float(group["eps"]),
            maximize=bool(group["maximize"]),
        )
