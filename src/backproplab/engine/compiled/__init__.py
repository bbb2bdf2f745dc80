"""The compiled path of the engine: the same maths as network.py/optim.py, without NumPy's
per-call overhead.

* ``dispatch``: the table's activations (engine/functions.py), compiled from their one source;
* ``kernel``: the training loop -- forward, loss, backward and every optimiser's update for
  blocks of epochs -- in one numba function, BLAS for the big products, loops for tiny ones;
* ``runner``: the one contract ``fit`` and ``MLP.step`` use, and the cost model that decides
  when loading compiled code pays;
* ``blas``: NumPy's bundled CBLAS ``gemm``; ``threads``: one BLAS thread for small products.

The tests hold the compiled path to the NumPy path (1e-12 in float64).
"""
