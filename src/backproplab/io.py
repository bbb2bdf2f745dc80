"""Model files: one ``.npz`` archive of parameter arrays plus JSON metadata, never pickle.

Layout of a model file (any name; ``.bpl`` by convention):

* a standard ZIP/``.npz`` archive written by :func:`numpy.savez`, holding
  ``weights_0, biases_0, weights_1, ...`` (the parameters, in the network's dtype),
  ``metadata`` (UTF-8 JSON as a uint8 array: format name and version, layer sizes,
  activations, loss, dtype, preprocessing, class names, user extras, and the ``status``
  of the run that wrote it) and, for a run that can be resumed, ``training_state.<key>``
  arrays (optimiser moments, RNG state, ...; their JSON part is ``metadata.training_state``);
* the archive comment holds ``backproplab-sha256:<digest>``, the SHA-256 of every byte
  before it, so that a truncated file or one flipped byte anywhere is detected, not just
  in the places ZIP's own CRCs cover.

The file is written atomically: to a temporary file in the same directory, flushed and
fsync'ed, then renamed over the target with :func:`os.replace`. A crash at any moment
leaves either the old file or the new one, never a mixture; the temporary files of saves
that were killed are removed by the next save to the same path. Files get the permissions
the umask allows (0644 under the usual 022).

A model file is untrusted input (the checksum proves integrity, not origin). Loading reads
no pickle (``allow_pickle`` is never on) and, before allocating anything, checks the file
against :mod:`backproplab.limits`: it is a regular file no larger than
:data:`~backproplab.limits.MAX_MODEL_BYTES`; every ZIP member's uncompressed size, from the
archive's directory, is at most that too and at most :data:`~backproplab.limits.MAX_INFLATION`
times its compressed size; the metadata is bounded JSON; the network it declares fits the
network limits and the bytes the file actually holds; each ``.npy`` header's shape and dtype
are those the metadata implies. Only the members the format needs are read. Preprocessing,
class names and settings are cross-checked against the network. Any defect is a
:class:`ModelFileError` with one line saying what is wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, limits
from .engine.errors import BackpropLabError, InputError
from .engine.network import MLP
from .train.preprocessing import Preprocessing

FORMAT_NAME = "backproplab-model"
FORMAT_VERSION = 1
_METADATA_KEY = "metadata"
_STATE_PREFIX = "training_state."
_STATE_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
_DIGEST_PREFIX = b"backproplab-sha256:"
_COMMENT_LENGTH = len(_DIGEST_PREFIX) + 64
# The ZIP end-of-central-directory record: 22 bytes, the last 2 giving the comment length.
_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD_SIZE = 22
_DTYPES = ("float32", "float64")
#: What ``status["state"]`` may say about the run that wrote a file.
STATUSES = ("completed", "early_stopping", "interrupted", "checkpoint", "diverged")


class ModelFileError(BackpropLabError):
    """A model file cannot be read: missing, empty, truncated, corrupted or not a model."""


@dataclass
class ModelFile:
    """Everything a model file holds: the network and what to do around it."""

    net: MLP
    preprocessing: Preprocessing | None = None
    classes: list[Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: (arrays, JSON) of the training state, when the file has one and it was asked for.
    training_state_parts: tuple[dict[str, np.ndarray], dict[str, Any]] | None = None

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.metadata.get("extra") or {})

    @property
    def status(self) -> dict[str, Any]:
        """How the run that wrote the file ended: ``{"state": "diverged", ...}``."""
        return dict(self.metadata.get("status") or {"state": "completed"})

    @property
    def has_training_state(self) -> bool:
        return isinstance(self.metadata.get("training_state"), dict)

    @property
    def training_state(self) -> Any:
        """The engine's ``TrainingState`` to resume from (None if the file holds none)."""
        if self.training_state_parts is None:
            return None
        from .engine.state import TrainingState

        arrays, meta = self.training_state_parts
        try:
            return TrainingState.from_parts(arrays, meta)
        except (BackpropLabError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelFileError(f"the training state is invalid ({exc})") from None


# ---------------------------------------------------------------------- saving
def save_model(
    net: MLP,
    path: str | os.PathLike[str],
    *,
    preprocessing: Preprocessing | dict[str, Any] | None = None,
    classes: Sequence[Any] | None = None,
    extra: dict[str, Any] | None = None,
    training_state: Any = None,
    status: dict[str, Any] | None = None,
) -> Path:
    """Write ``net`` (and its preprocessing and class names) to ``path`` atomically.

    ``training_state`` (the engine's ``TrainingState``, anything with ``to_arrays()`` and
    ``to_json()``) makes the file resumable. ``status`` records how the run ended, e.g.
    ``{"state": "diverged", "epoch": 108, "message": "..."}`` (default: completed).
    """
    if not isinstance(net, MLP):
        raise InputError(f"save_model needs an MLP, got {type(net).__name__}")
    path = Path(path)
    status = _json_checked(dict(status or {"state": "completed"}), "status")
    if status.get("state") not in STATUSES:
        raise InputError(f"status['state'] must be one of {', '.join(STATUSES)}")
    metadata = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "backproplab_version": __version__,
        "layer_sizes": list(net.layer_sizes),
        "activations": list(net.activations),
        "loss": net.loss_name,
        "dtype": np.dtype(net.dtype).name,
        "preprocessing": _preprocessing_dict(preprocessing),
        "classes": None if classes is None else [_json_scalar(c) for c in classes],
        "extra": _json_checked(extra or {}, "extra"),
        "status": status,
    }
    arrays: dict[str, np.ndarray] = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        arrays[f"weights_{l}"] = np.ascontiguousarray(W)
        arrays[f"biases_{l}"] = np.ascontiguousarray(b)
    if training_state is not None:
        state_arrays = training_state.to_arrays()
        for key, value in state_arrays.items():
            if not _STATE_KEY.match(key):
                raise InputError(f"training state key {key!r}: letters, digits, '_.-' only")
            arr = np.asarray(value)
            if arr.dtype.hasobject:
                raise InputError(f"training state array {key!r} holds Python objects")
            arrays[_STATE_PREFIX + key] = np.ascontiguousarray(arr)
        metadata["training_state"] = {
            "json": _json_checked(training_state.to_json(), "training state"),
            "arrays": sorted(state_arrays),
        }
    text = json.dumps(metadata, sort_keys=True, allow_nan=False)
    arrays[_METADATA_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    _atomic_write(path, _sealed_archive(arrays))
    return path


def _preprocessing_dict(pre: Preprocessing | dict[str, Any] | None) -> dict[str, Any] | None:
    if pre is None:
        return None
    if isinstance(pre, Preprocessing):
        return _json_checked(pre.to_dict(), "preprocessing")
    if isinstance(pre, dict):
        return _json_checked(pre, "preprocessing")
    raise InputError(f"preprocessing must be a Preprocessing or a dict, got {type(pre).__name__}")


def _json_scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"class names must be finite, got {value!r}")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise InputError(f"class names must be strings or numbers, got {value!r}")


