"""Explain a training step: every partial derivative, in the slides' notation, with numbers.

    import backproplab as bp
    e = bp.explain(bp.MLP.slides_network(), [0.05, 0.10], [0.01], lr=0.5)
    print(e.to_text())          # or to_markdown(), to_latex(), to_html(), to_json()
    e.to_dict()["steps"]        # each: symbol, formula, substituted, value, param, ...

The ``substituted`` expressions are plain Python; the names they may call are
:data:`SUBSTITUTED_NAMES` (exp, log, tanh, max, and sigmoid(x) = 1/(1 + exp(-x))).
"""

import sys
import types

from .explanation import FORMAT, VERSION, Explanation, explain
from .expr import SUBSTITUTED_NAMES
from .names import ParamRef, param_name, parse_neuron_name, parse_param_name
from .steps import STEP_KINDS, Section, Step

__all__ = [
    "FORMAT",
    "STEP_KINDS",
    "SUBSTITUTED_NAMES",
    "VERSION",
    "Explanation",
    "ParamRef",
    "Section",
    "Step",
    "explain",
    "param_name",
    "parse_neuron_name",
    "parse_param_name",
]


class _CallableModule(types.ModuleType):
    """``backproplab.explain`` is both this package and the function ``explain``.

    So ``bp.explain(net, x, y)`` explains a step while ``bp.explain.parse_param_name`` and
    ``from backproplab.explain import Explanation`` still reach the package's names.
    """

    def __call__(self, *args, **kwargs) -> Explanation:
        return explain(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
