"""Side-by-side speed benchmarks: backproplab against PyTorch, scikit-learn, micrograd and
the slide formulas in plain Python. Run ``python -m benchmarks`` (``--quick`` for a smoke run).

Each peer lives in its own module (``peer_*.py``); ``tasks.py`` holds the four tasks' data
and settings, ``harness.py`` the alternating timer and the report.
"""
