"""The compiled path of the engine: the same maths as network.py/optim.py, without NumPy's
per-call overhead.

* ``dispatch``: the table's activations (engine/functions.py), compiled from their one source;
* ``kernel``: the training loop -- forward, loss, backward and every optimiser's update for
  blocks of epochs -- in one numba function, BLAS for the big products, loops for tiny ones;
  its modes GRADIENTS and FORWARD stop before the update (``MLP.gradients``, ``predict``,
  ``loss``, ``forward`` on small batches);
* ``runner``: the one contract ``fit``, ``MLP.step`` and the per-call passes use, and the
  cost model that decides when loading compiled code pays;
* ``blas``: NumPy's bundled CBLAS ``gemm``; ``threads``: one BLAS thread for small products.

The tests hold the compiled path to the NumPy path (1e-12 in float64).
"""
