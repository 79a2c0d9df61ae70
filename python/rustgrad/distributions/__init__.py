"""``rustgrad.distributions``: PyTorch's probability distributions (``torch.distributions``) over
rustgrad tensors: argument validation, sampling from rustgrad's generator, reparameterised
``rsample``, ``log_prob``, ``entropy``, moments and closed-form ``kl_divergence``."""

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "MultivariateNormal", "Normal", "Uniform",
           "constraints", "kl_divergence", "register_kl"]
