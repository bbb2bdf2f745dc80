"""A real dask.distributed LocalCluster of 2 worker processes, one per test module."""

from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed", reason="the 'dask' extra is not installed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c
