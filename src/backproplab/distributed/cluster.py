"""Which Dask cluster: ``local:N`` (a LocalCluster of N worker processes) or ``tcp://host:port``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..engine.errors import InputError


def active_client() -> Any | None:
    """The dask.distributed Client of this context, if one is running, else None."""
    try:
        from distributed import get_client
    except ImportError:  # pragma: no cover - the 'dask' extra is not installed
        return None
    try:
        return get_client()
    except ValueError:
        return None


@contextlib.contextmanager
def connect(scheduler: str, *, memory_limit: str | None = None) -> Iterator[Any]:
    """A Client for ``scheduler``; a LocalCluster it started is closed on exit."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover
        raise InputError(
            "--scheduler needs the 'dask' extra: pip install 'backproplab[dask]'"
        ) from None
    text = str(scheduler).strip()
    if text.startswith("local"):
        _, _, count = text.partition(":")
        try:
            workers = int(count) if count else None
        except ValueError:
            workers = 0
        if workers is not None and workers < 1:
            raise InputError(f"--scheduler {text!r}: use local:N with N >= 1 workers, e.g. local:4")
        options: dict[str, Any] = {"threads_per_worker": 1, "processes": True,
                                   "dashboard_address": None}  # fmt: skip
        if memory_limit is not None:
            options["memory_limit"] = memory_limit
        with LocalCluster(n_workers=workers, **options) as cluster, Client(cluster) as client:
            yield client
        return
    if "://" not in text:
        raise InputError(
            f"--scheduler {text!r}: expected local:N or a scheduler address like tcp://host:8786"
        )
    try:
        client = Client(text, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {text}: cannot reach the scheduler ({exc})") from None
    try:
        yield client
    finally:
        client.close()


def worker_count(client: Any | None) -> int:
    """Workers of the client's cluster (1 for dask's in-process scheduler)."""
    if client is None:
        return 1
    return max(1, len(client.scheduler_info().get("workers", {})))


def worker_memory(client: Any | None) -> float | None:
    """The workers' memory limits added up, in bytes (None when unknown or unlimited)."""
    if client is None:
        return None
    limits = [w.get("memory_limit") or 0 for w in client.scheduler_info()["workers"].values()]
    return float(sum(limits)) if limits and all(limits) else None
