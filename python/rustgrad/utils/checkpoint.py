"""Activation checkpointing (PyTorch's ``rustgrad.utils.checkpoint``): trade compute for memory by not
keeping a function's intermediate results for backward and recomputing them when backward needs
them.

Two variants, as in PyTorch:

* reentrant (``use_reentrant=True``, still the default when the argument is omitted): the whole
  function becomes one custom autograd Function, ``CheckpointFunction``. Its forward runs the
  function under ``no_grad`` (nothing is saved but the inputs); its backward re-runs it with grad
  mode on and calls ``rustgrad.autograd.backward`` on the recomputed outputs (a nested backward).
* non-reentrant (``use_reentrant=False``, recommended): the function runs normally inside
  ``saved_tensors_hooks`` whose pack hook keeps only a small ``_Holder`` per saved tensor, so the
  activations are freed as soon as nothing else needs them. The first unpack during a backward run
  recomputes the function (under a second pair of hooks that hands each recomputed tensor to the
  matching holder, stopping early once all are filled) and returns the recomputed value. The
  output therefore keeps the inner op's ``grad_fn`` and ``autograd.grad`` works.

With ``preserve_rng_state=True`` (default) the default generator's state at forward time is
restored for the recompute, and the surrounding state is put back afterwards, so random ops
(dropout) recompute the same values.
"""

import contextlib
import uuid
import warnings
import weakref
from collections import defaultdict

from .. import _core
from ..autograd.function import Function
from ..autograd.graph import saved_tensors_hooks
from ..autograd.grad_mode import no_grad, enable_grad
from .. import random as _random

_Tensor = _core.Tensor

__all__ = [
    "checkpoint",
    "checkpoint_sequential",
    "CheckpointError",
    "CheckpointFunction",
    "check_backward_validity",
    "detach_variable",
    "noop_context_fn",
]


class CheckpointError(RuntimeError):
    """Raised when the recomputation does not match the original forward."""


def noop_context_fn():
    """The default ``context_fn``: no extra context for the forward or the recompute."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs):
    """Detached copies of the tensors in ``inputs`` (a tuple) keeping their ``requires_grad``."""
    if isinstance(inputs, tuple):
        out = []
        for inp in inputs:
            if not isinstance(inp, _Tensor):
                out.append(inp)
                continue
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            out.append(x)
        return tuple(out)
    raise RuntimeError(
        f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}"
    )


def check_backward_validity(inputs):
    """Warns when no tensor input requires grad (then the reentrant checkpoint's output won't)."""
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, _Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)


@contextlib.contextmanager
def _fork_rng(enabled):
    """Restores the default generator's state on exit (a no-op when not ``enabled``)."""
    if not enabled:
        yield
        return
    state = _random.get_rng_state()
    try:
        yield
    finally:
        _random.set_rng_state(state)


