"""``rustgrad.optim.RMSprop``, ported from ``torch/optim/rmsprop.py`` (torch 2.13); the update runs in Rust."""

import rustgrad
from rustgrad import _core

from .optimizer import Optimizer, _check_not_differentiable, _to_scalar, _use_grad_for_differentiable

__all__ = ["RMSprop"]


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
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], rustgrad.Tensor):
                    p_state["step"] = rustgrad.tensor(float(p_state["step"]), dtype=rustgrad.float32)

    def _init_group(self, group, params_with_grad, grads, square_avgs, momentum_buffer_list, grad_avgs, state_steps):
        with_momentum = group["momentum"] > 0
        centered = group["centered"]
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            params_with_grad.append(p)
            grads.append(grad)

            state = self.state[p]
            if len(state) == 0:
                state["step"] = rustgrad.zeros((), dtype=rustgrad.float32)
                state["square_avg"] = rustgrad.zeros_like(p)
                if with_momentum:
                    state["momentum_buffer"] = rustgrad.zeros_like(p)
                if centered:
                    state["grad_avg"] = rustgrad.zeros_like(p)
            square_avgs.append(state["square_avg"])
            state_steps.append(state["step"])
            if with_momentum:
                momentum_buffer_list.append(state["momentum_buffer"])
            if centered:
                grad_avgs.append(state["grad_avg"])

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): A closure that reevaluates the model and returns the loss.
        """
        loss = self._closure_loss(closure)

        for group in self.param_groups:
            _check_not_differentiable(group)
            params_with_grad = []
            grads = []
            square_avgs = []
            grad_avgs = []
            momentum_buffer_list = []
            state_steps = []

            self._init_group(group, params_with_grad, grads, square_avgs, momentum_buffer_list, grad_avgs, state_steps)

            _core._rmsprop_step(
                params_with_grad,
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
                centered=bool(group["centered"]),
                maximize=bool(group["maximize"]),
            )

        return loss
