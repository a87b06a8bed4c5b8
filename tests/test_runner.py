"""The local GitHub Actions runner (harness/runner.py) and its stand-ins, on tiny
hand-written workflows against a real git repository pushed to the emulated origin."""

import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.runner import (
    Ctx,
    Environment,
    Evaluator,
    GitHub,
    RunnerError,
    hash_files,
    run_workflow,
)
from harness.runner.standins import localgh

from .conftest import git

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
CACHE = "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae"
UPLOAD = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"
DOWNLOAD = "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"
SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97"
SETUP_CML = "iterative/setup-cml@f12ea7685438c1fc438d50f77519b3860cf5fa98"


def workflow(tmp_path: Path, text: str, name: str = "wf.yaml") -> Path:
    path = tmp_path / "workflows" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def commit(work: Path, files: dict[str, str], message: str) -> str:
    for name, content in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(content, encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", message)
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path):
    """A GitHub with a main branch (tagged v1) and a clone to push from."""
    gh = GitHub(tmp_path / "github")
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "--quiet", "--initial-branch=main")
    commit(
        work, {"README.md": "hello\n", "data.txt": "main\n", ".python-version": "3.11\n"}, "one"
    )
    git(work, "tag", "v1")
    git(work, "remote", "add", "origin", str(gh.origin))
    git(work, "push", "--quiet", "origin", "main", "--tags")
    return gh, work


def open_pr(gh: GitHub, work: Path, branch: str, files: dict[str, str]) -> int:
    git(work, "checkout", "--quiet", "-B", branch, "main")
    commit(work, files, f"change on {branch}")
    git(work, "push", "--quiet", "--force", "origin", branch)
    git(work, "checkout", "--quiet", "main")
    return gh.open_pull_request(branch)


# ---------------------------------------------------------------------- expressions

EVENT = {"pull_request": {"number": 7, "head": {"ref": "feature"}}, "list": ["a", "B"]}


def evaluate(text: str, **contexts):
    base = {
        "github": Ctx("github", {"event": EVENT, "event_name": "pull_request", "ref": "x"}),
        "env": Ctx("env", {"EMPTY": "", "NAME": "Model"}, strict=False),
        "secrets": Ctx("secrets", {"GITHUB_TOKEN": "t"}, strict=False),
    }
    return Evaluator("test", {**base, **contexts}).expression(text)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 == 1.0", True),
        ("'abc' == 'ABC'", True),
        ("null == 0 && '' == 0 && '1' == 1 && true == 1", True),
        ("'a' != 'b'", True),
        ("NaN == NaN", False),
        ("1 < 2 && 'a' < 'B' && !(2 <= 1) && 3 >= 3 && 4 > 3", True),
        ("0x10 == 16 && -1 < 0 && 1e2 == 100 && 1.5 > 1", True),
        ("!0 && !'' && !null && !false", True),
        ("'' || 'x'", "x"),
        ("'a' && 'b'", "b"),
        ("0 && 'b'", 0),
        ("true || false && false", True),
        ("'it''s'", "it's"),
        ("contains('Hello', 'ELL') && contains(fromJSON('[1, 2]'), 2)", True),
        ("contains(github.event.list, 'b')", True),
        ("startsWith('Hello', 'he') && endsWith('Hello', 'LO')", True),
        ("format('{0}-{{x}}-{1}', 'a', 1)", "a-{x}-1"),
        ("join(github.event.list, ', ')", "a, B"),
        ("join('solo')", "solo"),
        ("toJSON(fromJSON('{\"a\": [1, 2]}'))", '{\n  "a": [\n    1,\n    2\n  ]\n}'),
        ("fromJSON('{\"a\": [1, 2]}').a[1]", 2),
        ("github.event.pull_request.number", 7),
        ("github['event']['PULL_REQUEST'].head.ref", "feature"),
        ("github.event.missing.deeper", None),
        ("env.NAME == 'model' && env.EMPTY == '' && env.UNSET == ''", True),
        ("secrets.NOT_SET != ''", False),
        ("github.event_name == 'pull_request' && github.event.pull_request.number > 5", True),
    ],
)
def test_expressions(expression, expected):
    assert evaluate(expression) == expected


def test_templates_render_values_as_github_does():
    evaluator = Evaluator("test", {"github": Ctx("github", {"n": 1.0, "event": EVENT})})
    assert evaluator.template("v${{ github.n }}-${{ true }}-${{ null }}-${{ 'a}}b' }}") == (
        "v1-true--a}}b"
    )
    assert evaluator.template("${{ github.n }}") == 1  # a lone expression keeps its type
    assert evaluator.template("${{ github.event }}-x") == "Object-x"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("foo()", "Unrecognized function: 'foo'"),
        ("bogus.x", "Unrecognized named-value: 'bogus'"),
        ("matrix.os", "context 'matrix' is not available"),
        ("1 ==", "unexpected end of expression"),
        ("'unterminated", "unexpected character"),
        ("github.nope", "github.nope does not exist"),
        ("contains('a')", "contains() takes 2 arguments"),
        ("success()", "only available in if:"),
        ("hashFiles('x')", "only available in steps"),
        ("github.event.*", "not emulated"),
        ("fromJSON('{')", "fromJSON: invalid JSON"),
    ],
)
def test_expression_errors_are_loud(expression, message):
    with pytest.raises(RunnerError, match=re.escape(message)):
        evaluate(expression)


def test_conditions_wrap_success_and_reject_mixed_text():
    def status(failed):
        return lambda name: {"success": not failed, "failure": failed}.get(name, name == "always")

    def condition(text, failed):
        return Evaluator("if", {"env": Ctx("env", {}, False)}, status(failed)).condition(text)

    assert condition("true", failed=False) and not condition("true", failed=True)
    assert condition("${{ always() }}", failed=True)
    assert condition("failure() && true", failed=True)
    assert condition(None, failed=False) and not condition("", failed=True)
    with pytest.raises(RunnerError, match="mixes"):
        condition("${{ env.X }} == 'y'", failed=False)


