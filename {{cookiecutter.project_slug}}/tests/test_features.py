"""Columns as they come: kinds inferred (or declared), the encoding inside the model,
unseen values handled; rows keyed and split so that a test row never moves."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer

from {{ cookiecutter.package_name }}.operate import drift
from {{ cookiecutter.package_name }}.operate.drift import schema_changes
from {{ cookiecutter.package_name }}.pipeline.evaluate import evaluate
from {{ cookiecutter.package_name }}.pipeline.features import (
    MAX_CATEGORIES,
    Numbers,
    distinct,
    encoder,
    free_text,
    infer_kind,
    notes,
    problems,
    schema_of,
    unseen,
)
from {{ cookiecutter.package_name }}.pipeline.split import row_keys, split
from {{ cookiecutter.package_name }}.scoring import predict

from .conftest import fit, mixed_table


def test_kinds_are_inferred_from_the_values():
    """Numbers, yes/no and true/false text, categories, dates; booleans as pandas makes them."""
    assert infer_kind(pd.Series([1.5, None, 3])) == "numeric"
    assert infer_kind(pd.Series(["yes", "no", None])) == "boolean"
    assert infer_kind(pd.Series([True, False])) == "boolean"
    assert infer_kind(pd.get_dummies(pd.Series(["a", "b"]))["a"]) == "boolean"
    assert infer_kind(pd.Series(["Torgersen", "Dream", None])) == "categorical"
    assert infer_kind(pd.Series(["2007-11-11", "2008-01-02", None])) == "datetime"
    assert infer_kind(pd.Series(["11/11/07", "11/16/07"])) == "datetime"


def test_declared_roles_and_kinds_win():
    frame = mixed_table("regression")
    schema = schema_of(frame, "target", ["customer_id"], ["x03"], {"x02": "categorical"})
    assert "customer_id" not in schema.features and "x03" not in schema.features
    assert schema.features["x02"] == "categorical" and "x02" not in schema.inferred
    assert schema.features["signed_up"] == "datetime"
    assert schema.features["newsletter"] == "boolean"


@pytest.mark.parametrize("name", ["hist_gradient_boosting", "random_forest", "linear"])
def test_the_model_takes_the_raw_table(problem_type, name):
    """Every estimator trains on text, yes/no, dates and missing values as they are, and
    scores a batch with an unseen category and without its ID column."""
    estimator = name
    if name == "linear":
        estimator = "logistic_regression" if problem_type == "classification" else "ridge"
    frame = mixed_table(problem_type)
    model = fit(frame.iloc[:240], problem_type, estimator, ids=["customer_id"])
    assert model.ids == ("customer_id",) and "customer_id" not in model.features
    batch = frame.iloc[240:].drop(columns=["target", "customer_id"]).copy()
    batch.iloc[0, batch.columns.get_loc("plan")] = "enterprise"  # never seen in training
    predicted, probabilities = predict(model, batch)
    assert len(predicted) == len(batch) and predicted.notna().all()
    assert unseen(batch, model.categories) == {"plan": 1}
    scores, _, _ = evaluate(model, frame.iloc[240:], frame["target"].iloc[240:], seed=0)
    assert scores and all(np.isfinite(value) for value in scores.values())
    if problem_type == "classification":
        assert set(model.classes) == {"churned", "stayed"} and probabilities.shape[1] == 2


@pytest.mark.parametrize("style", ["native", "linear"])
def test_a_text_column_keeps_its_most_frequent_values_and_groups_the_rest(style):
    """As the README says: the MAX_CATEGORIES - 1 most frequent values of a text column
    are a category each, the rarer ones one more (codes for trees, one-hot columns for
    linear models)."""
    counts = np.arange(MAX_CATEGORIES + 50, 0, -1)  # value i is the i-th most frequent
    names = [f"city {i:03d}" for i in range(len(counts))]
    frame = pd.DataFrame({"city": np.repeat(names, counts), "target": 0.0})
    transformer, _ = encoder(schema_of(frame, "target", [], [], {}), style)
    encoded = transformer.fit_transform(frame[["city"]])
    codes = pd.Series([tuple(row) for row in encoded], index=frame["city"])
    assert codes.nunique() == MAX_CATEGORIES
    frequent = names[: MAX_CATEGORIES - 1]
    assert codes[frequent].groupby(level=0).first().nunique() == MAX_CATEGORIES - 1
    assert codes.drop(frequent).nunique() == 1


def test_numbers_alone_are_encoded_as_a_column_transformer_passes_them_through():
    """A table of numbers only skips the ColumnTransformer (which copies it three times):
    the array the estimator fits on is the same, values, dtype and layout."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50).astype("float32")})
    frame.loc[3, "a"] = np.nan
    schema = schema_of(frame, "none", [], [], {})
    transformer, categorical = encoder(schema, "native")
    assert isinstance(transformer, Numbers) and categorical == []
    passed = ColumnTransformer([("numeric", "passthrough", ["a", "b"])]).fit_transform(frame)
    encoded = transformer.fit_transform(frame)
    assert encoded.dtype == passed.dtype
    assert encoded.flags.f_contiguous and passed.flags.f_contiguous
    assert encoded.tobytes("A") == passed.tobytes("A")
    assert list(transformer.get_feature_names_out()) == ["a", "b"]


