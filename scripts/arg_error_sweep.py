"""Sweep of bad-argument errors against PyTorch: calls every public Tensor method
(``python scripts/arg_error_sweep.py methods``) or rustgrad function (``... funcs``) present in
both libraries with wrong-typed arguments (str, None, float, a list with a str, a tensor, a tuple
of str, a dict; first and second position) under rustgrad and PyTorch, and prints every case whose
exception type (``TYPE``) or message (``MSG``; ``MSG(1st-line-same)`` when only the overload
listing differs) is not PyTorch's. Needs PyTorch; rustgrad itself never imports it.
"""
import sys, re, warnings
warnings.simplefilter("ignore")
import torch, rustgrad
MODE = sys.argv[1] if len(sys.argv) > 1 else "methods"

def norm(lib, s):
    return s.replace("torch.", "rustgrad.").replace("torch", "rustgrad")

def run(lib, fn):
    try:
        r = fn(lib)
        return ("ok", type(r).__name__)
    except Exception as e:
        return (type(e).__name__, str(e))

BAD = [("str", "a"), ("None", None), ("float", 1.5), ("list", [1, "a"]), ("tensor", "T"), ("tuple_str", ("a",)), ("dict", {})]
def arg(lib, a):
    if a == "T":
        return lib.ones(2)
    return a

def mk(lib):
    return lib.arange(6.).reshape(2, 3)

skip = {"__init__", "__new__", "__class__", "__init_subclass__", "__subclasshook__", "__getattribute__", "__setattr__",
        "__delattr__", "__reduce_ex__", "__reduce__", "__dir__", "__format__", "__sizeof__", "__getstate__", "__setstate__",
        "register_hook", "backward", "__torch_function__", "__del__", "__deepcopy__", "__repr__", "__str__", "__hash__",
        "__array__", "__array_wrap__", "__iter__", "__len__", "__bool__", "__index__", "__int__", "__float__", "__complex__",
        "data_ptr", "numpy", "tolist", "item", "share_memory_", "pin_memory", "storage", "untyped_storage", "__eq__", "__ne__"}
out = []
if MODE == "methods":
    names = sorted(n for n in dir(rustgrad.Tensor) if n in dir(torch.Tensor) and n not in skip and not n.startswith("_"))
    for n in names:
        if not callable(getattr(torch.Tensor, n, None)):
            continue
        for tag, a in BAD:
            for pos in range(2 if True else 1):
                def f(lib, n=n, a=a, pos=pos):
                    t = mk(lib)
                    args = [arg(lib, a)] if pos == 0 else [0, arg(lib, a)]
                    return getattr(t, n)(*args)
                rt, rr = run(torch, f), run(rustgrad, f)
                out.append((f"t.{n}({'0, ' if pos else ''}{tag})", rt, rr))
else:
    names = sorted(n for n in dir(rustgrad) if n in dir(torch) and callable(getattr(rustgrad, n)) and not isinstance(getattr(rustgrad, n), type)
                   and not n.startswith("_") and n not in {"manual_seed", "seed", "save", "load", "set_num_threads", "set_printoptions", "set_rng_state", "set_grad_enabled", "use_deterministic_algorithms", "set_default_dtype", "compile"})
    for n in names:
        for tag, a in BAD:
            for pos in range(3):
                def f(lib, n=n, a=a, pos=pos):
                    t = mk(lib)
                    args = [[arg(lib, a)], [t, arg(lib, a)], [t, 0, arg(lib, a)]][pos]
                    return getattr(lib, n)(*args)
                rt, rr = run(torch, f), run(rustgrad, f)
                out.append((f"{n}({['', 't, ', 't, 0, '][pos]}{tag})", rt, rr))

ntype = nmsg = 0
for call, (tt, tm), (rt, rm) in out:
    tm1 = norm(None, tm)
    if tt != rt:
        ntype += 1
        print(f"TYPE {call}\n   torch: {tt}: {tm[:300]!r}\n   rg:    {rt}: {rm[:300]!r}")
    elif tm1 != rm and tt != "ok":
        nmsg += 1
        first_same = tm1.split("\n")[0] == rm.split("\n")[0]
        print(f"MSG{'(1st-line-same)' if first_same else ''} {call}\n   torch: {tm1[:300]!r}\n   rg:    {rm[:300]!r}")
print(f"# total {len(out)} type-diff {ntype} msg-diff {nmsg}", file=sys.stderr)
