"""ONNX export: a network or a fitted estimator as an ONNX graph, and skl2onnx converters.

The graph is the forward pass as it is written in the engine: per layer
z = a W + b (MatMul, Add) and a = f(z), in the network's dtype (float32 or float64).
Activations without an ONNX operator of their own are composed from basic ones
(silu = z sigmoid(z), gelu = z (1 + erf(z / sqrt 2)) / 2). The estimators add what their
``predict``/``predict_proba`` add: probabilities for both classes of a binary problem,
labels by argmax (or > 0.5 for multilabel).

``onnx`` is needed (``pip install backproplab[onnx]``); ``register_skl2onnx`` also needs
skl2onnx.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine.errors import InputError
from .engine.network import MLP

#: The ONNX operator set of the graphs.
OPSET = 17


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise InputError(
            "ONNX export needs the onnx package: pip install 'backproplab[onnx]'"
        ) from None
    return onnx


@dataclass
class _Graph:
    """Nodes and initialisers as plain tuples, so that one builder serves both a
    stand-alone model (onnx.helper) and a skl2onnx container."""

    unique: Callable[[str], str]
    dtype: np.dtype
    nodes: list[tuple[str, list[str], list[str], dict[str, Any]]] = field(default_factory=list)
    constants: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self.unique(op.lower())
        self.nodes.append((op, inputs, [out], attrs))
        return out

    def const(self, value: Any, hint: str, dtype: Any = None) -> str:
        name = self.unique(hint)
        self.constants.append((name, np.asarray(value, dtype=dtype or self.dtype)))
        return name


def _activation(g: _Graph, name: str, param: float, z: str) -> str:
    # ONNX Runtime has Elu, Softplus and Erf in float32 only: elu and softplus are composed
    # of basic operators (as the engine writes them), erf runs in float32 for a float64 net.
    simple = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "exp": "Exp"}
    if name == "identity":
        return z
    if name in simple:
        return g.node(simple[name], [z])
    if name == "leaky_relu":  # Where, not LeakyRelu: its alpha attribute is a float32
        slope = g.node("Mul", [z, g.const(param, "slope")])
        return g.node("Where", [g.node("Greater", [z, g.const(0.0, "zero")]), z, slope])
    if name == "elu":  # z if z > 0 else alpha (e^min(z, 0) - 1)
        negative = g.node("Exp", [g.node("Min", [z, g.const(0.0, "zero")])])
        negative = g.node("Mul", [g.node("Sub", [negative, g.const(1.0, "one")]),
                                  g.const(param, "alpha")])  # fmt: skip
        return g.node("Where", [g.node("Greater", [z, g.const(0.0, "zero")]), z, negative])
    if name == "softplus":  # max(z, 0) + log(1 + e^-|z|)
        tail = g.node("Exp", [g.node("Neg", [g.node("Abs", [z])])])
        tail = g.node("Log", [g.node("Add", [tail, g.const(1.0, "one")])])
        return g.node("Add", [g.node("Relu", [z]), tail])
    if name == "softmax":
        return g.node("Softmax", [z], axis=1)
    if name == "silu":
        return g.node("Mul", [z, g.node("Sigmoid", [z])])
    if name == "gelu":  # z (1 + erf(z / sqrt 2)) / 2
        scaled = g.node("Div", [z, g.const(math.sqrt(2.0), "sqrt2")])
        if g.dtype == np.float64:
            erf = g.node("Erf", [g.node("Cast", [scaled], to=_tensor_type(np.float32))])
            erf = g.node("Cast", [erf], to=_tensor_type(np.float64))
        else:
            erf = g.node("Erf", [scaled])
        half = g.node("Mul", [z, g.const(0.5, "half")])
        return g.node("Mul", [half, g.node("Add", [erf, g.const(1.0, "one")])])
    raise InputError(f"ONNX export: no ONNX form for the activation {name!r}")


def _forward(g: _Graph, net: MLP, x: str) -> str:
    a = x
    layers = zip(net.weights, net.biases, net.activation_functions, strict=True)
    for l, (W, b, act) in enumerate(layers, start=1):
        z = g.node("Add", [g.node("MatMul", [a, g.const(W, f"W{l}")]), g.const(b, f"b{l}")])
        a = _activation(g, act.name, act.param, z)
    return a


def _estimator_outputs(g: _Graph, est: Any, x: str) -> dict[str, str]:
    """The estimator's outputs: {'label', 'probabilities'} or {'variable'}."""
    out = _forward(g, est.net_, x)
    if not hasattr(est, "classes_"):  # the Poisson regressor's exp is the network's own
        return {"variable": out}
    if est.n_outputs_ == 1:  # binary: [1 - p, p], as predict_proba
        p = out
        out = g.node("Concat", [g.node("Sub", [g.const([[1.0]], "one"), p]), p], axis=1)
    if est.out_activation_ == "logistic" and est.n_outputs_ > 1:  # multilabel: p > 0.5
        above = g.node("Greater", [out, g.const(0.5, "threshold")])
        return {"label": g.node("Cast", [above], to=7), "probabilities": out}  # 7: int64
    index = g.node("ArgMax", [out], axis=1, keepdims=0)
    classes = np.asarray(est.classes_)
    if classes.dtype.kind in "iub":
        labels = g.const(classes.astype(np.int64), "classes", np.int64)
    else:
        labels = g.const(classes.astype(str).astype(object), "classes", object)
    return {"label": g.node("Gather", [labels, index], axis=0), "probabilities": out}


