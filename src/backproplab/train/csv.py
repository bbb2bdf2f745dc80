"""CSV files as data sets: header detection, a target column, string class labels.

Every problem in a file is reported as one :class:`DataError` line naming the file, the
line (1-based, as a text editor counts, header included) and the column, e.g.
``data.csv, line 7, column 'petal_width': missing value``.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..engine.errors import InputError
from ..limits import MAX_CSV_BYTES, MAX_CSV_FIELD, check_input_file, did_you_mean
from .datasets import Dataset

#: Cell texts read as a missing value.
MISSING = {"", "na", "nan", "n/a", "null", "none", "?"}
#: A numeric target with at most this many distinct whole-number values is taken as classes.
MAX_AUTO_CLASSES = 20


class DataError(InputError):
    """A data file cannot be used: the message names the file, line and column."""


def read_table(path: str | os.PathLike[str]) -> tuple[list[str] | None, list[list[str]], int]:
    """(header or None, data rows as strings, line number of the first data row)."""
    path = Path(path)
    try:
        check_input_file(path, "CSV file", MAX_CSV_BYTES)
    except InputError as exc:
        raise DataError(str(exc)) from None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror})") from None
    return parse_table(data, path)


def parse_table(
    data: bytes, path: str | os.PathLike[str]
) -> tuple[list[str] | None, list[list[str]], int]:
    """:func:`read_table` of a file's bytes already in memory (``path`` names it in errors).

    The lab passes an uploaded file here, so that it meets the CLI's rules and messages.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text (UTF-8) CSV file") from None
    lines = text.splitlines()
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = []
    reader = csv.reader(lines, delimiter=delimiter)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            if any(cell.strip() for cell in row):  # blank lines are not rows
                rows.append((number, [cell.strip() for cell in row]))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise DataError(
                f"{path}, line {number + 1}: a field longer than {MAX_CSV_FIELD:,} characters "
                "(the limit for one CSV field)"
            ) from None
        raise DataError(f"{path}, line {number + 1}: not a valid CSV row ({exc})") from None
    if not rows:
        raise DataError(f"{path}: the file is empty (no header and no data rows)")
    header: list[str] | None = None
    if _looks_like_header(rows[0][1], [r for _, r in rows[1:51]]):
        header = rows[0][1]
        rows = rows[1:]
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise DataError(f"{path}: the header repeats the column name {dupes[0]!r}")
    if not rows:
        raise DataError(f"{path}: no data rows (only a header)")
    width = len(header) if header is not None else len(rows[0][1])
    for number, row in rows:
        if len(row) != width:
            raise DataError(
                f"{path}, line {number}: {len(row)} fields, expected {width} "
                f"(like the {'header' if header is not None else 'first row'})"
            )
    return header, [r for _, r in rows], rows[0][0]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _looks_like_header(first: Sequence[str], following: Sequence[Sequence[str]]) -> bool:
    """A header has a non-numeric cell where the rows below are numbers, or only words."""
    non_numeric = [i for i, c in enumerate(first) if not _is_number(c) and c.lower() not in MISSING]
    if not non_numeric:
        return False
    if not following or len(non_numeric) == len(first):
        return True
    for i in non_numeric:
        below = [r[i] for r in following if i < len(r) and r[i].lower() not in MISSING]
        if below and all(_is_number(c) for c in below):
            return True
    return False


def load_csv(
    path: str | os.PathLike[str],
    *,
    target: str | int | None = None,
    task: str = "auto",
) -> Dataset:
    """A CSV file as a :class:`Dataset`: every column but ``target`` is a numeric feature.

    ``target`` is a column name (or a 1-based column number; default: the last column).
    ``task`` is 'classification', 'regression' or 'auto' (text labels, or at most
    :data:`MAX_AUTO_CLASSES` distinct whole numbers, mean classification).
    """
    path = Path(path)
    _check_task(task)
    return _dataset(path, *read_table(path), target=target, task=task)


def load_csv_bytes(
    data: bytes, name: str, *, target: str | int | None = None, task: str = "auto"
) -> Dataset:
    """:func:`load_csv` of a file's bytes (an upload); ``name`` stands for its path in errors."""
    _check_task(task)
    path = Path(name)
    return _dataset(path, *parse_table(data, path), target=target, task=task)


def _check_task(task: str) -> None:
    if task not in ("auto", "classification", "regression"):
        raise InputError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")


def _dataset(
    path: Path,
    header: list[str] | None,
    rows: list[list[str]],
    first_line: int,
    *,
    target: str | int | None,
    task: str,
) -> Dataset:
    names = header if header is not None else [f"column {i + 1}" for i in range(len(rows[0]))]
    if len(names) < 2:
        raise DataError(f"{path}: needs at least one feature column and a target column")
    t = _target_index(path, names, target, header is not None)
    feature_idx = [i for i in range(len(names)) if i != t]
    X = _numeric_matrix(path, rows, feature_idx, names, first_line)
    raw_target = [row[t] for row in rows]
    for k, cell in enumerate(raw_target):
        if cell.lower() in MISSING:
            raise DataError(
                f"{path}, line {first_line + k}, column {names[t]!r}: missing target value"
            )
    numeric = all(_is_number(c) for c in raw_target)
    values = np.array([float(c) for c in raw_target]) if numeric else None
    if task == "auto":
        task = "regression" if numeric and not _few_whole_numbers(values) else "classification"
    if task == "regression":
        if values is None:
            bad = next(k for k, c in enumerate(raw_target) if not _is_number(c))
            raise DataError(
                f"{path}, line {first_line + bad}, column {names[t]!r}: {raw_target[bad]!r} is "
                "not a number (a regression target must be numeric)"
            )
        if not np.isfinite(values).all():
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            raise DataError(f"{path}, line {first_line + bad}, column {names[t]!r}: not finite")
        y, classes = values, ()
    else:
        try:
            y, classes = _encode_labels(raw_target, numeric)
        except DataError as exc:
            raise DataError(f"{path}, column {names[t]!r}, {exc}") from None
        if len(classes) < 2:
            raise DataError(
                f"{path}, column {names[t]!r}: a single class ({classes[0]!r}); "
                "classification needs at least two"
            )
    return Dataset(
        name=path.stem,
        X=X,
        y=y,
        task=task,
        feature_names=tuple(names[i] for i in feature_idx),
        class_names=tuple(classes),
        description=f"{path.name}: target column {names[t]!r}",
        target_name=names[t],
    )


