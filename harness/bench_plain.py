"""Baselines for `make bench`: the generated project's work as plain scripts, one process.

``python bench_plain.py ROWS FEATURES``: the pipeline. Same synthetic data, split,
estimator, predictions and metrics as the generated classification project with its
default params.yaml, with no DVC and no files.

Each runs on BENCH_THREADS CPU threads (threadpoolctl; by default the machine's CPUs), as
bench.py sets the recipe's train.threads and SCORING_THREADS.

``python bench_plain.py mixed PACKAGE ROWS FEATURES CATEGORICAL``: the pipeline on a
table whose last CATEGORICAL features are text (the project's synthetic rows), encoded
as the generated project encodes them for its default estimator.

``python bench_plain.py monitor BATCH``: drift monitoring, run in a trained project. The
statistics of the `monitor` command with numpy and SciPy directly, against the
workspace's training rows, test predictions and model (no registry, Git or DVC): per
feature the PSI over the reference's deciles, a Kolmogorov-Smirnov test on a seeded
sample of 10,000 rows per side and the shares of missing values; the same for the
model's scores on the batch against its scores on the test rows.
"""

import sys


def pipeline(rows: int, features: int) -> None:
    import pandas as pd
    from sklearn import metrics
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    x, y = make_classification(
        n_samples=rows, n_features=features, n_informative=max(2, features // 2), random_state=42
    )
    frame = pd.DataFrame(x, columns=[f"x{i:02d}" for i in range(features)], copy=False)
    frame["target"] = y
    del x, y
    train, test = train_test_split(frame, test_size=0.2, random_state=42, stratify=frame["target"])
    del frame
    model = HistGradientBoostingClassifier(
        learning_rate=0.1, max_iter=200, max_leaf_nodes=31, random_state=42
    )
    model.fit(train.drop(columns="target"), train["target"])
    probabilities = model.predict_proba(test.drop(columns="target"))
    predicted = probabilities.argmax(axis=1)
    actual = test["target"]
    scores = {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "precision": metrics.precision_score(actual, predicted),
        "recall": metrics.recall_score(actual, predicted),
        "f1": metrics.f1_score(actual, predicted),
        "roc_auc": metrics.roc_auc_score(actual, probabilities[:, 1]),
        "log_loss": metrics.log_loss(actual, probabilities),
    }
    print(scores)


def mixed(package: str, rows: int, features: int, categorical: int) -> None:
    """The pipeline on a table with text columns: the project's own synthetic rows (its
    last ``categorical`` features are text), the text encoded as ordinal codes that the
    estimator treats as categories, unseen values as missing; fit, predict, metrics."""
    import importlib

    import numpy as np
    from sklearn import metrics
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    frame = importlib.import_module(f"{package}.pipeline.data").synthetic(
        "classification", rows, features, 42, categorical
    )
    text = list(frame.columns[features - categorical : features])
    numbers = list(frame.columns[: features - categorical])
    train, test = train_test_split(frame, test_size=0.2, random_state=42)
    del frame
    codes = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=250,
    )
    model = make_pipeline(
        ColumnTransformer([("numbers", "passthrough", numbers), ("text", codes, text)]),
        HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=200,
            max_leaf_nodes=31,
            random_state=42,
            categorical_features=list(range(len(numbers), features)),
        ),
    )
    model.fit(train.drop(columns="target"), train["target"])
    probabilities = model.predict_proba(test.drop(columns="target"))
    actual, predicted = test["target"], probabilities.argmax(axis=1)
    scores = {
        "accuracy": metrics.accuracy_score(actual, predicted),
        "f1": metrics.f1_score(actual, predicted),
        "roc_auc": metrics.roc_auc_score(actual, probabilities[:, 1]),
        "log_loss": metrics.log_loss(actual, probabilities),
    }
    print(scores)


def monitor(batch_path: str, sample_rows: int = 100_000, bins: int = 10) -> None:
    import joblib
    import numpy as np
    import pandas as pd
    from scipy import stats

    rng = np.random.default_rng(0)

    def psi(old: np.ndarray, new: np.ndarray) -> float:
        edges = np.unique(np.quantile(old, np.linspace(0, 1, bins + 1)[1:-1]))
        expected = np.bincount(np.searchsorted(edges, old, side="right"), minlength=edges.size + 1)
        actual = np.bincount(np.searchsorted(edges, new, side="right"), minlength=edges.size + 1)
        expected = np.maximum(expected / old.size, 1e-4)
        actual = np.maximum(actual / new.size, 1e-4)
        return float(np.sum((actual - expected) * np.log(actual / expected)))

    def sample(values: np.ndarray) -> np.ndarray:
        return values if values.size <= sample_rows else rng.choice(values, sample_rows, False)

    def compare(old: np.ndarray, new: np.ndarray) -> tuple:
        missing = (float(np.isnan(old).mean()), float(np.isnan(new).mean()))
        old, new = old[~np.isnan(old)], new[~np.isnan(new)]
        return psi(old, new), stats.ks_2samp(sample(old), sample(new)).pvalue, missing

    model = joblib.load("models/model.joblib")  # the project's wrapper around the estimator
    names = list(model.features)
    reference = pd.read_parquet("data/prepared/train.parquet", columns=names)
    scored = pd.read_parquet("eval/predictions.parquet")
    batch = pd.read_parquet(batch_path)
    results = {
        name: compare(reference[name].to_numpy("float64"), batch[name].to_numpy("float64"))
        for name in names
    }
    probabilities = model.estimator.predict_proba(batch[names])
    positive = model.estimator.classes_[1]
    results["score"] = compare(
        scored[f"proba_{positive}"].to_numpy("float64"), probabilities[:, 1]
    )
    print(results)


if __name__ == "__main__":
    import os

    import sklearn.ensemble  # noqa: F401 (loads OpenMP and BLAS, for threadpoolctl to find)
    from threadpoolctl import threadpool_limits

    # The recipe's threads (bench.py sets both): OpenMP's and BLAS's pools, as train does.
    threadpool_limits(limits=int(os.environ.get("BENCH_THREADS") or os.cpu_count() or 1))
    if sys.argv[1] == "monitor":
        monitor(sys.argv[2])
    elif sys.argv[1] == "mixed":
        mixed(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        pipeline(int(sys.argv[1]), int(sys.argv[2]))
