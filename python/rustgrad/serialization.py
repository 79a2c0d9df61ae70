"""``rustgrad.save`` / ``rustgrad.load``: a safe file format for tensors and state dicts.

Unlike PyTorch's pickle-based format, loading never runs code: the file only describes data.

Format (version 1): a ZIP archive (entries stored uncompressed, so every entry carries a CRC-32
that ``load`` checks) holding

* ``rustgrad_archive/manifest.json``: ``{"format": "rustgrad", "version": 1, "root": NODE}``, where
  a NODE is a JSON list ``[tag, value]``: ``["none", null]``, ``["bool", b]``, ``["int", i]``,
  ``["float", float.hex(x)]`` (exact, also nan/inf), ``["str", s]``, ``["bytes", hex]``,
  ``["list", [NODE...]]``, ``["tuple", [NODE...]]``, ``["dict", [[KEY_NODE, NODE]...]]``,
  ``["odict", [[KEY_NODE, NODE]...], METADATA_NODE]`` (an ``OrderedDict``, key order and the
  ``_metadata`` attribute of module state dicts kept), ``["dtype", name]``, ``["size", [ints]]``,
  ``["device", "cpu"]``, and ``["tensor", index]`` into ``tensors``;
  dict keys are nodes too, so the int keys of optimizer state dicts come back as ints.
* ``"tensors"`` in the manifest: one record per saved tensor: ``dtype``, ``shape``,
  ``requires_grad``, ``parameter`` (saved from an ``nn.Parameter``: loads as one) and the entry
  ``rustgrad_archive/data/<index>`` holding its elements, C-contiguous, little-endian.

A tensor object saved twice in one call is written once and loads as one object (identity kept).
A view saves only its own elements, not its base's whole storage, and loads as an independent
tensor: views of one storage do not share memory after loading. A non-leaf tensor loads as a leaf
with ``requires_grad=True`` (as PyTorch). ``.grad`` is not saved.

Errors: an object of an unsupported type raises ``TypeError`` on save; a file that is not a valid
archive (truncated, corrupted, not written by ``rustgrad.save``) raises ``RuntimeError`` naming
the problem on load.
"""

import collections
import io
import json
import os
import zipfile

from . import _core

__all__ = ["save", "load"]

_PREFIX = "rustgrad_archive/"
_MANIFEST = _PREFIX + "manifest.json"
_FORMAT_VERSION = 1
_MAX_DEPTH = 200  # nesting limit when loading, well below Python's recursion limit

_DTYPES = {
    "float32": ("<f4", _core.float32),
    "float64": ("<f8", _core.float64),
    "int64": ("<i8", _core.int64),
    "int32": ("<i4", _core.int32),
    "uint8": ("|u1", _core.uint8),
    "bool": ("|b1", _core.bool),
}
_DTYPE_NAMES = {dtype: name for name, (_, dtype) in _DTYPES.items()}


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


# ----- save -----


class _Writer:
    def __init__(self):
        self.records = []  # manifest entries of the tensors, by index
        self.blobs = []  # their bytes
        self.memo = {}  # id(tensor) -> index (the tensor is kept alive by `keep`)
        self.keep = []
        self.active = set()  # ids of containers being encoded (cycle detection)

    def tensor(self, t):
        key = id(t)
        if key in self.memo:
            return ["tensor", self.memo[key]]
        import numpy as np

        from .nn import Parameter

        name = _DTYPE_NAMES.get(t.dtype)
        if name is None:
            raise TypeError(f"rustgrad.save: tensors of dtype {t.dtype} cannot be saved")
        array = np.ascontiguousarray(t.detach().numpy()).astype(_DTYPES[name][0], copy=False)
        index = len(self.records)
        self.records.append({
            "dtype": name,
            "shape": list(t.shape),
            "requires_grad": bool(t.requires_grad),
            "parameter": isinstance(t, Parameter),
        })
        self.blobs.append(array.tobytes())
        self.memo[key] = index
        self.keep.append(t)
        return ["tensor", index]

    def container(self, obj, encode_items):
        key = id(obj)
        if key in self.active:
            raise ValueError("rustgrad.save: cannot save a container that contains itself")
        self.active.add(key)
        try:
            return encode_items()
        finally:
            self.active.discard(key)

    def encode(self, obj):
        if obj is None:
            return ["none", None]
        if isinstance(obj, bool):
            return ["bool", obj]
        if isinstance(obj, _core.Tensor):
            return self.tensor(obj)
        if isinstance(obj, int):
            return ["int", int(obj)]
        if isinstance(obj, float):
            return ["float", float(obj).hex()]
        if isinstance(obj, str):
            return ["str", str(obj)]
        if isinstance(obj, (bytes, bytearray)):
            return ["bytes", bytes(obj).hex()]
        if isinstance(obj, _core.dtype) and obj in _DTYPE_NAMES:
            return ["dtype", _DTYPE_NAMES[obj]]
        from ._size import Size
        from ._device import device

        if isinstance(obj, Size):
            return ["size", [int(d) for d in obj]]
        if isinstance(obj, device):
            return ["device", str(obj)]
        if isinstance(obj, collections.OrderedDict):
            def items():
                metadata = getattr(obj, "_metadata", None)
                pairs = [[self.encode(k), self.encode(v)] for k, v in obj.items()]
                return ["odict", pairs, self.encode(metadata)]

            return self.container(obj, items)
        if type(obj) is dict:
            return self.container(obj, lambda: ["dict", [[self.encode(k), self.encode(v)] for k, v in obj.items()]])
        if type(obj) is list:
            return self.container(obj, lambda: ["list", [self.encode(v) for v in obj]])
        if type(obj) is tuple:
            return self.container(obj, lambda: ["tuple", [self.encode(v) for v in obj]])
        raise TypeError(
            f"rustgrad.save: cannot save an object of type {type(obj).__module__}.{type(obj).__qualname__}; "
            "supported are tensors, nn.Parameter, dict, OrderedDict, list, tuple, str, bytes, int, float, "
            "bool, None, rustgrad.dtype, rustgrad.Size and rustgrad.device"
        )


