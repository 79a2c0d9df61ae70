"""``rustgrad.optim.NAdam``, ported from ``torch/optim/nadam.py`` (torch 2.13): Adam with Nesterov
momentum and the momentum-decay schedule ``mu_t = beta1 (1 - 0.5 * 0.96^(t psi))``."""

import rustgrad

from ._composed import GROUP_DEFAULTS, check_adam_like, check_state_shapes, lerp_, zero_step
from .optimizer import Optimizer, _fused_step, _to_scalar

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Implements the NAdam algorithm."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_adam_like(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._setstate_groups(state, {**GROUP_DEFAULTS, "decoupled_weight_decay": False})
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["mu_product"], rustgrad.Tensor):
                    p_state["mu_product"] = rustgrad.tensor(p_state["mu_product"], dtype=rustgrad.float32)

    step = _fused_step()

    def _update_group(self, group):
        def new_state(p):
            return {"step": zero_step(), "mu_product": rustgrad.tensor(1.0, dtype=rustgrad.float32),
                    "exp_avg": rustgrad.zeros_like(p), "exp_avg_sq": rustgrad.zeros_like(p)}

        keys = ["step", "mu_product", "exp_avg", "exp_avg_sq"]
        params, grads, (steps, mu_products, exp_avgs, exp_avg_sqs) = self._gather_group(group, new_state, keys)
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
        check_state_shapes(params, [exp_avgs, exp_avg_sqs])
        momentum_decay = group["momentum_decay"]
        for param, grad, step_t, mu_product, exp_avg, exp_avg_sq in zip(params, grads, steps, mu_products, exp_avgs,
                                                                         exp_avg_sqs):
            grad = -grad if group["maximize"] else grad
            step_t += 1
            step = step_t.item()
            bias_correction2 = 1 - beta2**step
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(param, alpha=weight_decay)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product *= mu
            lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denom = exp_avg_sq.div(bias_correction2).sqrt()
            mu_product_next = mu_product.item() * mu_next
            denom.add_(eps)
            param.addcdiv_(grad, denom, value=(-lr * (1.0 - mu) / (1.0 - mu_product.item())))
            param.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
