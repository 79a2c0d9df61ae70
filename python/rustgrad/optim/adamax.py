"""``rustgrad.optim.Adamax``, ported from ``torch/optim/adamax.py`` (torch 2.13): Adam with the
infinity norm, ``u_t = max(beta2 * u_{t-1}, |g_t| + eps)``."""

import rustgrad

from ._composed import GROUP_DEFAULTS, check_adam_like, check_state_shapes, lerp_, zero_step
from .optimizer import Optimizer, _fused_step, _to_scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Implements the Adamax algorithm (a variant of Adam based on the infinity norm)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_adam_like(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._setstate_groups(state, GROUP_DEFAULTS)

    step = _fused_step()

    def _update_group(self, group):
        def new_state(p):
            return {"step": zero_step(), "exp_avg": rustgrad.zeros_like(p), "exp_inf": rustgrad.zeros_like(p)}

        params, grads, (steps, exp_avgs, exp_infs) = self._gather_group(group, new_state, ["step", "exp_avg", "exp_inf"])
        check_state_shapes(params, [exp_avgs, exp_infs])
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
        for param, grad, step_t, exp_avg, exp_inf in zip(params, grads, steps, exp_avgs, exp_infs):
            grad = -grad if group["maximize"] else grad
            step_t += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            lerp_(exp_avg, grad, 1 - beta1)
            exp_inf.copy_(rustgrad.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps)))
            clr = lr / (1 - beta1 ** step_t.item())
            param.addcdiv_(exp_avg, exp_inf, value=-clr)
