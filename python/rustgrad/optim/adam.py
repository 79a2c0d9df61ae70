"""``rustgrad.optim.Adam``, ported from ``torch/optim/adam.py`` (torch 2.13); the update runs in Rust."""

import rustgrad
from rustgrad import _core

from .optimizer import Optimizer, _check_fused_foreach, _fused_step, _to_scalar

__all__ = ["Adam"]


def _is_tensor(x):
    return isinstance(x, rustgrad.Tensor)


def _new_state(p, amsgrad):
    state = {
        "step": rustgrad.tensor(0.0, dtype=rustgrad.float32),
        "exp_avg": rustgrad.zeros_like(p),
        "exp_avg_sq": rustgrad.zeros_like(p),
    }
    if amsgrad:
        state["max_exp_avg_sq"] = rustgrad.zeros_like(p)
    return state


class Adam(Optimizer):
    r"""Implements the Adam algorithm (AdamW's decoupled weight decay with ``decoupled_weight_decay=True``).

    Args:
        params (iterable): iterable of parameters or named_parameters to optimize or iterable of dicts
            defining parameter groups.
        lr (float, optional): learning rate (default: 1e-3)
        betas (tuple[float, float], optional): coefficients used for computing running averages of
            gradient and its square (default: (0.9, 0.999))
        eps (float, optional): term added to the denominator to improve numerical stability
            (default: 1e-8)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        amsgrad (bool, optional): whether to use the AMSGrad variant (default: False)
        maximize (bool, optional): maximize the objective instead of minimizing (default: False)
        decoupled_weight_decay (bool, optional): if True, this optimizer is equivalent to AdamW
        foreach, capturable, differentiable, fused: accepted for compatibility; rustgrad always runs
            one fused Rust kernel per param group.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        if _is_tensor(lr):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (_is_tensor(betas[0]) and _is_tensor(betas[1]))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if _is_tensor(betas[i]):
                if not capturable and foreach:
                    raise ValueError(
                        f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True"
                    )
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))

        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        if fused and differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        _check_fused_foreach(fused, foreach, False)

    def __setstate__(self, state):
        defaults = {
            "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
            "differentiable": False, "decoupled_weight_decay": False, "fused": None,
        }
        self._setstate_groups(state, defaults)

    step = _fused_step()

    def _update_group(self, group):
        amsgrad = group["amsgrad"]
        keys = ("exp_avg", "exp_avg_sq", "step") + (("max_exp_avg_sq",) if amsgrad else ())
        params, grads, (exp_avgs, exp_avg_sqs, state_steps, *max_exp_avg_sqs) = self._gather_group(
            group, lambda p: _new_state(p, amsgrad), keys)
        beta1, beta2 = group["betas"]
        _core._adam_step(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            max_exp_avg_sqs[0] if amsgrad else [],
            state_steps,
            amsgrad=bool(amsgrad),
            beta1=float(_to_scalar(beta1)),
            beta2=float(_to_scalar(beta2)),
            lr=float(_to_scalar(group["lr"])),
            weight_decay=float(_to_scalar(group["weight_decay"])),
            eps=float(group["eps"]),
            maximize=bool(group["maximize"]),
            decoupled_weight_decay=bool(group["decoupled_weight_decay"]),
        )
