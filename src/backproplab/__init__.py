"""backproplab: see, check and use backpropagation.

The slides' 2-2-1 network exactly, then any multilayer perceptron::

    import backproplab as bp
    net = bp.MLP.slides_network()
    grads = net.gradients([[0.05, 0.10]], [[0.01]])
    net.step([[0.05, 0.10]], [[0.01]], lr=0.5)
"""

from . import explain  # the package is callable: bp.explain(net, x, y) -> Explanation
from .engine import (
    ACTIVATION_NAMES,
    LOSS_NAMES,
    MLP,
    SLIDES_INPUT,
    SLIDES_TARGET,
    XOR_SEED,
    BackpropLabError,
    Callback,
    DivergenceError,
    FitSettings,
    GradcheckReport,
    Gradients,
    History,
    InputError,
    Trace,
    TrainingState,
    VanishingGradientWarning,
    gradcheck,
)
from .explain import Explanation

__version__ = "0.1.0"

__all__ = [
    "ACTIVATION_NAMES",
    "LOSS_NAMES",
    "MLP",
    "SLIDES_INPUT",
    "SLIDES_TARGET",
    "XOR_SEED",
    "BackpropLabError",
    "Callback",
    "DivergenceError",
    "FitSettings",
    "Explanation",
    "GradcheckReport",
    "Gradients",
    "History",
    "InputError",
    "Trace",
    "TrainingState",
    "VanishingGradientWarning",
    "__version__",
    "explain",
    "gradcheck",
]
