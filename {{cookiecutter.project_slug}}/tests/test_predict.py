"""Batch scoring with `predict`: chunked, schema-checked, all-or-nothing output.
(Models from the registry are tested on a real repository by the template's tests.)"""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.pipeline.evaluate import predict
from {{ cookiecutter.package_name }}.pipeline.model import save
from {{ cookiecutter.package_name }}.pipeline.train import train


def run(*arguments) -> int:
    return main(["predict", *map(str, arguments)])


@pytest.fixture
def model_file(tmp_path, table, problem_type):
    features, target = table.drop(columns="target"), table["target"]
    model = train(features, target, problem_type, "random_forest", {}, seed=0)
    path = tmp_path / "model.joblib"
    save(model, path)
    return model, path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_chunks_give_the_same_predictions_as_one_pass(tmp_path, table, model_file, suffix):
    """Scoring 7 rows at a time writes one row per input row, as predicting at once."""
    model, path = model_file
    features = table.drop(columns="target")
    source, output = tmp_path / f"batch{suffix}", tmp_path / f"scored{suffix}"
    if suffix == ".csv":
        features.to_csv(source, index=False)
    else:
        features.to_parquet(source, index=False)
    assert run(source, output, "--model", path, "--chunk-rows", 7) == 0
    scored = pd.read_csv(output) if suffix == ".csv" else pd.read_parquet(output)
    expected, probabilities = predict(model, features)
    assert list(scored["row"]) == list(range(len(features)))
    assert np.allclose(scored["predicted"].to_numpy(), expected.to_numpy())
    if probabilities is not None:
        assert np.allclose(scored.filter(like="proba_").to_numpy(), probabilities)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="x01"), "missing x01"),
        (lambda f: f.assign(customer="a"), "unexpected customer"),
        (lambda f: f.assign(x02="high"), "column x02: expected numbers, found object"),
    ],
)
def test_schema_errors_name_the_column_and_write_nothing(
    tmp_path, table, model_file, capsys, change, message
):
    _, path = model_file
    source, output = tmp_path / "batch.csv", tmp_path / "scored.csv"
    change(table.drop(columns="target")).to_csv(source, index=False)
    assert run(source, output, "--model", path) == 1
    error = capsys.readouterr().err
    assert f"error: {source}: " in error and message in error
    assert not output.exists() and not list(tmp_path.glob(".scored.csv.*"))


def test_empty_input_and_bad_chunk_size_are_clear_errors(tmp_path, table, model_file, capsys):
    _, path = model_file
    source, output = tmp_path / "batch.parquet", tmp_path / "scored.parquet"
    table.drop(columns="target").head(0).to_parquet(source, index=False)
    assert run(source, output, "--model", path) == 1
    assert "no rows to score" in capsys.readouterr().err and not output.exists()
    assert run(source, output, "--model", path, "--chunk-rows", 0) == 1
    assert "--chunk-rows: expected a positive number" in capsys.readouterr().err
