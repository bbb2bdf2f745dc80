"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` on the backproplab engine.

Switching is one line: ``from backproplab.sklearn import MLPClassifier`` instead of
``from sklearn.neural_network import MLPClassifier``; the parameters, defaults, fitted
attributes and behaviour are scikit-learn 1.9's (docs/sklearn.md lists what differs and
what is added).
"""

from ..onnx_export import register_skl2onnx_when_imported
from ._estimators import MLPClassifier, MLPRegressor

register_skl2onnx_when_imported()  # skl2onnx.to_onnx(est, X[:1]) converts ours too

__all__ = ["MLPClassifier", "MLPRegressor"]
