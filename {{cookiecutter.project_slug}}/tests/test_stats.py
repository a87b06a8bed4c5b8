"""The intervals the gate reads (review/stats.py): checked against textbook methods."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from {{ cookiecutter.package_name }}.review.stats import (
    Ranking,
    Structure,
    alone,
    differences,
    satterthwaite,
    scored,
    unpaired,
)
from {{ cookiecutter.package_name }}.scoring import scores

from .conftest import PROBLEM_TYPES

ROWS = 2_000
# the metric each problem type's tests look at
METRIC = {"classification": "accuracy", "regression": "rmse"}


def model_output(kind: str, noise: float, seed: int, rows: int = ROWS, offset: float = 0.0):
    """A model that is right more often when ``noise`` is small, on the same rows (the
    actual values depend on the problem type only; ``offset`` shifts a regression
    target)."""
    actual_rng, rng = np.random.default_rng(0), np.random.default_rng(seed)
    if kind == "classification":
        actual = pd.Series(actual_rng.integers(0, 2, rows))
        score = np.clip(actual.to_numpy() + rng.normal(0, noise, rows), 0.01, 0.99)
        probabilities = np.column_stack([1 - score, score])
        return scored(actual, pd.Series((score > 0.5).astype(int)), probabilities, [0, 1], 1)
    actual = pd.Series(actual_rng.normal(0, 1, rows)) + offset
    predicted = pd.Series(actual.to_numpy() + rng.normal(0, noise, rows))
    return scored(actual, predicted, None, [])


def brute_force_interval(new, old, metric, resamples=2_000, seed=1):
    """The textbook paired bootstrap: resample row indices, recompute both metrics."""
    generator = np.random.default_rng(seed)
    deltas = []
    for _ in range(resamples):
        index = generator.integers(0, new.rows, new.rows)
        sums = [model.columns[index].sum(axis=0, keepdims=True) for model in (new, old)]
        deltas.append(new.recipe(sums[0])[metric][0] - old.recipe(sums[1])[metric][0])
    return np.percentile(deltas, [2.5, 97.5])


@pytest.mark.parametrize("kind", PROBLEM_TYPES)
def test_paired_interval_matches_a_brute_force_bootstrap(kind):
    """The influence interval is the interval a textbook paired bootstrap gives."""
    new, old = model_output(kind, 0.3, seed=1), model_output(kind, 0.6, seed=2)
    [found] = differences(new, [old], 0.95, seed=0)
    estimate = found[METRIC[kind]]
    slow = brute_force_interval(new, old, METRIC[kind])
    width = slow[1] - slow[0]
    assert estimate.method in ("influence", "floor")  # the larger of the two variances
    assert abs(estimate.low - slow[0]) < 0.1 * width
    assert abs(estimate.high - slow[1]) < 0.1 * width


@pytest.mark.parametrize("kind", PROBLEM_TYPES)
def test_identical_models_give_a_zero_interval(kind):
    """A model compared with itself changes nothing, with no uncertainty."""
    same = model_output(kind, 0.4, seed=1)
    [found] = differences(same, [same], 0.95, seed=0)
    for estimate in found.values():
        assert estimate.low == pytest.approx(0) and estimate.high == pytest.approx(0)


def test_every_metric_has_an_interval_for_every_problem_type():
    """Binary, multiclass and regression: no metric is left without an interval."""
    rng = np.random.default_rng(0)
    actual = pd.Series(rng.choice(["a", "b", "c"], 300))
    models = []
    for seed in (1, 2):
        noise = np.random.default_rng(seed).random((300, 3))
        probabilities = noise + 2 * (actual.to_numpy()[:, None] == np.array(["a", "b", "c"]))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        predicted = pd.Series(np.array(["a", "b", "c"])[probabilities.argmax(axis=1)])
        models.append(scored(actual, predicted, probabilities, ["a", "b", "c"], None))
    [multiclass] = differences(models[0], [models[1]], 0.95, seed=0)
    binary = differences(
        model_output("classification", 0.3, 1), [model_output("classification", 0.5, 2)], 0.95, 0
    )[0]
    regression = differences(
        model_output("regression", 0.3, 1), [model_output("regression", 0.5, 2)], 0.95, 0
    )[0]
    assert set(multiclass) == {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"}
    assert set(binary) == set(multiclass) and set(regression) == {"rmse", "mae", "r2"}
    for found in (multiclass, binary, regression):
        assert all(estimate.known for estimate in found.values()), found


@pytest.mark.parametrize("classes", [["no", "yes"], ["a", "b", "c"], []])
def test_point_values_are_scikit_learns(classes):
    """The values the comparison shows (its sums' recipe) are evaluate's metrics, which
    are scikit-learn's, for binary (string labels, the positive class second),
    multiclass and regression."""
    rng = np.random.default_rng(4)
    if classes:
        actual = pd.Series(rng.choice(classes, 500))
        probabilities = rng.random((500, len(classes))) + 2 * (
            actual.to_numpy()[:, None] == np.array(classes)
        )
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        predicted = pd.Series(np.array(classes)[probabilities.argmax(axis=1)])
        positive = 1 if len(classes) == 2 else None
    else:
        actual = pd.Series(rng.normal(5_000, 3, 500))
        predicted, probabilities, positive = actual + rng.normal(0, 1, 500), None, None
    expected = scores(actual, predicted, probabilities, classes, positive)
    found = scored(actual, predicted, probabilities, classes, positive).point()
    assert found.keys() == expected.keys()
    for name, value in expected.items():
        assert found[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_the_same_interval_for_every_seed():
    """The influence intervals are computed, not drawn: no seed moves an endpoint."""
    new, old = model_output("classification", 0.3, 1), model_output("classification", 0.6, 2)
    assert differences(new, [old], 0.95, seed=1) == differences(new, [old], 0.95, seed=2)


def test_r2_interval_does_not_depend_on_where_the_target_sits():
    """A target whose mean is thousands of times its SD: float64 sums of the centred
    values give the interval of the same target around zero."""
    near = differences(
        model_output("regression", 0.3, 1), [model_output("regression", 0.5, 2)], 0.95, 0
    )[0]["r2"]
    far = differences(
        model_output("regression", 0.3, 1, offset=1_390.0),
        [model_output("regression", 0.5, 2, offset=1_390.0)],
        0.95,
        0,
    )[0]["r2"]
    assert far.low == pytest.approx(near.low, rel=1e-6)
    assert far.high == pytest.approx(near.high, rel=1e-6)


def test_a_rarely_but_confidently_wrong_model_widens_the_log_loss_interval():
    """Log loss rests on unbounded per-row terms: two confident mistakes in 114 rows give
    its influences heavy tails, and the interval takes Student's t with the degrees of
    freedom that match the sample variance's spread (Satterthwaite, from the excess
    kurtosis); each metric has its own."""
    rng = np.random.default_rng(0)
    actual = pd.Series(np.arange(114) % 2)
    truth = actual.to_numpy()
    models = []
    for wrong in ([], [3, 40]):
        probability = np.where(truth == 1, 0.8, 0.2) + rng.normal(0, 0.05, 114)
        probability[wrong] = np.where(truth[wrong] == 1, 1e-6, 1 - 1e-6)
        probabilities = np.column_stack([1 - probability, probability])
        predicted = pd.Series((probability > 0.5).astype(int))
        models.append(scored(actual, predicted, probabilities, [0, 1], 1))
    [change] = differences(models[0], [models[1]], 0.95, 0)
    losses = [model.columns[:, -1] for model in models]  # each row's log loss
    excess = stats.kurtosis(losses[0] - losses[1], fisher=True, bias=True)
    matched = 2 / (2 / 113 + excess / 114)
    assert matched < 56  # fewer than the rarest class's rows less one
    estimate = change["log_loss"]
    half = (estimate.high - estimate.low) / 2
    assert half / estimate.se == pytest.approx(stats.t.ppf(0.975, matched), rel=1e-6)
    losses = models[0].influences()["log_loss"] - models[1].influences()["log_loss"]
    assert satterthwaite(losses) == pytest.approx(matched, rel=1e-9)


def test_light_tailed_terms_leave_the_interval_as_it_was():
    """Absolute errors of a normal model have little excess kurtosis: on 2,000 rows the
    MAE interval is within 0.1% of Student's t with every row less one."""
    new, old = model_output("regression", 0.3, 1), model_output("regression", 0.6, 2)
    [change] = differences(new, [old], 0.95, 0)
    estimate = change["mae"]
    half = (estimate.high - estimate.low) / 2
    assert half / estimate.se == pytest.approx(stats.t.ppf(0.975, ROWS - 1), rel=1e-3)


