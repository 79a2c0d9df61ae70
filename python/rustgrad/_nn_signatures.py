"""PyTorch's argument-parser checks for the Python-level top-level nn functions (``rustgrad.dropout``,
``rustgrad.conv2d``...), whose signatures the core's parser does not register.

A signature is written as PyTorch prints it, with the parameter types of its schema:
``"dropout(Tensor input, float p, bool train)"``; ``?`` marks a nullable type, ``int[N]`` a size
list that also takes one int, ``*`` starts the keyword-only parameters. ``Overloads.bind`` returns
the index of the first matching overload and its values (defaults filled in), or raises the
TypeError PyTorch's parser raises for the call.
"""

import ast

from ._core import Tensor, Generator

_PRINTED = {"Scalar": "Number", "Tensor[]": "tuple of Tensors", "Generator": "torch.Generator"}
# PyTorch's Python parser cannot evaluate this printed default and uses 0: top-level losses called
# without ``reduction`` do not reduce (torch.kl_div(x, t) is elementwise).
_SPECIAL_DEFAULTS = {"at::Reduction::Mean": 0}


class _Param:
    def __init__(self, text, kw_only):
        text, _, default = text.partition("=")
        kind, name = text.strip().rsplit(" ", 1)
        self.name, self.kw_only = name, kw_only
        self.nullable = kind.endswith("?")
        kind = kind.rstrip("?")
        self.size = None
        if kind.startswith("int[") and kind != "int[]":
            self.size = int(kind[4:-1])
            kind = "int[]"
        self.kind = kind
        self.has_default = bool(default)
        default = default.strip()
        self.printed_default = default
        if default in _SPECIAL_DEFAULTS:
            self.default = _SPECIAL_DEFAULTS[default]
        elif default:
            self.default = ast.literal_eval(default)
            if kind == "int[]" and isinstance(self.default, int):
                self.default = [self.default] * (self.size or 1)
        self.nullable = self.nullable or (self.has_default and self.default is None)
        self.type_name = "tuple of ints" if kind == "int[]" else _PRINTED.get(kind, kind)

    def printed(self):
        text = f"{self.type_name} {self.name}"
        return f"{text} = {self.printed_default}" if self.has_default else text

    def check(self, value):
        """None if ``value`` fits, else the error text after "argument 'name' ... ", as a pair
        (kind of failure, text)."""
        if value is None:
            return None if self.nullable else ("type", "NoneType")
        kind = self.kind
        if kind == "Tensor":
            ok = isinstance(value, Tensor)
        elif kind in ("float", "Scalar"):
            ok = isinstance(value, (int, float)) or (isinstance(value, Tensor) and value.numel() == 1)
        elif kind == "int":
            ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, Tensor) and value.numel() == 1 and not value.dtype.is_floating_point)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "str":
            ok = isinstance(value, str)
        elif kind == "Generator":
            ok = isinstance(value, Generator)
        elif kind == "Tensor[]":
            ok = isinstance(value, (list, tuple)) and all(isinstance(v, Tensor) for v in value)
        elif kind == "int[]":
            if isinstance(value, int) and not isinstance(value, bool):
                ok = self.size is not None
            elif isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    if not (isinstance(v, int) and not isinstance(v, bool)):
                        return ("unpack", f'failed to unpack the object at pos {i + 1} with error '
                                          f'"type must be tuple of ints,but got {type(v).__name__}"')
                ok = True
            else:
                ok = False
        else:  # pragma: no cover - a typo in a signature of this module
            raise AssertionError(kind)
        return None if ok else ("type", type(value).__name__)


class _Signature:
    def __init__(self, text):
        self.name, _, rest = text.partition("(")
        params, kw_only = [], False
        for part in rest.rstrip(")").split(", "):
            if part == "*":
                kw_only = True
                continue
            if part:
                params.append(_Param(part, kw_only))
        self.params = params
        self.max_pos = sum(not p.kw_only for p in params)

    def printed(self):
        return "(" + ", ".join(p.printed() for p in self.params) + ")"

    def bind(self, args, kwargs):
        """The values, or the TypeError of this signature alone."""
        name = self.name
        if len(args) > self.max_pos:
            low = sum(not p.kw_only and not p.has_default for p in self.params)
            takes = f"{self.max_pos}" if low == self.max_pos else f"from {low} to {self.max_pos}"
            return TypeError(f"{name}() takes {takes} positional arguments but {len(args)} were given")
        values, given = [], []
        for i, p in enumerate(self.params):
            if i < len(args):
                if p.name in kwargs:
                    return TypeError(f"{name}() got multiple values for argument '{p.name}'")
                values.append(args[i])
                given.append(True)
            elif p.name in kwargs:
                values.append(kwargs[p.name])
                given.append(True)
            else:
                values.append(p.default if p.has_default else None)
                given.append(False)
        names = {p.name for p in self.params}
        for k in kwargs:
            if k not in names:
                return TypeError(f"{name}() got an unexpected keyword argument '{k}'")
        missing = [p.name for p, g in zip(self.params, given) if not g and not p.has_default]
        if missing:
            plural = "" if len(missing) > 1 else "s"  # PyTorch's wording
            listed = ", ".join(f'"{m}"' for m in missing)
            return TypeError(f"{name}() missing {len(missing)} required positional argument{plural}: {listed}")
        for i, (p, v, g) in enumerate(zip(self.params, values, given)):
            if not g:
                continue
            bad = p.check(v)
            if bad is None:
                continue
            where = f" (position {i + 1})" if i < len(args) else ""
            if bad[0] == "unpack":
                return TypeError(f"{name}(): argument '{p.name}' {bad[1]}")
            return TypeError(f"{name}(): argument '{p.name}'{where} must be {p.type_name}, not {bad[1]}")
        return values


def _arg_type(v):
    return type(v).__name__


class Overloads:
    """The overloads of one function, tried in order."""

    def __init__(self, *texts):
        self.sigs = [_Signature(t) for t in texts]
        self.name = self.sigs[0].name

    def bind(self, args, kwargs=None):
        kwargs = kwargs or {}
        results = [s.bind(args, kwargs) for s in self.sigs]
        for i, r in enumerate(results):
            if not isinstance(r, TypeError):
                return i, r
        if len(self.sigs) == 1:
            raise results[0]
        got = ", ".join([_arg_type(a) for a in args] + [f"{k}={_arg_type(v)}" for k, v in kwargs.items()])
        listed = "".join(f" * {s.printed()}\n" for s in self.sigs)
        raise TypeError(
            f"{self.name}() received an invalid combination of arguments - got ({got}), but expected one of:\n{listed}"
        )


def signature(*texts):
    """``bind(args, kwargs) -> values`` of a one-overload function (its parser's errors)."""
    over = Overloads(*texts)

    def bind(args, kwargs=None):
        return over.bind(args, kwargs)[1]

    return bind
