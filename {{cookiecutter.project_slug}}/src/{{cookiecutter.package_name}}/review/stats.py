"""How sure a metric's change is: paired 95% intervals of the difference between two
models scored on the same rows.

- Metrics that are functions of per-row sums (accuracy, precision, recall, F1, log
  loss; RMSE, MAE, R²) use a paired Poisson bootstrap: every resample gives each row
  one Poisson(1) weight, shared by all models, and recomputes each metric from the
  weighted sums. It is the bootstrap large-scale experimentation uses (Hanley and
  MacGibbon, 2006) and needs no copy of the data per resample.
- ROC AUC (binary) uses DeLong's paired method (DeLong et al., 1988), exact in
  O(n log n); multiclass ROC AUC (the macro average of one-vs-rest AUCs) carries
  DeLong's variance through each row's influence on every class's AUC.
"""

import numpy as np
import pandas as pd
from scipy import stats

RESAMPLES = 1000
CHUNK = 50  # resamples drawn at once: CHUNK x rows float32 weights in memory
LEVEL = 0.95
_TABLE_BITS = 16


def poisson_table() -> np.ndarray:
    """Poisson(1) quantiles at 65 536 evenly spaced levels: a uniform index into it draws a
    Poisson(1) weight, fast and exact to 2^-16 in probability."""
    levels = (np.arange(2**_TABLE_BITS) + 0.5) / 2**_TABLE_BITS
    return stats.poisson.ppf(levels, 1.0).astype(np.float32)


def row_sums(
    actual: pd.Series, predicted: pd.Series, probabilities, labels: list, positive: int = 1
):
    """Per-row quantities whose sums give every metric but ROC AUC, and the recipe that
    turns their (weighted) sums into the metrics: classification's when there are
    ``labels`` (the classes; ``positive``: the positive class's position, binary only),
    else regression's."""
    if not labels:
        return regression_sums(actual, predicted)
    return classification_sums(actual, predicted, probabilities, labels, positive)


def classification_sums(
    actual: pd.Series,
    predicted: pd.Series,
    probabilities: np.ndarray,
    labels: list,
    positive: int = 1,
):
    """Accuracy, precision, recall, F1 (binary: of the positive class; else macro) and log
    loss, from per-row counts and losses."""
    truth = actual.to_numpy()
    guess = predicted.to_numpy()
    binary = len(labels) == 2
    counted = [labels[positive]] if binary else labels  # binary: the positive class
    columns = [np.ones(len(truth)), (truth == guess).astype(float)]
    for label in counted:
        columns += [
            ((guess == label) & (truth == label)).astype(float),
            ((guess == label) & (truth != label)).astype(float),
            ((guess != label) & (truth == label)).astype(float),
        ]
    position = {label: index for index, label in enumerate(labels)}
    true_column = np.array([position[value] for value in truth]) if len(truth) else truth
    eps = np.finfo(probabilities.dtype).eps
    normalised = probabilities / probabilities.sum(axis=1, keepdims=True)
    chosen = np.clip(normalised[np.arange(len(truth)), true_column], eps, 1 - eps)
    columns.append(-np.log(chosen))
    classes = len(counted)

    def metrics(sums: np.ndarray) -> dict[str, np.ndarray]:
        rows, correct, loss = sums[:, 0], sums[:, 1], sums[:, -1]
        per_class = sums[:, 2:-1].reshape(len(sums), classes, 3)
        tp, fp, fn = per_class[..., 0], per_class[..., 1], per_class[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0).mean(axis=1)
            recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0).mean(axis=1)
            f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0).mean(axis=1)
        return {
            "accuracy": correct / rows,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "log_loss": loss / rows,
        }

    return np.column_stack(columns), metrics


