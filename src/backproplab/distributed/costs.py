"""The measured cost model behind the small-data warning (docs/scaling.md explains it).

One distributed full-batch step costs about ``STEP_OVERHEAD_S + WORKER_OVERHEAD_S * workers``
(parameters out, one task per chunk, the tree of additions, one gradient back) plus the
compute, ``ROW_PARAM_S * rows * parameters / workers``; in memory it is the compute alone on
one core. Measured with ``python -m benchmarks --tasks 5`` on the development machine.
"""

from __future__ import annotations

#: Seconds per step that do not depend on the rows: scheduling, the round trip, the tree.
STEP_OVERHEAD_S = 0.015
#: Seconds per step added by each worker (its task, its gradient coming back).
WORKER_OVERHEAD_S = 0.004
#: Seconds of forward + backward per row and parameter on one core.
ROW_PARAM_S = 2.0e-9


def step_seconds(rows: int, parameters: int, workers: int, *, distributed: bool) -> float:
    compute = ROW_PARAM_S * rows * parameters
    if not distributed:
        return compute
    return STEP_OVERHEAD_S + WORKER_OVERHEAD_S * workers + compute / workers


def break_even_rows(parameters: int, workers: int) -> float:
    """Rows above which ``workers`` workers beat one in-memory process (inf for one worker)."""
    if workers <= 1:
        return float("inf")
    gain = ROW_PARAM_S * parameters * (1 - 1 / workers)
    return (STEP_OVERHEAD_S + WORKER_OVERHEAD_S * workers) / gain
