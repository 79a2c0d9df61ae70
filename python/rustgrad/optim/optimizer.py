"""``rustgrad.optim.Optimizer``: the base class, ported from ``torch/optim/optimizer.py`` (torch 2.13).

Param groups, per-parameter state keyed by the tensor, ``state_dict``/``load_state_dict`` with integer
parameter ids, ``zero_grad`` and the checks and messages of PyTorch. Subclasses gather one group's tensors
and make one call into the Rust core per group (``_core._<name>_step``), which updates every parameter
and its state in place in a single fused pass.
"""

import functools
import operator
import warnings
from collections import defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

import rustgrad
from rustgrad import _core

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_LEGACY_TYPE_NAMES = {
    "rustgrad.float32": "rustgrad.FloatTensor",
    "rustgrad.float64": "rustgrad.DoubleTensor",
    "rustgrad.int64": "rustgrad.LongTensor",
    "rustgrad.bool": "rustgrad.BoolTensor",
}


def _typename(obj):
    """``torch.typename``: a tensor's legacy type name, else the qualified name of the object's type."""
    if isinstance(obj, rustgrad.Tensor):
        return _LEGACY_TYPE_NAMES[str(obj.dtype)]
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    if module in {"", "builtins"}:
        return qualname
    return f"{module}.{qualname}"


def _to_scalar(x):
    """A one-element tensor hyperparameter as a Python number; anything else unchanged."""
    if isinstance(x, rustgrad.Tensor):
        return x.item()
    return x


def _use_grad_for_differentiable(func):
    """Runs ``step`` with grad mode set to the optimizer's ``differentiable`` default (off)."""

    @functools.wraps(func)
    def _use_grad(self, *args, **kwargs):
        prev = _core.is_grad_enabled()
        try:
            _core._set_grad_enabled(self.defaults["differentiable"])
            ret = func(self, *args, **kwargs)
        finally:
            _core._set_grad_enabled(prev)
        return ret

    return _use_grad


