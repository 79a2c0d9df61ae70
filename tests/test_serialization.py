"""rustgrad.save / rustgrad.load: round trips, and damaged files never crash the loader."""

import collections
import io
import json
import math
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import rustgrad

from _helpers import torch_or_skip

DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]


def _roundtrip(obj):
    buf = io.BytesIO()
    rustgrad.save(obj, buf)
    buf.seek(0)
    return rustgrad.load(buf)


def _array(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if dtype in ("float32", "float64"):
        return np.asarray(rng.standard_normal(shape)).astype(dtype)
    info = np.iinfo(dtype)
    return np.asarray(rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True))


@settings(max_examples=30, deadline=None)
@given(dtype=st.sampled_from(DTYPES), shape=st.lists(st.integers(0, 4), max_size=4), seed=st.integers(0, 100))
def test_tensor_roundtrip_every_dtype(dtype, shape, seed):
    a = _array(dtype, tuple(shape), seed)
    t = rustgrad.from_numpy(a.copy())
    back = _roundtrip(t)
    assert back.dtype == getattr(rustgrad, dtype)
    assert list(back.shape) == list(shape)
    np.testing.assert_array_equal(back.numpy(), a)
    assert not back.requires_grad


def test_float_special_values_and_extremes():
    t = rustgrad.tensor([math.nan, math.inf, -math.inf, -0.0, 1e-45, 3.4e38])
    back = _roundtrip(t)
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    assert math.copysign(1.0, back[3].item()) == -1.0
    d = rustgrad.tensor([5e-324, 1.7976931348623157e308], dtype=rustgrad.float64)
    assert _roundtrip(d).tolist() == d.tolist()
    i = rustgrad.tensor([-(2**63), 2**63 - 1], dtype=rustgrad.int64)
    assert _roundtrip(i).tolist() == i.tolist()


def test_scalar_and_non_contiguous_views():
    assert _roundtrip(rustgrad.tensor(2.5)).tolist() == 2.5
    base = rustgrad.arange(12.0).reshape(3, 4)
    view = base.t()[1:, ::2]
    back = _roundtrip(view)
    assert back.tolist() == view.tolist() and back.is_contiguous()
    # A view saves its own elements only: the file does not grow with the base.
    big = rustgrad.zeros(100000)
    small_file, big_file = io.BytesIO(), io.BytesIO()
    rustgrad.save(big[:3], small_file)
    rustgrad.save(big, big_file)
    assert len(small_file.getvalue()) < 2000 < len(big_file.getvalue())


def test_requires_grad_parameter_and_identity():
    a = rustgrad.ones(2, requires_grad=True)
    b = a * 2  # a non-leaf loads as a leaf that requires grad (as PyTorch)
    p = rustgrad.nn.Parameter(rustgrad.tensor([1.0, 2.0]))
    q = rustgrad.nn.Parameter(rustgrad.tensor([3.0]), requires_grad=False)
    out = _roundtrip({"a": a, "b": b, "p": p, "q": q, "again": [a, p]})
    assert out["a"].requires_grad and out["a"].is_leaf
    assert out["b"].requires_grad and out["b"].is_leaf and out["b"].tolist() == [2.0, 2.0]
    assert isinstance(out["p"], rustgrad.nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["q"], rustgrad.nn.Parameter) and not out["q"].requires_grad
    assert repr(out["p"]) == repr(p)
    assert out["again"][0] is out["a"] and out["again"][1] is out["p"]


def test_state_dict_order_and_metadata():
    sd = collections.OrderedDict()
    for name in ["layer2.weight", "layer1.bias", "a", "z.running_mean"]:
        sd[name] = rustgrad.randn(2, 2)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("layer1", {"version": 2})])
    back = _roundtrip(sd)
    assert isinstance(back, collections.OrderedDict)
    assert list(back) == list(sd)
    assert back._metadata == sd._metadata
    for k in sd:
        assert back[k].tolist() == sd[k].tolist()