def auc_components(truth: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components of one model's AUC: per positive, per negative."""
    positives, negatives = score[truth], score[~truth]
    ranks = stats.rankdata(np.concatenate([positives, negatives]))
    v10 = (ranks[: len(positives)] - stats.rankdata(positives)) / len(negatives)
    v01 = 1.0 - (ranks[len(positives) :] - stats.rankdata(negatives)) / len(positives)
    return v10, v01


def auc_interval(truth: np.ndarray, new: np.ndarray, old: np.ndarray) -> tuple[float, float]:
    """95% interval of AUC(new) - AUC(old) on the same rows, by DeLong's method."""
    if truth.all() or not truth.any():
        return (float("nan"), float("nan"))
    new10, new01 = auc_components(truth, new)
    old10, old01 = auc_components(truth, old)
    delta = new10.mean() - old10.mean()
    variance = np.var(new10 - old10, ddof=1) / len(new10) + np.var(new01 - old01, ddof=1) / len(
        new01
    )
    half = stats.norm.ppf(0.5 + LEVEL / 2) * np.sqrt(max(variance, 0.0))
    return (float(delta - half), float(delta + half))


def auc_influence(truth: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray]:
    """One model's AUC, and each row's influence on it (DeLong's components, centred and
    scaled: the AUC's variance is the sum of their squares)."""
    v10, v01 = auc_components(truth, score)
    auc = float(v10.mean())
    influence = np.empty(len(truth))
    influence[truth] = (v10 - auc) / len(v10)
    influence[~truth] = (v01 - auc) / len(v01)
    return auc, influence


def multiclass_auc_interval(
    actual: np.ndarray, labels: list, new: np.ndarray, old: np.ndarray
) -> tuple[float, float]:
    """95% interval of the macro one-vs-rest AUC(new) - AUC(old) on the same rows (what
    scikit-learn's roc_auc_score(multi_class="ovr") averages): DeLong's variance carried
    to an average of AUCs through each row's influence on every class's AUC."""
    delta, influence = 0.0, np.zeros(len(actual))
    for index, label in enumerate(labels):
        truth = actual == label
        if truth.all() or not truth.any():
            return (float("nan"), float("nan"))
        new_auc, new_influence = auc_influence(truth, new[:, index])
        old_auc, old_influence = auc_influence(truth, old[:, index])
        delta += (new_auc - old_auc) / len(labels)
        influence += (new_influence - old_influence) / len(labels)
    rows = len(actual)
    variance = float(np.sum(influence**2)) * rows / max(rows - 1, 1)
    half = stats.norm.ppf(0.5 + LEVEL / 2) * np.sqrt(variance)
    return (float(delta - half), float(delta + half))


def multiclass_auc_alone(
    actual: np.ndarray, labels: list, probabilities: np.ndarray
) -> tuple[float, float]:
    """95% interval of one model's macro one-vs-rest AUC, by the same influences."""
    auc, influence = 0.0, np.zeros(len(actual))
    for index, label in enumerate(labels):
        truth = actual == label
        if truth.all() or not truth.any():
            return (float("nan"), float("nan"))
        found, each = auc_influence(truth, probabilities[:, index])
        auc += found / len(labels)
        influence += each / len(labels)
    rows = len(actual)
    half = stats.norm.ppf(0.5 + LEVEL / 2) * np.sqrt(
        np.sum(influence**2) * rows / max(rows - 1, 1)
    )
    return (float(auc - half), float(auc + half))


def regression_sums(actual: pd.Series, predicted: pd.Series):
    """RMSE, MAE and R², from per-row errors and values."""
    truth = actual.to_numpy(dtype=float)
    error = predicted.to_numpy(dtype=float) - truth
    columns = [np.ones(len(truth)), error**2, np.abs(error), truth, truth**2]

    def metrics(sums: np.ndarray) -> dict[str, np.ndarray]:
        rows, squared, absolute, total, total_sq = sums.T
        spread = total_sq - total**2 / rows
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(spread > 0, 1.0 - squared / spread, np.nan)
        return {"rmse": np.sqrt(squared / rows), "mae": absolute / rows, "r2": r2}

    return np.column_stack(columns), metrics


def resampled(models: list[tuple], seed: int, resamples: int = RESAMPLES) -> list[dict]:
    """For each model (``row_sums(...)``'s result, all on the same rows): metric -> its
    value in each of ``resamples`` paired Poisson-bootstrap resamples (the same weights
    for every model)."""
    blocks = [columns.astype(np.float32) for columns, _ in models]
    stacked = np.hstack(blocks)
    rng = np.random.default_rng(seed)
    table = poisson_table()
    sums = np.empty((resamples, stacked.shape[1]))
    weights = np.empty((CHUNK, len(stacked)), dtype=np.float32)
    for start in range(0, resamples, CHUNK):
        count = min(CHUNK, resamples - start)
        draws = rng.integers(0, len(table), size=(count, len(stacked)), dtype=np.uint16)
        # np.take into a buffer: about twice as fast as table[draws] on large tables
        np.take(table, draws, out=weights[:count], mode="clip")
        sums[start : start + count] = weights[:count] @ stacked
    edges = np.cumsum([0] + [block.shape[1] for block in blocks])
    return [
        recipe(sums[:, edges[index] : edges[index + 1]])
        for index, (_, recipe) in enumerate(models)
    ]


def percentiles(series: np.ndarray) -> tuple[float, float]:
    """The central 95% of a metric's (or a difference's) resampled values."""
    tail = (1 - LEVEL) / 2 * 100
    finite = series[np.isfinite(series)]
    if not len(finite):
        return (float("nan"), float("nan"))
    low, high = np.percentile(finite, [tail, 100 - tail])
    return (float(low), float(high))


def paired_intervals(
    new: tuple, others: list[tuple], seed: int, resamples: int = RESAMPLES
) -> list[dict[str, tuple[float, float]]]:
    """For each model in ``others``: metric -> 95% interval of (new - other) on the same rows.

    Each model is given as ``row_sums(...)``'s result.
    """
    if not others:
        return []
    values = resampled([new, *others], seed, resamples)
    return [
        {name: percentiles(series - other[name]) for name, series in values[0].items()}
        for other in values[1:]
    ]


def intervals(model: tuple, seed: int, resamples: int = RESAMPLES) -> dict:
    """metric -> 95% interval of one model's metric on these rows (``row_sums(...)``)."""
    [values] = resampled([model], seed, resamples)
    return {name: percentiles(series) for name, series in values.items()}


def auc_alone(truth: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """95% interval of one model's ROC AUC, by DeLong's variance."""
    if truth.all() or not truth.any():
        return (float("nan"), float("nan"))
    v10, v01 = auc_components(truth, score)
    variance = np.var(v10, ddof=1) / len(v10) + np.var(v01, ddof=1) / len(v01)
    half = stats.norm.ppf(0.5 + LEVEL / 2) * np.sqrt(max(variance, 0.0))
    return (float(v10.mean() - half), float(v10.mean() + half))
