"""Batch scoring with `predict`: chunked, schema-checked, all-or-nothing output; and the
check of a bundle before `serve --bundle` loads it. (Models from the registry are tested
on a real repository by the template's tests.)"""

import asyncio
import hashlib
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.operate.bundle import Served, from_bundle, write_bundle
from {{ cookiecutter.package_name }}.operate.serve import app
from {{ cookiecutter.package_name }}.pipeline.model import save
from {{ cookiecutter.package_name }}.scoring import predict

from .conftest import fit, mixed_table


def run(*arguments) -> int:
    return main(["predict", *map(str, arguments)])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """Fits each problem type's model once for this module's tests."""
    made = {}

    def get(problem_type: str, table: pd.DataFrame):
        if problem_type not in made:
            path = tmp_path_factory.mktemp(problem_type) / "model.joblib"
            model = fit(table, problem_type)
            save(model, path)
            made[problem_type] = model, path
        return made[problem_type]

    return get


@pytest.fixture
def model_file(tmp_path, table, problem_type, fitted):
    """The module's model of this problem type, in a file of this test's own."""
    model, saved = fitted(problem_type, table)
    path = tmp_path / "model.joblib"
    shutil.copyfile(saved, path)
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
        (lambda f: f.assign(x02="high"), "column x02: expected numbers, found 'high'"),
        (lambda f: f.assign(x02=float("-inf")), "column x02: expected numbers, found -inf"),
        (lambda f: f.assign(x02=1e300), "column x02: expected numbers, found 1e+300"),
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


def test_the_raw_table_is_scored_with_its_ids_carried(tmp_path, problem_type, capsys):
    """A raw batch (text, yes/no, dates, an ID, extra columns) is scored; the ID goes to the
    output, unseen categories and the columns left out are said."""
    frame = mixed_table(problem_type)
    model = fit(frame.iloc[:250], problem_type, ids=["customer_id"])
    save(model, tmp_path / "model.joblib")
    batch = frame.iloc[250:].drop(columns="target").assign(note="extra")
    batch.loc[batch.index[0], "plan"] = "enterprise"
    batch.to_csv(tmp_path / "batch.csv", index=False)
    assert (
        run(tmp_path / "batch.csv", tmp_path / "out.csv", "--model", tmp_path / "model.joblib")
        == 0
    )
    out = capsys.readouterr().out
    assert "1 row(s) have a value of 'plan' unseen in training" in out
    assert "columns the model does not read, left out: note" in out
    scored = pd.read_csv(tmp_path / "out.csv")
    assert list(scored["customer_id"]) == list(batch["customer_id"])
    assert list(scored.columns[:3]) == ["customer_id", "row", "predicted"]


def test_a_header_only_input_has_no_rows_to_score(tmp_path, table, model_file, capsys):
    _, path = model_file
    source = tmp_path / "batch.csv"
    source.write_text(",".join(table.drop(columns="target").columns) + "\n", encoding="utf-8")
    assert run(source, tmp_path / "out.csv", "--model", path) == 1
    assert "no rows to score" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage"])
