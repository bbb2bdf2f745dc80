"""Hand-made model files for the hostile-input tests: any arrays, any metadata, sealed.

The seal (the SHA-256 in the ZIP comment) proves integrity, not origin: anyone can seal a
hostile file, so these are sealed properly and must be refused for what is inside them.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

DIGEST_PREFIX = b"backproplab-sha256:"


def seal(zip_bytes: bytes) -> bytes:
    """Give a ZIP (written without a comment) the backproplab checksum comment."""
    data = bytearray(zip_bytes)
    assert data[-22:-18] == b"PK\x05\x06" and data[-2:] == b"\x00\x00"
    data[-2:] = (len(DIGEST_PREFIX) + 64).to_bytes(2, "little")
    return bytes(data) + DIGEST_PREFIX + hashlib.sha256(data).hexdigest().encode()


def npy_bytes(arr: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(arr), allow_pickle=True)
    return buffer.getvalue()


def npy_header_only(shape: tuple[int, ...], dtype: str = "<f8", payload: bytes = b"") -> bytes:
    """A .npy whose header claims ``shape`` but that holds only ``payload``."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + payload


def good_parts() -> tuple[dict[str, Any], dict[str, bytes]]:
    """(metadata, members) of a valid 2-3-2 classifier trained on moons."""
    rng = np.random.default_rng(0)
    metadata = {
        "format": "backproplab-model",
        "version": 1,
        "backproplab_version": "0.1.0",
        "layer_sizes": [2, 3, 2],
        "activations": ["tanh", "softmax"],
        "loss": "cross_entropy",
        "dtype": "float64",
        "preprocessing": {
            "features": {"mean": [0.5, 0.25], "scale": [0.9, 0.5]},
            "target": None,
            "feature_names": ["x1", "x2"],
            "target_name": "y",
        },
        "classes": ["0", "1"],
        "extra": {
            "settings": {"source": "moons", "seed": 0, "split_seed": 0, "test_split": 0.2,
                         "samples": None, "noise": None},
        },
        "status": {"state": "completed"},
    }  # fmt: skip
    members = {
        "weights_0.npy": npy_bytes(rng.normal(size=(2, 3))),
        "biases_0.npy": npy_bytes(np.zeros(3)),
        "weights_1.npy": npy_bytes(rng.normal(size=(3, 2))),
        "biases_1.npy": npy_bytes(np.zeros(2)),
    }
    return metadata, members


def build(
    metadata: dict[str, Any] | str | None = None,
    members: dict[str, bytes] | None = None,
    *,
    metadata_member: bytes | None = None,
    compress: set[str] = frozenset(),
) -> bytes:
    """A sealed model file from (possibly hostile) metadata and members."""
    good_meta, good_members = good_parts()
    meta = good_meta if metadata is None else metadata
    arrays = good_members if members is None else members
    text = meta if isinstance(meta, str) else json.dumps(meta)
    if metadata_member is None:
        metadata_member = npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, payload in {**arrays, "metadata.npy": metadata_member}.items():
            method = zipfile.ZIP_DEFLATED if name in compress else zipfile.ZIP_STORED
            zf.writestr(zipfile.ZipInfo(name), payload, compress_type=method)
    return seal(buffer.getvalue())


def zip_bomb(inflated_bytes: int) -> bytes:
    """A valid model plus an unused member of ``inflated_bytes`` zeros, deflated."""
    meta, members = good_parts()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, payload in {**members, "metadata.npy": npy_bytes(
                np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))}.items():  # fmt: skip
            zf.writestr(name, payload)
        info = zipfile.ZipInfo("unused.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            block = bytes(1 << 20)
            for _ in range(inflated_bytes >> 20):
                fh.write(block)
    return seal(buffer.getvalue())


def variant(**changes: Any) -> dict[str, Any]:
    """The good metadata with some entries replaced (dotted keys reach inside)."""
    meta = copy.deepcopy(good_parts()[0])
    for dotted, value in changes.items():
        target = meta
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    return meta


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
