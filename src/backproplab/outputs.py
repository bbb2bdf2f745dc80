"""Output paths: checked before the work starts, and the work kept if a save still fails.

A command that writes files (a model, metrics, figures, predictions, an explanation)
calls :func:`check_outputs` before doing anything expensive: each output must not be a
directory or a special file, its directory must exist and accept a new file (tried, not
guessed from permission bits: root ignores them, a read-only mount does not), and it must
not be the same file as one of the command's inputs (compared by device and inode, so a
second name or a symlink is caught too). At the end, :func:`save_with_fallback` writes;
if that fails anyway (the disk filled up meanwhile), it writes to a fallback path in the
current directory or the temporary directory and says where.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .engine.errors import BackpropLabError, InputError
from .limits import special_file_kind


class OutputError(BackpropLabError):
    """An output could not be written anywhere: the message says what was tried."""


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def check_directory_writable(directory: Path, option: str, shown: Path) -> None:
    """InputError unless a file can be created in ``directory`` (by creating one)."""
    if not directory.is_dir():
        raise InputError(f"{option} {shown}: the directory {directory} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=".backproplab-probe.", dir=directory)
    except OSError as exc:
        raise InputError(
            f"{option} {shown}: cannot write in {directory} ({exc.strerror})"
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


def check_outputs(
    outputs: Sequence[tuple[str, Path | None]],
    inputs: Iterable[Path | str | None] = (),
    *,
    directories: Sequence[tuple[str, Path | None]] = (),
    allow_same: Iterable[Path | None] = (),
) -> None:
    """Refuse, before any work, the outputs that could not be written or would destroy an input.

    ``outputs`` are (option, file path) pairs; ``directories`` (option, directory) pairs
    for outputs that are folders (created if missing). ``allow_same`` lists inputs that an
    output may replace on purpose (a resumed model file written back to itself).
    """
    input_ids = {}
    allowed = {_identity(Path(p)) for p in allow_same if p is not None}
    for p in inputs:
        if p is None:
            continue
        ident = _identity(Path(p))
        if ident is not None and ident not in allowed:
            input_ids[ident] = Path(p)
    seen: dict[tuple[str, Any], str] = {}
    for option, path in outputs:
        if path is None:
            continue
        key = ("path", os.path.abspath(path))
        if key in seen:
            raise InputError(f"{option} and {seen[key]} name the same file {path}")
        seen[key] = option
        if path.exists() or path.is_symlink():
            try:
                mode = os.stat(path).st_mode
            except OSError as exc:
                raise InputError(f"{option} {path}: cannot use it ({exc.strerror})") from None
            kind = special_file_kind(mode)
            if kind is not None:
                raise InputError(f"{option} {path}: is {kind}; give a file name")
            same = input_ids.get(_identity(path))
            if same is not None:
                raise InputError(
                    f"{option} {path} is the same file as the input {same}; writing it "
                    "would destroy the input"
                )
        directory = path.parent if str(path.parent) else Path(".")
        check_directory_writable(directory, option, path)
    for option, directory in directories:
        if directory is None:
            continue
        if directory.exists() and not directory.is_dir():
            raise InputError(f"{option} {directory} exists and is not a directory")
        existing = directory
        while not existing.exists():
            existing = existing.parent if str(existing.parent) else Path(".")
            if existing == existing.parent:
                break
        check_directory_writable(existing, option, directory)


def fallback_paths(path: Path) -> list[Path]:
    """Where a failed save goes instead: the current directory, then the temp directory."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{path.stem}.rescued-{stamp}-{os.getpid()}{path.suffix}"
    places = []
    for directory in (Path.cwd(), Path(tempfile.gettempdir())):
        here = path.parent.resolve() if path.parent.exists() else None
        if directory.resolve() != here and directory not in places:
            places.append(directory)
    return [d / name for d in places]


def save_with_fallback(
    write: Callable[[Path], Any],
    path: Path,
    what: str,
    warn: Callable[[str], None],
) -> Path:
    """``write(path)``; if it fails, ``write`` to a fallback path and ``warn`` where.

    Returns the path written. Raises :class:`OutputError` when no place would take it.
    """
    try:
        write(path)
        return path
    except (OSError, InputError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
    tried = [str(path)]
    for candidate in fallback_paths(path):
        try:
            write(candidate)
        except (OSError, InputError):
            tried.append(str(candidate))
            continue
        warn(f"could not write the {what} to {path} ({reason}); saved it to {candidate} instead")
        return candidate
    raise OutputError(f"could not write the {what} ({reason}); tried {', '.join(tried)}")