def test_weighted_auc_is_scikit_learns_with_sample_weights():
    """The AUC the bootstrap recomputes per resample, ties included."""
    rng = np.random.default_rng(3)
    truth = rng.random(300) < 0.3
    score = np.round(rng.normal(size=300) + truth, 1)  # ties
    weights = rng.poisson(1.0, size=(300, 4)).astype(float)
    found = Ranking.of(truth, score).auc(weights)
    expected = [roc_auc_score(truth, score, sample_weight=weights[:, i]) for i in range(4)]
    assert found == pytest.approx(expected)


def test_an_auc_near_one_gets_an_interval_inside_zero_to_one():
    """At an AUC of about 0.99 on a hundred rows DeLong's normal interval crosses 1 and is
    too short below: the log-odds interval (MOVER for a difference) is used instead."""
    rng = np.random.default_rng(0)
    actual = pd.Series(rng.random(114) < 0.4)
    models = []
    for seed in (1, 2):
        score = np.where(actual, 1.6, -1.6) + np.random.default_rng(seed).normal(0, 1.0, 114)
        probability = 1 / (1 + np.exp(-score))
        probabilities = np.column_stack([1 - probability, probability])
        models.append(
            scored(actual, pd.Series(probability > 0.5), probabilities, [False, True], 1)
        )
    one = alone(models[0], 0.95, 0)["roc_auc"]
    assert one.method == "logit" and 0 < one.low < one.value < one.high < 1
    [change] = differences(models[0], [models[1]], 0.95, 0)
    assert change["roc_auc"].method == "MOVER" and change["roc_auc"].known


