"""``rustgrad.optim``: PyTorch's optimizers and learning-rate schedulers.

Each optimizer keeps PyTorch's param groups, state layout and ``state_dict`` format. SGD, Adam, AdamW,
RMSprop and Adagrad update with one fused Rust kernel call per param group (see ``src/optim/`` in the
repository); Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD and LBFGS run PyTorch's per-parameter
update op for op.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["ASGD", "Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "LBFGS", "NAdam", "Optimizer", "RAdam",
           "RMSprop", "Rprop", "SGD", "lr_scheduler"]
from . import swa_utils  # noqa: E402,F401  (AveragedModel, SWALR, update_bn)
