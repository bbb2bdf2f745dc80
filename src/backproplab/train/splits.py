"""Seeded train/test splits (stratified for classification, so every class is on both sides)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.errors import InputError
from ..engine.validation import check_fraction


def split_indices(
    n: int, fraction: float, *, seed: int = 0, stratify: Any = None, name: str = "test"
) -> tuple[np.ndarray, np.ndarray]:
    """(keep, held_out) row indices, each sorted; ``fraction`` of the rows are held out.

    With ``stratify`` (class labels), each class contributes the same fraction, rounded,
    but keeps at least one row on the training side.
    """
    fraction = check_fraction(fraction, f"the {name} fraction")
    all_rows = np.arange(n)
    if fraction == 0.0:
        return all_rows, all_rows[:0]
    rng = np.random.default_rng(seed)
    if stratify is None:
        perm = rng.permutation(n)
        n_out = round(n * fraction)
        held = perm[:n_out]
    else:
        labels = np.asarray(stratify)
        if labels.shape[0] != n:
            raise InputError(f"stratify has {labels.shape[0]} labels for {n} rows")
        held_parts = []
        for cls in np.unique(labels):
            rows = rng.permutation(np.flatnonzero(labels == cls))
            k = min(round(len(rows) * fraction), len(rows) - 1)
            held_parts.append(rows[:k])
        held = np.concatenate(held_parts)
    if len(held) == 0 or len(held) >= n:
        raise InputError(
            f"a {name} fraction of {fraction} of {n} rows leaves {n - len(held)} rows to train "
            f"on and {len(held)} for {name}; both need at least one"
        )
    mask = np.zeros(n, dtype=bool)
    mask[held] = True
    return all_rows[~mask], all_rows[mask]
