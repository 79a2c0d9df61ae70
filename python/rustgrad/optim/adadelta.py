"""``rustgrad.optim.Adadelta``, ported from ``torch/optim/adadelta.py`` (torch 2.13): steps scaled by
the ratio of running RMS values of past updates and of gradients."""

import rustgrad

from ._composed import GROUP_DEFAULTS, check_lr, check_state_shapes, zero_step
from .optimizer import Optimizer, _fused_step, _to_scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Implements the Adadelta algorithm."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._setstate_groups(state, GROUP_DEFAULTS)

    step = _fused_step()

    def _update_group(self, group):
        def new_state(p):
            return {"step": zero_step(), "square_avg": rustgrad.zeros_like(p), "acc_delta": rustgrad.zeros_like(p)}

        params, grads, (steps, square_avgs, acc_deltas) = self._gather_group(group, new_state,
                                                                            ["step", "square_avg", "acc_delta"])
        check_state_shapes(params, [square_avgs, acc_deltas])
        lr, rho, eps, weight_decay = _to_scalar(group["lr"]), group["rho"], group["eps"], group["weight_decay"]
        for param, grad, step, square_avg, acc_delta in zip(params, grads, steps, square_avgs, acc_deltas):
            step += 1
            grad = -grad if group["maximize"] else grad
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
            std = square_avg.add(eps).sqrt_()
            delta = acc_delta.add(eps).sqrt_()
            delta.div_(std).mul_(grad)
            acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
            param.add_(delta, alpha=-lr)
