"""Operating a model in production, run by the local workflow runner with the S3 remote on
moto's server: the scheduled drift check opens one issue (then updates it) and starts
retraining; retraining refreshes imported data and proposes the changed model as a pull
request, which goes through the gate like any other."""

import re

import pandas as pd
import yaml
from markdown_it import MarkdownIt

from .conftest import READ_SECRETS, SECRETS, WRITER, edit_yaml, git

ISSUE_STEP = "Open or update the drift issue"
REPORT_STEP = "Check dvc.lock, reproduce, compare, report"

# A batch whose first five features are 60% larger and one feature partly missing.
SHIFT = """
import sys
from pathlib import Path
import pandas as pd
Path(sys.argv[2]).parent.mkdir(parents=True, exist_ok=True)
rows = pd.read_parquet("data/prepared/test.parquet").drop(columns="target")
rows = rows.reset_index(drop=True)
if sys.argv[1] == "shifted":
    rows[list(rows.columns[:5])] *= 2.5
    rows.iloc[:30, 7] = None
if sys.argv[2].endswith(".csv"):
    rows.to_csv(sys.argv[2], index=False)
else:
    rows.to_parquet(sys.argv[2], index=False)
"""
# The warehouse's table: the prepared rows, with `extra` more rows resampled (seeded).
WAREHOUSE = """
import sys
import pandas as pd
rows = pd.concat([pd.read_parquet(f"data/prepared/{part}.parquet") for part in ("train", "test")])
rows = rows.sort_index().reset_index(drop=True)
extra = int(sys.argv[2])
rows = pd.concat([rows, rows.sample(n=extra, random_state=7)]) if extra else rows
rows.to_csv(sys.argv[1], index=False)
"""

# Column names that are live Markdown on GitHub (a heading, a link, a remote image, HTML, a
# team mention, backticks, pipes, line breaks), as new columns of a batch and, all in one,
# as a value of its first feature.
HOSTILE = (
    "# Heading",
    "[click](https://evil.example)",
    "![x](https://evil.example/pixel.png)",
    "<img src=https://evil.example/i.png>",
    "@org/team",
    "tick`s ``and`` runs`",
    "a|b \\| c\\",
    "two\nlines\r\n## Heading",
)
HOSTILE_BATCH = f"""
import sys
from pathlib import Path
import pandas as pd
Path(sys.argv[1]).parent.mkdir(parents=True, exist_ok=True)
names = {HOSTILE!r}
rows = pd.read_parquet("data/prepared/test.parquet").drop(columns="target")
rows = rows.assign(**dict.fromkeys(names, 1.0)).astype({{rows.columns[0]: object}})
rows.loc[rows.index[0], rows.columns[0]] = " ".join(names)
rows.to_csv(sys.argv[1], index=False)
"""


def state(repo) -> dict:
    return yaml.safe_load(repo.gh.state_file.read_text(encoding="utf-8"))