def test_hash_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "dvc.lock").write_text("one")
    (tmp_path / "a" / "other.txt").write_text("two")
    expected = hashlib.sha256(hashlib.sha256(b"one").digest()).hexdigest()
    assert hash_files(tmp_path, ["**/dvc.lock"]) == expected
    assert hash_files(tmp_path, ["a/*", "!a/other.txt"]) == expected
    assert hash_files(tmp_path, ["missing.lock"]) == ""


# ------------------------------------------------------------------------- triggers


def test_triggers(repo, tmp_path):
    gh, work = repo
    number = open_pr(gh, work, "feature", {"x.txt": "x\n"})
    only_opened = workflow(
        tmp_path,
        """
        on:
          pull_request:
            types: [opened]
            branches: [main]
        jobs:
          j: {runs-on: ubuntu-latest, steps: [{run: 'true'}]}
        """,
    )
    assert run_workflow(gh, only_opened, "pull_request", gh.event(number)).conclusion == "success"
    with pytest.raises(RunnerError, match=r"action 'synchronize' not in types \['opened'\]"):
        run_workflow(gh, only_opened, "pull_request", gh.event(number, "synchronize"))
    with pytest.raises(RunnerError, match="on: lists"):
        run_workflow(gh, only_opened, "push", gh.push_event("main"))

    chained = workflow(
        tmp_path,
        """
        on:
          workflow_run: {workflows: [Pull request], types: [completed]}
          push: {branches: ['release/**']}
          schedule: [{cron: '0 3 * * 1'}]
          workflow_dispatch:
            inputs:
              flag: {type: boolean, default: true}
              level: {type: choice, options: [low, high], default: low}
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ inputs.flag }} ${{ inputs.level }} ${{ github.event.inputs.flag }}"
        """,
        "chained.yaml",
    )
    earlier = run_workflow(gh, only_opened, "pull_request", gh.event(number))
    ok = run_workflow(gh, chained, "workflow_run", gh.workflow_run_event(earlier, "Pull request"))
    assert ok.sha == gh.tip("refs/heads/main") and ok.ref == "refs/heads/main"
    with pytest.raises(RunnerError, match="not in workflows"):
        run_workflow(gh, chained, "workflow_run", gh.workflow_run_event(earlier, "Other"))
    with pytest.raises(RunnerError, match="not in branches"):
        run_workflow(gh, chained, "push", gh.push_event("main"))
    assert run_workflow(gh, chained, "schedule", gh.schedule_event("0 3 * * 1")).jobs["j"]
    with pytest.raises(RunnerError, match="schedule"):
        run_workflow(gh, chained, "schedule", gh.schedule_event("0 4 * * 1"))
    dispatched = run_workflow(
        gh, chained, "workflow_dispatch", gh.dispatch_event(), inputs={"level": "high"}
    )
    assert "true high true" in dispatched.jobs["j"].steps[0].log
    with pytest.raises(RunnerError, match="unexpected workflow_dispatch inputs"):
        run_workflow(gh, chained, "workflow_dispatch", gh.dispatch_event(), inputs={"x": "1"})
    with pytest.raises(RunnerError, match="not in"):
        run_workflow(gh, chained, "workflow_dispatch", gh.dispatch_event(), inputs={"level": "x"})
    with pytest.raises(RunnerError, match="does not emulate the 'release' event"):
        run_workflow(gh, chained, "release", {})


def test_conflicting_pull_request_has_no_merge_ref(repo, tmp_path):
    gh, work = repo
    number = open_pr(gh, work, "clash", {"data.txt": "feature\n"})
    commit(work, {"data.txt": "main again\n"}, "main moves")
    git(work, "push", "--quiet", "origin", "main")
    gh.synchronize(number)
    assert gh.pull(number)["mergeable"] is False
    assert git(gh.origin, "for-each-ref", f"refs/pull/{number}").count("refs/pull") == 1
    wf = workflow(tmp_path, "on: pull_request\njobs: {j: {runs-on: x, steps: [{run: 'true'}]}}")
    with pytest.raises(RunnerError, match="merge conflicts"):
        run_workflow(gh, wf, "pull_request", gh.event(number, "synchronize"))


# --------------------------------------------------------------------- jobs, steps


