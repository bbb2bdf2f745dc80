"""Model files: one ``.npz`` archive of parameter arrays plus JSON metadata, never pickle.

Layout of a model file (any name; ``.bpl`` by convention):

* a standard ZIP/``.npz`` archive written by :func:`numpy.savez`, holding
  ``weights_0, biases_0, weights_1, ...`` (the parameters, in the network's dtype) and
  ``metadata`` (UTF-8 JSON as a uint8 array: format name and version, layer sizes,
  activations, loss, dtype, preprocessing, class names, user extras);
* the archive comment holds ``backproplab-sha256:<digest>``, the SHA-256 of every byte
  before it, so that a truncated file or one flipped byte anywhere is detected, not just
  in the places ZIP's own CRCs cover.

The file is written atomically: to a temporary file in the same directory, flushed and
fsync'ed, then renamed over the target with :func:`os.replace`. A crash at any moment
leaves either the old file or the new one, never a mixture. Loading uses
``allow_pickle=False``, so a model file cannot run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .engine.errors import BackpropLabError, InputError
from .engine.network import MLP
from .train.preprocessing import Preprocessing

FORMAT_NAME = "backproplab-model"
FORMAT_VERSION = 1
_METADATA_KEY = "metadata"
_DIGEST_PREFIX = b"backproplab-sha256:"
_COMMENT_LENGTH = len(_DIGEST_PREFIX) + 64
# The ZIP end-of-central-directory record: 22 bytes, the last 2 giving the comment length.
_EOCD_SIGNATURE = b"PK\x05\x06"
_EOCD_SIZE = 22


class ModelFileError(BackpropLabError):
    """A model file cannot be read: missing, empty, truncated, corrupted or not a model."""


@dataclass
class ModelFile:
    """Everything a model file holds: the network and what to do around it."""

    net: MLP
    preprocessing: Preprocessing | None = None
    classes: list[Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.metadata.get("extra") or {})


# ---------------------------------------------------------------------- saving
def save_model(
    net: MLP,
    path: str | os.PathLike[str],
    *,
    preprocessing: Preprocessing | dict[str, Any] | None = None,
    classes: Sequence[Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``net`` (and its preprocessing and class names) to ``path`` atomically."""
    if not isinstance(net, MLP):
        raise InputError(f"save_model needs an MLP, got {type(net).__name__}")
    path = Path(path)
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
    }
    arrays: dict[str, np.ndarray] = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        arrays[f"weights_{l}"] = np.ascontiguousarray(W)
        arrays[f"biases_{l}"] = np.ascontiguousarray(b)
    text = json.dumps(metadata, sort_keys=True, allow_nan=False)
    arrays[_METADATA_KEY] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    _atomic_write(path, _sealed_archive(arrays))
    return path


def _preprocessing_dict(pre: Preprocessing | dict[str, Any] | None) -> dict[str, Any] | None:
    if pre is None:
        return None
    if isinstance(pre, Preprocessing):
        return pre.to_dict()
    if isinstance(pre, dict):
        return _json_checked(pre, "preprocessing")
    raise InputError(f"preprocessing must be a Preprocessing or a dict, got {type(pre).__name__}")


def _json_scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise InputError(f"class names must be strings or numbers, got {value!r}")


def _json_checked(value: dict[str, Any], name: str) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be JSON-serialisable: {exc}") from None


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
    _atomic_write(path, text.encode("utf-8"))
    return path


def _atomic_write(path: Path, payload: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot save to {path}: the directory {directory} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
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


def load_model_file(path: str | os.PathLike[str]) -> ModelFile:
    """Read and verify a model file; any defect raises :class:`ModelFileError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a model file") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        return _parse(data)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def _parse(data: bytes) -> ModelFile:
    if not data:
        raise ModelFileError("the file is empty (not a backproplab model file)")
    if not data.startswith(b"PK\x03\x04"):
        raise ModelFileError(
            "not a backproplab model file (it does not start like an .npz/ZIP archive)"
        )
    _verify_seal(data)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ModelFileError(f"the archive is damaged ({exc})") from None
    metadata = _read_metadata(arrays)
    return ModelFile(
        net=_build_network(metadata, arrays),
        preprocessing=_read_preprocessing(metadata.get("preprocessing")),
        classes=metadata.get("classes"),
        metadata=metadata,
    )


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


def _read_metadata(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    raw = arrays.get(_METADATA_KEY)
    if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError("not a backproplab model file (no metadata entry)")
    try:
        metadata = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"the metadata is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ModelFileError("not a backproplab model file (wrong format name in the metadata)")
    version = metadata.get("version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"format version {version} is newer than this backproplab reads "
            f"({FORMAT_VERSION}); upgrade backproplab"
        )
    return metadata


def _build_network(metadata: dict[str, Any], arrays: dict[str, np.ndarray]) -> MLP:
    try:
        sizes = metadata["layer_sizes"]
        net = MLP(
            sizes,
            activations=metadata["activations"],
            loss=metadata["loss"],
            dtype=metadata["dtype"],
            seed=None,
            init="zeros",
        )
    except KeyError as exc:
        raise ModelFileError(f"the metadata lacks the entry {exc}") from None
    except (InputError, TypeError) as exc:
        raise ModelFileError(f"the metadata describes an invalid network ({exc})") from None
    weights, biases = [], []
    for l in range(net.n_layers):
        for kind, store in (("weights", weights), ("biases", biases)):
            arr = arrays.get(f"{kind}_{l}")
            if arr is None:
                raise ModelFileError(f"the parameter array {kind}_{l} is missing")
            if arr.dtype != net.dtype:
                raise ModelFileError(
                    f"{kind}_{l} has dtype {arr.dtype}, the metadata says {net.dtype}"
                )
            store.append(arr)
    try:
        net.weights = weights
        net.biases = biases
    except InputError as exc:
        raise ModelFileError(f"the parameters do not fit the architecture ({exc})") from None
    return net


def _read_preprocessing(data: Any) -> Preprocessing | None:
    if data is None:
        return None
    try:
        return Preprocessing.from_dict(data)
    except (InputError, KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the preprocessing entry is invalid ({exc})") from None