def test_drift_opens_one_issue_and_retraining_proposes_a_gated_pull_request(trained, s3, tmp_path):
    repo = trained(s3, SECRETS, dvc_remote="s3", dvc_remote_url="s3://models/churn")
    project, gh = repo.project, repo.gh  # v1.0.0 in production
    git(project, "checkout", "-q", "main")

    # The data now comes from a warehouse: imported with DVC, refreshed by retraining.
    warehouse = tmp_path / "warehouse.csv"
    repo.sh("python", "-c", WAREHOUSE, str(warehouse), "0")
    repo.sh("dvc", "import-url", str(warehouse), "data/raw/dataset.csv")
    edit_yaml(project / "params.yaml", lambda p: p["prepare"].update(source="file"))

    def operate(lifecycle):
        lifecycle["monitoring"]["retrain_on_drift"] = True
        lifecycle["retraining"]["update"] = ["data/raw/dataset.csv.dvc"]

    edit_yaml(project / "lifecycle.yaml", operate)
    # The newest batch, tracked with DVC: its rows drifted.
    repo.sh("python", "-c", SHIFT, "shifted", "data/incoming/batch.parquet")
    repo.sh("dvc", "add", "data/incoming/batch.parquet")
    repo.sh("dvc", "repro")
    repo.sh("dvc", "push", "--run-cache")
    repo.commit("Train on the warehouse's data; monitor the newest batch")

    # An unshifted batch, on a laptop, against a version (the README's command): no drift.
    monitor = ("python", "-m", "churn_model", "monitor", "build/same.csv", "--version", "v1.0.0")
    same = repo.sh(*monitor, check=False)
    assert "build/same.csv: file not found (the batch argument" in same.stderr
    repo.sh("python", "-c", SHIFT, "same", "build/same.csv")
    same = repo.sh(*monitor, check=False)
    assert same.returncode == 0, same.stderr
    assert "monitor: No drift: 0 of 30 features drifted" in same.stdout

    # The scheduled check: drift, so the run fails, one issue opens, retraining starts.
    # Monitoring reads the remote with the read-only identity.
    checked = repo.run("monitor.yaml", "schedule", gh.schedule_event("23 6 * * *"), READ_SECRETS)
    job = checked.jobs["monitor"]
    assert job.conclusion == "failure" and job.step("monitor").outcome == "failure"
    # the five shifted features and the one with gaps (and any other that drifts by chance)
    found = re.search(
        r"monitor: Drift found: (\d+) of 30 features drifted, the predictions", job.log
    )
    assert found and int(found[1]) >= 6, job.log
    drifted = {row.split("`")[1] for row in job.summary.splitlines() if "| ❌" in row}
    test_rows = pd.read_parquet(project / "data" / "prepared" / "test.parquet")
    shifted = {str(name) for name in test_rows.columns.drop("target")[[0, 1, 2, 3, 4, 7]]}
    assert shifted <= drifted, job.summary
    assert job.step(ISSUE_STEP).outcome == "success", job.log
    assert f"**Drift found: {found[1]} of 30 features drifted, the predictions drifted.**" in (
        job.summary
    )
    [issue] = state(repo)["issues"]
    assert issue["title"] == "Drift: churn-model v1.0.0 (prod)"
    assert issue["labels"] == ["model-drift"] and issue["state"] == "open"
    assert "| `mean radius` |" in issue["body"]
    rows = len(pd.read_parquet(project / "data" / "incoming" / "batch.parquet"))
    assert f"❌ missing 0.0% → {30 / rows:.1%}" in issue["body"]
    assert checked.jobs["retrain"].permissions == {
        "actions": "write", "contents": "read", "metadata": "read"
    }  # fmt: skip
    assert state(repo)["dispatches"] == [{"workflow": "retrain.yaml", "ref": "main"}]

    # Checked again by hand: the same issue is updated and commented, no second one.
    again = repo.run(
        "monitor.yaml", "workflow_dispatch", gh.dispatch_event(), READ_SECRETS,
        inputs={"batch": "data/incoming/batch.parquet"},
    )  # fmt: skip
    assert again.jobs["monitor"].step(ISSUE_STEP).outcome == "success"
    [issue] = state(repo)["issues"]
    assert issue["edits"] == 1
    [comment] = gh.comments(issue["number"])
    assert comment["body"].startswith("Checked again on `data/incoming/batch.parquet`")

    # Retraining as the monitor asked, on unchanged data: the same model, no pull request.
    retrain = repo.run(
        "retrain.yaml", "workflow_dispatch", gh.dispatch_event(), environments=WRITER
    )
    job = retrain.jobs["retrain"]
    assert job.conclusion == "success", job.log
    assert "retrain: the model did not change" in job.log
    assert job.step("Open the pull request").outcome == "skipped"
    assert state(repo)["pulls"] == []

    # The warehouse gets new rows: retraining proposes the new model on a new branch.
    repo.sh("python", "-c", WAREHOUSE, str(warehouse), "120")
    # On a machine with an untracked file (a credentials file, say), retraining commits
    # only what the pipeline and the refresh changed.
    laptop = tmp_path / "laptop"
    git(tmp_path, "clone", "-q", str(gh.origin), str(laptop))
    (laptop / "credentials.json").write_text('{"key": "secret"}\n', encoding="utf-8")
    repo.sh("python", "-m", "churn_model", "retrain", cwd=laptop)
    committed = git(laptop, "show", "--name-only", "--format=", "HEAD").split()
    assert "credentials.json" not in committed and "dvc.lock" in committed, committed
    assert git(laptop, "status", "--porcelain") == "?? credentials.json"
    retrain = repo.run(
        "retrain.yaml", "workflow_dispatch", gh.dispatch_event(), environments=WRITER
    )
    job = retrain.jobs["retrain"]
    assert job.conclusion == "success", job.log
    assert job.permissions == {
        "contents": "write", "id-token": "write", "metadata": "read", "pull-requests": "write"
    }  # fmt: skip
    [pull] = state(repo)["pulls"]
    branch = pull["head"]["ref"]
    assert branch.startswith("retrain/") and pull["base"]["ref"] == "main"
    assert pull["labels"] == ["retraining"] and "_auto_merge" not in pull
    assert pull["body"].startswith("> [!NOTE]\n> Opened with the workflow's own token")
    assert "- data refreshed with `dvc update`: data/raw/dataset.csv.dvc" in pull["body"]
    changed = git(gh.origin, "diff", "--name-only", "main", branch).split()
    assert {"dvc.lock", "data/raw/dataset.csv.dvc", "eval/metrics.json"} <= set(changed)
    assert gh.tip("refs/heads/main") == git(project, "rev-parse", "main")  # main untouched

    # Its checks (read-only on the remote) run the gate; the stage results the
    # retraining pushed from main are fetched.
    gh.synchronize(pull["number"])
    checked = repo.pull_request(pull["number"], "opened", secrets=READ_SECRETS)
    log = checked.jobs["train"].step(REPORT_STEP).log
    assert "Running stage" not in log, log
    [comment] = gh.comments(pull["number"])
    assert "Model report" in comment["body"]


