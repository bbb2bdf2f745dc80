"""How many BLAS threads a training loop should use.

For small matrix products (digits' 32x64 @ 64x128) a second OpenBLAS thread costs more in
hand-over than it saves, and on a busy 2-core machine its waiting thread takes the core the
main thread needs: measured 4x slower (benchmarks, README "Speed"). Large products (the
784-512-512-10 network at batch 128) keep every thread.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache
from typing import Any

#: Multiply-adds of a step's largest matrix product below which one BLAS thread is used.
SINGLE_THREAD_WORK = 4_000_000


def blas_threads_for(layer_sizes: list[int], batch_rows: int) -> AbstractContextManager[Any]:
    """A context in which BLAS runs single-threaded if the step's products are small."""
    largest = max(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=True))
    if batch_rows * largest >= SINGLE_THREAD_WORK:
        return nullcontext()
    controller = _controller()
    if controller is None:  # pragma: no cover - only speed is lost
        return nullcontext()
    return controller.limit(limits=1, user_api="blas")


@cache
def _controller() -> Any:
    # Finding the loaded BLAS libraries reads the process's shared objects (~25 ms, as long
    # as two epochs of digits), so it is done once per process. NumPy's OpenBLAS, which the
    # training loops use (engine/compiled/blas.py), is loaded by then.
    try:
        from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn
    except ImportError:  # pragma: no cover
        return None
    return ThreadpoolController()
