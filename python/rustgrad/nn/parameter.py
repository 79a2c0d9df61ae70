"""``rustgrad.nn.Parameter``: a tensor that a Module registers as one of its parameters."""

from .._core import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and prints ``Parameter containing:``.

    It shares data with the tensor it is made from; ops on it return plain tensors.
    """

    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .. import zeros
            data = zeros(0)
        param = Tensor.__new__(cls, _alias_of=data.detach())
        param._register()
        param.requires_grad_(requires_grad)
        return param

    def __reduce_ex__(self, protocol):
        return (Parameter, (self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result


__all__ = ["Parameter"]
