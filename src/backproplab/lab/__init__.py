"""The lab: a local web page to step through backpropagation and train live.

``backproplab lab`` serves it; :func:`create_app` is the ASGI application and
:func:`serve` runs it. Each browser tab keeps its own network on the server, and every
number the page shows comes from the engine (the derivations from ``backproplab.explain``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that importing the package (the CLI does) stays light.
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "serve":
        from .server import serve

        return serve
    raise AttributeError(f"module 'backproplab.lab' has no attribute {name!r}")