def save(obj, f):
    """Saves ``obj`` (tensors and plain containers of them: a ``state_dict``, an optimizer's
    ``state_dict``, ...) to ``f``, a path or a binary file object opened for writing."""
    writer = _Writer()
    root = writer.encode(obj)
    manifest = {"format": "rustgrad", "version": _FORMAT_VERSION, "root": root, "tensors": writer.records}
    payload = json.dumps(manifest, separators=(",", ":"), allow_nan=False).encode("utf-8")

    def write(target):
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            archive.writestr(_MANIFEST, payload)
            for i, blob in enumerate(writer.blobs):
                archive.writestr(f"{_PREFIX}data/{i}", blob)

    if _is_path(f):
        with open(f, "wb") as handle:
            write(handle)
    else:
        write(f)


# ----- load -----


class _Corrupt(Exception):
    """An invalid manifest; turned into RuntimeError by ``load``."""


def _check(condition, what):
    if not condition:
        raise _Corrupt(what)


class _Reader:
    def __init__(self, archive, records):
        self.archive = archive
        _check(isinstance(records, list), "'tensors' is not a list")
        self.records = records
        self.loaded = {}

    def tensor(self, index):
        _check(type(index) is int and 0 <= index < len(self.records), f"tensor index {index!r} out of range")
        if index in self.loaded:
            return self.loaded[index]
        import numpy as np

        record = self.records[index]
        _check(isinstance(record, dict), f"tensor record {index} is not an object")
        name = record.get("dtype")
        _check(name in _DTYPES, f"tensor {index} has unknown dtype {name!r}")
        shape = record.get("shape")
        _check(isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape),
               f"tensor {index} has an invalid shape {shape!r}")
        requires_grad = record.get("requires_grad", False)
        parameter = record.get("parameter", False)
        _check(type(requires_grad) is bool and type(parameter) is bool, f"tensor {index} has invalid flags")
        np_dtype = np.dtype(_DTYPES[name][0])
        numel = 1
        for d in shape:
            numel *= d
        try:
            blob = self.archive.read(f"{_PREFIX}data/{index}")
        except KeyError:
            raise _Corrupt(f"the data of tensor {index} is missing") from None
        _check(len(blob) == numel * np_dtype.itemsize,
               f"tensor {index} has {len(blob)} bytes of data, expected {numel * np_dtype.itemsize} "
               f"for shape {shape} and dtype {name}")
        array = np.frombuffer(blob, dtype=np_dtype).astype(np_dtype.newbyteorder("="), copy=True).reshape(shape)
        if name == "bool":
            _check(bool((array.view(np.uint8) <= 1).all()), f"tensor {index} holds invalid bool values")
        t = _core.from_numpy(array)
        if parameter:
            from .nn import Parameter

            t = Parameter(t, requires_grad=requires_grad)
        elif requires_grad:
            _check(_DTYPES[name][1] in (_core.float32, _core.float64), f"tensor {index} of dtype {name} requires grad")
            t.requires_grad_(True)
        self.loaded[index] = t
        return t

    def pairs(self, value, depth):
        _check(isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value),
               "invalid dict entries")
        out = []
        for k, v in value:
            key = self.decode(k, depth + 1)
            try:
                hash(key)
            except TypeError:
                raise _Corrupt(f"unhashable dict key of type {type(key).__name__}") from None
            out.append((key, self.decode(v, depth + 1)))
        return out

    def decode(self, node, depth=0):
        _check(depth < _MAX_DEPTH, "structure nested too deeply")
        _check(isinstance(node, list) and len(node) >= 2 and isinstance(node[0], str), f"invalid node {node!r:.80}")
        tag, value = node[0], node[1]
        if tag == "none":
            return None
        if tag == "bool":
            _check(type(value) is bool, "invalid bool")
            return value
        if tag == "int":
            _check(type(value) is int, "invalid int")
            return value
        if tag == "float":
            _check(isinstance(value, str), "invalid float")
            try:
                return float.fromhex(value)
            except (ValueError, OverflowError):
                raise _Corrupt(f"invalid float {value!r:.80}") from None
        if tag == "str":
            _check(isinstance(value, str), "invalid str")
            return value
        if tag == "bytes":
            _check(isinstance(value, str), "invalid bytes")
            try:
                return bytes.fromhex(value)
            except ValueError:
                raise _Corrupt("invalid bytes") from None
        if tag in ("list", "tuple"):
            _check(isinstance(value, list), f"invalid {tag}")
            items = [self.decode(v, depth + 1) for v in value]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            return dict(self.pairs(value, depth))
        if tag == "odict":
            _check(len(node) == 3, "invalid OrderedDict")
            out = collections.OrderedDict(self.pairs(value, depth))
            metadata = self.decode(node[2], depth + 1)
            if metadata is not None:
                out._metadata = metadata
            return out
        if tag == "tensor":
            return self.tensor(value)
        if tag == "dtype":
            _check(value in _DTYPES, f"unknown dtype {value!r:.80}")
            return _DTYPES[value][1]
        if tag == "size":
            _check(isinstance(value, list) and all(type(d) is int for d in value), "invalid Size")
            from ._size import Size

            return Size(value)
        if tag == "device":
            _check(value == "cpu", f"unknown device {value!r:.80}")
            from ._device import device

            return device(value)
        raise _Corrupt(f"unknown node type {tag!r:.80}")


