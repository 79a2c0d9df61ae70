"""Seeding and RNG state of the default generator (``rustgrad.manual_seed`` and friends, also
reachable as ``rustgrad.random.*`` as in PyTorch)."""

from . import _core

Generator = _core.Generator
default_generator = _core._default_generator()


def manual_seed(seed):
    """Seeds the default generator and returns it; the same seed gives the same tensors."""
    return default_generator.manual_seed(int(seed))


def seed():
    """Seeds the default generator nondeterministically and returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restores the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(new_state)
