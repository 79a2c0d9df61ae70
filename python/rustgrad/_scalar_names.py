"""PyTorch's C++ scalar-type names (``Float``, ``Long``, ...), which its error messages use for
dtypes: one table for every Python-level message."""

_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "uint8": "Byte", "bool": "Bool"}


def scalar_type_name(dtype):
    """``Float`` for ``rustgrad.float32``, and so on."""
    name = str(dtype).rsplit(".", 1)[-1]
    return _NAMES.get(name, name)
