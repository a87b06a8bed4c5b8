"""Review: a pull request's model against production and base, and the gate.

- lockcheck.py  is the committed dvc.lock fresh (asked before `dvc repro`)
- compare.py    every model scored on the pull request's own test rows
- stats.py      intervals of each metric and of its change between two models
- changes.py    what changed: parameters, code and data, the gate
- gate.py       lifecycle.yaml's criteria and the verdict
- proposal.py   gate values proposed from a model's metrics and intervals
- render.py     the report as Markdown: verdict, metrics, chart, what changed
- report.py     the `report` command: compare, gate, render, write
- post.py       the sticky comment (standard library only: runs no project code)
"""