def test_a_damaged_model_file_is_an_error_naming_it(tmp_path, model_file, capsys, damage):
    _, path = model_file
    data = path.read_bytes()
    damaged = {"empty": b"", "truncated": data[: len(data) // 2], "garbage": b"not a pickle"}
    path.write_bytes(damaged[damage])
    source = tmp_path / "batch.csv"
    source.write_text("x00\n1\n", encoding="utf-8")
    assert run(source, tmp_path / "out.csv", "--model", path) == 1
    error = capsys.readouterr().err
    assert f"error: {path}: not a readable model file" in error
    assert "Traceback" not in error


def test_a_bundle_loads_only_with_the_md5_it_must_have(tmp_path, model_file, monkeypatch):
    """`serve --bundle` loads a bundle's model file only if its md5 is MODEL_MD5's (as in
    the image), never asking the bundle; outside a git checkout without MODEL_MD5 it
    refuses, saying how to give it."""
    model, path = model_file
    data = path.read_bytes()
    folder = tmp_path / "bundle"
    write_bundle(Served("a-model", "v1.0.0", None, None), data, folder)
    monkeypatch.chdir(tmp_path)  # no lifecycle.yaml here, no git checkout
    monkeypatch.delenv("MODEL_MD5", raising=False)
    with pytest.raises(ProjectError, match=r"no md5 to check its model file against.*MODEL_MD5"):
        from_bundle(str(folder))
    monkeypatch.setenv("MODEL_MD5", "0" * 32)
    with pytest.raises(ProjectError, match=r"are not the ones MODEL_MD5 names.*refused before"):
        from_bundle(str(folder))
    monkeypatch.setenv("MODEL_MD5", "not an md5")
    with pytest.raises(ProjectError, match="not an md5"):
        from_bundle(str(folder))
    monkeypatch.setenv("MODEL_MD5", hashlib.md5(data).hexdigest())
    served, loaded = from_bundle(str(folder))
    assert served == Served("a-model", "v1.0.0", None, None)
    assert loaded.features == model.features


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("a-file/scored.csv", "cannot be written: {root}/a-file is a file, not a folder"),
        ("a-file/more/scored.csv", "cannot be written: {root}/a-file is a file, not a folder"),
        ("a-folder.csv", "cannot be written: it is a folder"),
    ],
)
def test_an_output_that_cannot_be_written_is_named(tmp_path, model_file, capsys, output, message):
    """An output path under a file, or a folder's, is an error naming it and why, before
    anything is scored; nothing is left behind."""
    _, path = model_file
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    (tmp_path / "a-folder.csv").mkdir()
    source = tmp_path / "batch.csv"
    source.write_text("x00\n1\n", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    assert run(source, tmp_path / output, "--model", path) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {tmp_path / output}: {message.format(root=tmp_path)}")
    assert sorted(tmp_path.rglob("*")) == before


def test_a_failed_predict_removes_the_folders_it_made(tmp_path, table, model_file, capsys):
    """The output's missing folders are made for it, and removed again when scoring
    fails: nothing is left behind."""
    _, path = model_file
    source = tmp_path / "batch.csv"
    table.drop(columns=["target", "x01"]).to_csv(source, index=False)
    assert run(source, tmp_path / "new" / "deeper" / "scored.csv", "--model", path) == 1
    assert "missing x01" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


COMPRESSED = {  # the magic bytes joblib.load decompresses by, then garbage
    "zlib": b"\x78\x9c",
    "gzip": b"\x1f\x8b",
    "bz2": b"BZh",
    "xz": b"\xfd7zXZ",
    "lzma": b"\x5d\x00\x00",
}


@pytest.mark.parametrize("kind", COMPRESSED)
def test_a_compressed_garbage_model_file_is_an_error_naming_it(tmp_path, capsys, kind):
    """A file that starts like a compressed joblib file but is not one is named, with how
    to get the model back; not a decompressor's traceback."""
    path = tmp_path / "model.joblib"
    path.write_bytes(COMPRESSED[kind] + b"\x00not a model at all" * 8)
    source = tmp_path / "batch.csv"
    source.write_text("x00\n1\n", encoding="utf-8")
    assert run(source, tmp_path / "out.csv", "--model", path) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {path}: not a readable model file")
    assert "dvc pull" in error and "dvc checkout" in error
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("[1, 2]", "expected a JSON object, found a list"),
        ('{"model": "a-model", "version": "v1.0.0"', "not valid JSON"),
        (
            '{"model": "a-model", "version": "v1.0.0", "stage": null, "commit": 5}',
            "commit: expected text or null, found 5",
        ),
        ('{"model": "a-model", "stage": null, "commit": "abc"}', "version: required key"),
    ],
)
def test_a_bundle_s_damaged_metadata_is_named(tmp_path, capsys, monkeypatch, metadata, message):
    """A bundle's metadata.json of another shape is named with the field and what was
    expected, by `verify-bundle` and by `serve --bundle`, before its model is read."""
    folder = tmp_path / "bundle"
    write_bundle(Served("a-model", "v1.0.0", None, "abc"), b"a model", folder)
    (folder / "metadata.json").write_text(metadata, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["verify-bundle", "v1.0.0", "--bundle", str(folder)]) == 1
    assert capsys.readouterr().err.startswith(f"error: {folder / 'metadata.json'}: {message}")
    monkeypatch.setenv("MODEL_MD5", hashlib.md5(b"a model").hexdigest())
    with pytest.raises(ProjectError, match=f"^{re.escape(str(folder / 'metadata.json'))}: "):
        from_bundle(str(folder))


