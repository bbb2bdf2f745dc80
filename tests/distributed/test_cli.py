"""``backproplab train GLOB --scheduler tcp://...`` as a subprocess, against a cluster this
test starts; and the distributed standardisation against the in-memory one."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pandas as pd
import pytest

from backproplab.distributed.standardise import fit_standardizer
from backproplab.io import load_model_file
from backproplab.train.preprocessing import Standardizer
from tests.conftest import run_cli


def write_parts(folder, kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frames = []
    for i, rows in enumerate((120, 37, 200)):
        X = rng.normal(loc=3.0, scale=[1.0, 5.0, 0.1], size=(rows, 3))
        df = pd.DataFrame(X, columns=["a", "b", "c"])
        df["label"] = np.where(X[:, 0] - 3 + (X[:, 1] - 3) / 5 > 0, "up", "down")
        df["value"] = 2 * X[:, 0] - X[:, 2]
        getattr(df, f"to_{kind}")(folder / f"part-{i}.{kind}", index=False)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def test_standardisation_by_a_distributed_pass_equals_in_memory(client) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(loc=1e4, scale=[1.0, 1e-3, 50.0], size=(301, 3))
    got = fit_standardizer(da.from_array(X, chunks=((1, 150, 100, 50), 3)), client)
    want = Standardizer.fit(X)
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-14)
    np.testing.assert_allclose(got.scale, want.scale, rtol=1e-9)


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_train_on_a_glob_with_scheduler_address(client, tmp_path, kind) -> None:
    table = write_parts(tmp_path, kind)
    model = tmp_path / "model.bpl"
    target = "label" if kind == "parquet" else "value"
    drop = "value" if kind == "parquet" else "label"
    if kind == "csv":  # a numeric target: regression
        for f in tmp_path.glob("*.csv"):
            pd.read_csv(f).drop(columns=[drop]).to_csv(f, index=False)
    else:
        for f in tmp_path.glob("*.parquet"):
            pd.read_parquet(f).drop(columns=[drop]).to_parquet(f)
    result = run_cli("train", str(tmp_path / f"*.{kind}"), "--target", target, "--scheduler",
                     client.scheduler.address, "--epochs", "15", "--lr", "0.3",
                     "--test-split", "0", "--out", str(model), timeout=240)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stdout and "357 train" in result.stdout
    saved = load_model_file(model)
    # Standardisation fitted on every row (no test split) by the moments pass.
    want = Standardizer.fit(table[["a", "b", "c"]].to_numpy())
    np.testing.assert_allclose(saved.preprocessing.features.mean, want.mean, rtol=1e-12)
    np.testing.assert_allclose(saved.preprocessing.features.scale, want.scale, rtol=1e-12)
    if kind == "parquet":
        assert list(saved.classes) == ["down", "up"]
        assert saved.extra["metrics"]["final_loss"] < 0.6
    else:
        assert saved.preprocessing.target is not None and saved.classes is None


def test_bad_scheduler_and_glob_are_one_line_errors(tmp_path) -> None:
    result = run_cli("train", str(tmp_path / "*.parquet"), "--scheduler", "local:2")
    assert result.returncode == 2 and "matches no file" in result.stderr
    assert "Traceback" not in result.stderr
    write_parts(tmp_path, "parquet")
    result = run_cli("train", str(tmp_path / "*.parquet"), "--scheduler", "somewhere")
    assert result.returncode == 2 and "expected local:N or a scheduler address" in result.stderr