def test_an_auc_with_one_positive_gets_an_interval_without_the_bootstrap():
    """DeLong's variance needs two rows of each class: with one positive, the negatives'
    side is DeLong's and the positive's is Hanley and McNeil's model of it, so the
    interval is computed (no resampling) and wider than the negatives' side alone; the
    class is named as too small to measure."""
    actual = pd.Series([True] + [False] * 199)
    rng = np.random.default_rng(0)
    models = []
    for _seed in (1, 2):
        probability = rng.random(200) * 0.5 + actual * 0.05
        probabilities = np.column_stack([1 - probability, probability])
        models.append(
            scored(actual, pd.Series(probability > 0.5), probabilities, [False, True], 1)
        )
    [change] = differences(models[0], [models[1]], 0.95, 0)
    auc = change["roc_auc"]
    assert 0.5 < models[0].point()["roc_auc"] < 1
    assert auc.method != "bootstrap" and auc.known
    negatives_only = models[0].influences()["roc_auc"] - models[1].influences()["roc_auc"]
    assert auc.se > np.sqrt(np.sum(negatives_only**2))
    assert models[0].small_classes == [True]


def test_recorded_metrics_get_an_unpaired_interval_wider_than_the_paired_one():
    """Measured on other rows, the two variances add: the interval is wider."""
    new, old = model_output("classification", 0.3, 1), model_output("classification", 0.32, 2)
    [paired] = differences(new, [old], 0.95, 0)
    mine = alone(new, 0.95, 0)["accuracy"]
    theirs = alone(old, 0.95, 0)["accuracy"]
    apart = unpaired(mine, theirs.value, theirs.se, 0.95)
    assert apart.method == "unpaired" and apart.value == pytest.approx(paired["accuracy"].value)
    assert apart.high - apart.low > paired["accuracy"].high - paired["accuracy"].low


def grouped_regression(groups: int, per_group: int, seed: int):
    """Two regression models on rows in ``groups`` groups whose errors share a group
    effect (intra-group correlation 0.5 for each model's squared errors' drivers)."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(groups), per_group)
    actual = pd.Series(rng.normal(0, 1, len(group)))
    models = []
    for scale in (1.0, 1.3):
        effect = rng.normal(0, scale, groups)[group]
        predicted = actual + effect + rng.normal(0, scale, len(group))
        models.append((actual, predicted))
    return group, models


def test_a_group_split_gives_the_interval_of_a_group_bootstrap():
    """Rows of one group share their errors: the interval is computed by group (the
    influences summed per group), as wide as a bootstrap that resamples whole groups,
    and several times wider than the rows-as-independent one."""
    group, outputs = grouped_regression(60, 20, seed=3)
    structure = Structure.of("group", "user", pd.Series(group))
    by_group = [scored(a, p, None, [], structure=structure) for a, p in outputs]
    by_row = [scored(a, p, None, []) for a, p in outputs]
    grouped = differences(by_group[0], [by_group[1]], 0.95, 0)[0]["rmse"]
    rows = differences(by_row[0], [by_row[1]], 0.95, 0)[0]["rmse"]
    rng = np.random.default_rng(1)
    sums = [
        np.stack([np.bincount(group, weights=m.columns[:, k]) for k in range(5)], 1)
        for m in by_row
    ]
    draws = []
    for _ in range(2_000):
        chosen = rng.integers(0, 60, 60)
        values = [
            model.recipe(total[chosen].sum(axis=0, keepdims=True))["rmse"][0]
            for model, total in zip(by_row, sums, strict=True)
        ]
        draws.append(values[0] - values[1])
    assert grouped.se == pytest.approx(np.std(draws, ddof=1), rel=0.2)
    assert grouped.se > 2 * rows.se


def test_time_ordered_rows_get_an_interval_by_blocks_in_time():
    """Errors that follow an AR(1) in time (rho = 0.9): the standard error of an MAE
    difference is the long-run one (about sqrt((1 + rho) / (1 - rho)) ≈ 4.4 times the
    row-level one), computed from the rows in time order, whatever order the table holds
    them, with Student's t with the blocks less one."""
    rng = np.random.default_rng(0)
    rows, rho = 3_000, 0.9
    noise = rng.normal(0, 1, rows)
    shared = np.empty(rows)
    shared[0] = noise[0]
    for index in range(1, rows):
        shared[index] = rho * shared[index - 1] + math.sqrt(1 - rho**2) * noise[index]
    shuffled = rng.permutation(rows)  # the table's order is not time's
    actual = pd.Series(np.zeros(rows))
    errors = [shared[shuffled] + 1.5, rng.normal(0, 0.5, rows) + 1.5]
    dates = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(shuffled, unit="h"))
    structure = Structure.of("time", "when", dates)
    timed = [scored(actual, pd.Series(e), None, [], structure=structure) for e in errors]
    plain = [scored(actual, pd.Series(e), None, []) for e in errors]
    in_time = differences(timed[0], [timed[1]], 0.95, 0)[0]["mae"]
    as_rows = differences(plain[0], [plain[1]], 0.95, 0)[0]["mae"]
    assert 2.0 < in_time.se / as_rows.se < 7.0  # 10 blocks: an estimate with 9 df
    assert in_time.freedom <= 9


