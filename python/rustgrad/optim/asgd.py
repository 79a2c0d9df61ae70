"""``rustgrad.optim.ASGD``, ported from ``torch/optim/asgd.py`` (torch 2.13): SGD with a decaying
rate ``eta_t = lr / (1 + lambd lr t)^alpha`` and a running average ``ax`` of the iterates."""

import rustgrad

from ._composed import GROUP_DEFAULTS, check_lr, check_state_shapes, zero_step
from .optimizer import Optimizer, _fused_step, _to_scalar

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Implements Averaged Stochastic Gradient Descent."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._setstate_groups(state, GROUP_DEFAULTS)
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, [])
                for key in ("eta", "mu"):
                    if len(p_state) != 0 and not isinstance(p_state[key], rustgrad.Tensor):
                        p_state[key] = rustgrad.tensor(p_state[key], dtype=rustgrad.float32)

    step = _fused_step()

    def _update_group(self, group):
        lr = _to_scalar(group["lr"])

        def new_state(p):
            return {"step": zero_step(), "eta": rustgrad.tensor(float(lr), dtype=rustgrad.float32),
                    "mu": rustgrad.tensor(1.0, dtype=rustgrad.float32), "ax": rustgrad.zeros_like(p)}

        params, grads, (steps, etas, mus, axs) = self._gather_group(group, new_state, ["step", "eta", "mu", "ax"])
        check_state_shapes(params, [axs])
        lambd, alpha, t0, weight_decay = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
        for param, grad, step_t, eta, mu, ax in zip(params, grads, steps, etas, mus, axs):
            grad = -grad if group["maximize"] else grad
            step_t += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            eta_value = eta.item()
            param.mul_(1 - lambd * eta_value)  # decay term
            param.add_(grad, alpha=-eta_value)  # update parameter
            if mu.item() != 1:
                ax.add_(param.sub(ax).mul_(mu))
            else:
                ax.copy_(param)
            step = step_t.item()
            eta.copy_(rustgrad.tensor(lr / ((1 + lambd * lr * step) ** alpha)))
            mu.copy_(rustgrad.tensor(1 / max(1, step - t0)))
