"""backproplab: see, check and use backpropagation.

The slides' 2-2-1 network exactly, then any multilayer perceptron::

    import backproplab as bp
    net = bp.MLP.slides_network()
    grads = net.gradients([[0.05, 0.10]], [[0.01]])
    net.step([[0.05, 0.10]], [[0.01]], lr=0.5)
"""

from . import (
    engine,
    explain,  # the package is callable: bp.explain(net, x, y) -> Explanation
)
from .engine import *  # noqa: F403 - the engine's public names are the library's
from .explain import Explanation

__version__ = "0.1.0"

__all__ = [*engine.__all__, "Explanation", "__version__", "explain"]
