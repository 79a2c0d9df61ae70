"""``LayerNorm`` of ``rustgrad.nn`` (PyTorch's ``torch.nn.LayerNorm``)."""

import numbers

from ... import ones, zeros
from .. import _functional_loss as F
from ..parameter import Parameter
from .module import Module

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    """Normalises the trailing ``normalized_shape`` dims, then applies an elementwise affine map."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        kwargs = {} if dtype is None else {"dtype": dtype}
        if self.elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, **kwargs))
            if bias:
                self.bias = Parameter(zeros(self.normalized_shape, **kwargs))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        if self.elementwise_affine:
            self.weight.data.fill_(1.0)
            if self.bias is not None:
                self.bias.data.zero_()

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )
