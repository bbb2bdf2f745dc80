"""The ``backproplab`` command line. Each command group lives in its own module."""

from .app import app, main

__all__ = ["app", "main"]