def test_needs_if_status_functions_and_outcomes(repo, tmp_path):
    gh, _ = repo
    wf = workflow(
        tmp_path,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            outputs:
              color: ${{ steps.pick.outputs.color }}
            steps:
              - id: pick
                run: echo "color=blue" >> "$GITHUB_OUTPUT"
              - id: soft
                continue-on-error: true
                run: exit 2
              - id: hard
                run: exit 3
              - name: skipped after the failure
                run: echo never
              - name: runs on failure
                if: >-
                  failure() && steps.soft.outcome == 'failure'
                  && steps.soft.conclusion == 'success'
                run: echo "job status ${{ job.status }}"
              - name: always
                if: always()
                run: echo always
          after-success:
            needs: build
            runs-on: ubuntu-latest
            steps: [{run: echo never}]
          after-failure:
            needs: build
            if: failure()
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ needs.build.result }} ${{ needs.build.outputs.color }}"
          transitive:
            needs: after-success
            if: always() && needs.after-success.result == 'skipped'
            runs-on: ubuntu-latest
            steps: [{run: echo ran}]
        """,
    )
    run = run_workflow(gh, wf, "push", gh.push_event("main"))
    build = run.jobs["build"]
    assert run.conclusion == "failure" and build.conclusion == "failure"
    assert [(s.outcome, s.conclusion) for s in build.steps] == [
        ("success", "success"),
        ("failure", "success"),
        ("failure", "failure"),
        ("skipped", "skipped"),
        ("success", "success"),
        ("success", "success"),
    ]
    assert "job status failure" in build.step("runs on failure").log
    assert "exit code 3" in build.step("hard").log
    assert build.outputs == {"color": "blue"}
    assert run.jobs["after-success"].conclusion == "skipped"
    assert "failure blue" in run.jobs["after-failure"].steps[0].log
    assert run.jobs["transitive"].conclusion == "success"
    assert "=== job build" in run.log() and "--- step 'always' [success] ---" in run.log()


def test_environment_files_env_precedence_and_shells(repo, tmp_path):
    gh, _ = repo
    wf = workflow(
        tmp_path,
        """
        name: Env
        on: push
        env: {LEVEL: workflow, W: w}
        jobs:
          j:
            runs-on: ubuntu-latest
            env: {LEVEL: job, J: j}
            defaults:
              run:
                working-directory: sub
            steps:
              - working-directory: .
                run: |
                  mkdir -p sub tools
                  printf '#!/bin/sh\\necho tool-ran\\n' > tools/mytool && chmod +x tools/mytool
                  echo "$PWD/tools" >> "$GITHUB_PATH"
                  echo "LEVEL=github-env" >> "$GITHUB_ENV"
                  {
                    echo "NOTE<<EOF"
                    echo "line 1"
                    echo "line 2"
                    echo "EOF"
                  } >> "$GITHUB_ENV"
                  echo "### Summary" >> "$GITHUB_STEP_SUMMARY"
              - id: look
                env: {S: s}
                run: |
                  echo "$LEVEL $W $J $S $(basename "$PWD") ${{ env.LEVEL }}"
                  echo "$NOTE"
                  mytool
                  echo "$CI $GITHUB_ACTIONS $GITHUB_WORKFLOW $GITHUB_JOB" \
                    "$RUNNER_OS $GITHUB_REF_NAME"
                  test -f "$GITHUB_EVENT_PATH" && test -d "$RUNNER_TEMP"
                  test -z "${GITHUB_TOKEN:-}"
                  echo "caller: $EXTRA $(caller-tool) ${{ vars.COLOR }}"
                  echo "multi<<X" >> "$GITHUB_OUTPUT"; printf 'a\\nb\\nX\\n' >> "$GITHUB_OUTPUT"
              - env:
                  LEVEL: step
                  SAME: ${{ steps.look.outputs.multi == format('a{0}b', fromJSON('"\\n"')) }}
                run: echo "$LEVEL $SAME"
              - run: false | true
              - shell: bash
                continue-on-error: true
                run: false | true
        """,
    )
    tools = tmp_path / "caller-bin"
    tools.mkdir()
    (tools / "caller-tool").write_text("#!/bin/sh\necho from-path\n")
    (tools / "caller-tool").chmod(0o755)
    run = run_workflow(
        gh,
        wf,
        "push",
        gh.push_event("main"),
        env={"EXTRA": "extra"},
        path=[tools],
        vars={"COLOR": "teal"},
        workdir=tmp_path / "workspaces",
    )
    job = run.jobs["j"]
    assert job.workspace == tmp_path / "workspaces" / "j"
    assert "caller: extra from-path teal" in job.steps[1].log, run.log()
    assert "github-env w j s sub github-env" in job.steps[1].log
    assert "line 1\nline 2" in job.steps[1].log and "tool-ran" in job.steps[1].log
    assert "true true Env j Linux main" in job.steps[1].log
    assert "step true" in job.steps[2].log
    assert job.steps[3].outcome == "success"  # no pipefail without shell:
    assert job.steps[4].outcome == "failure"  # bash --noprofile --norc -eo pipefail
    assert job.summary == "### Summary\n"


def test_timeout_and_missing_working_directory(repo, tmp_path):
    gh, _ = repo
    wf = workflow(
        tmp_path,
        """
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - {timeout-minutes: 0.01, continue-on-error: true, run: sleep 120}
              - run: sleep 120 &  # a background process does not hold the step open
              - {working-directory: nowhere, run: 'true'}
        """,
    )
    # Either sleep held on to would take 120 s; a loaded machine runs the rest in far less.
    started = time.monotonic()
    job = run_workflow(gh, wf, "push", gh.push_event("main")).jobs["j"]
    assert time.monotonic() - started < 100
    assert "timed out" in job.steps[0].log and job.steps[1].outcome == "success"
    assert "No such file or directory" in job.steps[2].log and job.conclusion == "failure"


# ------------------------------------------------------------------------- checkout


def test_checkout_of_a_pull_request_merge_commit(repo, tmp_path):
    gh, work = repo
    number = open_pr(gh, work, "feature", {"x.txt": "x\n"})
    wf = workflow(
        tmp_path,
        f"""
        on: pull_request
        jobs:
          full:
            runs-on: ubuntu-latest
            steps:
              - uses: {CHECKOUT}
                with: {{fetch-depth: 0, persist-credentials: false}}
              - run: |
                  git rev-parse HEAD HEAD^1 HEAD^2 > heads
                  git tag > tags
                  git rev-parse origin/main > main
                  git config --get-regexp extraheader > header || true
                  git rev-parse --is-shallow-repository > shallow
          shallow:
            runs-on: ubuntu-latest
            steps:
              - uses: {CHECKOUT}
              - run: |
                  git rev-parse --is-shallow-repository > shallow
                  git config --get-regexp extraheader > header
        """,
    )
    run = run_workflow(gh, wf, "pull_request", gh.event(number))
    assert run.conclusion == "success", run.log()
    pull = gh.pull(number)
    full = run.jobs["full"].workspace
    merge = pull["merge_commit_sha"]
    assert run.sha == merge and run.ref == f"refs/pull/{number}/merge"
    assert (full / "heads").read_text().split() == [
        merge,
        pull["base"]["sha"],
        pull["head"]["sha"],
    ]
    assert (full / "tags").read_text().split() == ["v1"]
    assert (full / "main").read_text().strip() == gh.tip("refs/heads/main")
    assert (full / "header").read_text() == "" and (full / "shallow").read_text() == "false\n"
    assert (full / "x.txt").is_file()
    shallow = run.jobs["shallow"].workspace
    assert (shallow / "shallow").read_text() == "true\n"
    token = base64_token((shallow / "header").read_text())
    assert token == "ghs_local.contents=read.metadata=read"


def base64_token(header: str) -> str:
    import base64

    encoded = header.split("basic ")[1].strip()
    return base64.b64decode(encoded).decode().removeprefix("x-access-token:")


def test_setup_python_validates_its_files(repo, tmp_path):
    gh, _ = repo
    wf = workflow(
        tmp_path,
        f"""
        on: push
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - uses: {CHECKOUT}
              - id: py
                uses: {SETUP_PYTHON}
                with: {{python-version-file: .python-version, cache: pip,
                        cache-dependency-path: README.md}}
              - run: echo "${{{{ steps.py.outputs.python-version }}}}"
              - uses: {SETUP_PYTHON}
                with: {{python-version-file: .python-version, cache: pip,
                        cache-dependency-path: pyproject.toml}}
        """,
    )
    job = run_workflow(gh, wf, "push", gh.push_event("main")).jobs["j"]
    assert [s.outcome for s in job.steps] == ["success", "success", "success", "failure"]
    assert "Resolved .python-version as 3.11" in job.steps[1].log
    assert "No file in" in job.steps[3].log


# ---------------------------------------------------------------------------- cache

CACHE_WORKFLOW = f"""
on: [push, pull_request]
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
      - id: cache
        uses: {CACHE}
        with:
          path: store
          key: k-${{{{ runner.os }}}}-${{{{ hashFiles('data.txt') }}}}
          restore-keys: k-${{{{ runner.os }}}}-
      - run: |
          echo "hit=${{{{ steps.cache.outputs.cache-hit }}}} restored=$(cat store/v 2>/dev/null)"
          mkdir -p store && cp data.txt store/v
