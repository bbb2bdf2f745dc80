"""The cost model's break-even and the reduction tree's fixed shape (no cluster needed)."""

from __future__ import annotations

import math

import pytest

from backproplab.distributed import costs, reduce


@pytest.mark.parametrize(("parameters", "workers", "cores"), [(1633, 4, 2), (10**6, 100, 16)])
def test_break_even_is_where_the_two_predicted_step_times_meet(parameters, workers, cores):
    rows = costs.break_even_rows(parameters, workers, cores)
    assert math.isfinite(rows) and rows > 0
    here = costs.step_seconds(rows, parameters, 0, cores=cores)
    there = costs.step_seconds(rows, parameters, workers, cores=cores)
    assert there == pytest.approx(here, rel=1e-9)
    # Below it memory wins, above it the cluster.
    assert costs.step_seconds(rows / 2, parameters, 0, cores=cores) < costs.step_seconds(
        rows / 2, parameters, workers, cores=cores
    )
    assert costs.step_seconds(rows * 2, parameters, 0, cores=cores) > costs.step_seconds(
        rows * 2, parameters, workers, cores=cores
    )


def test_no_more_workers_than_cores_never_breaks_even() -> None:
    assert costs.break_even_rows(1633, 2, cores=2) == math.inf
    assert costs.break_even_rows(1633, 1, cores=8) == math.inf


@pytest.mark.parametrize("chunks", [1, 2, 3, 7, 8, 9, 100])
def test_the_tree_adds_by_position_in_depth_levels(chunks) -> None:
    levels = []

    def combine(a, b):
        out = (a, b)
        levels.append(out)
        return out

    root = reduce.tree(list(range(chunks)), combine)
    assert len(levels) == chunks - 1  # one addition per chunk but the first

    def leaves(node):
        return [node] if isinstance(node, int) else leaves(node[0]) + leaves(node[1])

    def height(node):
        return 0 if isinstance(node, int) else 1 + max(height(node[0]), height(node[1]))

    assert leaves(root) == list(range(chunks))  # in order, whatever finishes first
    assert height(root) == costs.depth(chunks)
