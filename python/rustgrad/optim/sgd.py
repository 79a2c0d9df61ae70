"""``rustgrad.optim.SGD``, ported from ``torch/optim/sgd.py`` (torch 2.13); the update runs in Rust."""

from rustgrad import _core

from .optimizer import Optimizer, _check_fused_foreach, _fused_step, _to_scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Implements stochastic gradient descent (optionally with momentum).

    Args:
        params (iterable): iterable of parameters or named_parameters to optimize or iterable of dicts
            defining parameter groups.
        lr (float, optional): learning rate (default: 1e-3)
        momentum (float, optional): momentum factor (default: 0)
        dampening (float, optional): dampening for momentum (default: 0)
        weight_decay (float, optional): weight decay (L2 penalty) (default: 0)
        nesterov (bool, optional): enables Nesterov momentum. Only applicable when momentum is
            non-zero. (default: False)
        maximize (bool, optional): maximize the objective with respect to the params, instead of
            minimizing (default: False)
        foreach, differentiable, fused: accepted for compatibility; rustgrad always runs one fused
            Rust kernel per param group.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")

        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused_foreach(fused, foreach, differentiable)

    def __setstate__(self, state):
        defaults = {
            "nesterov": False, "maximize": False, "foreach": None, "differentiable": False, "fused": False,
        }
        self._setstate_groups(state, defaults, steps_as_tensors=False)

    step = _fused_step()

    def _update_group(self, group):
        params, grads = [], []
        momentum_buffer_list = []
        with_momentum = group["momentum"] != 0
        for p in group["params"]:
            grad = p.grad
            if grad is not None:
                params.append(p)
                grads.append(grad)
                if with_momentum:
                    momentum_buffer_list.append(self.state[p].get("momentum_buffer"))
        buffers = _core._sgd_step(
            params,
            grads,
            momentum_buffer_list,
            lr=float(_to_scalar(group["lr"])),
            momentum=float(group["momentum"]),
            dampening=float(group["dampening"]),
            weight_decay=float(_to_scalar(group["weight_decay"])),
            nesterov=bool(group["nesterov"]),
            maximize=bool(group["maximize"]),
        )
        if with_momentum:
            for p, momentum_buffer in zip(params, buffers):
                self.state[p]["momentum_buffer"] = momentum_buffer
