"""``rustgrad.Size``: the type of ``Tensor.shape``, a tuple of ints (PyTorch's ``torch.Size``)."""


class Size(tuple):
    """A tensor shape: a tuple of ints that prints as ``rustgrad.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self):
        return f"rustgrad.Size({list(self)!r})"

    __str__ = __repr__

    def numel(self):
        """The number of elements of a tensor of this shape."""
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, key):
        result = super().__getitem__(key)
        # Slicing a Size gives a Size, as in PyTorch.
        return Size(result) if isinstance(key, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


Size.__module__ = "rustgrad"
