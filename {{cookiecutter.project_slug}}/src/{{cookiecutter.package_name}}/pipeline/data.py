"""Where the data comes from, the checks it must pass before anything is trained, and the
warnings a person should read (likely leaks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types

from ..config import PrepareParams
from ..errors import ProjectError
from .features import Schema, parse_dates

MIN_ROWS_PER_SPLIT = 2
PARQUET, CSV = {".parquet", ".pq"}, {".csv", ".txt"}  # the file suffixes read as tables
POSITIVE = {"1", "true", "yes", "y", "t", "positive", "pos"}  # names of a positive class
SEPARATES = 0.99  # a single feature this good (AUC, or |rank correlation|) is a likely leak
MAX_LABELS = 50  # more distinct numeric labels than this: a continuous target
LEAK_SAMPLE = 100_000  # rows a feature's separation of the target is measured on
LEAK_FOLDS = 5  # a category's target means are measured on the other folds' rows
# The names of the tables `prepare.source: sklearn` trains on, as messages show them.
BUNDLED = {
    "classification": "scikit-learn's breast cancer dataset",
    "regression": "scikit-learn's diabetes dataset",
}


def load_source(params: PrepareParams, problem_type: str, seed: int) -> tuple[pd.DataFrame, str]:
    """Return the raw table and a name for it that error messages can use."""
    if params.source == "sklearn":
        return bundled_dataset(problem_type), BUNDLED[problem_type]
    if params.source == "synthetic":
        settings = params.synthetic
        frame = synthetic(
            problem_type, settings.rows, settings.features, seed, settings.categorical
        )
        return frame, "synthetic data"
    return read_table(Path(params.path)), params.path


def bundled_dataset(problem_type: str) -> pd.DataFrame:
    """Breast cancer diagnosis (569 rows, 30 features; classification) or diabetes
    progression (442 rows, 10 features; regression), shipped with scikit-learn."""
    from sklearn.datasets import load_breast_cancer, load_diabetes

    load = load_breast_cancer if problem_type == "classification" else load_diabetes
    return load(as_frame=True).frame


def synthetic(
    problem_type: str, rows: int, features: int, seed: int, categorical: int = 0
) -> pd.DataFrame:
    """A seeded synthetic table of any size, for trying the pipeline at scale. The last
    ``categorical`` features are text: each numeric value binned into categories (the
    first of them has 1,000, the others 20)."""
    from sklearn.datasets import make_classification, make_regression

    shape = {"n_samples": rows, "n_features": features, "n_informative": max(2, features // 2)}
    if problem_type == "classification":
        x, y = make_classification(**shape, random_state=seed)
    else:
        x, y = make_regression(**shape, noise=10.0, random_state=seed)
    frame = pd.DataFrame(x, columns=[f"x{i:02d}" for i in range(features)], copy=False)
    for position in range(features - categorical, features):
        name = frame.columns[position]
        levels = 1_000 if position == features - categorical else 20
        codes = pd.qcut(frame[name], levels, labels=False, duplicates="drop")
        names = np.array([f"{name}_{code:04d}" for code in range(levels)], dtype=object)
        frame[name] = pd.Categorical.from_codes(codes, categories=names[: codes.max() + 1])
    frame["target"] = y
    return frame


def read_table(path: Path, setting: str = "params.yaml: prepare.path") -> pd.DataFrame:
    """Read a CSV or Parquet file; anything else is a clear error naming the file and the
    ``setting`` that names it."""
    if not path.is_file():
        raise ProjectError(f"{path}: file not found ({setting}; add it with 'dvc add {path}')")
    try:
        if path.suffix.lower() in PARQUET:
            return pd.read_parquet(path)
        if path.suffix.lower() in CSV:
            return pd.read_csv(path)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise ProjectError(f"{path}: cannot be read as a table: {error}") from None
    raise ProjectError(f"{path}: expected a .csv or .parquet file ({setting})")


def without_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    """The rows that have a target (the others cannot train or test), and how many did not."""
    missing = frame[target].isna()
    return (frame[~missing], int(missing.sum())) if missing.any() else (frame, 0)


def validate(frame: pd.DataFrame, params: PrepareParams, source: str, problem_type: str) -> None:
    """Refuse a table and settings that cannot give a trustworthy model, naming the column,
    the setting or the file."""
    if frame.empty or len(frame.columns) == 0:
        raise ProjectError(f"{source}: the table has no rows")
    columns = [str(name) for name in frame.columns]
    if params.target not in columns:
        raise ProjectError(
            f"{source}: target column {params.target!r} not found (params.yaml: prepare.target); "
            f"the columns are: {', '.join(columns)}"
        )
    named = [("ids", name) for name in params.ids] + [("drop", name) for name in params.drop]
    named += [("kinds", name) for name in params.kinds]
    named += [("split.column", params.split.column)] if params.split.column else []
    for setting, name in named:
        if name not in columns:
            raise ProjectError(
                f"params.yaml: prepare.{setting}: {name!r} is not a column of {source}; "
                f"the columns are: {', '.join(columns)}"
            )
    if params.target in params.ids + params.drop + list(params.kinds):
        raise ProjectError(
            f"params.yaml: prepare: the target {params.target!r} is also named in ids, "
            "drop or kinds; it is the column to predict only"
        )
    roles = {params.target, *params.ids, *params.drop}
    if not [name for name in columns if name not in roles]:
        raise ProjectError(f"{source}: no feature columns besides the target, IDs and drops")
    for name in columns:
        values = frame[name]
        if name in roles - {params.target} or not types.is_float_dtype(values):
            continue
        infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
        if infinite.any():
            raise ProjectError(
                f"{source}: column {name}: {int(infinite.sum())} infinite value(s) "
                f"(e.g. row {int(np.flatnonzero(infinite)[0])}); expected finite numbers or "
                "missing values"
            )
    target = frame[params.target].dropna()
    if target.empty:
        raise ProjectError(f"{source}: target column {params.target!r} has no values")
    rows = len(target)
    test_rows = int(np.ceil(rows * params.test_size))
    sides = {"test": test_rows, "training": rows - test_rows}
    short = [side for side, count in sides.items() if count < MIN_ROWS_PER_SPLIT]
    if short:
        fix = (
            "use more data"
            if rows < 2 * MIN_ROWS_PER_SPLIT
            else remedy(short[0], params.split.method, params.split.column)
        )
        raise ProjectError(
            f"{source}: {rows} rows are too few to split with test_size {params.test_size} "
            f"(params.yaml: prepare.test_size): the {short[0]} side gets "
            f"{sides[short[0]]} row(s) and each side needs at least {MIN_ROWS_PER_SPLIT}; "
            f"{fix}"
        )
    if problem_type == "regression":
        if not types.is_numeric_dtype(target) or types.is_bool_dtype(target):
            raise ProjectError(
                f"{source}: target column {params.target!r} must be numeric for regression "
                f"(found {target.dropna().iloc[0]!r}); for classes, set "
                "base.problem_type: classification"
            )
    else:
        check_labels(target, source)


def check_labels(labels: pd.Series, source: str) -> None:
    """Classes, not a number to predict: two at least, each with two rows at least."""
    name = labels.name
    counts = labels.value_counts()
    if types.is_numeric_dtype(labels) and not types.is_bool_dtype(labels):
        values = labels.to_numpy(dtype="float64")
        fractional = not np.all(np.equal(np.mod(values, 1), 0))
        if fractional or len(counts) > MAX_LABELS:
            examples = ", ".join(f"{value:g}" for value in counts.index[:3])
            raise ProjectError(
                f"{source}: target column {name!r} looks continuous ({len(counts)} distinct "
                f"numbers, e.g. {examples}): to predict a number, set base.problem_type: "
                "regression in params.yaml (and the gate and plots, see README); to predict "
                "classes, bin it into labels first"
            )
    if len(counts) < 2:
        raise ProjectError(f"{source}: target column {name!r} has a single class")
    rare = counts[counts < MIN_ROWS_PER_SPLIT]
    if not rare.empty:
        label = rare.index[0].item() if hasattr(rare.index[0], "item") else rare.index[0]
        raise ProjectError(
            f"{source}: class {label!r} of {name!r} has {int(rare.iloc[0])} row(s); "
            f"each class needs at least {MIN_ROWS_PER_SPLIT} to appear in both splits"
        )


def remedy(side: str, method: str, column: str | None) -> str:
    """What gives the short side of a split more rows, by split method: a larger
    test_size grows the test side and shrinks the training side (a time split's test side
    is its latest rows, so rows only in the latest dates need a smaller one), and a group
    split moves whole groups, so its sides come in groups, not rows."""
    if method == "group":
        return (
            f"the group split puts whole groups of {column!r} on one side, so it needs "
            "more groups (or split.method: hash, if rows of a group may be on both sides)"
        )
    change = "larger" if side == "test" else "smaller"
    return f"use more data, or a {change} test_size (grows the {side} side)"


def check_sides(
    frame: pd.DataFrame, train: np.ndarray, test: np.ndarray, method: str, column: str | None
) -> None:
    """Both sides of the split made hold enough rows (a hash or group split only
    approximates test_size: with few rows or groups, a side can be empty)."""
    for side, rows in (("test", test), ("training", train)):
        if len(rows) < MIN_ROWS_PER_SPLIT:
            groups = ""
            if method == "group":
                groups = f" ({frame[column].nunique(dropna=False)} groups in all)"
            raise ProjectError(
                f"the {method} split (params.yaml: prepare.split) gives the {side} side "
                f"{len(rows)} row(s){groups}; each side needs at least {MIN_ROWS_PER_SPLIT}: "
                f"{remedy(side, method, column)}"
            )


def check_split(
    labels: pd.Series,
    train: np.ndarray,
    test: np.ndarray,
    method: str,
    column: str | None = None,
) -> None:
    """Every class on both sides of the split (else a metric or a class is lost)."""
    for side, other, rows in (("training", "test", train), ("test", "training", test)):
        present = set(labels.iloc[rows].unique())
        absent = [label for label in labels.unique() if label not in present]
        if absent:
            where = {
                "time": f"all its rows are on the {other} side of the cut in time; ",
                "group": f"all its rows are in groups of {column!r} on the {other} side; ",
            }.get(method, "")
            raise ProjectError(
                f"class {absent[0]!r} of {labels.name!r} has no {side} rows with the "
                f"{method} split (params.yaml: prepare.split): {where}"
                f"{remedy(side, method, column)}, or split.method: random (stratified by "
                "class)"
            )


def positive_class(labels: pd.Series, declared: object) -> object:
    """The positive class of a binary target: the declared one (params.yaml's
    prepare.positive_class), else 1 / True / "yes" / "positive", else the rarer class."""
    classes = sorted(labels.unique().tolist(), key=str)
    if len(classes) != 2:
        return None
    if declared is not None:
        for label in classes:
            if str(label) == str(declared):
                return label
        raise ProjectError(
            f"params.yaml: prepare.positive_class: {declared!r} is not a class of "
            f"{labels.name!r} (its classes: {', '.join(map(repr, classes))})"
        )
    named = [label for label in classes if str(label).strip().lower() in POSITIVE]
    if len(named) == 1:
        return named[0]
    counts = labels.value_counts()
    return counts.index[-1] if counts.iloc[0] != counts.iloc[-1] else classes[1]


def leaks(frame: pd.DataFrame, schema: Schema, problem_type: str) -> list[dict[str, str]]:
    """What looks like a leak, in the training rows, as {"column", "warning"}: a column with
    a distinct value per row (an ID used as a feature), or one feature that alone all but
    predicts the target: a number or date by how well it orders the target, a category or
    boolean by how well its values' target means (class shares) predict it out of fold.
    Each fails the gate until lifecycle.yaml acknowledges it (review/gate.py)."""
    found = []
    rows = len(frame)
    sample = frame.sample(n=LEAK_SAMPLE, random_state=0) if rows > LEAK_SAMPLE else frame
    for name, kind in schema.features.items():
        values = frame[name]
        whole = kind == "categorical" or (  # the sample first: it mostly settles it
            kind == "numeric" and integral(sample[name]) and integral(values)
        )
        if rows >= 20 and whole and values.nunique(dropna=True) == rows:
            warning = (
                f"column {name!r} has a distinct value in every row: likely an ID; name it "
                "in params.yaml's prepare.ids (or prepare.drop)"
            )
            found.append({"column": str(name), "warning": warning})
            continue
        if kind in ("categorical", "boolean"):
            score = level_separation(sample[name], sample[schema.target], problem_type)
            measure = (
                "out-of-fold R² of its values' target means"
                if problem_type == "regression"
                else "ROC AUC of its values' out-of-fold class shares"
            )
        else:
            score = separation(sample[name], kind, sample[schema.target], problem_type)
            measure = "rank correlation" if problem_type == "regression" else "ROC AUC"
        if score is not None and score >= SEPARATES:
            warning = (
                f"column {name!r} alone predicts {schema.target!r} ({measure} {score:.3f}): "
                "check that it is not computed from the target, or known only after it"
            )
            found.append({"column": str(name), "warning": warning})
    return found


def integral(values: pd.Series) -> bool:
    """Whether every number present is a whole number."""
    return bool(np.all(np.mod(values.dropna().to_numpy("float64"), 1) == 0))


def separation(values: pd.Series, kind: str, target: pd.Series, problem_type: str):
    """How well one column alone orders the target: |Spearman| for regression, ROC AUC
    (either direction, averaged over classes) for classification; None when not known."""
    from scipy import stats

    if kind == "datetime":
        values = parse_dates(values).astype("int64").where(values.notna())
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    present = numbers.notna().to_numpy()
    if present.sum() < 10 or numbers[present].nunique() < 2:
        return None
    numbers, target = numbers[present].to_numpy(), target[present]
    if problem_type == "regression":
        return abs(float(stats.spearmanr(numbers, target.to_numpy()).statistic))
    scores = []
    for label in target.unique():
        truth = (target == label).to_numpy()
        if truth.all() or not truth.any():
            continue
        ranks = stats.rankdata(numbers)
        positives = truth.sum()
        auc = (ranks[truth].sum() - positives * (positives + 1) / 2) / (
            positives * (len(truth) - positives)
        )
        scores.append(max(auc, 1 - auc))
        if target.nunique() == 2:
            break
    return float(np.mean(scores)) if scores else None


def level_separation(values: pd.Series, target: pd.Series, problem_type: str):
    """How well a category's (or boolean's) values alone predict the target: each row
    scored by its value's target mean (regression) or class shares (classification)
    measured on the other LEAK_FOLDS - 1 folds, then the R² of those means for
    regression, the ROC AUC of those shares (averaged over classes, as ``separation``)
    for classification. Out of fold, so that a value seen once (an ID-like column with
    a level per row) predicts nothing: its row gets the overall mean. Missing values are
    a value of their own. None when not known (fewer than 10 rows)."""
    from scipy import stats

    rows = len(values)
    if rows < 10:
        return None
    levels = pd.factorize(values, use_na_sentinel=False)[0]  # missing: a value of its own
    if levels.max() < 1:
        return None
    fold = np.random.default_rng(0).permutation(rows) % LEAK_FOLDS
    if problem_type == "regression":
        truth = target.to_numpy(dtype="float64")
        truth = truth - truth.mean()  # R² needs the spread of values far from 0
        encoded = out_of_fold(levels, truth, fold)
        spread = float(np.sum(truth**2))
        return 1 - float(np.sum((truth - encoded) ** 2)) / spread if spread > 0 else None
    scores = []
    classes = target.unique()
    for label in classes:
        truth = (target == label).to_numpy()
        if truth.all() or not truth.any():
            continue
        share = out_of_fold(levels, truth.astype("float64"), fold)
        ranks = stats.rankdata(share)
        positives = truth.sum()
        auc = (ranks[truth].sum() - positives * (positives + 1) / 2) / (
            positives * (len(truth) - positives)
        )
        scores.append(max(auc, 1 - auc))
        if len(classes) == 2:
            break
    return float(np.mean(scores)) if scores else None


def out_of_fold(levels: np.ndarray, values: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Each row's level's mean of ``values`` over the rows of the other folds (the mean of
    those rows, for a level they do not hold)."""
    width = int(levels.max()) + 1
    sums = np.zeros((LEAK_FOLDS, width))
    counts = np.zeros((LEAK_FOLDS, width))
    np.add.at(sums, (fold, levels), values)
    np.add.at(counts, (fold, levels), 1)
    encoded = np.empty(len(values))
    for part in range(LEAK_FOLDS):
        own = fold == part
        other_sums, other_counts = sums.sum(0) - sums[part], counts.sum(0) - counts[part]
        prior = values[~own].mean() if (~own).any() else 0.0
        level = levels[own]
        with np.errstate(divide="ignore", invalid="ignore"):
            encoded[own] = np.where(
                other_counts[level] > 0, other_sums[level] / other_counts[level], prior
            )
    return encoded


def read_split(path: Path, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """Read a prepared table (see prepare.py) as (its raw columns, the target), indexed by
    each row's key. Text is read as categories, which take a fraction of the memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # A block per column, each freed from Arrow's memory as it is converted: the table is
    # never held twice. Arrow's allocator keeps what reading and converting freed (about
    # the table's size) for tables to come: given back to the system, for the fit.
    frame = pq.read_table(path).to_pandas(
        strings_to_categorical=True, split_blocks=True, self_destruct=True
    )
    pa.default_memory_pool().release_unused()
    if target not in frame.columns:
        raise ProjectError(
            f"{path}: no column {target!r} (params.yaml: prepare.target): it was prepared "
            "with other settings; run `dvc repro`"
        )
    actual = frame.pop(target)
    if isinstance(actual.dtype, pd.CategoricalDtype):  # labels stay plain values
        actual = actual.astype(actual.cat.categories.dtype)
    return frame, actual
