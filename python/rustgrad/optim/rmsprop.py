"""``rustgrad.optim.RMSprop``, ported from ``torch/optim/rmsprop.py`` (torch 2.13); the update runs in Rust."""

import rustgrad
from rustgrad import _core

from .optimizer import Optimizer, _fused_step, _to_scalar

__all__ = ["RMSprop"]


def _new_state(p, with_momentum, centered):
    state = {"step": rustgrad.zeros((), dtype=rustgrad.float32), "square_avg": rustgrad.zeros_like(p)}
    if with_momentum:
        state["momentum_buffer"] = rustgrad.zeros_like(p)
    if centered:
        state["grad_avg"] = rustgrad.zeros_like(p)
    return state


class RMSprop(Optimizer):
    r"""Implements the RMSprop algorithm.

    Args:
        params (iterable): iterable of parameters or named_parameters to optimize or iterable of dicts
            defining parameter groups.
        lr (float, optional): learning rate (default: 1e-2)
        alpha (float, optional): smoothing constant (default: 0.99)
        eps (float, optional): term added to the denominator to improve numerical stability
            (default: 1e-8)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        momentum (float, optional): momentum factor (default: 0)
        centered (bool, optional): if ``True``, compute the centered RMSProp, the gradient is
            normalized by an estimation of its variance
        maximize (bool, optional): maximize the objective instead of minimizing (default: False)
        capturable, foreach, differentiable: accepted for compatibility; rustgrad always runs one
            fused Rust kernel per param group.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")

        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state):
        defaults = {
            "momentum": 0, "centered": False, "foreach": None, "maximize": False, "differentiable": False,
            "capturable": False,
        }
        self._setstate_groups(state, defaults)

    step = _fused_step()

    def _update_group(self, group):
        with_momentum, centered = group["momentum"] > 0, group["centered"]
        keys = ("square_avg", "step") + ("momentum_buffer",) * with_momentum + ("grad_avg",) * centered
        params, grads, lists = self._gather_group(group, lambda p: _new_state(p, with_momentum, centered), keys)
        square_avgs, state_steps = lists[:2]
        momentum_buffer_list = lists[2] if with_momentum else []
        grad_avgs = lists[-1] if centered else []
        _core._rmsprop_step(
            params,
            grads,
            square_avgs,
            grad_avgs,
            momentum_buffer_list,
            state_steps,
            lr=float(_to_scalar(group["lr"])),
            alpha=float(group["alpha"]),
            eps=float(group["eps"]),
            weight_decay=float(group["weight_decay"]),
            momentum=float(group["momentum"]),
            centered=bool(centered),
            maximize=bool(group["maximize"]),
        )
