"""NumPy's own BLAS matrix product (CBLAS ``sgemm``/``dgemm``) as a function compiled code
can call.

Why not ``np.dot`` inside numba: numba's ``np.dot`` calls SciPy's copy of OpenBLAS, which is
a different build from NumPy's (measured 18% slower on the 784-512 float32 product here) and
keeps a second pool of threads, and it has no ``alpha``/``beta``: C <- alpha A B + beta C
lets a compiled loop fold the SGD update into the gradient's product (W <- W - eta a^T delta
is one call with alpha = -eta, beta = 1).

PyPI's NumPy wheels ship OpenBLAS with 64-bit integers and ``scipy_`` / ``64_`` around the
CBLAS names. Where NumPy was built against another BLAS, :func:`gemm` returns None and the
training loop keeps its NumPy path.
"""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path

import numpy as np

#: CBLAS enums (cblas.h).
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

_SYMBOLS = {"float32": "cblas_sgemm", "float64": "cblas_dgemm"}
_SCALARS = {"float32": ctypes.c_float, "float64": ctypes.c_double}


def gemm(dtype: np.dtype) -> ctypes._CFuncPtr | None:
    """C <- alpha op(A) op(B) + beta C for arrays of ``dtype``, from NumPy's own OpenBLAS.

    Arguments (CBLAS, 64-bit integers): order, trans_a, trans_b, m, n, k, alpha, A, lda,
    B, ldb, beta, C, ldc. None when NumPy's BLAS does not export it.
    """
    return _gemm(np.dtype(dtype).name)


@cache
def _gemm(dtype_name: str) -> ctypes._CFuncPtr | None:
    if dtype_name not in _SYMBOLS:
        return None
    scalar, i64, ptr = _SCALARS[dtype_name], ctypes.c_int64, ctypes.c_void_p
    signature = ctypes.CFUNCTYPE(
        None, ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64,
        scalar, ptr, i64, ptr, i64, scalar, ptr, i64,
    )  # fmt: skip
    base = _SYMBOLS[dtype_name]
    for library in _numpy_blas_libraries():
        try:
            lib = ctypes.CDLL(str(library))
        except OSError:
            continue
        # Only the ILP64 names: their integer width is certain.
        for name in (f"scipy_{base}64_", f"{base}64_"):
            if hasattr(lib, name):
                return signature((name, lib))
    return None


def _numpy_blas_libraries() -> list[Path]:
    # Where the wheels put the OpenBLAS they bundle: numpy.libs (Linux), numpy/.dylibs (macOS).
    root = Path(np.__file__).resolve().parent
    found = []
    for folder in (root.parent / "numpy.libs", root / ".dylibs"):
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if "openblas" in p.name.lower())
    return found
