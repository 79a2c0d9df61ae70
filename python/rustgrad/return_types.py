"""``rustgrad.return_types``: the named tuples some ops return, e.g. ``x.max(dim)`` gives
``rustgrad.return_types.max(values=..., indices=...)``, printed as PyTorch prints its
``torch.return_types`` structseqs (one field per line)."""


class _ReturnType(tuple):
    """A tuple with named fields that prints as ``rustgrad.return_types.<name>(...)``."""

    __slots__ = ()
    _fields = ()
    n_fields = 0
    n_sequence_fields = 0

    def __new__(cls, sequence):
        values = tuple(sequence)
        if len(values) != len(cls._fields):
            raise TypeError(
                f"rustgrad.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                f"({len(values)}-sequence given)"
            )
        return super().__new__(cls, values)

    def __repr__(self):
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"rustgrad.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _make(name, fields):
    namespace = {"__slots__": (), "_fields": fields, "n_fields": len(fields), "n_sequence_fields": len(fields),
                 "__module__": __name__, "__qualname__": name}
    for i, field in enumerate(fields):
        namespace[field] = property(lambda self, i=i: tuple.__getitem__(self, i), doc=f"Alias for field number {i}")
    return type(name, (_ReturnType,), namespace)


max = _make("max", ("values", "indices"))
min = _make("min", ("values", "indices"))

sort = _make("sort", ("values", "indices"))
topk = _make("topk", ("values", "indices"))
kthvalue = _make("kthvalue", ("values", "indices"))
median = _make("median", ("values", "indices"))
cummax = _make("cummax", ("values", "indices"))
cummin = _make("cummin", ("values", "indices"))

__all__ = ["max", "min"]
__all__ += ["sort", "topk", "kthvalue", "median", "cummax", "cummin"]

nanmedian = _make("nanmedian", ("values", "indices"))
mode = _make("mode", ("values", "indices"))
histogram = _make("histogram", ("hist", "bin_edges"))
__all__ += ["nanmedian", "mode", "histogram"]
slogdet = _make("slogdet", ("sign", "logabsdet"))
linalg_slogdet = _make("linalg_slogdet", ("sign", "logabsdet"))
__all__ += ["slogdet", "linalg_slogdet"]
frexp = _make("frexp", ("mantissa", "exponent"))
__all__ += ["frexp"]
linalg_svd = _make("linalg_svd", ("U", "S", "Vh"))
svd = _make("svd", ("U", "S", "V"))
__all__ += ["linalg_svd", "svd"]
linalg_qr = _make("linalg_qr", ("Q", "R"))
qr = _make("qr", ("Q", "R"))
__all__ += ["linalg_qr", "qr"]
linalg_eigh = _make("linalg_eigh", ("eigenvalues", "eigenvectors"))
__all__ += ["linalg_eigh"]
