"""``rustgrad.optim.Rprop``, ported from ``torch/optim/rprop.py`` (torch 2.13): per-element step sizes
grown by ``etaplus`` while the gradient keeps its sign and shrunk by ``etaminus`` when it flips."""

import rustgrad

from ._composed import GROUP_DEFAULTS, check_lr, check_state_shapes, zero_step
from .optimizer import Optimizer, _fused_step, _to_scalar

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Implements the resilient backpropagation algorithm."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        self._setstate_groups(state, GROUP_DEFAULTS)

    step = _fused_step()

    def _update_group(self, group):
        lr = _to_scalar(group["lr"])

        def new_state(p):
            return {"step": zero_step(), "prev": rustgrad.zeros_like(p),
                    "step_size": rustgrad.full_like(p.grad, lr)}

        params, grads, (steps, prevs, step_sizes) = self._gather_group(group, new_state, ["step", "prev", "step_size"])
        check_state_shapes(params, [prevs, step_sizes])
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for param, grad, step, prev, step_size in zip(params, grads, steps, prevs, step_sizes):
            grad = -grad if group["maximize"] else grad
            step += 1
            sign = grad.mul(prev).sign()
            sign[sign.gt(0)] = etaplus
            sign[sign.lt(0)] = etaminus
            sign[sign.eq(0)] = 1
            step_size.mul_(sign).clamp_(step_size_min, step_size_max)
            grad = grad.clone()
            grad[sign.eq(etaminus)] = 0  # no step where the gradient changed sign
            param.addcmul_(grad.sign(), step_size, value=-1)
            prev.copy_(grad)