def _check_fused_foreach(fused, foreach, differentiable):
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _fused_step(update_name="_update_group"):
    """The ``step`` of an optimizer whose per-group update is its method ``update_name``."""

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step.

        Args:
            closure (Callable, optional): A closure that reevaluates the model and returns the loss.
        """
        return self._step_groups(closure, getattr(self, update_name))

    return step


def _check_not_differentiable(group):
    # The fused kernels update in place without recording a graph.
    if group["differentiable"]:
        raise RuntimeError("rustgrad optimizers do not support differentiable=True")


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): an iterable of :class:`rustgrad.Tensor` s or :class:`dict` s. Specifies what
            Tensors should be optimized.
        defaults: (dict): a dict containing default values of optimization options (used when a
            parameter group doesn't specify them).
    """

    def __init__(self, params, defaults):
        self.defaults = defaults

        if isinstance(params, rustgrad.Tensor):
            raise TypeError(
                "params argument given to the optimizer should be "
                "an iterable of Tensors or dicts, but got " + _typename(params)
            )

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]

        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {
            "defaults": self.defaults,
            "state": self.state,
            "param_groups": self.param_groups,
        }

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    def state_dict(self):
        r"""Return the state of the optimizer as a :class:`dict`: ``state`` (per-parameter state keyed by
        integer ids, numbered consecutively across groups) and ``param_groups`` (the hyperparameters,
        with ``params`` as lists of those ids). The state tensors are the live ones, not copies.
        """
        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update(
                {id(p): i for i, p in enumerate(group["params"], start_index) if id(p) not in param_mappings}
            )
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (param_mappings[id(k)] if isinstance(k, rustgrad.Tensor) else k): v for k, v in self.state.items()
        }
        return {"state": packed_state, "param_groups": param_groups}

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        # Floating-point state follows the parameter's dtype; `step` is never cast.
        fused = False
        capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                return value.to(dtype=rustgrad.float32)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype)
        return value

    def load_state_dict(self, state_dict):
        r"""Load the optimizer state (and the hyperparameters of every group).

        Args:
            state_dict (dict): optimizer state. Should be an object returned from a call to
                :meth:`state_dict`.
        """
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])

        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        param_lens = (len(g["params"]) for g in groups)
        saved_lens = (len(g["params"]) for g in saved_groups)
        if any(p_len != s_len for p_len, s_len in zip(param_lens, saved_lens)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )

        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, rustgrad.Tensor):
                return Optimizer._process_value_according_to_param_policy(param, value, param_id, param_groups, key)
            elif isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k) for k, v in value.items()}
            elif isinstance(value, Iterable) and not isinstance(value, str):
                return type(value)(_cast(param, v, param_id=param_id, param_groups=param_groups) for v in value)
            else:
                return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k, param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

    def zero_grad(self, set_to_none=True):
        r"""Reset the gradients of all optimized tensors: set them to ``None`` (the default), or with
        ``set_to_none=False`` detach them and fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad.zero_()

    def step(self, closure=None):
        r"""Perform a single optimization step to update parameter.

        Args:
            closure (Callable): A closure that reevaluates the model and returns the loss. Optional for
                most optimizers.
        """
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with rustgrad.enable_grad():
            return closure()

    def _step_groups(self, closure, update):
        """``step``'s frame: evaluates ``closure``, then calls ``update(group)`` per param group."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            _check_not_differentiable(group)
            update(group)
        return loss

    def _setstate_groups(self, state, defaults, steps_as_tensors=True):
        """A subclass's ``__setstate__``: group options missing from an old state get ``defaults``
        and (optimizers with a ``step`` state) numeric steps become tensors."""
        Optimizer.__setstate__(self, state)
        for group in self.param_groups:
            for key, value in defaults.items():
                group.setdefault(key, value)
        if steps_as_tensors:
            self._steps_as_tensors()

    def _gather_group(self, group, new_state, keys):
        """The parameters of ``group`` that have a gradient, their gradients, and per name in ``keys``
        the list of that state entry; a parameter without state gets ``new_state(p)`` first
        (PyTorch's lazy ``_init_group``)."""
        params, grads, group_states = [], [], []
        states = self.state
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            params.append(p)
            grads.append(grad)
            state = states[p]
            if not state:
                state.update(new_state(p))
            group_states.append(state)
        return params, grads, [list(map(operator.itemgetter(key), group_states)) for key in keys]

    def _steps_as_tensors(self):
        """``__setstate__``'s upgrade of a Python-number ``step`` to a float32 tensor."""
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], rustgrad.Tensor):
                    p_state["step"] = rustgrad.tensor(float(p_state["step"]), dtype=rustgrad.float32)

    def add_param_group(self, param_group):
        r"""Add a param group to the :class:`Optimizer` s ``param_groups`` (missing hyperparameters are
        taken from the defaults).

        Args:
            param_group (dict): Specifies what Tensors should be optimized along with group specific
                optimization options.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, rustgrad.Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        extracted_param_tensors = []
        extracted_param_names = []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                extracted_param_names.append(param[0])
                extracted_param_tensors.append(param[1])
            else:
                extracted_param_tensors.append(param)

        param_group["params"] = extracted_param_tensors
        if len(extracted_param_names) != 0:
            if len(extracted_param_names) == len(extracted_param_tensors):
                param_group["param_names"] = extracted_param_names
            else:
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are missing"
                )

        for param in param_group["params"]:
            if not isinstance(param, rustgrad.Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is " + _typename(param)
                )
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}"
                )
            else:
                param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        param_set = set()
        for group in self.param_groups:
            param_set.update(set(group["params"]))
            if ("param_names" in param_group) != ("param_names" in group):
                current_group_txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {current_group_txt} to the optimizer"
                )

        if not param_set.isdisjoint(set(param_group["params"])):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)