"""


def test_cache_restore_save_and_scopes(repo, tmp_path):
    gh, work = repo
    wf = workflow(tmp_path, CACHE_WORKFLOW)

    def line(run):
        assert run.conclusion == "success", run.log()
        return run.jobs["j"].steps[2].log.splitlines()[-1]

    first_pr = open_pr(gh, work, "pr-one", {"data.txt": "pr-one\n"})
    assert line(run_workflow(gh, wf, "pull_request", gh.event(first_pr))) == "hit= restored="
    # main cannot see the PR's entry, even through restore-keys
    assert line(run_workflow(gh, wf, "push", gh.push_event("main"))) == "hit= restored="
    assert line(run_workflow(gh, wf, "push", gh.push_event("main"))) == "hit=true restored=main"
    # the PR restores its own entry exactly
    again = run_workflow(gh, wf, "pull_request", gh.event(first_pr, "synchronize"))
    assert line(again) == "hit=true restored=pr-one"
    assert all("Post" not in step.name for step in again.jobs["j"].steps)  # no save on a hit
    # a new PR falls back to main's entry through restore-keys, then saves its own
    second_pr = open_pr(gh, work, "pr-two", {"data.txt": "pr-two\n"})
    run = run_workflow(gh, wf, "pull_request", gh.event(second_pr))
    assert line(run) == "hit=false restored=main"
    assert "Cache saved with key: k-Linux-" in run.jobs["j"].steps[-1].log
    scopes = sorted(p.name for p in (gh.root / "cache").iterdir())
    assert scopes == ["refs%2Fheads%2Fmain", "refs%2Fpull%2F1%2Fmerge", "refs%2Fpull%2F2%2Fmerge"]


# ------------------------------------------------------------------------ artifacts

PR_WORKFLOW = f"""
name: Pull request
on: pull_request
permissions: {{}}
jobs:
  train:
    runs-on: ubuntu-latest
    permissions: {{contents: read, pull-requests: write}}
    env:
      SECRET: ${{{{ secrets.MY_SECRET }}}}
    steps:
      - uses: {CHECKOUT}
        with: {{persist-credentials: false}}
      - run: |
          mkdir -p build/pr/sub .hidden
          echo "report for ${{{{ github.event.pull_request.head.sha }}}}" > build/pr/report.md
          echo x > build/pr/sub/x.txt
          echo "${{{{ secrets.GITHUB_TOKEN }}}}" > token
          echo "secret=[$SECRET]" > secret
          echo "$SECRET"
      - uses: {UPLOAD}
        with:
          name: pr-report
          path: build/pr/
      - uses: {UPLOAD}
        with:
          name: nothing
          path: missing/
"""

COMMENT_WORKFLOW = f"""
name: Pull request comment
on:
  workflow_run:
    workflows: [Pull request]
    types: [completed]
permissions: {{}}
jobs:
  comment:
    if: github.event.workflow_run.event == 'pull_request'
    runs-on: ubuntu-latest
    permissions: {{actions: read, pull-requests: write}}
    steps:
      - uses: {DOWNLOAD}
        with:
          name: pr-report
          path: build/pr-artifact
          run-id: ${{{{ github.event.workflow_run.id }}}}
          github-token: ${{{{ github.token }}}}
      - run: cat build/pr-artifact/report.md build/pr-artifact/sub/x.txt
  no-actions-read:
    runs-on: ubuntu-latest
    permissions: {{pull-requests: write}}
    steps:
      - uses: {DOWNLOAD}
        with:
          name: pr-report
          run-id: ${{{{ github.event.workflow_run.id }}}}
          github-token: ${{{{ github.token }}}}
  no-token:
    runs-on: ubuntu-latest
    steps:
      - uses: {DOWNLOAD}
        with:
          name: pr-report
          run-id: ${{{{ github.event.workflow_run.id }}}}
