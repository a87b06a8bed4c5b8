"""Operate: the model in production, and what brings the next one.

- predict.py  batch scoring with a registered version
- drift.py    the statistics of drift: PSI, two-sample tests, missing values, schema
- monitor.py  the `monitor` command, its report and the drift issue
- retrain.py  refresh the data, retrain, propose the new model as a pull request
"""
