"""``rustgrad.nn.utils``: gradient clipping and parameter/vector conversion."""

from . import clip_grad, convert_parameters, rnn
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import parametrize, parametrizations  # noqa: E402  (register_parametrization, weight_norm, spectral_norm)
from .weight_norm import weight_norm, remove_weight_norm  # noqa: E402

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]
