"""The generated pull-request workflows, run: `pr.yaml` for each pull-request event, then
`pr-comment.yaml` for the `workflow_run` that follows, by the local workflow runner
(harness/runner.py). A bare repository is `origin`; GitHub's API and CML are the
stand-ins in harness/runner/standins, which record the comment that would be posted.
"""

import importlib.util
import re

from harness.runner import GitHub

from .conftest import (
    RATE_CHANGE,
    SECRETS,
    Repository,
    edit_yaml,
    git,
    hgb,
    other_platform,
)

REPORT_STEP = "Check dvc.lock, reproduce, compare, report"
WATERMARK_LINE = "<!-- cml watermark: model-report -->"  # what the CML stand-in adds
# The comment's first line, from the run's conclusion in the workflow_run event.
SUCCEEDED = "✅ **This pull request's check succeeded** (its *Pull request* run).\n\n"
FAILED = (
    "❌ **This pull request's check failed** (its *Pull request* run): the report below "
    "is not a passing verdict, whatever it says.\n\n"
)
ZWJ = "\u200d"  # after every "@" of a posted report: it mentions no one


def post_module(project):
    """The generated project's review/post.py (standard library only), for its MARKER
    and AUTHOR."""
    path = project / "src" / "churn_model" / "review" / "post.py"
    spec = importlib.util.spec_from_file_location("generated_post", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Stands in for an attack of code the owners did not review: evaluate.py scores with
# the test rows' own targets (CODEOWNERS now asks their review for every file of src/).
TAMPERED_EVALUATE = '''
def _truth(model, features, progress=None):  # noqa: ARG001 (predict_counted's signature)
    """The attack: predictions that are the test rows' own targets."""
    import numpy as np
    import pandas as pd

    actual = pd.read_parquet(paths.TEST)[model.target].loc[features.index]
    probabilities = None
    if model.classes:
        probabilities = np.array(
            [[1.0 if value == label else 0.0 for label in model.classes] for value in actual]
        )
    return actual.rename("predicted"), probabilities


predict_counted = _truth
'''


def test_one_comment_follows_the_pull_request_from_pass_to_fail(trained, tmp_path):
    """Improvement (passes), then a push that regresses past the gate (the job fails and
    the comment says why), then a push with a stale lock: one comment, updated each time.
    The developer is on another platform (other bytes whatever the thread setting): CI
    trains again, says so, and checks the metrics on the same rows, not the bytes. The
    regressing push also has evaluate.py report the targets as its predictions (a
    perfect eval/metrics.json): the review scores the model itself and says so."""
    repo = trained()
    gh = repo.gh
    repo.laptop = other_platform(tmp_path / "other-platform")
    repo.propose(
        lambda p: hgb(p).update(learning_rate=0.05),
        "Lower the rate",
    )
    number = gh.open_pull_request("proposal")
    post = post_module(repo.project)
    # A busy pull request: 31 comments before the report's, one of them a copy of a
    # report with CML's watermark and the workflow's marker. The report's comment is
    # beyond the first page (30), and the copy is not the workflow's own.
    copy = f"an old report, pasted\n{WATERMARK_LINE}\n{post.MARKER}\n"
    pasted = gh.add_comment(number, copy)
    for index in range(30):
        gh.add_comment(number, f"review note {index}")

    def workflow_comments() -> list[dict]:
        return [c for c in gh.comments(number) if c["user"] == post.AUTHOR]

    checked = repo.pull_request(number, "opened")
    job = checked.jobs["train"]
    assert job.conclusion == "success", job.log
    assert "dvc repro --pull" not in job.step(REPORT_STEP).log  # CI can't reach a folder
    assert job.summary.startswith("## ✅ Model report: the gate passes")
    assert "Production = base `v1.0.0`" in job.summary  # one commit: one column
    assert "substituted" not in job.log
    assert "🔁 CI made `models/model.joblib` again with other bytes" in job.summary
    assert "its metrics match the committed ones within their intervals" in job.summary
    assert RATE_CHANGE in job.summary
    # a fresh runner has neither the baselines' models nor the folder remote: said so
    assert "is in neither the DVC cache nor a reachable DVC remote" in job.summary
    [first] = workflow_comments()
    assert first["body"].startswith(SUCCEEDED + repo.report(checked).replace("@", "@" + ZWJ))
    assert WATERMARK_LINE in first["body"]

    # The push that trains far less also relaxes every rule of the gate: the pull
    # request is judged by the base branch's gate all the same, and the edit is shown.
    def relax(lifecycle):
        for rule in lifecycle["gate"]["metrics"].values():
            rule.update(min=None, max=None, max_regression=None)

    edit_yaml(repo.project / "lifecycle.yaml", relax)
    evaluate = repo.project / "src" / "churn_model" / "pipeline" / "evaluate.py"
    source = evaluate.read_text(encoding="utf-8")
    main_at = source.index("\ndef main(")
    evaluate.write_text(source[:main_at] + TAMPERED_EVALUATE + source[main_at:], encoding="utf-8")
    repo.propose(
        lambda p: p["train"]["hyperparameters"].update(
            hist_gradient_boosting={"max_iter": 1, "learning_rate": 0.01, "max_depth": 1}
        ),
        "Train far less, and relax the gate",
    )
    job = repo.pull_request(number, "synchronize").jobs["train"]
    assert job.conclusion == "failure"
    assert "> - `gate.metrics.f1.max_regression`: 0.02 → None" in job.summary
    assert job.step(REPORT_STEP).outcome == "success"
    assert job.step("Keep the report").outcome == "success"
    assert job.step("Gate").outcome == "failure"
    assert "the evaluate stage reports other metrics than this model earns" in job.summary
    [second] = workflow_comments()
    assert second["id"] == first["id"]
    assert second["body"].startswith(FAILED + "## ❌ Model report: the gate fails")
    assert re.search(
        r"- ❌ `\w+` is [0-9.]+ worse than production and base \(v1.0.0\)", second["body"]
    )

    repo.propose(
        lambda p: hgb(p).update(max_iter=80),
        "Tune",
        repro=False,
    )
    job = repo.pull_request(number, "synchronize").jobs["train"]
    assert job.conclusion == "failure"
    [third] = workflow_comments()
    assert third["id"] == first["id"]
    assert "`dvc.lock` does not match this pull request (stage train: " in third["body"]
    assert "run `dvc repro --pull`, then commit `dvc.lock` and `eval/`" in third["body"]
    assert [c["body"] for c in gh.comments(number) if c["id"] == pasted] == [copy]
    assert len(gh.comments(number)) == 32


def test_fork_pull_request_gets_no_secrets_but_a_report_and_a_comment(trained, s3, tmp_path):
    """A fork's PR that relaxes the gate: no secrets and a read-only token, so no remote;
    the pipeline runs from scratch, the report flags the gate edit, and the comment is
    posted by the workflow_run workflow (whose payload lists no pull request for forks)."""
    repo = trained(s3, SECRETS, dvc_remote="s3", dvc_remote_url="s3://models/churn")
    fork = tmp_path / "fork.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.gh.origin), str(fork))
    git(repo.project, "remote", "add", "fork", str(fork))
    edit_yaml(
        repo.project / "lifecycle.yaml", lambda d: d["gate"]["metrics"]["f1"].update(min=0.5)
    )
    repo.commit("Relax the gate", remote="fork")
    number = repo.gh.open_pull_request("proposal", fork=fork)

    checked = repo.run("pr.yaml", "pull_request", repo.gh.event(number), SECRETS)
    job = checked.jobs["train"]
    assert job.conclusion == "success", job.log
    assert job.permissions == {"contents": "read", "metadata": "read"}
    assert "dvc repro --pull" not in job.step(REPORT_STEP).log
    assert "Running stage 'prepare'" in job.step(REPORT_STEP).log
    verdict = job.summary.split("### Metrics")[0]
    assert "> [!WARNING]" in verdict
    assert "It is judged by the base branch's gate; the new one applies once merged" in verdict
    assert "> - `gate.metrics.f1.min`: 0.8 → 0.5" in verdict

    event = repo.gh.workflow_run_event(checked)
    assert event["workflow_run"]["pull_requests"] == []
    posted = repo.run("pr-comment.yaml", "workflow_run", event)
    assert posted.conclusion == "success", posted.log()
    [comment] = repo.gh.comments(number)
    assert comment["body"].startswith(SUCCEEDED + repo.report(checked).replace("@", "@" + ZWJ))


FORGED_REPORT = (
    "## ✅ Model report: the gate passes\n\n"
    "Every metric improves: approve and merge, @acme/ml (cc @alice, &#64;bob).\n"
)


FORGED_WORKFLOW = """name: Pull request
on: pull_request
permissions:
  contents: read
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - env:
          NUMBER: ${{ github.event.number }}
        run: |
          mkdir -p build/pr
          printf 'REPORT' > build/pr/report.md
          printf '{"number": %s}' "$NUMBER" > build/pr/pull-request.json
      - uses: UPLOAD
        with:
          name: pr-report
          path: build/pr/
      - run: exit 1
"""


def test_a_forks_passing_report_of_a_failed_run_is_posted_failed(baked, tmp_path, project_env):
    """A fork writes its own run, report included: here its workflow uploads a report
    that says the gate passes, then fails. The comment opens with GitHub's conclusion
    of that run, whatever the report says, and the report mentions no one."""
    project = baked()
    repo = Repository(project, GitHub(tmp_path / "github"), project_env)
    git(project, "push", "-q", "origin", "main")
    fork = tmp_path / "fork.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo.gh.origin), str(fork))
    git(project, "remote", "add", "fork", str(fork))
    git(project, "checkout", "-q", "-b", "proposal")
    workflow = project / ".github" / "workflows" / "pr.yaml"
    text = workflow.read_text(encoding="utf-8")
    [upload] = re.findall(r"uses: (actions/upload-artifact@[0-9a-f]{40})", text)
    forged = FORGED_WORKFLOW.replace("UPLOAD", upload)
    report = FORGED_REPORT.replace("\n", "\\n")  # for printf
    workflow.write_text(forged.replace("REPORT", report), encoding="utf-8")
    repo.commit("Report a pass, whatever happens", remote="fork")
    number = repo.gh.open_pull_request("proposal", fork=fork)

    checked = repo.run("pr.yaml", "pull_request", repo.gh.event(number))
    assert checked.conclusion == "failure", checked.log()
    assert repo.report(checked) == FORGED_REPORT
    event = repo.gh.workflow_run_event(checked)
    assert event["workflow_run"]["conclusion"] == "failure"
    posted = repo.run("pr-comment.yaml", "workflow_run", event)
    assert posted.conclusion == "success", posted.log()
    [comment] = repo.gh.comments(number)
    assert comment["body"].startswith(FAILED + "## ✅ Model report: the gate passes\n")
    assert f"@{ZWJ}acme/ml (cc @{ZWJ}alice, @{ZWJ}bob)" in comment["body"]
    assert not re.search(r"@(?!\u200d)|&#64;", comment["body"])


def test_first_model_gets_a_first_run_report(baked, tmp_path, project_env):
    """main has no model yet: the pull request that trains the first one gets a
    first-run report and passes."""
    project = baked(problem_type="regression")
    repo = Repository(project, GitHub(tmp_path / "github"), project_env)
    git(project, "push", "-q", "origin", "main")
    git(project, "checkout", "-q", "-b", "first-model")
    repo.sh("dvc", "repro")
    repo.commit("Train the first model")
    number = repo.gh.open_pull_request("first-model")
    job = repo.pull_request(number, "opened").jobs["train"]
    assert job.conclusion == "success", job.log
    [comment] = repo.gh.comments(number)
    assert "First run for base" in comment["body"]
    assert "First run for production" in comment["body"]
