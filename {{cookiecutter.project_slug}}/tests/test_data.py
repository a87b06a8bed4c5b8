"""Data checks at prepare: bad data is refused with a message naming the column, the
setting or the file; likely leaks are named."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.config import PrepareParams
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.pipeline.data import (
    bundled_dataset,
    check_sides,
    check_split,
    leaks,
    positive_class,
    read_table,
    validate,
)
from {{ cookiecutter.package_name }}.pipeline.features import schema_of

from .conftest import PROBLEM_TYPES, mixed_table


def settings(**changes) -> PrepareParams:
    values = {
        "source": "file",
        "path": "data.csv",
        "target": "target",
        "test_size": 0.2,
        "synthetic": {"rows": 10, "features": 4},
    }
    return PrepareParams.model_validate({**values, **changes})


@pytest.mark.parametrize("kind", PROBLEM_TYPES)
def test_bundled_dataset_passes_the_checks(kind):
    """The dataset shipped with scikit-learn is valid as it is."""
    validate(bundled_dataset(kind), settings(), "bundled", kind)


def test_missing_target_column_is_named(table, problem_type):
    """It names the missing target column and lists the columns there are."""
    with pytest.raises(ProjectError, match=r"data.csv: target column 'label' not found.*x00"):
        validate(table, settings(target="label"), "data.csv", problem_type)


def test_a_column_named_in_the_settings_must_exist(table, problem_type):
    """An ID, a dropped column or a kind that names no column is refused by its setting."""
    with pytest.raises(ProjectError, match=r"prepare.ids: 'customer' is not a column"):
        validate(table, settings(ids=["customer"]), "data.csv", problem_type)
    with pytest.raises(ProjectError, match=r"prepare.kinds: 'when' is not a column"):
        validate(table, settings(kinds={"when": "datetime"}), "data.csv", problem_type)


def test_text_features_are_accepted(table, problem_type):
    """A text column is a feature like any other (categorical), not an error."""
    table["city"] = "Paris"
    validate(table, settings(), "data.csv", problem_type)


def test_empty_table_is_refused(table, problem_type):
    """It refuses a table with no rows."""
    with pytest.raises(ProjectError, match=r"data.csv: the table has no rows"):
        validate(table.iloc[0:0], settings(), "data.csv", problem_type)


def test_too_few_rows_for_the_split(table, problem_type):
    """It refuses a table too small to give both splits enough rows."""
    with pytest.raises(ProjectError, match=r"too few to split with test_size 0.2"):
        validate(table.head(3), settings(), "data.csv", problem_type)


def test_too_few_rows_says_which_side_and_which_way_to_move_test_size(table, problem_type):
    """Too few training rows needs a smaller test_size, too few test rows a larger one; a
    larger test_size is never the advice for a short training side (issue 27)."""
    split = {"method": "time", "column": "x00"}
    with pytest.raises(ProjectError, match=r"training side gets 1 row.*smaller test_size"):
        validate(table.head(8), settings(test_size=0.85, split=split), "data.csv", problem_type)
    with pytest.raises(ProjectError, match=r"test side gets 1 row.*larger test_size"):
        validate(table.head(8), settings(test_size=0.1), "data.csv", problem_type)


def test_a_split_side_short_of_rows_or_classes_gets_advice_for_its_method():
    """A class only in the latest rows of a time split needs a smaller test_size; a group
    split with every group on one side needs more groups, not another test_size."""
    labels = pd.Series([0, 0, 0, 0, 1, 1], name="target")
    train, test = np.arange(4), np.arange(4, 6)
    with pytest.raises(ProjectError, match=r"no training rows.*time.*smaller test_size"):
        check_split(labels, train, test, "time", "when")
    with pytest.raises(ProjectError, match=r"no test rows.*larger test_size"):
        check_split(labels, np.arange(6), np.arange(0), "hash")
    frame = pd.DataFrame({"user": ["a", "a", "b", "b"]})
    with pytest.raises(ProjectError, match=r"test side 0 row\(s\) \(2 groups.*more groups"):
        check_sides(frame, np.arange(4), np.arange(0), "group", "user")


def test_a_class_with_one_row_is_refused():
    """Every class needs rows in both splits."""
    table = bundled_dataset("classification")
    table.loc[0, "target"] = 9
    with pytest.raises(ProjectError, match=r"class 9 of 'target' has 1 row"):
        validate(table, settings(), "data.csv", "classification")


def test_a_continuous_target_in_a_classification_project_says_what_to_change():
    """A number to predict is not a class: the error names the setting to change."""
    table = bundled_dataset("regression")
    with pytest.raises(ProjectError, match=r"looks continuous .* base.problem_type: regression"):
        validate(table, settings(), "data.csv", "classification")


def test_text_target_is_refused_for_regression():
    """Regression needs a numeric target, and the error says how to predict classes."""
    table = bundled_dataset("regression")
    table["target"] = "high"
    with pytest.raises(
        ProjectError, match=r"must be numeric .* base.problem_type: classification"
    ):
        validate(table, settings(), "data.csv", "regression")


def test_the_positive_class_is_declared_or_chosen_plainly():
    """1/True/yes when there is one, else the rarer class; a declared one must exist."""
    assert positive_class(pd.Series([0, 1, 1]), None) == 1
    assert positive_class(pd.Series(["no", "yes", "no"]), None) == "yes"
    assert positive_class(pd.Series(["male", "female", "male"]), None) == "female"
    assert positive_class(pd.Series(["male", "female", "male"]), "male") == "male"
    assert positive_class(pd.Series(["a", "b", "c"]), None) is None
    with pytest.raises(ProjectError, match=r"positive_class: 'cat' is not a class"):
        positive_class(pd.Series(["male", "female"]), "cat")


def test_an_id_used_as_a_feature_and_a_feature_that_is_the_target_are_flagged(problem_type):
    """A column unique per row, and one that alone predicts the target, are likely leaks."""
    frame = mixed_table(problem_type)
    if problem_type == "classification":
        frame["leaked"] = (frame["target"] == "churned").astype(float)
    else:
        frame["leaked"] = frame["target"] * 2
    schema = schema_of(frame, "target", [], [], {})
    found = {leak["column"]: leak["warning"] for leak in leaks(frame, schema, problem_type)}
    assert "'customer_id' has a distinct value in every row" in found["customer_id"]
    assert "'leaked' alone predicts 'target'" in found["leaked"]
    declared = schema_of(frame.drop(columns="leaked"), "target", ["customer_id"], [], {})
    assert leaks(frame.drop(columns="leaked"), declared, problem_type) == []


def test_a_category_whose_values_give_the_target_is_a_likely_leak(problem_type):
    """A text column whose values alone give the target (a loan's sub-grade and its
    interest rate; a status recorded after the outcome) is named, and so is a yes/no one;
    a text column with a new value every two rows (ID-like) and an ordinary category
    are not: their values are measured out of fold."""
    rows = 600
    frame = mixed_table(problem_type, rows=rows)
    rng = np.random.default_rng(1)
    if problem_type == "classification":
        churned = frame["target"] == "churned"
        grade = np.where(churned, rng.integers(0, 17, rows), rng.integers(17, 35, rows))
        frame["flag"] = np.where(churned, "yes", "no")
    else:
        grade = pd.qcut(frame["target"], 60, labels=False).to_numpy()
        frame["flag"] = np.where(frame["target"] > frame["target"].median(), "yes", "no")
    frame["sub_grade"] = [f"G{code:02d}" for code in grade]
    frame["ticket"] = [f"T{index // 2:04d}" for index in rng.permutation(rows)]
    schema = schema_of(frame, "target", ["customer_id"], [], {})
    assert schema.features["sub_grade"] == "categorical"
    found = {leak["column"]: leak["warning"] for leak in leaks(frame, schema, problem_type)}
    assert "'sub_grade' alone predicts 'target'" in found["sub_grade"]
    measure = "R²" if problem_type == "regression" else "ROC AUC"
    assert measure in found["sub_grade"]
    if problem_type == "classification":
        assert "flag" in found
    assert "ticket" not in found and "plan" not in found and "newsletter" not in found


def test_unreadable_file_is_a_clear_error(tmp_path):
    """A file that is neither CSV nor Parquet is refused by name."""
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"not a table")
    with pytest.raises(ProjectError, match=r"data.xlsx: expected a .csv or .parquet file"):
        read_table(path)


def test_missing_file_says_how_to_add_it(tmp_path):
    """A missing data file names the file and the dvc command to track one."""
    with pytest.raises(ProjectError, match=r"file not found.*dvc add"):
        read_table(tmp_path / "absent.csv")


def test_csv_and_parquet_read_the_same(tmp_path, table):
    """CSV and Parquet sources give the same table."""
    table.to_csv(tmp_path / "data.csv", index=False)
    table.to_parquet(tmp_path / "data.parquet", index=False)
    pd.testing.assert_frame_equal(
        read_table(tmp_path / "data.csv"), read_table(tmp_path / "data.parquet")
    )


def test_an_infinite_value_is_refused_by_column(table, problem_type):
    """inf in a numeric feature cannot train or score: named with its column and row."""
    table.loc[3, "x01"] = float("inf")
    with pytest.raises(ProjectError, match=r"data.csv: column x01: 1 infinite value\(s\)"):
        validate(table, settings(), "data.csv", problem_type)
