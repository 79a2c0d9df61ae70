"""``WeightedRandomSampler`` (PyTorch's ``torch.utils.data.WeightedRandomSampler``): indices drawn
with probability proportional to ``weights``, as ``torch.multinomial`` draws them."""

from ... import _core
from ..._sampling import multinomial_indices
from .sampler import Sampler

__all__ = ["WeightedRandomSampler", "multinomial_indices"]


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` with probability
    ``weights[i] / sum(weights)`` (without replacement: each index at most once)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        if isinstance(weights, _core.Tensor):
            weights_tensor = weights.to(_core.float64)
        else:
            weights_tensor = _core.tensor(weights, dtype=_core.float64)
        if len(weights_tensor.shape) != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights_tensor.shape)}")
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        yield from multinomial_indices(self.weights, self.num_samples, self.replacement, self.generator).tolist()

    def __len__(self):
        return self.num_samples
