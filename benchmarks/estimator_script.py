"""Task 7's estimator rows: one ``MLPClassifier`` fit on digits in a fresh process, as a
user's script does it, run as ``python benchmarks/estimator_script.py backproplab|sklearn
adam|sgd [--epochs N]``.

The same constructor call as tasks 9 and 10 on either class (the one-line import change);
the script imports only the library it names. Digits come from scikit-learn's loader for
both, split the same way (every fifth row held out). Prints one JSON line: the test
accuracy.
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", choices=("backproplab", "sklearn"))
    parser.add_argument("solver", choices=("adam", "sgd"))
    parser.add_argument("--epochs", type=int, default=50, help="max_iter (tasks 9-10: 50)")
    args = parser.parse_args(argv)
    if args.library == "backproplab":
        from backproplab.sklearn import MLPClassifier
    else:
        from sklearn.neural_network import MLPClassifier
    X, y = load_digits(return_X_y=True)
    test = np.arange(len(y)) % 5 == 0
    clf = MLPClassifier(
        hidden_layer_sizes=(100,), solver=args.solver,
        learning_rate_init=0.001 if args.solver == "adam" else 0.01, max_iter=args.epochs,
        tol=0.0, n_iter_no_change=args.epochs + 1, random_state=0,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the epoch count
        clf.fit(X[~test] / 16.0, y[~test])
    accuracy = float(clf.score(X[test] / 16.0, y[test]))
    print(json.dumps({"library": args.library, "solver": args.solver, "accuracy": accuracy}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
