"""Model files on a real disk: exact round trips, every kind of damage, and crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import backproplab as bp
from backproplab import io as bpio
from backproplab.engine.errors import BackpropLabError, InputError
from backproplab.io import ModelFileError, load_model, load_model_file, save_model
from backproplab.train.preprocessing import fit_preprocessing


def _trained_like(net: bp.MLP, seed: int = 5) -> bp.MLP:
    """Parameters with full-precision random bits (not the round numbers of an init)."""
    rng = np.random.default_rng(seed)
    net.weights = [w + rng.normal(0, 1e-3, w.shape) for w in net.weights]
    net.biases = [b + rng.normal(0, 1e-3, b.shape) for b in net.biases]
    return net


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    net = _trained_like(bp.MLP([4, 8, 3], hidden="tanh", loss="cross_entropy", seed=1))
    path = tmp_path / "model.bpl"
    save_model(net, path, classes=["setosa", "versicolor", "virginica"])
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda: bp.MLP.slides_network(),
        lambda: bp.MLP([4, 8, 3], hidden="tanh", loss="cross_entropy", seed=1),
        lambda: bp.MLP([3, 5, 5, 1], hidden="relu", loss="bce", seed=2, dtype=np.float32),
        lambda: bp.MLP([2, 6, 2], activations=["leaky_relu", "identity"], seed=3),
    ],
)
def test_round_trip_is_bit_exact(tmp_path: Path, make) -> None:
    net = _trained_like(make())
    X = np.random.default_rng(0).normal(size=(50, net.n_inputs)).astype(net.dtype)
    pre = fit_preprocessing(X, feature_names=[f"f{i}" for i in range(net.n_inputs)])
    path = save_model(net, tmp_path / "m.bpl", preprocessing=pre, extra={"epochs": 7})
    loaded = load_model_file(path)
    other = loaded.net
    assert other.layer_sizes == net.layer_sizes
    assert other.activations == net.activations
    assert other.loss_name == net.loss_name and other.dtype == net.dtype
    for a, b in zip(other.parameters(), net.parameters(), strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert other.predict(X).tobytes() == net.predict(X).tobytes()
    # The preprocessing comes back exactly too (JSON floats round-trip float64).
    assert loaded.preprocessing.transform_X(X).tobytes() == pre.transform_X(X).tobytes()
    assert loaded.preprocessing.feature_names == pre.feature_names
    assert loaded.extra == {"epochs": 7}
    assert loaded.metadata["format"] == bpio.FORMAT_NAME
    assert loaded.metadata["version"] == bpio.FORMAT_VERSION


def test_file_is_a_plain_npz_without_pickle(model_path: Path) -> None:
    with np.load(model_path, allow_pickle=False) as archive:
        assert {"weights_0", "biases_0", "weights_1", "biases_1", "metadata"} <= set(archive.files)
        meta = json.loads(archive["metadata"].tobytes())
    assert meta["classes"] == ["setosa", "versicolor", "virginica"]
    assert meta["layer_sizes"] == [4, 8, 3]
    assert load_model_file(model_path).classes == meta["classes"]
    with zipfile.ZipFile(model_path) as zf:
        assert zf.testzip() is None


def test_every_truncation_is_a_clear_error(model_path: Path, tmp_path: Path) -> None:
    data = model_path.read_bytes()
    bad = tmp_path / "cut.bpl"
    for k in range(len(data)):  # every byte offset of the (small) file
        bad.write_bytes(data[:k])
        with pytest.raises(ModelFileError) as info:
            load_model(bad)
        msg = str(info.value)
        assert "\n" not in msg and str(bad) in msg
        if k > 64:
            assert "truncated or corrupted" in msg, (k, msg)


def test_every_flipped_byte_is_a_clear_error(model_path: Path, tmp_path: Path) -> None:
    data = model_path.read_bytes()
    bad = tmp_path / "flipped.bpl"
    for k in range(len(data)):  # every byte, alternating the lowest and the highest bit
        damaged = bytearray(data)
        damaged[k] ^= 0x01 if k % 2 else 0x80
        bad.write_bytes(bytes(damaged))
        with pytest.raises(ModelFileError) as info:
            load_model(bad)
        assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "the file is empty"),
        (b"x1,x2,y\n0,1,1\n", "not a backproplab model file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a backproplab model file"),
    ],
)
def test_empty_and_foreign_files(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "foreign.bpl"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_an_ordinary_npz_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "arrays.npz"
    np.savez(path, a=np.arange(3))
    with pytest.raises(ModelFileError, match="not a backproplab model file"):
        load_model(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "nope.bpl")
    with pytest.raises(ModelFileError, match="is a directory"):
        load_model(tmp_path)
    assert issubclass(ModelFileError, BackpropLabError)


def test_a_newer_format_version_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(bpio, "FORMAT_VERSION", 99)
    path = save_model(bp.MLP([2, 2, 1]), tmp_path / "future.bpl")
    monkeypatch.setattr(bpio, "FORMAT_VERSION", 1)
    with pytest.raises(ModelFileError, match="format version 99 is newer"):
        load_model(path)


def test_failed_saves_leave_the_old_file_and_no_temporaries(
    model_path: Path, tmp_path: Path
) -> None:
    before = model_path.read_bytes()
    net = bp.MLP([4, 8, 3], hidden="tanh", loss="cross_entropy", seed=9)
    with pytest.raises(InputError, match="extra must be JSON-serialisable"):
        save_model(net, model_path, extra={"f": object()})
    with pytest.raises(InputError, match="does not exist"):
        save_model(net, tmp_path / "no-such-dir" / "m.bpl")
    assert model_path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bpl"]


_SAVER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import backproplab as bp
    from backproplab.io import save_model

    path = sys.argv[1]
    net = bp.MLP([1500, 1500, 10], seed=0, init="zeros")  # ~18 MB of float64 parameters
    version = 0
    while True:
        version += 1
        net.biases[1] = np.full(10, float(version))
        save_model(net, path, extra={"version": version})
        print(version, flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_during_save_leaves_the_old_file_loadable(tmp_path: Path) -> None:
    path = tmp_path / "big.bpl"
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    caught_mid_write = 0
    rng = np.random.default_rng(0)
    for _trial in range(12):
        child = subprocess.Popen(
            [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True
        )
        try:
            first = child.stdout.readline()  # one complete save has happened
            assert first.strip().isdigit(), "the saver child did not start"
            started = time.perf_counter()
            child.stdout.readline()  # and a second: how long one save takes on this machine
            cycle = time.perf_counter() - started
            if _trial % 2 == 0:
                # Kill as soon as a temporary file is seen: mid-write, unless the rename
                # wins the race (then the next even trial tries again).
                while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
                    if time.perf_counter() - started > 60 * cycle + 10:
                        break
            else:
                # Kill at a different phase of the save cycle in each odd trial: anywhere
                # in the cycle the old (or the new) file must load whole.
                time.sleep(cycle * (_trial + float(rng.uniform(0.0, 1.0))) / 12)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            child.stdout.close()
        leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        caught_mid_write += bool(leftovers)
        loaded = load_model_file(path)  # the last complete version, never a torn one
        version = loaded.extra["version"]
        np.testing.assert_array_equal(loaded.net.biases[1], np.full(10, float(version)))
        for p in leftovers:
            p.unlink()
        if caught_mid_write >= 2:
            break
    assert caught_mid_write >= 1, "no kill landed while a temporary file was being written"