def test_a_one_row_class_leaves_accuracy_its_binary_like_interval():
    """17 classes, the rarest with one test row: accuracy rests on every row, and its
    interval takes Student's t with about every row's degrees of freedom, not one."""
    rng = np.random.default_rng(0)
    labels = list(range(17))
    truth = np.r_[rng.integers(1, 17, 1_999), 0]
    actual = pd.Series(truth)
    models = []
    for seed in (1, 2):
        noise = np.random.default_rng(seed).random((2_000, 17))
        probabilities = noise + 0.5 * (truth[:, None] == np.arange(17))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        predicted = pd.Series(probabilities.argmax(axis=1))
        models.append(scored(actual, predicted, probabilities, labels, None))
    [change] = differences(models[0], [models[1]], 0.95, 0)
    accuracy = change["accuracy"]
    half = (accuracy.high - accuracy.low) / 2
    assert accuracy.method in ("influence", "floor")
    assert half / accuracy.se < 2.0  # t with 1 degree of freedom: 12.7
    assert all(estimate.method != "bootstrap" for estimate in change.values())  # fast
    assert models[0].small_classes == [0]


def test_models_agreeing_on_every_positive_still_get_a_recall_interval():
    """At 5% positives on 400 rows, two models that differ elsewhere but agree on every
    positive: the rows cannot rule out a recall difference, and the interval is not of
    zero width (Agresti and Min's floor); two identical models still get zero."""
    truth = np.r_[np.ones(20, dtype=int), np.zeros(380, dtype=int)]
    actual = pd.Series(truth)
    first = np.r_[np.ones(10), np.zeros(10), np.zeros(380)].astype(int)
    second = first.copy()
    second[[30, 40, 50]] = 1  # other false positives: the models differ elsewhere
    models = []
    for guess in (first, second):
        probability = np.where(guess == 1, 0.8, 0.2)
        probabilities = np.column_stack([1 - probability, probability])
        models.append(scored(actual, pd.Series(guess), probabilities, [0, 1], 1))
    [change] = differences(models[0], [models[1]], 0.95, 0)
    recall = change["recall"]
    assert recall.value == 0 and recall.method == "floor"
    assert recall.low < -0.05 and recall.high > 0.05
    [same] = differences(models[0], [models[0]], 0.95, 0)
    assert same["recall"].low == same["recall"].high == 0


def test_the_report_reads_the_split_from_the_prepared_tables(tmp_path, monkeypatch):
    """compare takes the rows' structure from data_profile.json's split and the split's
    column, which prepare keeps in the test table."""
    from {{ cookiecutter.package_name }} import paths
    from {{ cookiecutter.package_name }}.outputs import write_json
    from {{ cookiecutter.package_name }}.review.compare import structure_of

    monkeypatch.chdir(tmp_path)
    features = pd.DataFrame({"user": ["a", "b", "a", "c"], "x": [1.0, 2.0, 3.0, 4.0]})
    assert structure_of(features).kind == "rows"  # no profile: independent rows
    write_json({"split": {"method": "group", "column": "user"}}, paths.DATA_PROFILE)
    found = structure_of(features)
    assert found.kind == "group" and found.units == 3 and "3 groups" in found.describe()
    assert list(found.on(np.array([1, 2])).codes) == [0, 1]