"""


def test_artifacts_across_runs(repo, tmp_path):
    gh, work = repo
    number = open_pr(gh, work, "feature", {"x.txt": "x\n"})
    pr = run_workflow(
        gh,
        workflow(tmp_path, PR_WORKFLOW, "pr.yaml"),
        "pull_request",
        gh.event(number),
        secrets={"MY_SECRET": "hunter2"},
    )
    assert pr.conclusion == "success", pr.log()
    stored = gh.root / "artifacts" / str(pr.run_id) / "pr-report"
    assert sorted(p.relative_to(stored).as_posix() for p in stored.rglob("*.*")) == [
        "report.md",
        "sub/x.txt",
    ]
    assert "No files were found" in pr.jobs["train"].steps[-1].log
    assert "***" in pr.jobs["train"].steps[1].log and "hunter2" not in pr.log()
    event = gh.workflow_run_event(pr, "Pull request")
    assert event["workflow_run"]["pull_requests"][0]["number"] == number
    assert event["workflow_run"]["head_sha"] == gh.pull(number)["head"]["sha"]
    comment = run_workflow(
        gh, workflow(tmp_path, COMMENT_WORKFLOW, "c.yaml"), "workflow_run", event
    )
    jobs = comment.jobs
    assert jobs["comment"].conclusion == "success", comment.log()
    assert "report for" in jobs["comment"].steps[1].log
    assert "Resource not accessible by integration" in jobs["no-actions-read"].steps[0].log
    assert "Artifact not found for name: pr-report" in jobs["no-token"].steps[0].log
    assert "ignored without github-token" in jobs["no-token"].steps[0].log


def test_fork_pull_request_gets_no_secrets_and_a_read_only_token(repo, tmp_path):
    gh, work = repo
    fork = tmp_path / "fork.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(gh.origin), str(fork))
    git(work, "checkout", "--quiet", "-b", "from-fork")
    commit(work, {"x.txt": "fork\n"}, "fork change")
    git(work, "push", "--quiet", str(fork), "from-fork")
    number = gh.open_pull_request("from-fork", fork=fork)
    event = gh.event(number)
    assert event["pull_request"]["head"]["repo"]["full_name"] == "forker/model"
    run = run_workflow(
        gh,
        workflow(tmp_path, PR_WORKFLOW, "pr.yaml"),
        "pull_request",
        event,
        secrets={"MY_SECRET": "hunter2"},
    )
    workspace = run.jobs["train"].workspace
    assert (workspace / "secret").read_text() == "secret=[]\n"
    assert (workspace / "token").read_text().strip() == (
        "ghs_local.contents=read.metadata=read.pull-requests=read"
    )
    assert (workspace / "x.txt").read_text() == "fork\n"
    assert gh.workflow_run_event(run)["workflow_run"]["pull_requests"] == []


ENVIRONMENT_WORKFLOW = """
name: Env
on: [push, pull_request]
permissions: {}
jobs:
  write:
    runs-on: ubuntu-latest
    environment: writer
    steps:
      - env:
          KEY: ${{ secrets.KEY }}
        run: echo "key=$KEY" > key
  plain:
    runs-on: ubuntu-latest
    steps:
      - env:
          KEY: ${{ secrets.KEY }}
        run: echo "key=$KEY" > key
"""


def test_environment_secrets_reach_only_its_jobs_and_only_its_branches(repo, tmp_path):
    """An environment's secret overrides the repository's for the job that names it; a
    deployment branch rule fails that job on any other ref, a pull request's included."""
    gh, work = repo
    wf = workflow(tmp_path, ENVIRONMENT_WORKFLOW)
    writer = {"writer": Environment(secrets={"KEY": "env-key"}, branches=("main",))}
    pushed = run_workflow(
        gh, wf, "push", gh.push_event("main"), secrets={"KEY": "repo"}, environments=writer
    )
    assert pushed.conclusion == "success", pushed.log()
    assert (pushed.jobs["write"].workspace / "key").read_text() == "key=env-key\n"
    assert (pushed.jobs["plain"].workspace / "key").read_text() == "key=repo\n"
    assert "env-key" not in pushed.log()

    number = open_pr(gh, work, "feature", {"x.txt": "x\n"})
    proposed = run_workflow(gh, wf, "pull_request", gh.event(number), environments=writer)
    job = proposed.jobs["write"]
    assert job.conclusion == "failure" and not (job.workspace / "key").exists()
    assert (
        f'Branch "refs/pull/{number}/merge" is not allowed to deploy to writer due to '
        "environment protection rules." in job.log
    )
    assert (proposed.jobs["plain"].workspace / "key").read_text() == "key=\n"


# ------------------------------------------------------------------------ stand-ins

CML_WORKFLOW = f"""
name: Comment
on: pull_request
permissions: {{}}
jobs:
  post:
    runs-on: ubuntu-latest
    permissions: {{pull-requests: LEVEL}}
    steps:
      - uses: {SETUP_CML}
        with: {{version: 0.20.6, vega: false}}
      - env:
          REPO_TOKEN: ${{{{ github.token }}}}
          GH_TOKEN: ${{{{ github.token }}}}
          BODY: ${{{{ github.event.pull_request.head.sha }}}}
        run: |
          echo "report $BODY" > report.md
          cml comment update --target=pr --watermark-title=report --no-publish report.md
          gh api "repos/$GITHUB_REPOSITORY/pulls/${{{{ github.event.number }}}}" --jq .head.sha
      - continue-on-error: true
        run: cml comment update --target=pr report.md
      - env: {{GH_TOKEN: x}}
        run: gh pr list
"""


def test_cml_sticky_comment_and_gh_api(repo, tmp_path):
    gh, work = repo
    number = open_pr(gh, work, "feature", {"x.txt": "x\n"})
    wf = workflow(tmp_path, CML_WORKFLOW.replace("LEVEL", "write"))
    first = run_workflow(gh, wf, "pull_request", gh.event(number))
    steps = first.jobs["post"].steps
    assert steps[1].outcome == "success", first.log()
    head = gh.pull(number)["head"]["sha"]
    assert steps[1].log.splitlines()[-1] == head  # gh api --jq .head.sha
    assert f"https://github.com/acme/model/pull/{number}#issuecomment-" in steps[1].log
    assert "token not found" in steps[2].log  # the token is not in the environment
    assert "does not emulate gh pr" in steps[3].log
    git(work, "checkout", "--quiet", "feature")
    commit(work, {"x.txt": "y\n"}, "more")
    git(work, "push", "--quiet", "origin", "feature")
    gh.synchronize(number)
    run_workflow(gh, wf, "pull_request", gh.event(number, "synchronize"))
    comments = gh.comments(number)
    assert len(comments) == 1
    assert comments[0]["body"].startswith(f"report {gh.pull(number)['head']['sha']}\n")
    assert "<!-- cml watermark: report -->" in comments[0]["body"]
    stored = localgh.read(gh.state_file)["comments"][0]
    assert stored["publish"] is False and stored["updates"] == 1


