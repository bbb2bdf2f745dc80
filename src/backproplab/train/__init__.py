"""Training on data: data sets, CSV files, preprocessing, splits (the fit loop is engine/fit.py)."""
