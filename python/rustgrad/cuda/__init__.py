"""``rustgrad.cuda``: PyTorch's ``torch.cuda`` as a CPU-only build of PyTorch answers it.

rustgrad computes on the CPU only, so the queries scripts make on every run say "no CUDA"
(``is_available() -> False``, ``device_count() -> 0``), the seeding calls do nothing (PyTorch
queues them until CUDA initialises, which never happens), and anything that needs a GPU raises
PyTorch's ``AssertionError: ... not compiled with CUDA enabled``.
"""

_NOT_COMPILED = "rustgrad not compiled with CUDA enabled"


def _lazy_init():
    raise AssertionError(_NOT_COMPILED)


def is_available():
    """False: rustgrad has no CUDA backend."""
    return False


def device_count():
    """0: no CUDA devices."""
    return 0


def is_initialized():
    """False: CUDA is never initialised."""
    return False


def init():
    _lazy_init()


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    """Does nothing without CUDA (as PyTorch, which silently ignores it)."""
    int(seed)


def manual_seed_all(seed):
    """Does nothing without CUDA (as PyTorch, which silently ignores it)."""
    int(seed)


def seed():
    """Does nothing without CUDA."""


def seed_all():
    """Does nothing without CUDA."""


def current_device():
    _lazy_init()


def set_device(device):
    _lazy_init()


def get_device_name(device=None):
    _lazy_init()


def get_device_capability(device=None):
    _lazy_init()


def get_device_properties(device=None):
    _lazy_init()


def synchronize(device=None):
    _lazy_init()


def get_rng_state(device="cuda"):
    _lazy_init()


def get_rng_state_all():
    _lazy_init()


def set_rng_state(new_state, device="cuda"):
    """Queued until CUDA initialises in PyTorch: nothing happens here."""


def set_rng_state_all(new_states):
    """Queued until CUDA initialises in PyTorch: nothing happens here."""


def empty_cache():
    """Nothing to free without CUDA."""


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0
