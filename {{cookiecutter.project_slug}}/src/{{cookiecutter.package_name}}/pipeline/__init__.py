"""The pipeline: your features and model live here.

`dvc repro` runs three stages (dvc.yaml), each a pure function plus a thin entry point:

- prepare.py   load the source (data.py), check it, learn its columns' kinds
               (features.py), split train and test rows by their keys (split.py)
- train.py     build and fit the estimator params.yaml names, the columns' encoding
               (features.py) inside it, so the model takes the raw table
- evaluate.py  predict the test rows; metrics, plot data and per-row predictions
- model.py     the model file: the fitted estimator and the schema it was trained on

Changing the features or the model means changing these files (and params.yaml); the
rest of the package (review, release, operate) works with whatever model they make.
"""
