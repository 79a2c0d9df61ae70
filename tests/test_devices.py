"""Device namespaces scripts query on every run (rustgrad.cuda, rustgrad.backends,
rustgrad.accelerator) and the CPU-build errors for CUDA tensors, compared with this CPU-only
PyTorch build."""

import pytest

import rustgrad
import rustgrad.nn as nn
from _helpers import error_of, torch_or_skip


def assert_same_error_as_torch(call):
    """As `_helpers.assert_same_error_as_torch`, with PyTorch's "Torch not compiled with CUDA
    enabled" spelled "rustgrad not compiled ..." (the library names itself, as check_device does)."""
    torch = torch_or_skip()
    theirs = error_of(torch, call)
    assert theirs is not None, "PyTorch accepts the call"
    theirs = (theirs[0], theirs[1].replace("Torch not compiled", "rustgrad not compiled"))
    assert error_of(rustgrad, call) == theirs


def test_cuda_queries_say_no_cuda():
    assert rustgrad.cuda.is_available() is False
    assert rustgrad.cuda.device_count() == 0
    assert rustgrad.cuda.is_initialized() is False
    assert rustgrad.cuda.is_bf16_supported() is False
    assert rustgrad.cuda.memory_allocated() == 0 and rustgrad.cuda.max_memory_allocated() == 0


def test_cuda_queries_match_torch():
    torch = torch_or_skip()
    for name in ("is_available", "device_count", "is_initialized", "memory_allocated", "max_memory_allocated",
                 "empty_cache", "seed", "seed_all"):
        assert getattr(rustgrad.cuda, name)() == getattr(torch.cuda, name)(), name


def test_cuda_seeding_is_silently_ignored_like_torch():
    torch = torch_or_skip()
    state = rustgrad.get_rng_state()
    for lib in (rustgrad, torch):
        assert lib.cuda.manual_seed(0) is None
        assert lib.cuda.manual_seed_all(123) is None
    assert rustgrad.get_rng_state().tolist() == state.tolist()
    assert_same_error_as_torch(lambda lib: lib.cuda.manual_seed("a"))


@pytest.mark.parametrize("name", ["current_device", "get_device_name", "get_device_properties", "synchronize",
                                  "get_rng_state", "get_device_capability"])
def test_cuda_calls_that_need_a_gpu_raise_like_torch(name):
    assert_same_error_as_torch(lambda lib: getattr(lib.cuda, name)())


def test_backends_flags_are_settable_with_torch_defaults():
    torch = torch_or_skip()
    cudnn = rustgrad.backends.cudnn
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit"):
        assert getattr(cudnn, flag) == getattr(torch.backends.cudnn, flag), flag
    assert cudnn.is_available() == torch.backends.cudnn.is_available()
    assert cudnn.version() == torch.backends.cudnn.version()
    old = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        assert rustgrad.backends.cudnn.benchmark is True and rustgrad.backends.cudnn.deterministic is True
    finally:
        cudnn.benchmark, cudnn.deterministic = old
    assert rustgrad.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32


def test_mps_and_accelerator_queries_match_torch():
    torch = torch_or_skip()
    assert rustgrad.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert rustgrad.backends.mps.is_built() is torch.backends.mps.is_built()
    assert rustgrad.accelerator.is_available() is torch.accelerator.is_available()
    assert rustgrad.accelerator.device_count() == torch.accelerator.device_count()
    assert rustgrad.accelerator.current_accelerator() == torch.accelerator.current_accelerator()
    assert rustgrad.accelerator.current_accelerator(check_available=True) is None


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(1, device="cuda"),
    lambda lib: lib.zeros(1, device="cuda:0"),
    lambda lib: lib.zeros(1, device=lib.device("cuda")),
    lambda lib: lib.tensor([1.0], device="cuda"),
    lambda lib: lib.randn(2, device="cuda"),
    lambda lib: lib.ones(2, device="cuda"),
    lambda lib: lib.zeros(1).cuda(),
    lambda lib: lib.zeros(1).cuda("cuda"),
    lambda lib: lib.zeros(1).cuda(0),
    lambda lib: lib.zeros(1).to("cuda"),
    lambda lib: lib.zeros(1).to(device="cuda:0"),
    lambda lib: lib.zeros(1).to(lib.device("cuda")),
    lambda lib: lib.nn.Linear(2, 2).cuda(),
    lambda lib: lib.nn.Linear(2, 2).to("cuda"),
    lambda lib: lib.accelerator.current_device_index(),
    lambda lib: lib.accelerator.synchronize(),
])
def test_cuda_tensors_raise_the_cpu_build_error(call):
    assert_same_error_as_torch(call)


def test_cpu_is_a_no_op_and_is_cuda_is_false():
    x = rustgrad.zeros(2)
    assert x.cpu() is x
    assert x.is_cuda is False
    m = nn.Linear(2, 2)
    assert m.cpu() is m
    assert nn.ReLU().cuda() is not None  # nothing to move: PyTorch returns the module too


def test_typical_script_preamble_runs():
    device = rustgrad.device("cuda" if rustgrad.cuda.is_available() else "cpu")
    rustgrad.manual_seed(0)
    rustgrad.cuda.manual_seed_all(0)
    rustgrad.backends.cudnn.benchmark = False
    model = nn.Linear(3, 1).to(device)
    out = model(rustgrad.randn(4, 3, device=device))
    assert str(device) == "cpu" and out.shape == (4, 1)
