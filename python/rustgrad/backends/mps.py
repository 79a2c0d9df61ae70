"""``rustgrad.backends.mps``: Apple's Metal backend, absent from rustgrad."""


def is_available():
    """False: no MPS device."""
    return False


def is_built():
    """False: rustgrad is not built with MPS support."""
    return False


def is_macos_or_newer(major, minor):
    return False
