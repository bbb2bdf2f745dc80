"""Side-by-side speed benchmarks: backproplab against PyTorch, scikit-learn, micrograd and
the slide formulas in plain Python. Run ``python -m benchmarks`` (``--quick`` for a smoke run).

Each peer lives in its own module (``peer_*.py``); ``tasks.py`` holds the tasks' data and
settings, ``processes.py`` the whole-process timings of task 7 (with ``sklearn_script.py``,
its scikit-learn peer), ``harness.py`` the alternating timer, the engine-path probe and the
report.
"""
