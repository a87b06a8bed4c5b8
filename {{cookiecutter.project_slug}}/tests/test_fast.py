"""`serve`'s fast path (operate/fast.py) against the model's pipeline: the same
predictions to the bit, on real rows with missing values, unseen categories and IDs; the
pipeline's own checks and messages for what it does not take."""

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.operate import fast
from {{ cookiecutter.package_name }}.operate.serve import scored, through_pipeline
from {{ cookiecutter.package_name }}.threads import limit

from .conftest import fit, mixed_table


def table(kind: str, rows: int, seed: int) -> pd.DataFrame:
    """mixed_table without its dates (the fast path takes none): an ID, numbers with
    missing values, a yes/no column, a category with missing values and one of over 250
    values (the rarest grouped as infrequent); "no categories": without the categories (the
    model's trees then take the ColumnTransformer's output as it is); "numbers only": the
    numeric columns alone; "multiclass": three classes."""
    problem = "regression" if kind == "regression" else "classification"
    frame = mixed_table(problem, rows=rows, seed=seed).drop(columns="signed_up")
    if kind == "no categories":
        return frame.drop(columns="plan")
    if kind == "numbers only":  # encoded by features.Numbers, not a ColumnTransformer
        return frame.drop(columns=["plan", "newsletter"])
    order = np.random.default_rng(seed).permutation(rows)
    frame["town"] = [f"town {value % 270}" for value in order]  # 270 values in 300 rows
    if kind == "multiclass":
        frame["target"] = pd.qcut(frame["x00"], 3, labels=["low", "mid", "high"]).astype(str)
    return frame


@pytest.fixture(
    scope="module", params=["binary", "multiclass", "regression", "no categories", "numbers only"]
)
def model_and_rows(request):
    """A HistGradientBoosting model (the default estimator) and 60 new rows as JSON gives
    them: yes/no as true/false, a category unseen in training, a row without x02, an
    integer for a number."""
    problem = "regression" if request.param == "regression" else "classification"
    model = fit(table(request.param, 300, 0), problem, "hist_gradient_boosting",
                ids=["customer_id"], max_iter=25)  # fmt: skip
    new = table(request.param, 60, 1).drop(columns="target")
    rows = json.loads(new.to_json(orient="records"))
    for row in rows:
        if "newsletter" in row:
            row["newsletter"] = {"yes": True, "no": False}[row["newsletter"]]
    if "newsletter" in rows[3]:
        rows[3]["newsletter"] = None
    if "plan" in rows[4]:
        rows[4]["plan"], rows[5]["plan"] = "enterprise", None
    del rows[6]["x02"]
    rows[7]["x03"] = 2
    return model, rows


def test_the_fast_path_scores_as_the_pipeline_does(model_and_rows):
    """Row by row and in batches of up to fast.SMALL rows: the predictions, probabilities
    (to the bit), IDs and unseen categories of the pipeline (serve's way, and its own
    predict/predict_proba on the rows as a table). On a thread of its own whose pools
    are limited to one thread, as serve scores."""
    as_serve(compare, *model_and_rows)


def as_serve(function, *arguments):
    """``function(*arguments)`` on a thread whose pools are limited to one thread, as
    serve scores (the pipeline on one row is slow with more on a busy machine)."""
    with ThreadPoolExecutor(1, initializer=limit, initargs=(1,)) as scoring:
        return scoring.submit(function, *arguments).result()


def compare(model, rows: list[dict]) -> None:
    compiled = fast.compiled(model)
    assert compiled is not None
    # Rows whose number is a split's threshold exactly (a split sends it left).
    numbers = {position: name for name, kind, position, _ in compiled.columns if kind == "numeric"}
    feature, threshold, *_ = compiled.trees[0][0]
    splits = [(numbers[f], value) for f, value in zip(feature, threshold, strict=True)
              if f in numbers and value != 0][:fast.SMALL]  # fmt: skip
    assert splits
    rows = [*rows, *({**rows[0], name: value} for name, value in splits)]
    batches = [[row] for row in rows[:8]]
    batches += [rows[start : start + fast.SMALL] for start in range(0, len(rows), fast.SMALL)]
    for batch in batches:
        found = compiled.scores(batch)
        expected = through_pipeline(model, batch)
        assert found[0] == expected[0] and found[2] == expected[2] and found[3] == expected[3]
        table = pd.DataFrame(batch, columns=list(model.features))  # x02: NaN when absent
        if model.problem_type == "regression":
            assert found[1] is None
            assert np.asarray(found[0]).tobytes() == model.estimator.predict(table).tobytes()
        else:
            assert found[1].tobytes() == expected[1].tobytes()
            assert found[1].tobytes() == model.estimator.predict_proba(table).tobytes()
            assert found[0] == model.estimator.predict(table).tolist()
    if "plan" in model.features:
        assert compiled.scores(rows[:8])[3]["plan"] == 1  # "enterprise"
    assert compiled.scores(rows[: fast.SMALL + 1]) is None  # the pipeline's: compiled code


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("x01", "abc", "rows[1]: column x01: expected numbers, found 'abc' (1 row(s))"),
        ("x01", True, "rows[1]: column x01: expected a number, found true"),
        ("x01", 1e39, "rows[1]: column x01: expected a number within ±3.4e+38, found 1e+39"),
        ("newsletter", "maybe", "rows[1]: column newsletter: expected true/false, found "
         "'maybe' (1 row(s))"),
        ("x00", [1], "rows[1]: column x00: expected a number, text, true/false or null, "
         "found list"),
    ],
)  # fmt: skip
def test_a_bad_value_gets_the_pipelines_message(model_and_rows, column, value, message):
    """A value the pipeline refuses is not taken by the fast path: its message names the
    row and the column, as without a fast path."""
    model, rows = model_and_rows
    if column not in model.features:
        return  # a table without that column ("numbers only" has no yes/no one)
    bad = [rows[0], {**rows[1], column: value}]
    with pytest.raises(ProjectError) as raised:
        as_serve(scored, model, bad)
    assert str(raised.value) == message


def test_values_the_fast_path_does_not_take_go_the_pipelines_way(model_and_rows):
    """A yes/no as text, a number as a category, a number as text: scored by the pipeline,
    as before."""
    model, rows = model_and_rows
    compiled = fast.compiled(model)
    changes = {"x00": "1.5", "newsletter": "yes", "plan": 5}
    for column, value in changes.items():
        if column not in model.features:
            continue
        changed = [rows[0], {**rows[1], column: value}]
        assert compiled.scores(changed) is None
        first = as_serve(scored, model, changed)["predictions"][0]
        assert first == as_serve(scored, model, rows[:1])["predictions"][0]