class CheckpointFunction(Function):
    """The reentrant checkpoint: its node prints as ``CheckpointFunctionBackward``."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = _random.get_rng_state()
        # Non-tensor inputs are kept in ctx; tensors are saved (placeholders None until backward).
        ctx.inputs = []
        ctx.tensor_indices = []
        tensor_inputs = []
        for i, arg in enumerate(args):
            if isinstance(arg, _Tensor):
                tensor_inputs.append(arg)
                ctx.tensor_indices.append(i)
                ctx.inputs.append(None)
            else:
                ctx.inputs.append(arg)
        ctx.save_for_backward(*tensor_inputs)
        with no_grad():
            outputs = run_function(*args)
        return outputs

    @staticmethod
    def backward(ctx, *args):
        if not _core._is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, rustgrad.utils.checkpoint is incompatible"
                " with .grad() or passing an `inputs` parameter to .backward()."
                " To resolve this error, you can either set use_reentrant=False,"
                " or call .backward() without passing the `inputs` argument."
            )
        inputs = list(ctx.inputs)
        tensors = ctx.saved_tensors
        for i, idx in enumerate(ctx.tensor_indices):
            inputs[idx] = tensors[i]
        # Recompute under the forward's RNG state; restore the surrounding state afterwards.
        with _fork_rng(ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                _random.set_rng_state(ctx.fwd_cpu_state)
            detached_inputs = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached_inputs)
        if isinstance(outputs, _Tensor):
            outputs = (outputs,)
        # Backward only through the outputs that require grad.
        outputs_with_grad = []
        args_with_grad = []
        for i in range(len(outputs)):
            if isinstance(outputs[i], _Tensor) and outputs[i].requires_grad:
                outputs_with_grad.append(outputs[i])
                args_with_grad.append(args[i])
        if len(outputs_with_grad) == 0:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        from .. import autograd

        autograd.backward(outputs_with_grad, args_with_grad)
        grads = tuple(inp.grad if isinstance(inp, _Tensor) else None for inp in detached_inputs)
        return (None, None) + grads


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default",
               debug=False, early_stop=True, **kwargs):
    """Runs ``function(*args, **kwargs)`` without keeping its intermediate results for backward;
    they are recomputed during backward. See the module docstring for the two variants."""
    if use_reentrant is None:
        warnings.warn(
            "rustgrad.utils.checkpoint: the use_reentrant parameter should be "
            "passed explicitly. Starting in PyTorch 2.9, calling checkpoint "
            "without use_reentrant will raise an exception. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True

    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)

    gen = _checkpoint_without_reentrant_generator(
        function, preserve, context_fn, determinism_check, debug, early_stop, *args, **kwargs
    )
    next(gen)
    try:
        ret = function(*args, **kwargs)
    except BaseException as e:
        try:
            gen.throw(e)
        except StopIteration as stop:
            raise RuntimeError(
                "rustgrad.utils.checkpoint: the forward context provided by "
                "context_fn suppressed an exception raised during the "
                "checkpointed forward. This is not supported because "
                "checkpoint cannot return a value for a failed forward."
            ) from stop
        raise
    try:
        next(gen)
    except StopIteration:
        return ret
    raise AssertionError(
        "rustgrad.utils.checkpoint: expected context_fn generator to yield exactly twice, but it yielded more than twice."
    )


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Splits ``functions`` (a list or an ``nn.Sequential``) into ``segments`` chunks and
    checkpoints every chunk but the last, which runs normally."""
    if use_reentrant is None:
        warnings.warn(
            "rustgrad.utils.checkpoint.checkpoint_sequential: the use_reentrant "
            "parameter should be passed explicitly. "
            "In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is "
            "recommended, but if you need to preserve the current default "
            "behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True

    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input

        return forward

    if hasattr(functions, "children") and callable(functions.children):  # an nn.Sequential
        functions = list(functions.children())

    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(
            run_function(start, end, functions), input, use_reentrant=use_reentrant, preserve_rng_state=preserve
        )
    return run_function(end + 1, len(functions) - 1, functions)(input)


# ----- non-reentrant checkpoint -----

_debug_tip_msg = """
Tip: To see a more detailed error message, either pass `debug=True` to
`rustgrad.utils.checkpoint.checkpoint(...)` or wrap the code block
with `with rustgrad.utils.checkpoint.set_checkpoint_debug_enabled(True):` to
enable checkpoint\u2011debug mode globally.
"""


def _default_meta_extractor(x):
    return {"shape": x.shape, "dtype": x.dtype, "device": x.device}


_allowed_determinism_checks_to_fns = {"default": _default_meta_extractor, "none": lambda _: None}


class _StopRecomputationError(Exception):
    """Raised by the recompute pack hook once every holder is filled (early stop)."""


class _Handle:
    pass


class _Holder:
    """What the graph keeps instead of a saved tensor: one handle per backward run (graph task)."""

    def __init__(self):
        self.handles = {}


class _CheckpointFrame:
    """The state of one non-reentrant checkpoint call."""

    def __init__(self, recompute_fn, early_stop, metadata_fn):
        self.recompute_fn = recompute_fn
        self.saved_args = []
        self.weak_holders = []
        # graph task id -> {handle: recomputed tensor}; handles die with their holders' entries
        self.recomputed = defaultdict(weakref.WeakKeyDictionary)
        self.recomp_counter = defaultdict(int)
        self.is_recomputed = defaultdict(bool)
        self.early_stop = early_stop
        self.metadata_fn = metadata_fn
        self.x_metadatas = []
        self.forward_completed = False
        self.ignore_saved_mismatch = False

    def check_recomputed_tensors_match(self, gid):
        if self.ignore_saved_mismatch:
            return
        if not len(self.weak_holders) == self.recomp_counter[gid]:
            raise CheckpointError(
                "rustgrad.utils.checkpoint: A different number of tensors was saved "
                "during the original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.weak_holders)}\n"
                f"Number of tensors saved during recomputation: {self.recomp_counter[gid]}.\n"
                f"{_debug_tip_msg}"
            )
        nb_meta_different = []
        for idx, weak_holder in enumerate(self.weak_holders):
            holder = weak_holder()
            if holder is None:
                continue
            x_meta = self.x_metadatas[idx]
            recomputed_x = self.recomputed[gid][holder.handles[gid]]
            if x_meta != self.metadata_fn(recomputed_x):
                nb_meta_different.append((idx, x_meta, self.metadata_fn(recomputed_x)))
        if nb_meta_different:
            mismatched = ""
            for idx, x_meta, recomputed_meta in nb_meta_different:
                mismatched += (
                    f"tensor at position {idx}:\n"
                    f"saved metadata: {x_meta}\n"
                    f"recomputed metadata: {recomputed_meta}\n"
                )
            raise CheckpointError(
                "rustgrad.utils.checkpoint: Recomputed values for the following tensors "
                "have different metadata than during the forward pass.\n"
                f"{mismatched}.\n"
                f"{_debug_tip_msg}"
            )


class _recomputation_hook(saved_tensors_hooks):
    """Active while recomputing: the i-th saved tensor goes to the i-th holder of the forward."""

    def __init__(self, target_frame_ref, gid):
        def pack_hook(x):
            x = x.detach() if x.requires_grad else x
            frame = target_frame_ref()
            if frame is None:
                raise AssertionError("Internal error: target_frame reference is None")
            recomp_idx = frame.recomp_counter[gid]
            frame.recomp_counter[gid] += 1
            if recomp_idx >= len(frame.weak_holders):
                if not frame.forward_completed:
                    frame.ignore_saved_mismatch = True
                    return x
                raise CheckpointError(
                    "rustgrad.utils.checkpoint: trying to save more tensors during "
                    "recomputation than during the original forward pass.\n"
                    f"{_debug_tip_msg}"
                )
            holder = frame.weak_holders[recomp_idx]()
            if holder is not None:
                holder.handles[gid] = _Handle()
                frame.recomputed[gid][holder.handles[gid]] = x
            if frame.early_stop and frame.recomp_counter[gid] == len(frame.weak_holders):
                raise _StopRecomputationError
            return x

        def unpack_hook(x):
            return x

        super().__init__(pack_hook, unpack_hook)


class _checkpoint_hook(saved_tensors_hooks):
    """Active during the checkpointed forward: saved tensors become holders."""

    def __init__(self, frame):
        def pack_hook(x):
            holder = _Holder()
            frame.weak_holders.append(weakref.ref(holder))
            if frame.metadata_fn is not None:
                with no_grad():
                    frame.x_metadatas.append(frame.metadata_fn(x))
            return holder

        def unpack_hook(holder):
            gid = _core._current_graph_task_id()
            if gid == -1:  # unpacked outside backward (e.g. ctx.saved_tensors read by hand)
                gid = int(uuid.uuid4())
            if not frame.is_recomputed[gid]:
                try:
                    with _recomputation_hook(weakref.ref(frame), gid), enable_grad():
                        frame.recompute_fn(*frame.saved_args)
                except _StopRecomputationError:
                    pass
                frame.is_recomputed[gid] = True
                frame.check_recomputed_tensors_match(gid)
            if holder.handles.get(gid) is None:
                raise CheckpointError(
                    "rustgrad.utils.checkpoint: Unpack is being triggered for a tensor that was already "
                    "unpacked once. If you are calling ctx.saved_tensors in backward, make sure "
                    "to do so only once. Otherwise please open an issue with details on your use case."
                )
            ret = frame.recomputed[gid][holder.handles[gid]]
            holder.handles[gid] = None  # drops the recomputed tensor once used
            return ret

        super().__init__(pack_hook, unpack_hook)


def _checkpoint_without_reentrant_generator(fn, preserve_rng_state=True, context_fn=noop_context_fn,
                                            determinism_check="default", debug=False, early_stop=True,
                                            *args, **kwargs):
    """Yields once before and once after the checkpointed forward (which the caller runs)."""
    if determinism_check not in _allowed_determinism_checks_to_fns:
        raise ValueError(
            f"determinism_check should be one of {list(_allowed_determinism_checks_to_fns.keys())}, "
            f"but got {determinism_check}"
        )
    metadata_fn = _allowed_determinism_checks_to_fns[determinism_check]
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    forward_context, recompute_context = context_fn()
    if preserve_rng_state:
        fwd_cpu_state = _random.get_rng_state()

    def recompute_fn(*inputs):
        with _fork_rng(preserve_rng_state):
            if preserve_rng_state:
                _random.set_rng_state(fwd_cpu_state)
            with recompute_context:
                fn(*inputs, **kwargs)

    frame = _CheckpointFrame(recompute_fn, early_stop, metadata_fn)
    if not _core.is_grad_enabled():
        yield
        return
    frame.saved_args = list(args)

    suppressed = False
    with _checkpoint_hook(frame), forward_context:
        try:
            yield
        except BaseException:
            suppressed = True
            raise
    if suppressed:
        raise RuntimeError(
            "rustgrad.utils.checkpoint: the forward context provided by "
            "context_fn suppressed an exception raised during the "
            "checkpointed forward. This is not supported because checkpoint "
            "cannot return a value for a failed forward."
        )
    frame.forward_completed = True
