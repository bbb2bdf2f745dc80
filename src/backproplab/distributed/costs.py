"""The measured cost model behind the small-data warning and docs/scaling.md.

One distributed full-batch step with the rows in C chunks on W workers (one core each)
costs about

    STEP_OVERHEAD_S                      submitting the graph, the client's round trip
  + CHUNK_OVERHEAD_S * C                 the scheduler's work per chunk (its task, its addition)
  + LEVEL_S * ceil(log2 C)               the tree's levels, one after another
  + BYTE_S * 8 * P * W                   P float64 parameters out, one gradient back, per worker
  + ROW_PARAM_CORE_S * rows * P / W      the forward and backward passes, spread over W cores

In memory the compute alone runs on the machine's cores: ``ROW_PARAM_CORE_S * rows * P /
cores`` at best. So distributed training can only win with more workers than local cores,
and then above the break-even rows. The constants were measured with ``python -m benchmarks
--tasks 8`` on the development machine (2 shared cores, loopback network; docs/scaling.md
quotes the run).
"""

from __future__ import annotations

import os

#: Seconds per step that depend on nothing else: graph submission and the round trip.
STEP_OVERHEAD_S = 0.033
#: Seconds of scheduler work per chunk (its gradient task and its addition in the tree).
CHUNK_OVERHEAD_S = 0.0028
#: Seconds per level of the reduction tree (the latency of one dependent task).
LEVEL_S = 0.0058
#: Seconds per byte of parameters sent to a worker plus its gradient coming back.
BYTE_S = 2.7e-9
#: Seconds of forward + backward per row and parameter on one core.
ROW_PARAM_CORE_S = 5.4e-10


def depth(chunks: int) -> int:
    """Levels of additions in the pairwise tree over this many chunks."""
    return max(0, (int(chunks) - 1).bit_length())


def overhead_seconds(parameters: int, workers: int, chunks: int | None = None) -> float:
    """Predicted seconds of one step that do not shrink with more workers."""
    chunks = workers if chunks is None else chunks
    return (
        STEP_OVERHEAD_S
        + CHUNK_OVERHEAD_S * chunks
        + LEVEL_S * depth(chunks)
        + BYTE_S * 8 * parameters * workers
    )


def step_seconds(rows: float, parameters: int, workers: int, *, cores: int | None = None,
                 chunks: int | None = None) -> float:  # fmt: skip
    """Predicted seconds of one full-batch step: in memory on ``cores`` cores when
    ``workers`` is 0, else on that many workers (one chunk each unless ``chunks``)."""
    compute = ROW_PARAM_CORE_S * rows * parameters
    if workers == 0:
        return compute / (cores or os.cpu_count() or 1)
    return overhead_seconds(parameters, workers, chunks) + compute / workers


def break_even_rows(parameters: int, workers: int, cores: int | None = None) -> float:
    """Rows above which ``workers`` workers beat in-memory training on ``cores`` cores."""
    cores = cores or os.cpu_count() or 1
    if workers <= cores:
        return float("inf")
    gain = ROW_PARAM_CORE_S * parameters * (1 / cores - 1 / workers)
    return overhead_seconds(parameters, workers) / gain