def _read_manifest(archive):
    try:
        payload = archive.read(_MANIFEST)
    except KeyError:
        raise _Corrupt("it has no manifest (not written by rustgrad.save)") from None
    try:
        manifest = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _Corrupt(f"its manifest is not valid JSON ({e})") from None
    _check(isinstance(manifest, dict) and manifest.get("format") == "rustgrad", "its manifest has no rustgrad header")
    version = manifest.get("version")
    _check(version == _FORMAT_VERSION, f"unsupported format version {version!r:.40}")
    _check("root" in manifest, "its manifest has no root object")
    return manifest


def load(f, map_location=None, weights_only=None, mmap=None):
    """Loads an object saved with ``rustgrad.save`` from ``f`` (a path or a binary file object).

    The format holds data only, so loading is always safe: ``weights_only`` is accepted for
    PyTorch compatibility and changes nothing. ``map_location`` may be ``None`` or the CPU.
    A damaged or foreign file raises ``RuntimeError``."""
    if map_location is not None and str(map_location) != "cpu":
        raise ValueError(f"rustgrad.load: only the CPU is supported, got map_location={map_location!r}")
    if mmap:
        raise ValueError("rustgrad.load: mmap=True is not supported")
    if _is_path(f):
        with open(f, "rb") as handle:
            data = handle.read()
        where = f"'{os.fspath(f)}'"
    else:
        data = f.read()
        where = "the file"
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("rustgrad.load: the file object must be opened in binary mode")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = _read_manifest(archive)
            return _Reader(archive, manifest.get("tensors", [])).decode(manifest["root"])
    except _Corrupt as e:
        raise RuntimeError(f"rustgrad.load: {where} is not a valid rustgrad.save file: {e}") from None
    except zipfile.BadZipFile as e:
        raise RuntimeError(f"rustgrad.load: {where} is not a valid rustgrad.save file (corrupted or truncated archive: {e})") from None
    except (EOFError, OSError, ValueError, NotImplementedError, UnicodeDecodeError, OverflowError, RecursionError,
            MemoryError, zipfile.LargeZipFile, __import__("struct").error) as e:
        raise RuntimeError(
            f"rustgrad.load: {where} is not a valid rustgrad.save file (corrupted archive: {type(e).__name__}: {e})"
        ) from None