def test_cml_and_gh_refuse_without_permissions(repo, tmp_path):
    gh, work = repo
    number = open_pr(gh, work, "feature", {"x.txt": "x\n"})
    wf = workflow(tmp_path, CML_WORKFLOW.replace("LEVEL", "none"))
    run = run_workflow(gh, wf, "pull_request", gh.event(number))
    assert "Resource not accessible by integration" in run.jobs["post"].steps[1].log
    assert gh.comments(number) == []


def run_standin(gh: GitHub, name: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    import os
    import sys

    script = Path(localgh.__file__).with_name(f"{name}.py")
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))},
        "LOCAL_GITHUB_STATE": str(gh.state_file),
        "GITHUB_REPOSITORY": gh.repository,
        **env,
    }
    return subprocess.run(
        [sys.executable, str(script), *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_standins_directly(repo, tmp_path):
    gh, work = repo
    number = open_pr(gh, work, "feature", {"x.txt": "x\n"})
    write = "ghs_local.metadata=read.pull-requests=write"
    report = tmp_path / "r.md"
    report.write_text("x" * 70_000)
    refused = run_standin(gh, "cml", "comment", "create", f"--target=pr/{number}", str(report),
                          REPO_TOKEN=write)  # fmt: skip
    assert refused.returncode == 1 and "too long" in refused.stderr
    report.write_text("![plot](plot.png)\n")
    (tmp_path / "plot.png").write_bytes(b"png")
    for _ in range(2):
        created = run_standin(gh, "cml", "comment", "create", "--target", f"pr/{number}",
                              "--token", write, str(report))  # fmt: skip
        assert created.returncode == 0, created.stderr
    stored = localgh.read(gh.state_file)["comments"]
    assert len(stored) == 2 and stored[0]["publish"] is True
    assert stored[0]["local_images"] == ["plot.png"]
    for args, message in [
        (["--bogus", str(report)], "unknown option --bogus"),
        ([str(tmp_path / "missing.md")], "no such file"),
        (["--target=pr/99", str(report)], "pr #99 not found"),
    ]:
        failed = run_standin(gh, "cml", "comment", "update", *args, REPO_TOKEN=write)
        assert failed.returncode == 1 and message in failed.stderr
    pull = run_standin(gh, "gh", "api", f"repos/acme/model/pulls/{number}", GH_TOKEN=write)
    assert json.loads(pull.stdout)["head"]["sha"] == gh.pull(number)["head"]["sha"]
    assert "_source" not in pull.stdout
    assert run_standin(gh, "gh", "api", "repos/acme/model/pulls/1").returncode == 4
    missing = run_standin(gh, "gh", "api", "repos/{owner}/{repo}/pulls/42", GH_TOKEN=write)
    assert missing.returncode == 1 and "Not Found (HTTP 404)" in missing.stderr
    other = run_standin(gh, "gh", "api", "repos/acme/model/releases", GH_TOKEN=write)
    assert "does not emulate gh api GET repos/acme/model/releases" in other.stderr


def test_gh_release_stand_in_needs_the_tag_and_write_access(repo, tmp_path):
    """`gh release create --verify-tag` records the release only when origin has the
    tag and the token may write contents; a second one for the tag is refused."""
    gh, work = repo
    git(work, "tag", "-a", "m@v1.0.0", "-m", "v1.0.0")
    notes = tmp_path / "notes.md"
    notes.write_text("# Model card\n")
    create = ["release", "create", "m@v1.0.0", "--verify-tag", "--title", "m v1.0.0",
              "--notes-file", str(notes)]  # fmt: skip
    write, read = "ghs_local.contents=write", "ghs_local.contents=read"
    missing = run_standin(gh, "gh", *create, GH_TOKEN=write)
    assert missing.returncode == 1 and "doesn't exist in the repo" in missing.stderr
    git(work, "push", "-q", "origin", "m@v1.0.0")
    assert run_standin(gh, "gh", *create, GH_TOKEN=read).returncode == 1
    assert run_standin(gh, "gh", "release", "view", "m@v1.0.0", GH_TOKEN=read).returncode == 1
    assert run_standin(gh, "gh", *create, GH_TOKEN=write).returncode == 0
    [release] = gh.releases()
    assert release["name"] == "m v1.0.0" and release["body"] == "# Model card\n"
    assert release["target_commitish"] == git(work, "rev-parse", "HEAD")
    assert run_standin(gh, "gh", "release", "view", "m@v1.0.0", GH_TOKEN=read).returncode == 0
    again = run_standin(gh, "gh", *create, GH_TOKEN=write)
    assert again.returncode == 1 and "already_exists" in again.stderr


# --------------------------------------------------------------------- loud errors


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("{uses: actions/checkout@v4}", "not pinned to a full 40-character commit SHA"),
        (f"{{uses: 'someone/thing@{'a' * 40}'}}", "someone/thing is not emulated"),
        (f"{{uses: '{CHECKOUT}', with: {{fetch-dept: 0}}}}", "unknown input of actions/checkout"),
        (f"{{uses: '{CHECKOUT}', with: {{submodules: true}}}}", "input of actions/checkout not"),
        ("{runs: 'true'}", r"unknown step key\(s\) \['runs'\]"),
        ("{run: 'true', shell: sh}", "only bash"),
        ("{if: 'false', run: 'echo ${{ github.bogus_thing }}'}", None),
        ("{if: 'false', run: 'echo ${{ bogus.x }}'}", "Unrecognized named-value: 'bogus'"),
        ("{if: 'false', run: 'echo ${{ toYAML(1) }}'}", "Unrecognized function: 'toYAML'"),
        ("{if: 'secrets.X', run: 'true'}", "context 'secrets' is not available"),
        ("{if: \"steps.nope.outcome == 'success'\", run: 'true'}", "steps.nope does not exist"),
        ("{run: 'echo ${{ GitHub.Ref_Name }}'}", None),
        (f"{{uses: '{SETUP_CML}', with: {{version: latest}}}}", "pin an exact version"),
    ],
)
def test_unknown_things_raise(repo, tmp_path, step, message):
    gh, _ = repo
    wf = workflow(tmp_path, f"on: push\njobs:\n  build:\n    runs-on: x\n    steps: [{step}]\n")
    if message is None:  # fine: strict contexts of skipped steps; case-insensitive names
        assert run_workflow(gh, wf, "push", gh.push_event("main")).conclusion == "success"
        return
    with pytest.raises(RunnerError, match=message) as error:
        run_workflow(gh, wf, "push", gh.push_event("main"))
    assert "wf.yaml" in str(error.value) and "jobs.build" in str(error.value)


