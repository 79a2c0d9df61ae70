"""``rustgrad.optim``: PyTorch's optimizers and learning-rate schedulers.

Each optimizer keeps PyTorch's param groups, state layout and ``state_dict`` format; its update is one
fused Rust kernel call per param group (see ``src/optim/`` in the repository).
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
