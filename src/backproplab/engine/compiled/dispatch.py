"""The table's functions, compiled: what kernel.py calls for each activation.

engine/functions.py writes every activation once, with NumPy ufuncs that work on arrays and
scalars alike. Here each of those functions is registered with numba (``overload``), so that
compiled code calls the very same source on scalars, and the dispatch (``activate_block``,
``chain_block``, ``chain``) is generated from the table: one branch per entry, in the
table's order, so the codes are ``functions.CODES``. Adding an activation to the table
adds it here with no edit.

numba caches compiled kernels on disk but checks only the kernel's own source file, not the
functions it calls; :func:`fresh` clears a kernel's cache when the table's source changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import math
from pathlib import Path

import numba
from numba import njit
from numba.extending import overload

from .. import functions as F

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


def kernel(func):
    """numba's njit as every compiled function here uses it: machine code cached on disk
    (later processes load it in ~0.3 s instead of compiling for seconds) and NumPy's float
    semantics (x/0 = inf, not an exception)."""
    return njit(**_OPTIONS)(func)


def inner(func):
    """A helper of a cached kernel: compiled into it (inlined), not called across a
    function boundary, so the small network's step pays no call per helper."""
    return njit(**{k: v for k, v in _OPTIONS.items() if k != "cache"}, inline="always")(func)


# The two operations NumPy and scalar code spell differently (functions.where, .erf).
@overload(F.where)
def _where(condition, if_true, if_false):
    return lambda condition, if_true, if_false: if_true if condition else if_false


@overload(F.erf)
def _erf(x):
    return lambda x: math.erf(x)


def _register(fn) -> None:
    # The implementation numba compiles for calls to ``fn`` is ``fn`` itself.
    overload(fn, strict=False)(lambda *args: fn)


for _fn in F.COMPILABLE:
    _register(_fn)


def _generated_dispatch() -> tuple[str, dict]:
    """Source of the dispatch from the table, one branch per entry:

    * ``chain(code, g, z, a, p)``, element by element (the output layer's delta);
    * ``activate_block(code, Z, A, b, p)``: Z += b, A = f(Z) over a layer's (rows x units)
      block, and ``chain_block(code, G, Z, A, D, p)``: D = dL/dz from G = dL/da -- with the
      branch taken once per block, so the loop inside each is plain (and vectorises).
    """
    names: dict = {}
    der = ["def chain(code, g, z, a, p):"]
    act_block = ["def activate_block(code, Z, A, b, p):", "    m, n = Z.shape"]
    der_block = ["def chain_block(code, G, Z, A, D, p):", "    m, n = Z.shape"]
    for code, d in enumerate(F.ACTIVATIONS):
        if d.f is None:
            continue  # softmax: row-wise, written out in kernel.py
        names[f"f{code}"], names[f"c{code}"] = d.f, d.chain
        der.append(f"    if code == {code}:\n        return c{code}(g, z, a, p)")
        act_block.append(
            f"    if code == {code}:\n        for r in range(m):\n            for j in range(n):\n"
            f"                z = Z[r, j] + b[j]\n                Z[r, j] = z\n"
            f"                A[r, j] = f{code}(z, p)\n        return"
        )
        der_block.append(
            f"    if code == {code}:\n        for r in range(m):\n            for j in range(n):\n"
            f"                D[r, j] = c{code}(G[r, j], Z[r, j], A[r, j], p)\n        return"
        )
    der.append("    return g")
    parts = (der, act_block, der_block)
    return "\n\n".join("\n".join(p) + "\n" for p in parts), names


def _build():
    source, namespace = _generated_dispatch()
    exec(compile(source, "<backproplab.engine.functions dispatch>", "exec"), namespace)
    # Not cached themselves (no source file): they are inlined into the cached kernels.
    options = {k: v for k, v in _OPTIONS.items() if k != "cache"} | {"inline": "always"}
    return tuple(
        njit(**options)(namespace[name]) for name in ("chain", "activate_block", "chain_block")
    )


chain, activate_block, chain_block = _build()

TABLE_HASH = hashlib.sha256(
    (inspect.getsource(F) + _generated_dispatch()[0] + numba.__version__).encode()
).hexdigest()[:16]


def fresh(dispatcher) -> None:
    """Drop ``dispatcher``'s on-disk cache if it was compiled from another table."""
    cache = getattr(dispatcher, "_cache", None)
    path = getattr(getattr(cache, "_cache_path", None), "__str__", lambda: None)()
    if not path:
        return
    stamp = Path(path) / f"{dispatcher.py_func.__name__}.table"
    try:
        if stamp.read_text() == TABLE_HASH:
            return
    except OSError:
        pass
    cache.flush()
    with contextlib.suppress(OSError):  # read-only: numba recompiles in memory, still right
        stamp.write_text(TABLE_HASH)