def load_features_csv(
    path: str | os.PathLike[str], feature_names: Sequence[str], *, target: str | None = None
) -> tuple[np.ndarray, list[str] | None, list[str] | None]:
    """(X, target column as text or None, header) for a model's ``feature_names``.

    With a header, the features are picked by name (other columns are ignored; the
    ``target`` column, if present, is returned for evaluation). Without one, the file
    must have exactly the features, in order, optionally followed by the target.
    """
    path = Path(path)
    header, rows, first_line = read_table(path)
    n_feat = len(feature_names)
    target_cells: list[str] | None = None
    if header is not None and feature_names:
        missing = [f for f in feature_names if f not in header]
        if missing:
            hint = did_you_mean(missing[0], [h for h in header if h not in feature_names])
            raise DataError(
                f"{path}: no column {missing[0]!r}{hint}, which the model needs "
                f"(the model's features: {', '.join(feature_names)})"
            )
        idx = [header.index(f) for f in feature_names]
        names = list(header)
        if target is not None and target in header:
            target_cells = [row[header.index(target)] for row in rows]
    else:
        width = len(rows[0])
        if width not in (n_feat, n_feat + 1):
            raise DataError(
                f"{path}: {width} columns, but the model takes {n_feat} features "
                f"(optionally followed by the target)"
            )
        idx = list(range(n_feat))
        names = list(header) if header is not None else [f"column {i + 1}" for i in range(width)]
        if width == n_feat + 1:
            target_cells = [row[n_feat] for row in rows]
    X = _numeric_matrix(path, rows, idx, names, first_line)
    return X, target_cells, header


def _target_index(path: Path, names: list[str], target: str | int | None, has_header: bool) -> int:
    if target is None:
        return len(names) - 1
    if isinstance(target, str) and target in names:
        return names.index(target)
    text = str(target)
    if text.isdigit() and 1 <= int(text) <= len(names):
        return int(text) - 1
    where = f"columns: {', '.join(names)}" if has_header else f"{len(names)} columns, no header"
    hint = did_you_mean(str(target), names) if has_header else ""
    raise DataError(f"{path}: unknown target column {target!r}{hint} ({where})")


def _numeric_matrix(
    path: Path, rows: list[list[str]], idx: list[int], names: Sequence[str], first_line: int
) -> np.ndarray:
    X = np.empty((len(rows), len(idx)), dtype=np.float64)
    for k, row in enumerate(rows):
        for j, i in enumerate(idx):
            cell = row[i]
            if cell.lower() in MISSING:
                raise DataError(
                    f"{path}, line {first_line + k}, column {names[i]!r}: missing value"
                )
            try:
                value = float(cell)
            except ValueError:
                raise DataError(
                    f"{path}, line {first_line + k}, column {names[i]!r}: {cell!r} is not a "
                    "number (features must be numeric)"
                ) from None
            if not math.isfinite(value):
                raise DataError(
                    f"{path}, line {first_line + k}, column {names[i]!r}: {cell!r} is not finite"
                )
            X[k, j] = value
    return X


def _few_whole_numbers(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    if finite.size != values.size or not np.all(finite == np.round(finite)):
        return False
    return len(np.unique(finite)) <= MAX_AUTO_CLASSES


def _encode_labels(cells: list[str], numeric: bool) -> tuple[np.ndarray, list[str]]:
    if numeric:
        # Numeric labels sort as numbers (2 before 10) and print without a trailing .0.
        values = [float(c) for c in cells]
        bad = next((k for k, v in enumerate(values) if not math.isfinite(v)), None)
        if bad is not None:
            raise DataError(
                f"data row {bad + 1}: the class label {cells[bad]!r} is not a finite number"
            )
        uniques = sorted(set(values))
        names = [_number_text(v) for v in uniques]
        lookup = {v: k for k, v in enumerate(uniques)}
        return np.array([lookup[v] for v in values], dtype=np.int64), names
    uniques = sorted(set(cells))
    lookup = {c: k for k, c in enumerate(uniques)}
    return np.array([lookup[c] for c in cells], dtype=np.int64), uniques


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def encode_with_classes(cells: Sequence[str], classes: Sequence[str], where: str) -> np.ndarray:
    """Map label texts to indices of a model's ``classes`` (numbers compare as numbers)."""
    lookup = {str(c): k for k, c in enumerate(classes)}
    out = np.empty(len(cells), dtype=np.int64)
    for k, cell in enumerate(cells):
        key = cell
        if key not in lookup and _is_number(cell):
            key = _number_text(float(cell))
        if key not in lookup:
            raise DataError(
                f"{where}, data row {k + 1}: label {cell!r} is not one of the model's classes "
                f"({', '.join(map(str, classes))})"
            )
        out[k] = lookup[key]
    return out
