"""The documented maxima of what backproplab accepts, and the checks that enforce them.

Every input that decides how much memory or time a command takes -- layer sizes, sample
counts, epochs, a file's size, a JSON document's nesting -- is compared with a limit here
*before* anything is allocated, and refused with one line that names the limit and the
option. The limits are far above what a teaching library needs (a 10-million-parameter
network, a million rows), so a real run never meets them; an absurd or hostile one does.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .engine.errors import InputError

#: Weight layers of a network (hidden layers + 1).
MAX_LAYERS = 32
#: Units in any one layer.
MAX_UNITS = 100_000
#: Weights and biases of a whole network (80 MB in float64; Adam keeps two more copies).
MAX_PARAMETERS = 10_000_000
#: Rows of a data set (generated or read).
MAX_SAMPLES = 1_000_000
#: Epochs of one run.
MAX_EPOCHS = 10_000_000
#: Epochs times training rows: the samples one run may push through the network.
MAX_SAMPLE_EPOCHS = 10_000_000_000
#: Nesting depth of any JSON document read (model metadata, --weights files).
MAX_JSON_DEPTH = 64
#: Size of a JSON document read (model metadata, --weights files).
MAX_JSON_BYTES = 16 * 2**20
#: Size of a CSV file read.
MAX_CSV_BYTES = 100 * 2**20
#: Characters in one CSV field (Python's csv module default).
MAX_CSV_FIELD = 131_072
#: Size of a model file, and of all its members once uncompressed.
MAX_MODEL_BYTES = 256 * 2**20
#: Largest uncompressed / compressed ratio of a model file's member (backproplab writes
#: them uncompressed: ratio 1; a zip bomb's is in the thousands).
MAX_INFLATION = 20
#: Features (and regression targets) beyond this magnitude overflow in standardisation
#: (their square is taken for the variance).
MAX_ABS_VALUE = 1e150


def parameter_count(sizes: Sequence[int]) -> int:
    """Weights and biases of an MLP with these layer sizes."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def check_network(sizes: Sequence[int], option: str = "--layers") -> list[int]:
    """``sizes`` if the network fits the limits, else an InputError naming ``option``."""
    sizes = list(sizes)
    if len(sizes) - 1 > MAX_LAYERS:
        raise InputError(f"{option}: {len(sizes) - 1} weight layers; the limit is {MAX_LAYERS}")
    big = max(sizes)
    if big > MAX_UNITS:
        raise InputError(f"{option}: a layer of {big} units; the limit is {MAX_UNITS} per layer")
    n = parameter_count(sizes)
    if n > MAX_PARAMETERS:
        raise InputError(
            f"{option}: {'-'.join(map(str, sizes))} has {n:,} parameters; the limit is "
            f"{MAX_PARAMETERS:,}"
        )
    return sizes


def check_samples(n: int, option: str = "--samples") -> int:
    if n > MAX_SAMPLES:
        raise InputError(f"{option}: {n:,} samples; the limit is {MAX_SAMPLES:,}")
    return n


def check_epochs(epochs: int, n_rows: int, option: str = "--epochs") -> None:
    if epochs > MAX_EPOCHS:
        raise InputError(f"{option}: {epochs:,} epochs; the limit is {MAX_EPOCHS:,}")
    if epochs * n_rows > MAX_SAMPLE_EPOCHS:
        raise InputError(
            f"{option}: {epochs:,} epochs of {n_rows:,} rows is {epochs * n_rows:,} samples "
            f"through the network; the limit is {MAX_SAMPLE_EPOCHS:,}"
        )


# Strings (with their escapes) are cut out before counting brackets: a '[' inside a
# string does not nest.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (without parsing it)."""
    depth = deepest = 0
    for ch in _JSON_STRING.sub('""', text):
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_json(text: str, what: str) -> Any:
    """``json.loads`` with the size and depth limits; InputError naming ``what`` otherwise."""
    if len(text) > MAX_JSON_BYTES:
        raise InputError(
            f"{what}: {len(text):,} characters of JSON; the limit is {MAX_JSON_BYTES:,}"
        )
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise InputError(f"{what}: JSON nested {depth} deep; the limit is {MAX_JSON_DEPTH}")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{what}: not valid JSON ({exc})") from None


def special_file_kind(mode: int) -> str | None:
    """'a FIFO', 'a character device', ... for anything that is not a regular file."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_input_file(path: str | os.PathLike[str], what: str, max_bytes: int) -> os.stat_result:
    """The stat of a regular, readable input file of at most ``max_bytes``; else InputError.

    Special files are refused before they are opened: ``/dev/zero`` never ends and a FIFO
    blocks the reader until someone writes to it.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    kind = special_file_kind(st.st_mode)
    if kind is not None:
        raise InputError(f"{path}: is {kind}, not a {what}")
    check_size(path, st.st_size, what, max_bytes)
    return st


def check_size(path: str | os.PathLike[str], size: int | None, what: str, max_bytes: int) -> None:
    """InputError when ``size`` bytes (None: unknown but too many) exceed ``max_bytes``."""
    if size is None or size > max_bytes:
        shown = f"over {max_bytes:,}" if size is None else f"{size:,}"
        raise InputError(f"{path}: {shown} bytes; the limit for a {what} is {max_bytes:,} bytes")


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """' (did you mean 'moons'?)' for a near miss, else ''."""
    close = difflib.get_close_matches(str(word).lower(), [c.lower() for c in choices], n=1)
    if not close:
        return ""
    original = next(c for c in choices if c.lower() == close[0])
    return f" (did you mean {original!r}?)"