def _json_checked(value: dict[str, Any], name: str) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be JSON-serialisable: {exc}") from None


def finite_or_null(value: Any) -> Any:
    """The same structure with NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(v) for v in value]
    return value


def json_text(value: Any, **kwargs: Any) -> str:
    """Valid JSON always (what the CLI writes and the lab sends): ``null`` where a number
    is NaN or infinite. The structure is walked only when a non-finite number is in it."""
    try:
        return json.dumps(value, allow_nan=False, **kwargs)
    except ValueError:
        return json.dumps(finite_or_null(value), allow_nan=False, **kwargs)


def _sealed_archive(arrays: dict[str, np.ndarray]) -> bytes:
    """The .npz bytes with the SHA-256 of everything before it as the ZIP comment."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data = bytearray(buffer.getvalue())
    eocd = len(data) - _EOCD_SIZE
    if data[eocd : eocd + 4] != _EOCD_SIGNATURE or data[-2:] != b"\x00\x00":
        raise BackpropLabError("numpy.savez wrote an archive layout this version cannot seal")
    data[-2:] = _COMMENT_LENGTH.to_bytes(2, "little")
    digest = hashlib.sha256(data).hexdigest().encode("ascii")
    return bytes(data) + _DIGEST_PREFIX + digest


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write a text file (e.g. a CSV of predictions) atomically, like a model file."""
    path = Path(path)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def atomic_write_bytes(path: str | os.PathLike[str], payload: bytes) -> Path:
    """Write ``payload`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    _atomic_write(path, payload)
    return path


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: the classic set-and-restore
    os.umask(mask)
    return mask


def _tmp_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete the temporary files that killed saves to ``path`` left behind.

    Ours are named ``.NAME.<pid>.<random>.tmp``: one whose process no longer runs is
    stale. (A name without a pid, from an older version, is stale after an hour.)
    """
    directory = path.parent if str(path.parent) else Path(".")
    prefix = _tmp_prefix(path)
    removed = []
    try:
        candidates = [p for p in directory.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for candidate in candidates:
        if not candidate.name.endswith(".tmp"):
            continue
        pid_text = candidate.name[len(prefix) :].split(".", 1)[0]
        if pid_text.isdigit():
            if int(pid_text) == os.getpid() or _process_alive(int(pid_text)):
                continue
        else:
            with contextlib.suppress(OSError):
                if time.time() - candidate.stat().st_mtime < 3600:
                    continue
        with contextlib.suppress(OSError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or not a pid at all: leave the file alone
    return True


def _atomic_write(path: Path, payload: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot save to {path}: the directory {directory} does not exist")
    if path.is_dir():
        raise InputError(f"cannot save to {path}: it is a directory")
    remove_stale_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f"{_tmp_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=directory
    )
    try:
        # mkstemp creates 0600; a saved model is an ordinary file (0644 under umask 022).
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


# ---------------------------------------------------------------------- loading
def load_model(path: str | os.PathLike[str]) -> MLP:
    """The network stored in a model file (see :func:`load_model_file` for the rest)."""
    return load_model_file(path).net


def load_model_file(path: str | os.PathLike[str], *, training_state: bool = False) -> ModelFile:
    """Read and verify a model file; any defect raises :class:`ModelFileError`.

    With ``training_state=True`` the arrays of the training state are read too (they are
    needed to resume a run, and skipped otherwise).
    """
    path = Path(path)
    data = _read_file(path)
    try:
        return _parse(data, training_state)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def _read_file(path: Path) -> bytes:
    try:
        limits.check_input_file(path, "model file", limits.MAX_MODEL_BYTES)
    except InputError as exc:
        raise ModelFileError(str(exc)) from None
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.MAX_MODEL_BYTES + 1)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    if len(data) > limits.MAX_MODEL_BYTES:  # it grew since the check
        raise ModelFileError(f"{path}: larger than {limits.MAX_MODEL_BYTES:,} bytes")
    return data


def _parse(data: bytes, with_state: bool = False) -> ModelFile:
    if not data:
        raise ModelFileError("the file is empty (not a backproplab model file)")
    if not data.startswith(b"PK\x03\x04"):
        raise ModelFileError(
            "not a backproplab model file (it does not start like an .npz/ZIP archive)"
        )
    _verify_seal(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = _members(archive)
        metadata = _read_metadata(archive, members)
        sizes = _check_architecture(metadata, members)
        net = _build_network(metadata, sizes, archive, members)
        pre = _read_preprocessing(metadata.get("preprocessing"), net)
        classes = _read_classes(metadata.get("classes"), net)
        _check_extra(metadata)
        state = _read_training_state(metadata, archive, members) if with_state else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ModelFileError(f"the archive is damaged ({exc})") from None
    except NotImplementedError as exc:  # an unsupported compression method
        raise ModelFileError(
            f"the archive uses a feature this version cannot read ({exc})"
        ) from None
    return ModelFile(net=net, preprocessing=pre, classes=classes, metadata=metadata,
                     training_state_parts=state)  # fmt: skip


def _verify_seal(data: bytes) -> None:
    comment = data[-_COMMENT_LENGTH:]
    body = data[:-_COMMENT_LENGTH]
    has_eocd = (
        len(body) >= _EOCD_SIZE
        and body[-_EOCD_SIZE : -_EOCD_SIZE + 4] == _EOCD_SIGNATURE
        and int.from_bytes(body[-2:], "little") == _COMMENT_LENGTH
    )
    if not has_eocd or not comment.startswith(_DIGEST_PREFIX):
        # Every model archive starts with the member weights_0.npy: this is the start of
        # a model file whose end is missing or damaged, not some other archive.
        if b"weights_0.npy" in data[:64] or _DIGEST_PREFIX in data:
            raise ModelFileError(
                "the model file is truncated or corrupted (its checksum record at the end "
                "is missing)"
            )
        raise ModelFileError("not a backproplab model file (an .npz without its checksum record)")
    expected = comment[len(_DIGEST_PREFIX) :]
    if hashlib.sha256(body).hexdigest().encode("ascii") != expected:
        raise ModelFileError(
            "the model file is corrupted (its SHA-256 checksum does not match its contents)"
        )


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name, their declared sizes checked first."""
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        name = info.filename.removesuffix(".npy")
        if name in members:
            raise ModelFileError(f"the archive holds the member {info.filename!r} twice")
        limit = limits.MAX_INFLATION * max(info.compress_size, 1024)
        if info.file_size > limit:
            raise ModelFileError(
                f"the member {info.filename!r} would inflate from {info.compress_size:,} to "
                f"{info.file_size:,} bytes (over {limits.MAX_INFLATION}x: refused as a zip bomb)"
            )
        total += info.file_size
        if total > limits.MAX_MODEL_BYTES:
            raise ModelFileError(
                f"the members add up to over {limits.MAX_MODEL_BYTES:,} bytes uncompressed "
                "(the limit for a model file)"
            )
        members[name] = info
    return members


def _read_npy(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    *,
    shape: tuple[int, ...] | None = None,
    dtype: str | None = None,
) -> np.ndarray:
    """One ``.npy`` member, its header checked against ``shape``/``dtype`` and against
    the member's size before the data is read (a header may claim 80 GB)."""
    name = info.filename
    with archive.open(info) as fh:
        try:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                got_shape, fortran, got_dtype = np.lib.format.read_array_header_1_0(fh)
            elif version in ((2, 0), (3, 0)):
                got_shape, fortran, got_dtype = np.lib.format.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unknown .npy version {version}")
        except (ValueError, SyntaxError, TypeError) as exc:
            raise ModelFileError(f"the member {name!r} is not a valid .npy array ({exc})") from None
        if got_dtype.hasobject or got_dtype.kind not in "biuf" or got_dtype.subdtype:
            raise ModelFileError(f"the member {name!r} has the unsupported dtype {got_dtype}")
        if dtype is not None and got_dtype != np.dtype(dtype):
            raise ModelFileError(f"{name.removesuffix('.npy')} has dtype {got_dtype}, the "
                                 f"metadata says {dtype}")  # fmt: skip
        if shape is not None and tuple(got_shape) != shape:
            raise ModelFileError(
                f"{name.removesuffix('.npy')} has shape {tuple(got_shape)}, the metadata's "
                f"layer sizes say {shape}"
            )
        count = math.prod(got_shape)
        nbytes = count * got_dtype.itemsize
        if nbytes != info.file_size - fh.tell():
            raise ModelFileError(
                f"the member {name!r} declares {nbytes:,} bytes of data but holds "
                f"{info.file_size - fh.tell():,}"
            )
        arr = np.empty(count, dtype=got_dtype)
        view = memoryview(arr).cast("B")
        filled = 0
        while filled < nbytes:
            got = fh.readinto(view[filled:])
            if not got:
                raise ModelFileError(f"the member {name!r} ends early")
            filled += got
    return arr.reshape(got_shape, order="F" if fortran else "C")


def _read_metadata(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    info = members.get(_METADATA_KEY)
    if info is None:
        raise ModelFileError("not a backproplab model file (no metadata entry)")
    if info.file_size > limits.MAX_JSON_BYTES + 256:
        raise ModelFileError(
            f"the metadata is {info.file_size:,} bytes; the limit is {limits.MAX_JSON_BYTES:,}"
        )
    raw = _read_npy(archive, info)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError("not a backproplab model file (no metadata entry)")
    try:
        text = raw.tobytes().decode("utf-8")
        metadata = limits.loads_json(text, "metadata")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"the metadata is not valid UTF-8 ({exc})") from None
    except InputError as exc:
        raise ModelFileError(str(exc)) from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ModelFileError("not a backproplab model file (wrong format name in the metadata)")
    version = metadata.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"format version {version} is newer than this backproplab reads "
            f"({FORMAT_VERSION}); upgrade backproplab"
        )
    return metadata


def _check_architecture(metadata: dict[str, Any], members: dict[str, zipfile.ZipInfo]) -> list[int]:
    """The layer sizes, checked against the limits and the bytes the file really holds."""
    for key in ("layer_sizes", "activations", "loss", "dtype"):
        if key not in metadata:
            raise ModelFileError(f"the metadata lacks the entry {key!r}")
    sizes = metadata["layer_sizes"]
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes)
    ):
        raise ModelFileError(f"layer_sizes must be a list of at least two positive integers, "
                             f"got {str(sizes)[:80]}")  # fmt: skip
    try:
        limits.check_network(sizes, option="layer_sizes")
    except InputError as exc:
        raise ModelFileError(f"the metadata declares too large a network ({exc})") from None
    acts = metadata["activations"]
    if not isinstance(acts, list) or not all(isinstance(a, str) for a in acts):
        raise ModelFileError("activations must be a list of names")
    if len(acts) != len(sizes) - 1:
        raise ModelFileError(f"{len(acts)} activations for {len(sizes) - 1} layers in the metadata")
    if not isinstance(metadata["loss"], str):
        raise ModelFileError(f"loss must be a name, got {metadata['loss']!r}")
    dtype = metadata["dtype"]
    if dtype not in _DTYPES:
        raise ModelFileError(f"dtype must be one of {', '.join(_DTYPES)}, got {dtype!r}")
    itemsize = np.dtype(dtype).itemsize
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        for kind, count in (("weights", a * b), ("biases", b)):
            info = members.get(f"{kind}_{l}")
            if info is None:
                raise ModelFileError(f"the parameter array {kind}_{l} is missing")
            if info.file_size < count * itemsize:
                raise ModelFileError(
                    f"{kind}_{l} holds {info.file_size:,} bytes; the layer sizes need "
                    f"{count * itemsize:,}"
                )
    return sizes


def _build_network(
    metadata: dict[str, Any],
    sizes: list[int],
    archive: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
) -> MLP:
    dtype = metadata["dtype"]
    weights, biases = [], []
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        weights.append(_read_npy(archive, members[f"weights_{l}"], shape=(a, b), dtype=dtype))
        biases.append(_read_npy(archive, members[f"biases_{l}"], shape=(b,), dtype=dtype))
    try:
        net = MLP(sizes, activations=metadata["activations"], loss=metadata["loss"],
                  dtype=dtype, seed=None, init="zeros")  # fmt: skip
        net.weights = weights
        net.biases = biases
    except (InputError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the metadata describes an invalid network ({exc})") from None
    return net


def _read_preprocessing(data: Any, net: MLP) -> Preprocessing | None:
    if data is None:
        return None
    try:
        pre = Preprocessing.from_dict(data)
    except (InputError, KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the preprocessing entry is invalid ({exc})") from None
    if pre.features is not None and pre.features.mean.shape != (net.n_inputs,):
        raise ModelFileError(
            f"the preprocessing standardises {pre.features.mean.shape[0]} features; the "
            f"network takes {net.n_inputs}"
        )
    if pre.feature_names and len(pre.feature_names) != net.n_inputs:
        raise ModelFileError(
            f"the preprocessing names {len(pre.feature_names)} features; the network takes "
            f"{net.n_inputs}"
        )
    if pre.target is not None and pre.target.mean.shape[0] not in (1, net.n_outputs):
        raise ModelFileError(
            f"the target standardisation has {pre.target.mean.shape[0]} values; the network "
            f"has {net.n_outputs} outputs"
        )
    if pre.target_name is not None and not isinstance(pre.target_name, str):
        raise ModelFileError(f"target_name must be a string, got {pre.target_name!r}")
    return pre


def _read_classes(classes: Any, net: MLP) -> list[Any] | None:
    if classes is None:
        return None
    if not isinstance(classes, list) or not all(
        isinstance(c, str | int | float) and not isinstance(c, bool) for c in classes
    ):
        raise ModelFileError("classes must be a list of strings or numbers")
    if any(isinstance(c, float) and not math.isfinite(c) for c in classes):
        raise ModelFileError("classes must be finite numbers or strings")
    k = len(classes)
    if len({str(c) for c in classes}) != k:
        raise ModelFileError("the class names repeat")
    if not (k == net.n_outputs or (net.n_outputs == 1 and k == 2)) or k < 2:
        raise ModelFileError(
            f"{k} class names for a network with {net.n_outputs} output"
            f"{'s' if net.n_outputs != 1 else ''}"
        )
    return classes


#: Settings that commands read back from a model file, and the JSON types they must have.
_SETTING_TYPES: dict[str, tuple[type, ...]] = {
    "source": (str,),
    "samples": (int, type(None)),
    "noise": (int, float, type(None)),
    "seed": (int,),
    "split_seed": (int, type(None)),
    "test_split": (int, float),
    "epochs": (int,),
    "standardize": (bool,),
    "hidden": (str, type(None)),
    "output": (str, type(None)),
    "loss": (str, type(None)),
    "lr": (int, float, type(None)),
    "batch_size": (int, type(None)),
    "optimizer": (str,),
    "momentum": (int, float, type(None)),
    "weight_decay": (int, float),
    "schedule": (str, type(None)),
    "val_split": (int, float),
    "patience": (int, type(None)),
    "target": (str, type(None)),
    "task": (str,),
    "source_sha256": (str, type(None)),
}


def _check_extra(metadata: dict[str, Any]) -> None:
    extra = metadata.get("extra")
    if extra is None:
        return
    if not isinstance(extra, dict):
        raise ModelFileError("the metadata's extra entry must be a JSON object")
    if "status" in metadata and not isinstance(metadata["status"], dict):
        raise ModelFileError("the metadata's status entry must be a JSON object")
    settings = extra.get("settings")
    if settings is None:
        return
    if not isinstance(settings, dict):
        raise ModelFileError("the settings in the metadata must be a JSON object")
    for key, types in _SETTING_TYPES.items():
        if key not in settings:
            continue
        value = settings[key]
        wrong = not isinstance(value, types) or (bool not in types and isinstance(value, bool))
        if wrong:
            raise ModelFileError(f"the setting {key!r} has the wrong type ({value!r})")
    if "test_split" in settings and not 0 <= settings["test_split"] < 1:
        raise ModelFileError(f"the setting 'test_split' must lie in [0, 1), got "
                             f"{settings['test_split']!r}")  # fmt: skip
    if isinstance(settings.get("samples"), int):
        try:
            limits.check_samples(settings["samples"], "the setting 'samples'")
        except InputError as exc:
            raise ModelFileError(str(exc)) from None
    for key in ("seed", "split_seed"):
        if isinstance(settings.get(key), int) and settings[key] < 0:
            raise ModelFileError(f"the setting {key!r} must be >= 0, got {settings[key]}")


def _read_training_state(
    metadata: dict[str, Any], archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]
) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    entry = metadata.get("training_state")
    if entry is None:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("json"), dict):
        raise ModelFileError("the training_state entry must be a JSON object with 'json'")
    names = entry.get("arrays")
    if not isinstance(names, list) or not all(
        isinstance(n, str) and _STATE_KEY.match(n) for n in names
    ):
        raise ModelFileError("the training_state entry must list its arrays by name")
    arrays = {}
    for key in names:
        info = members.get(_STATE_PREFIX + key)
        if info is None:
            raise ModelFileError(f"the training state array {key!r} is missing")
        arrays[key] = _read_npy(archive, info)
    return arrays, entry["json"]


def to_onnx(model: Any) -> Any:
    """An ONNX model of a network or a fitted backproplab.sklearn estimator
    (:func:`backproplab.onnx_export.to_onnx`; needs the onnx package)."""
    from .onnx_export import to_onnx as export

    return export(model)