JOB = "jobs: {j: {runs-on: x, steps: [{run: 'true'}]}}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"on: push\nfoo: 1\n{JOB}", "unknown workflow key"),
        (
            "on: push\njobs: {j: {runs-on: x, strategy: {}, steps: [{run: 'true'}]}}",
            "not emulated",
        ),
        ("on: push\njobs: {j: {runs-on: x, timeout: 1, steps: [{run: 'true'}]}}", "unknown job"),
        ("on: push\njobs: {j: {runs-on: x, needs: k, steps: [{run: 'true'}]}}", "unknown job 'k'"),
        ("on: push\non: pull_request\njobs: {}", "duplicate key"),
        (f"on: push\npermissions: {{pull-request: write}}\n{JOB}", "unknown permission scope"),
        (f"on: {{push: {{branch: [main]}}}}\n{JOB}", "unknown key"),
        (f"on: push\nconcurrency: {{group: x, cancel: true}}\n{JOB}", "concurrency"),
    ],
)
def test_unknown_workflow_structure_raises(repo, tmp_path, text, message):
    gh, _ = repo
    with pytest.raises(RunnerError, match=message):
        run_workflow(gh, workflow(tmp_path, text), "push", gh.push_event("main"))


# ------------------------------------------------- local composite actions and OIDC

GREET = """\
name: Greet
description: a local composite action
inputs:
  who: {description: whom, default: world}
  loud: {description: shout, required: false, default: "false"}
outputs:
  said: {description: what, value: "${{ steps.say.outputs.text }}"}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      env: {WHO: "${{ inputs.who }}"}
      run: |
        echo "text=hello $WHO" >> "$GITHUB_OUTPUT"
        echo "GREETED=$WHO" >> "$GITHUB_ENV"
    - if: inputs.loud == 'true'
      shell: bash
      run: echo "LOUD=$GREETED" >> "$GITHUB_ENV"
    - continue-on-error: true
      shell: bash
      run: exit 3
    - if: inputs.who == 'fail'
      shell: bash
      run: exit 1
    - if: failure()
      shell: bash
      run: echo "CLEANED=yes" >> "$GITHUB_ENV"
"""

COMPOSITE_WORKFLOW = f"""
on: push
jobs:
  build:
    runs-on: x
    steps:
      - id: early
        continue-on-error: true
        uses: ./.github/actions/greet
      - uses: {CHECKOUT}
      - id: greet
        uses: ./.github/actions/greet
        with: {{who: "${{{{ github.ref_name }}}}", loud: "true", bogus: 1}}
      - run: echo "$GREETED $LOUD ${{{{ steps.greet.outputs.said }}}}" > out.txt
      - id: failing
        continue-on-error: true
        uses: ./.github/actions/greet
        with: {{who: fail}}
      - run: echo "${{{{ steps.failing.outcome }}}} $CLEANED $GREETED" > after.txt
"""


def test_local_composite_action(repo, tmp_path):
    """Inputs with defaults, run steps with their env and if, status functions of the
    action's own steps, GITHUB_ENV for the steps after, outputs; checkout comes first."""
    gh, work = repo
    commit(work, {".github/actions/greet/action.yml": GREET}, "action")
    git(work, "push", "--quiet", "origin", "main")
    run = run_workflow(gh, workflow(tmp_path, COMPOSITE_WORKFLOW), "push", gh.push_event("main"))
    job = run.jobs["build"]
    assert job.step("early").outcome == "failure"
    assert "Did you forget to run actions/checkout" in job.step("early").log
    assert "Unexpected input(s) 'bogus'" in job.step("greet").log
    assert job.step("greet").outputs == {"said": "hello main"}
    assert (job.workspace / "out.txt").read_text() == "main main hello main\n"
    assert (job.workspace / "after.txt").read_text() == "failure yes fail\n"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (GREET.replace("      shell: bash\n      env:", "      env:"), "shell is required"),
        (GREET.replace("using: composite", "using: node20\n  main: x.js"), "only composite"),
        (GREET.replace("${{ inputs.who }}", "${{ secrets.X }}"), "'secrets' is not available"),
    ],
)
def test_bad_local_actions_raise(repo, tmp_path, action, message):
    gh, work = repo
    commit(work, {".github/actions/greet/action.yml": action}, "action")
    git(work, "push", "--quiet", "origin", "main")
    text = f"on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: {CHECKOUT}\n"
    text += "      - uses: ./.github/actions/greet\n"
    with pytest.raises(RunnerError, match=message):
        run_workflow(gh, workflow(tmp_path, text), "push", gh.push_event("main"))


AWS_LOGIN = "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c"
GCP_LOGIN = "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093"
AZURE_LOGIN = "azure/login@f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca"
PROVIDER = "projects/123/locations/global/workloadIdentityPools/gh/providers/gh"

OIDC_WORKFLOW = f"""
on: push
permissions: {{}}
jobs:
  JOB:
    runs-on: x
    permissions: PERMISSIONS
    steps:
      - uses: {CHECKOUT}
        with: {{persist-credentials: false}}
      - id: aws
        continue-on-error: true
        uses: {AWS_LOGIN}
        with: {{role-to-assume: "arn:aws:iam::123456789012:role/dvc", aws-region: eu-west-1}}
      - run: PYTHON -c "$WHO_AM_I" > arn.txt
        env: {{WHO_AM_I: "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"}}
        if: steps.aws.outcome == 'success'
      - id: gcp
        continue-on-error: true
        uses: {GCP_LOGIN}
        with:
          workload_identity_provider: {PROVIDER}
          service_account: dvc@proj-1.iam.gserviceaccount.com
      - run: |
          cp "$GOOGLE_APPLICATION_CREDENTIALS" creds.json
          echo "$GOOGLE_CLOUD_PROJECT" > project.txt
        if: steps.gcp.outcome == 'success'
      - id: azure
        continue-on-error: true
        uses: {AZURE_LOGIN}
        with: {{client-id: c, tenant-id: t, subscription-id: s}}
"""


