"""``rustgrad.backends.cuda``: the TF32 and SDPA flags scripts set; rustgrad has no CUDA."""


class _MatmulFlags:
    """``backends.cuda.matmul``: settable ``allow_tf32`` and reduced-precision flags."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built():
    """False: rustgrad is not built with CUDA."""
    return False
