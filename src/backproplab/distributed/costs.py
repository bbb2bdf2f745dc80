"""The measured cost model behind the small-data warning (docs/scaling.md explains it).

One distributed full-batch step on W workers (one core each) costs about
``STEP_OVERHEAD_S + WORKER_OVERHEAD_S * W`` (parameters out, one task per chunk, the tree of
additions, the gradients back) plus the compute ``ROW_PARAM_CORE_S * rows * parameters / W``.
In memory the compute alone runs on the machine's C cores (BLAS threads):
``ROW_PARAM_CORE_S * rows * parameters / C``. So distributed training can only win with more
workers than local cores, and then above the break-even rows. Measured with
``python -m benchmarks --tasks 8`` on the development machine (2 cores).
"""

from __future__ import annotations

import os

#: Seconds per step that do not depend on the rows: scheduling, the round trip, the tree.
STEP_OVERHEAD_S = 0.03
#: Seconds per step added by each worker (its task and its gradient coming back).
WORKER_OVERHEAD_S = 0.002
#: Seconds of forward + backward per row and parameter on one core.
ROW_PARAM_CORE_S = 6.8e-10


def step_seconds(rows: int, parameters: int, workers: int, *, cores: int | None = None) -> float:
    """Predicted seconds of one full-batch step: in memory on ``cores`` cores when ``workers``
    is 0, else on that many workers."""
    compute = ROW_PARAM_CORE_S * rows * parameters
    if workers == 0:
        return compute / (cores or os.cpu_count() or 1)
    return STEP_OVERHEAD_S + WORKER_OVERHEAD_S * workers + compute / workers


def break_even_rows(parameters: int, workers: int, cores: int | None = None) -> float:
    """Rows above which ``workers`` workers beat in-memory training on ``cores`` cores."""
    cores = cores or os.cpu_count() or 1
    if workers <= cores:
        return float("inf")
    gain = ROW_PARAM_CORE_S * parameters * (1 / cores - 1 / workers)
    return (STEP_OVERHEAD_S + WORKER_OVERHEAD_S * workers) / gain
