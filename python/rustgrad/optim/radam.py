"""``rustgrad.optim.RAdam``, ported from ``torch/optim/radam.py`` (torch 2.13): Adam whose adaptive
step is rectified by the variance of the second-moment estimate (plain momentum while ``rho_t <= 5``)."""

import rustgrad

from ._composed import GROUP_DEFAULTS, check_adam_like, check_state_shapes, lerp_, zero_step
from .optimizer import Optimizer, _fused_step, _to_scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Implements the RAdam algorithm."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_adam_like(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._setstate_groups(state, {**GROUP_DEFAULTS, "decoupled_weight_decay": False})

    step = _fused_step()

    def _update_group(self, group):
        def new_state(p):
            return {"step": zero_step(), "exp_avg": rustgrad.zeros_like(p), "exp_avg_sq": rustgrad.zeros_like(p)}

        params, grads, (steps, exp_avgs, exp_avg_sqs) = self._gather_group(group, new_state,
                                                                          ["step", "exp_avg", "exp_avg_sq"])
        check_state_shapes(params, [exp_avgs, exp_avg_sqs])
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
        for param, grad, step_t, exp_avg, exp_avg_sq in zip(params, grads, steps, exp_avgs, exp_avg_sqs):
            grad = -grad if group["maximize"] else grad
            step_t += 1
            step = step_t.item()
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(param, alpha=weight_decay)
            lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            bias_corrected_exp_avg = exp_avg / bias_correction1
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
            if rho_t > 5.0:
                # the variance rectification term r_t and the adaptive rate sqrt(1 - beta2^t) / (sqrt(v_t) + eps)
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive_lr = (bias_correction2**0.5) / exp_avg_sq.sqrt().add_(eps)
                param.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
            else:
                param.add_(bias_corrected_exp_avg * lr, alpha=-1.0)
