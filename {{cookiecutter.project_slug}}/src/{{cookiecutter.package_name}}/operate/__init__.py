"""Operate: the model in production, and what brings the next one.

- predict.py   batch scoring with a registered version
- serve.py     the same over HTTP (FastAPI)
- limits.py    serve's limits and their defaults (its options)
- fast.py      serve's fast path: a few rows through a gradient-boosted model, the same bits
- bundle.py    the bundle a container serves, its image, and their checks against the
               registry's record of the version
- drift.py     the statistics of drift: two-sample tests, PSI, missing values, schema
- outcomes.py  realized performance, once a batch's outcomes are known
- drift_report.py  what a drift check found, and its Markdown (the issue's body)
- monitor.py   the `monitor` command and the drift issue
- retrain.py   refresh the data, retrain, propose the new model as a pull request
"""