def _tensor_type(dtype: Any) -> int:
    onnx = _onnx()
    return {
        np.dtype(np.float32): onnx.TensorProto.FLOAT,
        np.dtype(np.float64): onnx.TensorProto.DOUBLE,
        np.dtype(np.int64): onnx.TensorProto.INT64,
    }.get(np.dtype(dtype), onnx.TensorProto.STRING)


def _initializer(name: str, value: np.ndarray) -> Any:
    onnx = _onnx()
    if value.dtype == object:
        return onnx.helper.make_tensor(
            name, onnx.TensorProto.STRING, value.shape, [str(v).encode() for v in value]
        )
    return onnx.numpy_helper.from_array(value, name)


def to_onnx(model: Any) -> Any:
    """An ``onnx.ModelProto`` computing what ``model`` computes.

    ``model``: a :class:`backproplab.MLP` (input ``X``, output ``y`` = ``net.predict``), or a
    fitted ``backproplab.sklearn`` estimator (outputs ``label`` and ``probabilities`` for
    the classifier, ``variable`` for the regressor, as skl2onnx names them).
    """
    onnx = _onnx()
    helper = onnx.helper
    net = model if isinstance(model, MLP) else getattr(model, "net_", None)
    if not isinstance(net, MLP):
        raise InputError(
            f"to_onnx needs a backproplab MLP or a fitted backproplab.sklearn estimator, "
            f"got {type(model).__name__}"
        )
    counts: dict[str, int] = {}

    def unique(hint: str) -> str:
        counts[hint] = counts.get(hint, 0) + 1
        return hint if counts[hint] == 1 else f"{hint}_{counts[hint]}"

    g = _Graph(unique, net.dtype)
    x = unique("X")
    outputs = {"y": _forward(g, net, x)} if net is model else _estimator_outputs(g, model, x)
    nodes = [
        helper.make_node(op, inputs, outs, name=unique(f"{op}_node"), **attrs)
        for op, inputs, outs, attrs in g.nodes
    ]
    # Rename each output's producing tensor to the output's public name.
    for public, internal in outputs.items():
        nodes.append(helper.make_node("Identity", [internal], [public], name=unique("out")))
    elem = _tensor_type(net.dtype)
    declared = []
    for public in outputs:
        if public == "label":
            multilabel = model.out_activation_ == "logistic" and model.n_outputs_ > 1
            shape = ["N", model.n_outputs_] if multilabel else ["N"]
            declared.append(helper.make_tensor_value_info(public, _label_type(model), shape))
        else:
            declared.append(helper.make_tensor_value_info(public, elem, ["N", None]))
    graph = helper.make_graph(
        nodes,
        "backproplab_mlp",
        [helper.make_tensor_value_info(x, elem, ["N", net.n_inputs])],
        declared,
        initializer=[_initializer(name, value) for name, value in g.constants],
    )
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="backproplab"
    )
    onnx_model.ir_version = min(onnx_model.ir_version, 9)  # what current runtimes read
    onnx.checker.check_model(onnx_model)
    return onnx_model


def _label_type(est: Any) -> int:
    onnx = _onnx()
    kind = np.asarray(est.classes_).dtype.kind
    multilabel = est.out_activation_ == "logistic" and est.n_outputs_ > 1
    return onnx.TensorProto.INT64 if multilabel or kind in "iub" else onnx.TensorProto.STRING


