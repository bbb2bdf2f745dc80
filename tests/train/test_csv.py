"""CSV files: header detection, string labels, and one-line errors naming the row/column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backproplab.train.csv import DataError, load_csv, load_features_csv


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_header_string_labels_and_target_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "colour,size,weight\nred,1.5,2\nblue,2.5,3\nred,0.5,4\n")
    ds = load_csv(path, target="colour")
    assert ds.feature_names == ("size", "weight") and ds.target_name == "colour"
    assert ds.class_names == ("blue", "red")
    np.testing.assert_array_equal(ds.y, [1, 0, 1])
    np.testing.assert_array_equal(ds.X, [[1.5, 2], [2.5, 3], [0.5, 4]])
    assert ds.task == "classification"


def test_no_header_and_regression_target(tmp_path: Path) -> None:
    path = _write(tmp_path, "1,2,0.25\n3,4,0.75\n5,6,1.5\n")
    ds = load_csv(path)
    assert ds.feature_names == ("column 1", "column 2")
    assert ds.task == "regression"
    np.testing.assert_array_equal(ds.y, [0.25, 0.75, 1.5])
    assert load_csv(path, target="1").feature_names == ("column 2", "column 3")


def test_numeric_class_labels_sort_as_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "a;label\n0.1;10\n0.2;2\n0.3;10\n")  # semicolons are sniffed
    ds = load_csv(path)
    assert ds.class_names == ("2", "10")
    np.testing.assert_array_equal(ds.y, [1, 0, 1])
    assert load_csv(path, task="regression").task == "regression"


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("a,b,y\n1,2,x\n3,,y\n", {}, r"line 3, column 'b': missing value"),
        ("a,b,y\n1,2,x\n3,NA,y\n", {}, r"line 3, column 'b': missing value"),
        ("a,b,y\n1,2,x\n3,abc,y\n", {}, r"line 3, column 'b': 'abc' is not a number"),
        ("a,b,y\n1,2,x\n3,4,y\n", {"target": "label"}, r"unknown target column 'label'"),
        ("a,b,y\n1,2,x\n3,4,x\n", {}, r"column 'y': a single class \('x'\)"),
        ("a,b,y\n", {}, r"no data rows"),
        ("", {}, r"the file is empty"),
        ("a,b,y\n1,2,x\n3,4\n", {}, r"line 3: 2 fields, expected 3"),
        ("a,b,y\n1,2,x\n3,4,\n", {}, r"line 3, column 'y': missing target value"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, text: str, kwargs, match: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=match) as info:
        load_csv(path, **kwargs)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_features_for_a_model_by_name_or_position(tmp_path: Path) -> None:
    path = _write(tmp_path, "b,extra,a,y\n2,9,1,x\n4,9,3,y\n")
    X, target, header = load_features_csv(path, ["a", "b"], target="y")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert target == ["x", "y"] and header == ["b", "extra", "a", "y"]
    with pytest.raises(DataError, match="no column 'c', which the model needs"):
        load_features_csv(path, ["a", "c"])
    plain = _write(tmp_path, "1,2\n3,4\n", "plain.csv")
    X, target, _ = load_features_csv(plain, ["f1", "f2"])
    assert X.shape == (2, 2) and target is None
