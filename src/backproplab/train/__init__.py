"""Training on data: data sets, CSV files, preprocessing, splits and the train pipeline.

The fit loop itself (optimisers, History, early stopping) is in ``backproplab.engine.fit``;
``MLP.fit`` delegates to it.
"""

from .datasets import DATASET_NAMES, TOY_2D, Dataset, load_dataset

__all__ = ["DATASET_NAMES", "TOY_2D", "Dataset", "load_dataset"]
