"""The lab in a notebook: ``from backproplab.widget import Lab``.

An anywidget (JupyterLab, Jupyter Notebook, VS Code, marimo) bound to a live ``MLP`` in
the kernel; see :class:`backproplab.widget.lab.Lab`. Needs the ``widget`` extra
(``pip install 'backproplab[widget]'``); ``import backproplab`` never loads it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Lab"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that the bundler (backproplab.widget.bundle) needs no anywidget.
    if name == "Lab":
        try:
            from .lab import Lab
        except ModuleNotFoundError as exc:
            if exc.name not in ("anywidget", "ipywidgets", "traitlets"):
                raise
            raise ImportError(
                "backproplab.widget.Lab needs anywidget: pip install 'backproplab[widget]'"
            ) from None
        return Lab
    raise AttributeError(f"module 'backproplab.widget' has no attribute {name!r}")
