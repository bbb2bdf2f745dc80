"""CSV files for the lab's own-data tests: a good one and its bad variants."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backproplab.train.csv import DataError, load_csv


def classes_csv(n: int = 80, seed: int = 0) -> str:
    """Three numeric features and a text label that depends on the first two."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    label = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    rows = [f"{a:.4f},{b:.4f},{c:.4f},{t}" for (a, b, c), t in zip(X, label, strict=True)]
    return "petal,sepal,stem,label\n" + "\n".join(rows) + "\n"


def regression_csv(n: int = 60, seed: int = 1) -> str:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = 3 * X[:, 0] - X[:, 2] + 0.1 * rng.normal(size=n)
    rows = [f"{a:.4f},{b:.4f},{c:.4f},{t:.4f}" for (a, b, c), t in zip(X, y, strict=True)]
    return "a,b,c,price\n" + "\n".join(rows) + "\n"


def with_cell(text: str, line: int, column: int, value: str) -> str:
    """``text`` with the cell at (1-based line, 0-based column) replaced by ``value``."""
    lines = text.splitlines()
    cells = lines[line - 1].split(",")
    cells[column] = value
    lines[line - 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


def bad_variants() -> dict[str, str]:
    good = classes_csv()
    return {
        "missing.csv": with_cell(good, 7, 1, ""),
        "text.csv": with_cell(good, 5, 2, "tall"),
    }


def cli_message(tmp_path: Path, name: str, text: str | bytes, target: str | None = None) -> str:
    """What the CLI's CSV reader says of this file, naming it as the lab does (by its name)."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        load_csv(path, target=target)
    except DataError as exc:
        return str(exc).replace(str(path), name)
    raise AssertionError(f"the CLI's reader accepts {name}")
