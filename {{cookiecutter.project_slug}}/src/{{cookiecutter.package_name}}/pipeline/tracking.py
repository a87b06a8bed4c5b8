"""What training logs for DVC's experiments, with DVCLive: in eval/training/ (dvc.yaml
lists its metrics and plots), so `dvc exp show` has a column per metric for each
experiment, and `dvc plots show`, `dvc plots diff` and DVC's VS Code extension draw
the curves of each.

- The training curve of a boosted estimator (one with staged predictions, such as
  hist_gradient_boosting): after each iteration, the loss the evaluate stage reports
  (log loss; RMSE for regression) on a seeded sample of at most CURVE_ROWS training
  rows, `train/<loss>`. When the estimator set rows of the training table aside for
  early stopping (hist gradient boosting does above 10,000 rows), its own loss on them
  after each iteration too, `validation/<loss>`: the curve that shows where more
  iterations stop helping.
- Where training ended (eval/training/metrics.json): the last value of each curve and
  `step`, the iterations done. An estimator without iterations (a random forest, a
  linear model) has a curve of one point: its loss on the sampled training rows.

Nothing here reads the test rows. Logging is done after the fit (its predictions are
computed from the fitted model), so the fit itself is not slowed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from .model import Model

CURVE_ROWS = 10_000
# problem type -> the loss of the curves (a name in eval/metrics.json)
LOSS = {"classification": "log_loss", "regression": "rmse"}


def sampled(features: pd.DataFrame, target: pd.Series, seed: int):
    """At most CURVE_ROWS rows, seeded, in their order in the table."""
    if len(features) <= CURVE_ROWS:
        return features, target
    rows = np.sort(np.random.default_rng(seed).choice(len(features), CURVE_ROWS, replace=False))
    return features.iloc[rows], target.iloc[rows]


def scorer(model: Model, actual: pd.Series):
    """The curves' loss of predictions on the rows of ``actual`` (class probabilities in
    the order of ``model.classes``, or values for regression), as scikit-learn's
    log_loss and root_mean_squared_error define it; computed directly, because it is
    computed after every iteration and scikit-learn's checks would cost more than the
    loss itself."""
    if model.problem_type == "regression":
        values = actual.to_numpy(dtype=float)
        return lambda predicted: float(np.sqrt(np.mean((values - predicted) ** 2)))
    rows = np.arange(len(actual))
    columns = pd.Index(model.classes).get_indexer(actual)

    def log_loss(probabilities: np.ndarray) -> float:
        eps = np.finfo(probabilities.dtype).eps
        return float(-np.mean(np.log(np.clip(probabilities[rows, columns], eps, 1 - eps))))

    return log_loss


def train_curve(model: Model, features: pd.DataFrame, target: pd.Series, seed: int):
    """The loss after each iteration on sampled training rows; one value, the fitted
    model's, for an estimator without staged predictions."""
    x, y = sampled(features, target, seed)
    loss = scorer(model, y)
    regression = model.problem_type == "regression"
    estimator = model.estimator[-1]
    staged = "staged_predict" if regression else "staged_predict_proba"
    if not hasattr(estimator, staged):
        predict = model.estimator.predict if regression else model.estimator.predict_proba
        return [loss(predict(x))]
    encoded = model.estimator[:-1].transform(x)
    return [loss(predicted) for predicted in getattr(estimator, staged)(encoded)]


def own_losses(model: Model, scores) -> list[float] | None:
    """Hist gradient boosting's per-iteration scores (``train_score_``,
    ``validation_score_``: the negative of its loss, which is half the squared error for
    regression; one value before the first iteration) as the curves' loss; None when it
    recorded none or scored otherwise than by its default loss."""
    estimator = model.estimator[-1]
    own = {"classification": "log_loss", "regression": "squared_error"}[model.problem_type]
    if scores is None or len(scores) < 2 or getattr(estimator, "scoring", None) != "loss":
        return None
    if getattr(estimator, "loss", None) != own:
        return None
    losses = -np.asarray(scores[1:], dtype=float)
    if model.problem_type == "regression":
        losses = np.sqrt(2 * losses)
    return [float(value) for value in losses]


def curves(model: Model, features: pd.DataFrame, target: pd.Series, seed: int) -> dict:
    """``{"train/<loss>": [...], "validation/<loss>": [...]}``, a value per iteration
    (the validation curve where there is one)."""
    name = LOSS[model.problem_type]
    found = {f"train/{name}": train_curve(model, features, target, seed)}
    validation = own_losses(model, getattr(model.estimator[-1], "validation_score_", None))
    if validation is not None and len(validation) == len(found[f"train/{name}"]):
        found[f"validation/{name}"] = validation
    return found


def log_training(
    model: Model, features: pd.DataFrame, target: pd.Series, seed: int,
    folder: Path = paths.TRAINING,
) -> dict:  # fmt: skip
    """Write the curves and where training ended into ``folder`` with DVCLive (which
    empties it first); returns each metric's last value."""
    from dvclive import Live  # it imports DVC: only the train stage pays for that

    found = curves(model, features, target, seed)
    # DVCLive's own files only: dvc.yaml declares them, and DVC records the experiment
    # (`dvc exp run`); no report, no dvc.yaml written, no experiment saved from here.
    with Live(str(folder), dvcyaml=None, save_dvc_exp=False, report=None) as live:
        for name, values in found.items():
            for step, value in enumerate(values, start=1):  # iterations done, from 1
                live.step = step
                live.log_metric(name, value)
    return {name: values[-1] for name, values in found.items()}
