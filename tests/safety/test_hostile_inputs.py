"""A table of hostile inputs: each gets one line of error, no traceback, little memory.

Every case runs ``backproplab`` as a real subprocess (several at once), with its own peak
resident memory from ``os.wait4``; the files that existed before must be unchanged after.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from backproplab.io import save_model
from backproplab.train.datasets import load_dataset
from backproplab.train.pipeline import build_network, prepare
from tests.safety import crafted as c
from tests.safety.hostile import MAX_RSS_BYTES, run_many, snapshot

DEEP = "[" * 200_000 + "]" * 200_000
M = "model.bpl"  # a valid model of moons in every case's directory

# (id, arguments, words the error must contain). Files named here are made by _workspace.
OPTION_CASES = [
    ("huge-layer", ["train", "moons", "--layers", "2,100000000,1"], "limit"),
    ("huge-params", ["train", "moons", "--layers", "2,5000,5000,2"], "parameters"),
    ("too-deep", ["train", "moons", "--layers", ",".join(["2"] + ["2"] * 40)], "limit"),
    ("empty-size", ["train", "moons", "--layers", "4,,3"], "empty size"),
    ("trailing-comma", ["train", "moons", "--layers", "2,16,2,"], "empty size"),
    ("negative-size", ["train", "moons", "--layers", "2,-3,2"], "--layers"),
    ("word-size", ["train", "moons", "--layers", "2,x,2"], "--layers"),
    ("zero-size", ["train", "moons", "--layers", "2,0,2"], "--layers"),
    ("billion-samples", ["train", "moons", "--samples", "1000000000"], "--samples"),
    ("billion-epochs", ["train", "moons", "--epochs", "1000000000"], "--epochs"),
    ("epochs-x-rows", ["train", "moons", "--samples", "1000000", "--epochs", "20000"], "--epochs"),
    ("seed-negative", ["train", "moons", "--seed", "-1"], "--seed"),
    ("split-seed-negative", ["train", "moons", "--split-seed", "-5"], "--split-seed"),
    ("lr-negative", ["train", "moons", "--lr", "-1"], "--lr"),
    ("lr-nan", ["train", "moons", "--lr", "nan"], "--lr"),
    ("lr-inf", ["train", "moons", "--lr", "inf"], "--lr"),
    ("val-split", ["train", "moons", "--val-split", "1.5"], "--val-split"),
    ("test-split", ["train", "moons", "--test-split", "-0.1"], "--test-split"),
    ("optimizer", ["train", "moons", "--optimizer", "adamm"], "did you mean 'adam'"),
    ("hidden", ["train", "moons", "--hidden", "tanhh"], "did you mean 'tanh'"),
    ("loss", ["train", "moons", "--loss", "crossentropy"], "--loss"),
    ("schedule", ["train", "moons", "--schedule", "cosin"], "did you mean 'cosine'"),
    ("dataset", ["train", "moonz"], "did you mean 'moons'"),
    ("momentum", ["train", "moons", "--momentum", "2"], "--momentum"),
    ("weight-decay", ["train", "moons", "--weight-decay", "-1"], "--weight-decay"),
    ("noise", ["train", "moons", "--noise", "-1"], "--noise"),
    ("task", ["train", "moons.csv", "--task", "sometimes"], "--task"),
    ("out-directory", ["train", "moons", "--out", "adir"], "directory"),
    ("out-proc", ["train", "moons", "--out", "/proc/x.bpl"], "cannot write"),
    ("out-missing-dir", ["train", "moons", "--out", "nowhere/m.bpl"], "does not exist"),
    ("out-dev-null", ["train", "moons", "--out", "/dev/null"], "character device"),
    ("plot-is-file", ["train", "moons", "--plot", "moons.csv"], "not a directory"),
    ("metrics-is-out", ["train", "moons", "--out", "a.json", "--metrics", "a.json"], "same"),
    ("out-is-csv", ["train", "moons.csv", "--out", "moons.csv"], "same file as the input"),
    ("out-is-link", ["train", "moons.csv", "--out", "link.csv"], "same file as the input"),
    ("checkpoint-no-out", ["train", "moons", "--checkpoint-every", "5"], "--out"),
    ("resume-missing", ["train", "--resume", "none.bpl"], "no such"),
    ("resume-completed", ["train", "--resume", M], "only an interrupted run"),
    ("no-data", ["train"], "give the data"),
    ("explain-huge", ["explain", "--layers", "2,100000000,1"], "limit"),
    ("explain-empty", ["explain", "--layers", "4,,3"], "empty size"),
    ("explain-deep", ["explain", "--weights", "deep.json"], "nested"),
    ("explain-fifo", ["explain", "--weights", "fifo"], "FIFO"),
    ("gradcheck-huge", ["gradcheck", "moons", "--layers", "2,100000,100000,2"], "limit"),
    ("predict-out-model", ["predict", M, "moons", "--out", M], "same file as the input"),
    ("predict-out-csv", ["predict", M, "moons.csv", "--out", "moons.csv"], "same file"),
    ("evaluate-split", ["evaluate", M, "moons", "--split", "nope"], "--split"),
    ("evaluate-split-other", ["evaluate", M, "circles", "--split", "test"], "classes"),
]

CSV_CASES = [
    ("csv-long-field", ["train", "long.csv"], "131,072"),
    ("csv-inf-label", ["train", "inflabel.csv", "--task", "classification"], "finite"),
    ("csv-huge-feature", ["train", "huge.csv"], "overflow"),
    ("csv-huge-target", ["train", "hugetarget.csv", "--task", "regression"], "overflow"),
    ("csv-dev-zero", ["train", "/dev/zero"], "character device"),
    ("csv-fifo", ["train", "fifo.csv"], "FIFO"),
    ("csv-ragged", ["train", "ragged.csv"], "fields"),
    ("csv-empty", ["train", "empty.csv"], "empty"),
    ("csv-binary", ["train", "binary.csv"], "UTF-8"),
    ("csv-target", ["train", "moons.csv", "--target", "lable"], "did you mean 'label'"),
    ("csv-nan", ["train", "nan.csv"], "missing value"),
    ("csv-one-class", ["train", "oneclass.csv"], "single class"),
    ("csv-directory", ["train", "adir.csv"], "directory"),
    ("predict-column", ["predict", M, "renamed.csv"], "did you mean"),
]

G = c.good_parts()[1]
MODEL_FILES = {
    "declared-huge.bpl": c.build(
        c.variant(layer_sizes=[2, 12000, 12000, 2], activations=["tanh", "tanh", "softmax"])
    ),
    "bomb.bpl": c.zip_bomb(64 << 20),
    "npy-80gb.bpl": c.build(members={**G, "weights_0.npy": c.npy_header_only((100000, 100000))}),
    "npy-short.bpl": c.build(members={**G, "weights_0.npy": c.npy_header_only((2, 3))}),
    "metadata-80gb.bpl": c.build(metadata_member=c.npy_header_only((10**11,), "|u1")),
    "deep-json.bpl": c.build(DEEP),
    "pre-length.bpl": c.build(
        c.variant(preprocessing__features={"mean": [0.0] * 5, "scale": [1.0] * 5})
    ),
    "pre-names.bpl": c.build(c.variant(preprocessing__feature_names=["a", "b", "c"])),
    "classes.bpl": c.build(c.variant(classes=["a", "b", "c", "d", "e", "f", "g"])),
    "classes-type.bpl": c.build(c.variant(classes=[{"x": 1}, [2]])),
    "classes-inf.bpl": c.build(json.dumps(c.variant(classes=["X", 2])).replace('"X"', "1e999")),
    "settings-seed.bpl": c.build(c.variant(extra__settings__seed="x")),
    "settings-split.bpl": c.build(c.variant(extra__settings__test_split=5)),
    "settings-type.bpl": c.build(c.variant(extra__settings=[1, 2])),
    "activations.bpl": c.build(c.variant(activations=["tanh"])),
    "dtype.bpl": c.build(c.variant(dtype="object")),
    "sizes-bool.bpl": c.build(c.variant(layer_sizes=[2, True, 2])),
    "missing-member.bpl": c.build(members={k: v for k, v in G.items() if k != "biases_1.npy"}),
    "dtype-mismatch.bpl": c.build(
        members={**G, "weights_0.npy": c.npy_bytes(np.zeros((2, 3), dtype=np.float32))}
    ),  # fmt: skip
    "pickle.bpl": c.build(
        members={
            **G,
            "weights_0.npy": c.npy_bytes(np.array([{"a": 1}] * 6, dtype=object).reshape(2, 3)),
        }
    ),  # fmt: skip
    "not-json.bpl": c.build("{not json"),
    "huge-int.bpl": c.build('{"format": "backproplab-model", "version": 1' + "0" * 5000 + "}"),
}
MODEL_CASES = [
    (f"model-{name.removesuffix('.bpl')}", ["predict", name, "moons"], "") for name in MODEL_FILES
] + [
    ("model-evaluate-seed", ["evaluate", "settings-seed.bpl", "moons", "--split", "test"], ""),
    ("model-classes-inf-words", ["predict", "classes-inf.bpl", "moons"], "finite"),
    ("model-truncated", ["predict", "truncated.bpl", "moons"], "truncated"),
    ("model-flipped", ["predict", "flipped.bpl", "moons"], "checksum"),
    ("model-fifo", ["predict", "fifo", "moons"], "FIFO"),
    ("model-dev-zero", ["predict", "/dev/zero", "moons"], "character device"),
    ("model-directory", ["predict", "adir", "moons"], "directory"),
    ("model-explain", ["explain", "--model", "bomb.bpl"], "zip bomb"),
    ("model-gradcheck", ["gradcheck", "moons", "--model", "declared-huge.bpl"], "too large"),
    ("model-resume", ["train", "--resume", "npy-80gb.bpl"], "shape"),
]

CASES = OPTION_CASES + CSV_CASES + MODEL_CASES


def _moons_csv(n: int = 40) -> str:
    ds = load_dataset("moons", n_samples=n, seed=0)
    lines = ["x1,x2,label"] + [
        f"{a!r},{b!r},{int(k)}" for (a, b), k in zip(ds.X, ds.y, strict=True)
    ]
    return "\n".join(lines) + "\n"


def _workspace(root: Path) -> None:
    """Every file the cases name, made once (the cases only read them)."""
    (root / "adir").mkdir()
    (root / "adir.csv").mkdir()
    (root / "moons.csv").write_text(_moons_csv())
    os.link(root / "moons.csv", root / "link.csv")
    (root / "renamed.csv").write_text(_moons_csv().replace("x2", "x_2", 1))
    ds = load_dataset("moons")
    pre = prepare(ds).preprocessing
    net = build_network(ds, [2, 4, 2])
    save_model(net, root / M, preprocessing=pre, classes=["0", "1"],
               extra={"settings": {"source": "moons", "seed": 0, "split_seed": 0,
                                   "test_split": 0.2, "samples": None, "noise": None}})  # fmt: skip
    good = (root / M).read_bytes()
    (root / "truncated.bpl").write_bytes(good[: len(good) // 2])
    flipped = bytearray(good)
    flipped[len(good) // 3] ^= 0x40
    (root / "flipped.bpl").write_bytes(bytes(flipped))
    for name, data in MODEL_FILES.items():
        (root / name).write_bytes(data)
    (root / "deep.json").write_text(DEEP)
    os.mkfifo(root / "fifo")
    os.mkfifo(root / "fifo.csv")
    (root / "long.csv").write_text("a,b\n" + "1," + "7" * 200_000 + "\n2,3\n")
    (root / "inflabel.csv").write_text("a,b\n1,inf\n2,0\n3,1\n4,0\n")
    (root / "huge.csv").write_text("a,b\n" + "".join(f"{k}e300,{k % 2}\n" for k in range(1, 9)))
    (root / "hugetarget.csv").write_text("a,b\n" + "".join(f"{k},{k}.5e300\n" for k in range(9)))
    (root / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5\n")
    (root / "empty.csv").write_text("")
    (root / "binary.csv").write_bytes(b"\xff\xfe\x00\x81" * 100)
    (root / "nan.csv").write_text("a,b\n1,0\nnan,1\n3,0\n4,1\n")
    (root / "oneclass.csv").write_text("a,b\n1,x\n2,x\n3,x\n")


def test_the_table_is_long_enough() -> None:
    assert len(CASES) >= 60
    assert len({case[0] for case in CASES}) == len(CASES)


def test_every_hostile_input_gives_one_line_and_little_memory(tmp_path: Path) -> None:
    _workspace(tmp_path)
    before = snapshot(tmp_path)
    special = {p: os.stat(p).st_mode for p in (tmp_path / "fifo", tmp_path / "fifo.csv")}
    outcomes = run_many([(args, tmp_path) for _, args, _ in CASES], workers=3)
    problems = []
    for (name, args, words), result in zip(CASES, outcomes, strict=True):
        err_lines = [
            line for line in result.stderr.strip().splitlines()
            if not line.startswith(("warning:", "note:"))
        ]  # fmt: skip
        text = result.stderr
        if result.returncode in (0, 1) or result.returncode < 0 or result.returncode > 2:
            problems.append(f"{name}: exit {result.returncode}: {text[-300:]}")
        elif "Traceback" in text:
            problems.append(f"{name}: traceback: {text[-500:]}")
        elif not text.strip():
            problems.append(f"{name}: no message at all")
        elif not _one_error(err_lines):
            problems.append(f"{name}: not one error line: {text[-400:]!r}")
        elif words and words.lower() not in text.lower():
            problems.append(f"{name}: {words!r} not in {text.strip()[-300:]!r}")
        if result.max_rss > MAX_RSS_BYTES:
            problems.append(f"{name}: peak memory {result.max_rss / 2**20:.0f} MB")
        del args
    assert not problems, "\n".join(problems)
    assert snapshot(tmp_path) == before, "a file that existed before was changed"
    assert all(stat.S_ISFIFO(os.stat(p).st_mode) and m == os.stat(p).st_mode
               for p, m in special.items())  # fmt: skip


def _one_error(lines: list[str]) -> bool:
    """One 'error: ...' line, or Typer's usage box for an option it refuses itself."""
    if len(lines) == 1 and lines[0].startswith("error: "):
        return True
    return any("Invalid value" in line or "Error" in line for line in lines) and len(lines) <= 8


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_each_crafted_model_file_is_a_model_file_error_in_python(tmp_path: Path, name) -> None:
    from backproplab.io import ModelFileError, load_model_file

    path = tmp_path / name
    path.write_bytes(MODEL_FILES[name])
    with pytest.raises(ModelFileError) as info:
        load_model_file(path, training_state=True)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)