def test_oidc_logins_need_id_token_write(repo, tmp_path, s3_server):
    """With id-token: write, AWS's login assumes the role through STS (moto's server) and
    later steps have the session; Google's writes its credentials file; Azure's passes.
    Without it, as on GitHub, each fails and exports nothing."""
    gh, _ = repo
    env = {"AWS_ENDPOINT_URL": s3_server, "AWS_EC2_METADATA_DISABLED": "true"}
    oidc = OIDC_WORKFLOW.replace("PYTHON", sys.executable)
    granted = oidc.replace("JOB", "granted").replace(
        "PERMISSIONS", "{contents: read, id-token: write}"
    )
    run = run_workflow(gh, workflow(tmp_path, granted), "push", gh.push_event("main"), env=env)
    job = run.jobs["granted"]
    assert job.conclusion == "success", job.log
    assert "Authenticated as assumedRoleId" in job.step("aws").log
    assert job.step("aws").outputs["aws-account-id"] == "123456789012"
    assert (
        (job.workspace / "arn.txt")
        .read_text()
        .startswith("arn:aws:sts::123456789012:assumed-role/dvc/GitHubActions")
    )
    creds = json.loads((job.workspace / "creds.json").read_text())
    assert (
        creds["type"] == "external_account"
        and creds["audience"] == f"//iam.googleapis.com/{PROVIDER}"
    )
    assert (job.workspace / "project.txt").read_text() == "proj-1\n"
    assert not list(job.workspace.glob("gha-creds-*.json"))  # the post step removed it
    assert "ghs_local" not in job.log and "local-oidc-" not in job.log

    denied = oidc.replace("JOB", "denied").replace("PERMISSIONS", "{contents: read}")
    run = run_workflow(gh, workflow(tmp_path, denied), "push", gh.push_event("main"), env=env)
    job = run.jobs["denied"]
    assert [job.step(s).outcome for s in ("aws", "gcp", "azure")] == ["failure"] * 3
    assert "Did you mean to set the `id-token` permission?" in job.step("aws").log
    assert "Could not load credentials from any providers" in job.step("aws").log
    assert "did not inject $ACTIONS_ID_TOKEN_REQUEST_TOKEN" in job.step("gcp").log
    assert "give write permissions to id-token" in job.step("azure").log
    assert not (job.workspace / "arn.txt").exists() and not (job.workspace / "creds.json").exists()


def test_the_docker_standin_keeps_to_the_context_and_ghcr_rules(repo, tmp_path):
    """`docker build` records the files the Dockerfile copies that .dockerignore lets in,
    and fails for a copied file it leaves out; `docker push` needs a login whose token
    may write packages, and a lowercase name under the repository's owner."""
    gh, _ = repo
    context = tmp_path / "context"
    (context / "src" / "__pycache__").mkdir(parents=True)
    (context / "src" / "app.py").write_text("print()\n")
    (context / "src" / "__pycache__" / "app.pyc").write_bytes(b"x")
    (context / "notes.txt").write_text("private\n")
    (context / ".dockerignore").write_text("*\n!src/\n**/__pycache__\n")
    (context / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY src ./src\n")
    tag = f"ghcr.io/{gh.repository}:v1.0.0"
    built = run_standin(gh, "docker", "build", "--tag", tag, str(context))
    assert built.returncode == 0, built.stderr
    assert set(localgh.read(gh.state_file)["docker_images"][tag]["files"]) == {"src/app.py"}
    (context / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY notes.txt ./\n")
    refused = run_standin(gh, "docker", "build", "--tag", "other", str(context))
    assert refused.returncode == 1 and '"/notes.txt": not found' in refused.stderr

    def login(token: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(Path(localgh.__file__).with_name("docker.py")), "login",
             "ghcr.io", "--username", "bot", "--password-stdin"],
            input=token, capture_output=True, text=True, check=False,
            env={**os.environ, "LOCAL_GITHUB_STATE": str(gh.state_file)},
        )  # fmt: skip

    assert login("ghs_local.contents=read.metadata=read").returncode == 0
    denied = run_standin(gh, "docker", "push", tag)
    assert denied.returncode == 1 and "write_package" in denied.stderr
    assert login("ghs_local.metadata=read.packages=write").returncode == 0
    pushed = run_standin(gh, "docker", "push", tag)
    assert pushed.returncode == 0, pushed.stderr
    assert [(p["name"], p["tag"]) for p in gh.packages()] == [(gh.repository, "v1.0.0")]
    # A tag moved in the registry: a carbon copy keeps the digest, an index does not;
    # the source must have been pushed. No attestation of it: `gh attestation verify` fails.
    image, production = f"ghcr.io/{gh.repository}", f"ghcr.io/{gh.repository}:production"
    create = ["docker", "buildx", "imagetools", "create", "--tag", production]
    missing = run_standin(gh, *create, "--prefer-index=false", f"{image}:v9.9.9")
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert run_standin(gh, *create, tag).returncode == 0
    assert gh.packages()[-1]["digest"] != gh.packages()[0]["digest"]
    copied = run_standin(gh, *create, "--prefer-index=false", tag)
    assert copied.returncode == 0, copied.stderr
    assert gh.packages()[-1]["tag"] == "production"
    assert gh.packages()[-1]["digest"] == gh.packages()[0]["digest"]
    verify = ["gh", "attestation", "verify", f"oci://{production}", "--repo", gh.repository]
    unattested = run_standin(gh, *verify)
    assert unattested.returncode == 1 and "no attestations found" in unattested.stderr