def test_optimizer_state_dict_roundtrip():
    w = rustgrad.nn.Parameter(rustgrad.tensor([1.0, -2.0]))
    b = rustgrad.nn.Parameter(rustgrad.tensor([0.5]))
    opt = rustgrad.optim.Adam([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, betas=(0.8, 0.9))
    for _ in range(3):
        opt.zero_grad()
        ((w * w).sum() + (b * 3).sum()).backward()
        opt.step()
    state = opt.state_dict()
    back = _roundtrip(state)
    assert set(back["state"]) == {0, 1} and all(type(k) is int for k in back["state"])
    assert back["param_groups"][0]["betas"] == (0.8, 0.9)
    assert back["param_groups"] == state["param_groups"]
    for k in state["state"]:
        for name, v in state["state"][k].items():
            got = back["state"][k][name]
            assert got.tolist() == v.tolist() and got.dtype == v.dtype
    # Loading it into a fresh optimizer continues exactly where the first left off.
    w2 = rustgrad.nn.Parameter(w.detach().clone())
    b2 = rustgrad.nn.Parameter(b.detach().clone())
    opt2 = rustgrad.optim.Adam([{"params": [w2]}, {"params": [b2], "lr": 0.5}], lr=0.1, betas=(0.8, 0.9))
    opt2.load_state_dict(back)
    for o, (pw, pb) in ((opt, (w, b)), (opt2, (w2, b2))):
        o.zero_grad()
        ((pw * pw).sum() + (pb * 3).sum()).backward()
        o.step()
    assert w2.tolist() == w.tolist() and b2.tolist() == b.tolist()


def test_plain_values_roundtrip():
    obj = {
        "none": None, "t": True, "f": False, "i": -(2**70), "x": 0.1, "nan": math.nan, "s": "héllo\n",
        "bytes": b"\x00\xff", "list": [1, [2, (3, "4")]], "tuple": (), 5: "int key", (1, "a"): "tuple key",
        None: 1, 2.5: "float key", "dtype": rustgrad.float64, "size": rustgrad.Size([2, 3]),
        "device": rustgrad.device("cpu"),
    }
    back = _roundtrip(obj)
    assert math.isnan(back.pop("nan")) and math.isnan(obj.pop("nan"))
    assert back == obj
    assert type(back["list"][1][1]) is tuple and back["size"] == rustgrad.Size([2, 3])
    assert isinstance(back["size"], rustgrad.Size) and back["dtype"] is rustgrad.float64
    assert list(back) == list(obj)  # dict order kept


def test_paths_and_file_objects(tmp_path):
    t = rustgrad.arange(5)
    path = tmp_path / "t.pt"
    rustgrad.save(t, path)
    assert rustgrad.load(path).tolist() == t.tolist()
    rustgrad.save({"t": t}, str(path))
    assert rustgrad.load(str(path))["t"].tolist() == t.tolist()
    with open(path, "wb") as f:
        rustgrad.save([t], f)
    with open(path, "rb") as f:
        assert rustgrad.load(f, weights_only=True)[0].tolist() == t.tolist()
    assert rustgrad.load(path, map_location="cpu", weights_only=False)[0].tolist() == t.tolist()
    with pytest.raises(FileNotFoundError):
        rustgrad.load(tmp_path / "missing.pt")


def test_saving_bad_objects():
    class Thing:
        pass

    with pytest.raises(TypeError, match=r"rustgrad.save: cannot save an object of type .*Thing"):
        rustgrad.save({"x": Thing()}, io.BytesIO())
    with pytest.raises(TypeError):
        rustgrad.save({1, 2}, io.BytesIO())
    with pytest.raises(TypeError):
        rustgrad.save(lambda: 0, io.BytesIO())
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="cannot save a container that contains itself"):
        rustgrad.save(loop, io.BytesIO())


# ----- damaged files -----


def _saved_bytes():
    sd = collections.OrderedDict(w=rustgrad.randn(3, 2), b=rustgrad.arange(4, dtype=rustgrad.int32),
                                 m=rustgrad.tensor([True, False]))
    buf = io.BytesIO()
    rustgrad.save({"model": sd, "step": 3, "betas": (0.9, 0.99), 0: [1.5, None]}, buf)
    return buf.getvalue()


def _rewrite_manifest(data, edit):
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename.endswith("manifest.json"):
                payload = edit(payload)
            dst.writestr(info.filename, payload)
    return out.getvalue()


@pytest.mark.parametrize("cut", [0, 1, 4, 30, 100, -200, -22, -1])
def test_truncated_file(cut):
    data = _saved_bytes()
    with pytest.raises(RuntimeError, match=r"rustgrad.load: the file is not a valid rustgrad.save file"):
        rustgrad.load(io.BytesIO(data[:cut]))


