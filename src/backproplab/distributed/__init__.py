"""Training past one machine: the slides' full-batch gradient summed over Dask chunks.

The mean loss L = (1/n) sum_i l_i has the gradient (1/n) sum_i grad l_i, a sum of per-row terms.
Each chunk of the data computes its part with the engine's own backward pass
(``MLP.gradients`` times its row count), a tree reduction in a fixed order, in float64, adds
the parts, and the engine's optimiser takes the step on the client. The data stays in the
workers; only the parameters go out and one gradient per chunk comes back.

``fit(net, X, y, client=...)`` takes the keyword arguments of
:func:`backproplab.engine.fit.fit` and returns the same :class:`History`; ``predict(net, X)``
maps the network over the chunks of a dask array or frame.
"""

from .data import is_dask_collection
from .fit import DistributedError, SmallDataWarning, fit, predict

__all__ = ["DistributedError", "SmallDataWarning", "fit", "is_dask_collection", "predict"]
