"""Task 7's peer: a whole-process scikit-learn script doing the README's ``backproplab train``
rows, run as ``python benchmarks/sklearn_script.py iris|digits [--epochs N]``.

It imports scikit-learn and NumPy only (never backproplab), and does what the command does
as closely as scikit-learn allows: the same bundled data, the same seeded stratified test
split (the same rows: the few lines of ``split`` follow backproplab's rule, so that both
test on the same flowers), standardisation fitted on the training part, the same layers,
tanh hidden units, optimiser, learning rate, batch size and epochs. What scikit-learn has
no equal for: the cosine schedule (digits runs a constant rate) and its own initial weights
and shuffling. Its L2 term is alpha * W / batch in the gradient, so alpha = lambda * batch
gives backproplab's (PyTorch's) lambda * W. Prints one JSON line: the test accuracy.
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

#: The README rows (benchmarks/tasks.py README_TRAIN_ROWS) in scikit-learn's terms.
ROWS = {
    "iris": {"hidden": 16, "solver": "adam", "lr": 0.01, "epochs": 200, "batch": None,
             "weight_decay": 0.001, "test_split": 0.3, "split_seed": 3},
    "digits": {"hidden": 64, "solver": "nesterov", "lr": 0.02, "epochs": 50, "batch": 16,
               "weight_decay": 0.0, "test_split": 0.25, "split_seed": 0},
}  # fmt: skip


def split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified split: per class, a permutation, the first round(n * fraction) out."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(labels), dtype=bool)
    for cls in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == cls))
        held[rows[: min(round(len(rows) * fraction), len(rows) - 1)]] = True
    return np.flatnonzero(~held), np.flatnonzero(held)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", choices=sorted(ROWS))
    parser.add_argument("--epochs", type=int, default=None, help="override the README's")
    args = parser.parse_args(argv)
    row = ROWS[args.data]
    epochs = args.epochs or row["epochs"]
    X, y = (load_iris if args.data == "iris" else load_digits)(return_X_y=True)
    train, test = split(y, row["test_split"], row["split_seed"])
    scaler = StandardScaler().fit(X[train])
    batch = row["batch"] or len(train)  # None: full batch, as the command's default
    nesterov = row["solver"] == "nesterov"
    clf = MLPClassifier(
        hidden_layer_sizes=(row["hidden"],), activation="tanh",
        solver="sgd" if nesterov else row["solver"], momentum=0.9, nesterovs_momentum=nesterov,
        learning_rate="constant", learning_rate_init=row["lr"], batch_size=batch,
        alpha=row["weight_decay"] * batch, max_iter=epochs, shuffle=True, random_state=0,
        tol=0.0, n_iter_no_change=epochs + 1, early_stopping=False,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the epoch count
        clf.fit(scaler.transform(X[train]), y[train])
    accuracy = float(np.mean(clf.predict(scaler.transform(X[test])) == y[test]))
    print(json.dumps({"data": args.data, "epochs": epochs, "accuracy": accuracy}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