# ---------------------------------------------------------------------- skl2onnx
def register_skl2onnx() -> None:
    """Register converters, so that ``skl2onnx.to_onnx(est, X[:1])`` converts our fitted
    ``backproplab.sklearn`` estimators (done automatically once skl2onnx is imported)."""
    from skl2onnx import update_registered_converter

    from .sklearn import MLPClassifier, MLPRegressor

    update_registered_converter(
        MLPClassifier, "BackproplabMLPClassifier", _classifier_shapes, _convert,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
    )  # fmt: skip
    update_registered_converter(
        MLPRegressor, "BackproplabMLPRegressor", _regressor_shapes, _convert
    )


def _input_numpy_dtype(variable: Any) -> np.dtype:
    from skl2onnx.common.data_types import DoubleTensorType

    return np.dtype(np.float64 if isinstance(variable.type, DoubleTensorType) else np.float32)


def _classifier_shapes(operator: Any) -> None:
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType, guess_tensor_type

    est = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    multilabel = est.out_activation_ == "logistic" and est.n_outputs_ > 1
    kind = np.asarray(est.classes_).dtype.kind
    if multilabel:
        operator.outputs[0].type = Int64TensorType([n, est.n_outputs_])
    elif kind in "iub":
        operator.outputs[0].type = Int64TensorType([n])
    else:
        operator.outputs[0].type = StringTensorType([n])
    operator.outputs[1].type = guess_tensor_type(operator.inputs[0].type)
    operator.outputs[1].type.shape = [n, len(est.classes_)]


def _regressor_shapes(operator: Any) -> None:
    from skl2onnx.common.data_types import guess_tensor_type

    est = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = guess_tensor_type(operator.inputs[0].type)
    operator.outputs[0].type.shape = [n, est.n_outputs_]


def _convert(scope: Any, operator: Any, container: Any) -> None:
    """The same graph as :func:`to_onnx`, emitted into skl2onnx's container. It computes
    in the network's dtype, casting the input and outputs where skl2onnx's differ."""
    est = operator.raw_operator
    net = est.net_
    g = _Graph(scope.get_unique_variable_name, net.dtype)
    x = operator.inputs[0].full_name
    outer = _input_numpy_dtype(operator.inputs[0])
    if outer != net.dtype:
        x = g.node("Cast", [x], to=_tensor_type(net.dtype))
    outputs = _estimator_outputs(g, est, x)
    for name, value in g.constants:
        if value.dtype == object:
            container.add_initializer(name, _onnx().TensorProto.STRING, list(value.shape),
                                      [str(v).encode() for v in value])  # fmt: skip
        else:
            container.add_initializer(
                name, _tensor_type(value.dtype), list(value.shape), value.ravel().tolist()
            )
    for op, inputs, outs, attrs in g.nodes:
        container.add_node(op, inputs, outs, name=scope.get_unique_operator_name(op), **attrs)
    keys = ["label", "probabilities"] if "label" in outputs else ["variable"]
    for key, variable in zip(keys, operator.outputs, strict=True):
        source = outputs[key]
        if key != "label" and outer != net.dtype:
            container.add_node("Cast", [source], [variable.full_name],
                               name=scope.get_unique_operator_name("Cast"),
                               to=_tensor_type(outer))  # fmt: skip
        else:
            container.add_node("Identity", [source], [variable.full_name],
                               name=scope.get_unique_operator_name("Identity"))  # fmt: skip


class _RegisterAfterImport:
    """A meta-path finder that registers the converters once skl2onnx has been imported, so
    ``skl2onnx.to_onnx(est, X[:1])`` works without a call of ours and without importing
    skl2onnx (1-2 s) whenever backproplab.sklearn is imported."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "skl2onnx":
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        exec_module = spec.loader.exec_module

        def exec_then_register(module: Any) -> None:
            exec_module(module)
            register_skl2onnx()

        spec.loader.exec_module = exec_then_register  # type: ignore[method-assign]
        return spec


def register_skl2onnx_when_imported() -> None:
    """Register now if skl2onnx is loaded, else as soon as it is (called by
    backproplab.sklearn on import)."""
    import sys

    if "skl2onnx" in sys.modules:
        register_skl2onnx()
    elif not any(isinstance(f, _RegisterAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterImport())
