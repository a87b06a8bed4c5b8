"""The pipeline: your features and model live here.

`dvc repro` runs three stages (dvc.yaml), each a pure function plus a thin entry point:

- prepare.py   load the source (data.py), check it, split train and test rows
- train.py     build and fit the estimator params.yaml names
- evaluate.py  predict the test rows; metrics, plot data and per-row predictions
- model.py     the model file: the fitted estimator and the schema it was trained on

Changing the features or the model means changing these files (and params.yaml); the
rest of the package (review, release, operate) works with whatever model they make.
"""
