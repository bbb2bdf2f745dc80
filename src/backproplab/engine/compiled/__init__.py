"""Compiled fast paths of the engine (numba + NumPy's own BLAS).

They compute exactly what the NumPy code in ``network.py``/``optim.py`` computes -- the
tests hold them to it (1e-12 in float64) -- without NumPy's per-call overhead:

* ``smallnet``: forward, backward and the slides' update for whole runs of tiny networks
  (the slides' 2-2-1 trains ~3x faster than its formulas typed out in plain Python);
* ``batchloop``: one SGD epoch of any MLP as one call, BLAS products with the update folded
  in, the element-wise work fused;
* ``blas``: NumPy's bundled CBLAS ``gemm``; ``threads``: one BLAS thread for small products.

``engine.fit`` chooses them when they apply and falls back to the NumPy path otherwise.
"""