@pytest.fixture(scope="module")
def service_and_rows():
    """The HTTP service of a classification model with an ID column, and two rows for it."""
    frame = mixed_table("classification", rows=120)
    model = fit(frame, "classification", ids=["customer_id"])
    rows = json.loads(frame.drop(columns="target").head(2).to_json(orient="records"))
    return app(Served("a-model", "v1.0.0", None, None), model), rows


def post(service, body: bytes) -> tuple[int, dict]:
    """POST ``body`` to ``service``'s /predict in this process, as uvicorn hands it over."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/predict", "raw_path": b"/predict", "root_path": "",
        "query_string": b"", "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    asyncio.run(service(scope, receive, send))
    status = next(item["status"] for item in sent if item["type"] == "http.response.start")
    answer = b"".join(item.get("body", b"") for item in sent if item["type"].endswith("body"))
    return status, json.loads(answer)


@pytest.mark.parametrize(
    ("value", "column", "message"),
    [
        ("1" + "0" * 400, "x01", "rows[1]: column x01: expected a number within ±3.4e+38, "
         "found a number of 401 digits"),
        ("-1" + "0" * 400, "plan", "rows[1]: column plan: expected a number within ±3.4e+38"),
        ("1e300", "x01", "rows[1]: column x01: expected a number within ±3.4e+38, found 1e+300"),
        ("Infinity", "x01", "rows[1]: column x01: expected a number within ±3.4e+38, found inf"),
        ("NaN", "newsletter", "rows[1]: column newsletter: expected a number within ±3.4e+38"),
        ("9" * 5_000, "x01", "the body holds a number of over 4,300 digits"),
    ],
)  # fmt: skip
def test_serve_refuses_numbers_out_of_range_with_a_short_4xx(
    service_and_rows, value, column, message
):
    """A JSON number no model computes with (400 digits, 1e300, Infinity, NaN) is a 4xx
    naming the row and the column, its answer short (the number is not echoed); 5,000
    digits are refused by Python's own guard as the body is parsed."""
    service, rows = service_and_rows
    body = json.dumps({"rows": rows})
    assert post(service, body.encode())[0] == 200
    placeholder = json.dumps({"rows": [rows[0], {**rows[1], column: "PLACEHOLDER"}]})
    status, answer = post(service, placeholder.replace('"PLACEHOLDER"', value).encode())
    assert status in (400, 422) and message in json.dumps(answer, ensure_ascii=False)
    assert len(json.dumps(answer)) < 500


# The training stack: what pyproject.toml's `serve` group (the image's environment) leaves
# out, as the modules it would import under.
TRAINING_STACK = {"dvc", "dvc_data", "dvc_objects", "dvclive", "gto", "scmrepo", "dulwich"}


def test_serving_imports_nothing_of_the_training_stack():
    """`serve` with everything it loads at start (the bundle's loader, FastAPI, uvicorn)
    imports no module of the training stack: the image holds only the `serve` group."""
    code = (
        "import sys, fastapi, uvicorn\n"
        "from {{ cookiecutter.package_name }}.cli import main\n"
        "from {{ cookiecutter.package_name }}.operate import bundle, serve\n"
        "print(*sorted({name.partition('.')[0] for name in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported = set(done.stdout.split())
    assert {"{{ cookiecutter.package_name }}", "fastapi", "uvicorn", "sklearn"} <= imported
    assert not TRAINING_STACK & imported, sorted(TRAINING_STACK & imported)