def test_distinct_values_are_counted_as_pandas_counts_them():
    """Numbers are counted by sorting: missing left out, 0.0 and -0.0 one value."""
    columns = [
        pd.Series([1.0, np.nan, -0.0, 0.0, 1.0, 2.5]),
        pd.Series([3, 1, 3, 2], dtype="int64"),
        pd.Series([np.nan, np.nan]),
        pd.Series(["a", None, "b", "a"]),
        pd.Series([True, False, True]),
    ]
    for values in columns:
        assert distinct(values) == values.nunique(dropna=True)


def test_values_not_of_their_kind_are_named():
    """Text in a numeric column, or a word in a yes/no one, is named with the column."""
    frame = mixed_table("regression").head(5)
    frame["x00"] = frame["x00"].astype(object)
    frame.loc[frame.index[0], "x00"] = "high"
    found = problems(frame, {"x00": "numeric", "plan": "categorical"})
    assert found == [("x00", "column x00: expected numbers, found 'high' (1 row(s))")]


def test_a_hash_split_never_moves_a_test_row():
    """Rows keep their side when the seed changes, rows are added, or the test set grows."""
    frame = mixed_table("classification", rows=400)
    keys, hashes = row_keys(frame, ["customer_id"], "data.csv")
    _, test = split(frame, hashes, "hash", None, 0.2, seed=1)
    _, other_seed = split(frame, hashes, "hash", None, 0.2, seed=7)
    assert list(test) == list(other_seed)
    bigger = pd.concat(
        [
            frame,
            mixed_table("classification", rows=100, seed=5).assign(
                customer_id=lambda f: "N" + f["customer_id"]
            ),
        ]
    )
    more_keys, more_hashes = row_keys(bigger, ["customer_id"], "data.csv")
    _, more = split(bigger, more_hashes, "hash", None, 0.3, seed=1)
    assert set(keys[test]) <= set(more_keys[more])
    assert 0.1 < len(test) / len(frame) < 0.3


def test_rows_without_ids_are_keyed_by_content_and_identical_rows_stay_together():
    frame = mixed_table("regression", rows=100).drop(columns="customer_id")
    frame = pd.concat([frame, frame.iloc[:10]], ignore_index=True)
    keys, hashes = row_keys(frame, [], "data.csv")
    assert len(set(keys)) == len(frame)
    train, test = split(frame, hashes, "hash", None, 0.5, seed=0)
    sides = pd.Series(np.isin(np.arange(len(frame)), test))
    assert (sides.iloc[:10].to_numpy() == sides.iloc[100:].to_numpy()).all()
    assert len(train) + len(test) == len(frame)


def test_time_and_group_splits():
    frame = mixed_table("regression", rows=100)
    _, hashes = row_keys(frame, ["customer_id"], "data.csv")
    _, test = split(frame, hashes, "time", "signed_up", 0.2, seed=0)
    assert list(test) == list(range(80, 100))  # the newest rows
    frame["region"] = np.arange(100) % 7
    train, test = split(frame, hashes, "group", "region", 0.3, seed=0)
    assert not set(frame["region"].iloc[train]) & set(frame["region"].iloc[test])


def test_duplicate_ids_are_refused():
    frame = mixed_table("regression", rows=20)
    frame.loc[3, "customer_id"] = frame.loc[2, "customer_id"]
    with pytest.raises(Exception, match=r"2 rows share their ID .* customer_id='C00002'"):
        row_keys(frame, ["customer_id"], "data.csv")


def test_booleans_from_get_dummies_train_score_and_are_one_kind_everywhere():
    """pandas' get_dummies columns (True/False) are booleans: the model trains on them,
    scores them, and a batch that writes them as 1/0 or "True"/"False" (a CSV) is read the
    same way: no column is "retyped" for drift."""
    frame = pd.get_dummies(mixed_table("classification"), columns=["plan"])
    model = fit(frame.iloc[:240], "classification", ids=["customer_id"])
    assert model.features["plan_basic"] == "boolean"
    batch = frame.iloc[240:].drop(columns="target")
    predicted, _ = predict(model, batch)
    dummies = [name for name in batch.columns if name.startswith("plan_")]
    as_numbers = batch.astype(dict.fromkeys(dummies, int))
    as_text = batch.astype(dict.fromkeys(dummies, str))
    assert list(predict(model, as_numbers)[0]) == list(predicted)
    assert list(predict(model, as_text)[0]) == list(predicted)
    known = {*model.features, *model.ids, model.target}
    for written in (as_numbers, as_text):
        assert schema_changes(model.features, known, written)["retyped"] == []


def test_free_text_and_constant_columns_are_noted_not_leaks(problem_type):
    """prepare names a free-text column (its words are not used: encoded as a category)
    and a column with one value or none (it teaches nothing); notes are not leaks, so
    they do not fail the gate. Drift's free text is the same rule (issue 27)."""
    frame = mixed_table(problem_type, rows=200)
    frame["comment"] = [f"call {row % 120} about the bill" for row in range(len(frame))]
    frame["city"] = np.where(np.arange(len(frame)) % 2, "Paris", "Lyon")
    frame["country"] = "France"
    frame["unused"] = np.nan
    schema = schema_of(frame, "target", [], [], {})
    found = {note["column"]: note["note"] for note in notes(frame, schema)}
    assert set(found) == {"comment", "country", "unused"}
    assert "free text (120 distinct values in 200 training rows)" in found["comment"]
    assert "its words are not used; drop it (params.yaml: prepare.drop)" in found["comment"]
    assert "a single value ('France') in the 200 training rows" in found["country"]
    assert "no values (all missing)" in found["unused"]
    assert "teaches the model nothing" in found["country"]
    assert drift.free_text is free_text