def inert(body: str) -> list[str]:
    """The text of ``body``'s code spans, checking that nothing else in it is a link, an
    image, HTML (but the report's own <details>), a mention, a heading from data, or a
    table row with more or fewer cells than its header (read as CommonMark with GitHub's
    tables, which split a row at its unescaped pipes before reading code spans)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    inline = [child for token in tokens for child in token.children or []]
    assert not [t.type for t in inline if t.type in ("link_open", "image", "html_inline")]
    blocks = [t.content.strip() for t in tokens if t.type == "html_block"]
    assert all(re.fullmatch(r"<details><summary>[^<>]*</summary>|</details>", b) for b in blocks)
    text = "".join(t.content for t in inline if t.type != "code_inline")
    assert not [live for live in ("evil", "@", "<img", "`", "Heading") if live in text], text
    widths: list[int] = []  # cells per row of the current table
    for token in tokens:
        if token.type == "table_open":
            widths = []
        elif token.type == "tr_open":
            widths.append(0)
        elif token.type in ("th_open", "td_open"):
            widths[-1] += 1
        elif token.type == "table_close":
            assert len(set(widths)) == 1, widths
    return [t.content for t in inline if t.type == "code_inline"]


def test_a_batchs_names_and_values_are_inert_in_the_drift_issue(trained, s3):
    """A batch whose new columns and a value hold Markdown, HTML, a mention, backticks,
    pipes and line breaks: the drift issue shows each as written, in code spans, and none
    of them does anything."""
    repo = trained(s3, SECRETS, dvc_remote="s3", dvc_remote_url="s3://models/churn")
    git(repo.project, "checkout", "-q", "main")
    repo.sh("python", "-c", HOSTILE_BATCH, "data/incoming/hostile.csv")
    repo.commit("A batch with hostile names")
    checked = repo.run(
        "monitor.yaml", "workflow_dispatch", repo.gh.dispatch_event(), READ_SECRETS,
        inputs={"batch": "data/incoming/hostile.csv"},
    )  # fmt: skip
    job = checked.jobs["monitor"]
    assert job.step(ISSUE_STEP).outcome == "success", job.log
    [issue] = state(repo)["issues"]
    spans = inert(issue["body"])
    for name in HOSTILE:
        shown = " ".join(re.split(r"[\r\n]+", name))
        assert any(shown in span for span in spans), (shown, issue["body"])
    # the value, cut to its first characters, in a code span as long as it needs
    retyped = r"- ❌ retyped: (`+) ?column mean radius: expected numbers, found '"
    assert re.search(retyped, issue["body"]), issue["body"]
