"""Data checks at prepare: bad data is refused with a message naming the column or file."""

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.pipeline.data import bundled_dataset, read_table, validate

from .conftest import PROBLEM_TYPES


@pytest.mark.parametrize("kind", PROBLEM_TYPES)
def test_bundled_dataset_passes_the_checks(kind):
    """The dataset shipped with scikit-learn is valid as it is."""
    validate(bundled_dataset(kind), "target", 0.2, "bundled", kind)


def test_missing_target_column_is_named(table, problem_type):
    """It names the missing target column and lists the columns there are."""
    with pytest.raises(ProjectError, match=r"data.csv: target column 'label' not found.*x00"):
        validate(table, "label", 0.2, "data.csv", problem_type)


def test_non_numeric_feature_is_named(table, problem_type):
    """It names a feature column that holds text."""
    table["city"] = "Paris"
    with pytest.raises(ProjectError, match=r"column 'city' is not numeric \(found 'Paris'\)"):
        validate(table, "target", 0.2, "data.csv", problem_type)


def test_missing_targets_are_counted(table, problem_type):
    """It counts the rows whose target is missing and points at the first."""
    table.loc[[3, 7], "target"] = None
    with pytest.raises(ProjectError, match=r"missing in 2 row\(s\), first at row 3"):
        validate(table, "target", 0.2, "data.csv", problem_type)


def test_empty_table_is_refused(table, problem_type):
    """It refuses a table with no rows."""
    with pytest.raises(ProjectError, match=r"data.csv: the table has no rows"):
        validate(table.iloc[0:0], "target", 0.2, "data.csv", problem_type)


def test_too_few_rows_for_the_split(table, problem_type):
    """It refuses a table too small to give both splits enough rows."""
    with pytest.raises(ProjectError, match=r"too few to split with test_size 0.2"):
        validate(table.head(3), "target", 0.2, "data.csv", problem_type)


def test_a_class_with_one_row_is_refused():
    """Stratified splitting needs every class in both splits."""
    table = bundled_dataset("classification")
    table.loc[0, "target"] = 9
    with pytest.raises(ProjectError, match=r"class 9 of 'target' has 1 row"):
        validate(table, "target", 0.2, "data.csv", "classification")


def test_text_target_is_refused_for_regression():
    """Regression needs a numeric target."""
    table = bundled_dataset("regression")
    table["target"] = "high"
    with pytest.raises(ProjectError, match="target column 'target' must be numeric"):
        validate(table, "target", 0.2, "data.csv", "regression")


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