def test_foreign_files():
    with pytest.raises(RuntimeError, match="corrupted or truncated archive"):
        rustgrad.load(io.BytesIO(b"\x80\x02}q\x00."))  # a pickle
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("archive/data.pkl", b"x")
    with pytest.raises(RuntimeError, match="it has no manifest"):
        rustgrad.load(io.BytesIO(other.getvalue()))


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda m: b"{not json", "manifest is not valid JSON"),
        (lambda m: json.dumps({**json.loads(m), "version": 99}).encode(), "unsupported format version 99"),
        (lambda m: json.dumps({**json.loads(m), "format": "x"}).encode(), "no rustgrad header"),
        (lambda m: m.replace(b'"float32"', b'"complex64"'), "unknown dtype 'complex64'"),
        (lambda m: m.replace(b'"shape":[3,2]', b'"shape":[3,3]'), "tensor 0 has 24 bytes of data, expected 36"),
        (lambda m: m.replace(b'"shape":[3,2]', b'"shape":[-3,2]'), "invalid shape"),
        (lambda m: m.replace(b'["tensor",1]', b'["tensor",9]'), "tensor index 9 out of range"),
        (lambda m: m.replace(b'["int",3]', b'["int","3"]'), "invalid int"),
        (lambda m: m.replace(b'["int",3]', b'["pickle","os.system"]'), "unknown node type 'pickle'"),
        (lambda m: m.replace(b'"root":', b'"rooot":'), "no root object"),
        (lambda m: m.replace(b'"root":', b'"root":' + b"[\"list\",[" * 300 + b"]]" * 300 + b',"x":'),
         "nested too deeply"),
        (lambda m: m.replace(b'["int",0]', b'["list",[]]'), "unhashable dict key"),
    ],
)
def test_invalid_manifest(edit, problem):
    data = _rewrite_manifest(_saved_bytes(), edit)
    with pytest.raises(RuntimeError) as e:
        rustgrad.load(io.BytesIO(data))
    assert problem in str(e.value)


def test_bad_bool_bytes_and_missing_blob():
    buf = io.BytesIO()
    rustgrad.save(rustgrad.tensor([True, False]), buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    for drop_blob in (False, True):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                payload = src.read(info.filename)
                if "data/" in info.filename:
                    if drop_blob:
                        continue
                    payload = b"\x07\x00"
                dst.writestr(info.filename, payload)
        with pytest.raises(RuntimeError, match="missing" if drop_blob else "invalid bool values"):
            rustgrad.load(io.BytesIO(out.getvalue()))


def _structurally_valid(obj):
    if isinstance(obj, rustgrad.Tensor):
        return obj.dtype in [getattr(rustgrad, d) for d in DTYPES] and obj.numel() == int(np.prod(obj.shape))
    if isinstance(obj, dict):
        return all(_structurally_valid(k) and _structurally_valid(v) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return all(_structurally_valid(v) for v in obj)
    return obj is None or isinstance(obj, (bool, int, float, str, bytes, rustgrad.dtype, rustgrad.device))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_byte_mutations_never_crash(data):
    """Random byte edits anywhere in the file: load either succeeds with a well-formed result or
    raises RuntimeError/ValueError; nothing else escapes, nothing crashes or hangs."""
    raw = bytearray(_saved_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        kind = data.draw(st.sampled_from(["set", "delete", "insert"]))
        byte = data.draw(st.integers(0, 255))
        if kind == "set":
            raw[pos] = byte
        elif kind == "delete":
            del raw[pos]
        else:
            raw.insert(pos, byte)
    try:
        out = rustgrad.load(io.BytesIO(bytes(raw)))
    except (RuntimeError, ValueError):
        return
    assert _structurally_valid(out)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_manifest_mutations_never_crash(data):
    """The same, with edits inside the manifest JSON and the archive rebuilt with valid CRCs, so
    that the manifest checks (not the archive's CRC) must catch them."""
    raw = _saved_bytes()

    def edit(manifest):
        m = bytearray(manifest)
        for _ in range(data.draw(st.integers(1, 4))):
            pos = data.draw(st.integers(0, len(m) - 1))
            m[pos] = data.draw(st.sampled_from(list(b'[]{}",:0123456789-aez ')))
        return bytes(m)

    try:
        out = rustgrad.load(io.BytesIO(_rewrite_manifest(raw, edit)))
    except (RuntimeError, ValueError):
        return
    assert _structurally_valid(out)


def test_torch_cannot_confuse_us():
    torch = torch_or_skip()
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)
    with pytest.raises(RuntimeError, match="no manifest"):
        rustgrad.load(io.BytesIO(buf.getvalue()))
