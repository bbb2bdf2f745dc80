"""Independent checks for explanations: evaluate a step's ``substituted`` with plain Python."""

from __future__ import annotations

import ast
import math

#: The names the explanation documents for ``substituted`` (backproplab.explain docs),
#: defined here from the math module -- not taken from the package.
NAMESPACE = {
    "exp": math.exp,
    "log": math.log,
    "tanh": math.tanh,
    "max": max,
    "erf": math.erf,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
}


def evaluate(expr: str) -> float:
    """Evaluate a substituted expression, allowing only numbers, operators and NAMESPACE."""
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id in NAMESPACE, f"unexpected name {node.id!r} in {expr!r}"
        assert not isinstance(node, ast.Attribute | ast.Subscript | ast.Lambda), expr
    return float(
        eval(compile(tree, "<substituted>", "eval"), {"__builtins__": {}}, dict(NAMESPACE))
    )


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))
