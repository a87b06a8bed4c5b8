"""A model whose whole life is declared in Git: see README.md, "Code map".

pipeline/  your features and model: the stages `dvc repro` runs
review/    a pull request's model against production and base: the report and the gate
release/   merging promotes: register and stage (GTO tags), the model card, rollback
operate/   the model in production: batch scoring, drift monitoring, retraining
"""

__version__ = "0.1.0"
