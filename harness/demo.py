"""`make demo`: the lifecycle so far, on this machine, with no accounts.

Generates the default project into demo/ (or $DEMO_DIR), installs it with its own
`make install`, trains and evaluates the first model with `make repro`, commits and
pushes it; the generated "Promote" workflow, run by the local workflow runner
(harness/runner.py) against a bare repository standing in for GitHub, registers it as
v1.0.0 in production. Then a pull request: a branch that changes a parameter, the
"Pull request" workflow, and the comment the "Pull request comment" workflow would
post. Then the merge: "Promote" again, the registry (`gto show`) before and after, and
the release it would create, whose notes are the model card. Last, operating: a batch
of new data whose rows drifted, the "Monitor" workflow, its drift report and the issue
it would open. It ends serving the production version over HTTP (the project's `serve`
command, which `make serve` runs) and sending it one request, then stops the server.

It runs to the end without a keystroke: in a terminal, git's pager would stop it at
every `git log`, so the commands it runs get `cat` for a pager.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import yaml

from .bake import TEMPLATE, bake
from .env import env_dir_now, project_env, signing_key
from .runner import Environment, GitHub, run_workflow

IDENTITY = ["-c", "user.name=Demo", "-c", "user.email=demo@example.com"]
# New rows from production: the test rows, with five features 2.5 times as large and one
# feature missing in a quarter of the rows.
SHIFT = """import sys
import pandas as pd

rows = pd.read_parquet("data/prepared/test.parquet").drop(columns="target")
rows[list(rows.columns[:5])] *= 2.5
rows.iloc[: len(rows) // 4, 7] = None
rows.to_parquet(sys.argv[1], index=False)
"""


# One row of the test set, as /predict takes it.
ONE_ROW = """import pandas as pd
row = pd.read_parquet("data/prepared/test.parquet").drop(columns="target").head(1)
print('{"rows": ' + row.to_json(orient="records") + '}')
"""


def runner_env(demo: Path) -> dict[str, str]:
    """The jobs' environment: one virtual environment kept between jobs (each job's
    `make install` only installs the checked-out project into it), as a self-hosted
    runner's tool cache would."""
    return {"VENV": str(demo / "runner-venv")}


def runner_venv(project: Path, demo: Path) -> None:
    """The runner's tool cache: a copy of the environment the template's tests and
    benchmark run generated projects in (build/project-env-base: what this uv.lock pins,
    every extra; built on the first run, reused while the lock does not change), instead
    of a second full install beside the project's own .venv."""
    project_env(project, demo / "runner-venv", base=env_dir_now().with_name("project-env-base"))


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def sh(project: Path, *command: str) -> None:
    print(f"$ {' '.join(command)}", flush=True)
    subprocess.run(command, cwd=project, check=True)


def main() -> None:
    demo = Path(os.environ.get("DEMO_DIR", TEMPLATE / "demo"))
    shutil.rmtree(demo, ignore_errors=True)
    # The template's tools (uv among them) are on PATH, as they would be for a user.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    os.environ.pop("VIRTUAL_ENV", None)
    os.environ.update(GIT_PAGER="cat", PAGER="cat")  # no pager waits for `q`
    for name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS"):  # the project's make runs as typed,
        os.environ.pop(name, None)  # not as a sub-make of `make demo` ("Entering directory")

    step("Generate a project (cookiecutter --no-input, default answers)")
    project = bake(demo)
    sh(project, "git", "log", "--oneline")

    step("Install it: a virtual environment with exactly what uv.lock pins")
    sh(project, "make", "install", f"PYTHON={sys.executable}")

    step("Train and evaluate the first model: prepare -> train -> evaluate")
    sh(project, "make", "repro")

    step("Version it: dvc.lock and the metrics go to Git, the model to DVC's remote")
    sh(project, "git", "add", "--all")
    sh(project, "git", *IDENTITY, "commit", "--quiet", "-m", "Train the first model")
    sh(project, "git", "log", "--oneline", "--stat")
    sh(project, ".venv/bin/dvc", "push")
    gh = GitHub(demo / "github")  # origin.git stands in for the repository on GitHub
    sh(project, "git", "remote", "add", "origin", str(gh.origin))
    sh(project, "git", "push", "--quiet", "origin", "main")
    workflows = project / ".github" / "workflows"
    runner_venv(project, demo)
    promote(gh, project, demo, gh.push_event("main"))

    step("Propose a change in a pull request: a lower learning rate")
    sh(project, "git", "checkout", "--quiet", "-b", "lower-learning-rate")
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    params["train"]["hyperparameters"]["hist_gradient_boosting"]["learning_rate"] = 0.05
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(project, "make", "repro")
    sh(project, "git", "add", "--all")
    sh(project, "git", *IDENTITY, "commit", "--quiet", "-m", "Lower the learning rate")
    sh(project, ".venv/bin/dvc", "push")
    sh(project, "git", "push", "--quiet", "origin", "lower-learning-rate")
    number = gh.open_pull_request("lower-learning-rate")

    step(f"CI on pull request #{number}: .github/workflows/pr.yaml, run locally")
    # The runner works in demo/train, where the folder remote resolves as it does for
    # the project: a self-hosted runner on this machine would see it the same way.
    checked = run_workflow(
        gh, workflows / "pr.yaml", "pull_request", gh.event(number), workdir=demo,
        env=runner_env(demo),
    )  # fmt: skip
    show_jobs(checked)
    posted = run_workflow(
        gh, workflows / "pr-comment.yaml", "workflow_run", gh.workflow_run_event(checked)
    )
    show_jobs(posted)
    if posted.conclusion != "success":
        print(checked.log() + posted.log(), flush=True)
        raise SystemExit("no comment was posted; the workflows' logs are above")

    step(f"The comment on pull request #{number} (one, updated by every push)")
    for comment in gh.comments(number):
        print(comment["body"], flush=True)
    sh(project, "git", "checkout", "--quiet", "main")
    if checked.conclusion != "success":
        raise SystemExit("the pull request fails its gate: the comment above says why")

    step(f"Merge pull request #{number} into main")
    before = gh.tip("refs/heads/main")
    sh(project, "git", *IDENTITY, "merge", "--quiet", "--no-ff", "-m",
       f"Merge pull request #{number}", "lower-learning-rate")  # fmt: skip
    sh(project, "git", "push", "--quiet", "origin", "main")
    promote(gh, project, demo, gh.push_event("main", before))
    [*_, release] = gh.releases()
    step(f"The release {release['tag_name']} (its notes are the model card)")
    print(release["body"], flush=True)
    monitor(gh, project, demo)
    serve(project)
    print(f"\nThe project is in {project}; the runs are in {demo / 'github'}.", flush=True)


def serve(project: Path) -> None:
    """The project's `serve` command (what `make serve` runs): the production version
    over HTTP, sent one row of the test set, then stopped. It runs without make, so
    stopping it is the server's own clean shutdown, not make reporting a killed recipe."""
    step("Serve the production version over HTTP (make serve), and one request")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    command = [f".venv/bin/{project.name}", "serve", f"--port={port}"]
    print(f"$ {' '.join(command)}", flush=True)
    # The server's lines (one JSON line a request) are printed by this process, a line at
    # a time: written to the terminal by both, a busy machine's partial writes could cut
    # one into the middle of the other's.
    service = subprocess.Popen(
        command, cwd=project, start_new_session=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    echo = threading.Thread(target=relay, args=(service.stdout,))
    echo.start()
    try:
        deadline = time.monotonic() + 180  # a loaded machine imports the stack slowly
        while time.monotonic() < deadline:
            if service.poll() is not None:
                raise SystemExit("the server stopped; its output is above")
            try:
                urllib.request.urlopen(f"{url}/health", timeout=5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"the server did not answer at {url}/health")
        rows = subprocess.run(
            [".venv/bin/python", "-c", ONE_ROW], cwd=project, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip
        curl = f"$ curl -s {url}/predict -H 'Content-Type: application/json' -d '{rows}'"
        print(curl + "\n", end="", flush=True)  # one write: the server's lines come whole
        request = urllib.request.Request(
            f"{url}/predict", data=rows.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            print(json.dumps(json.load(answer), indent=2) + "\n", end="", flush=True)  # whole
    finally:
        service.send_signal(signal.SIGINT)  # what Ctrl-C sends: uvicorn shuts down cleanly
        service.wait(timeout=30)
        echo.join()


def relay(lines) -> None:
    """Print each line the server writes, whole, until it closes its output."""
    for line in lines:
        print(line, end="", flush=True)


def promote(gh: GitHub, project: Path, demo: Path, event: dict) -> None:
    """Show the registry, run .github/workflows/promote.yaml for a push to main, show
    the registry again."""
    step("The registry before: gto show")
    sh(project, "git", "fetch", "--quiet", "--tags", "origin")
    sh(project, ".venv/bin/gto", "show")
    step(f"Promotion of {event['after'][:7]}: .github/workflows/promote.yaml, run locally")
    workflow = project / ".github" / "workflows" / "promote.yaml"
    # The registry's signing key, which generation wrote, as the README has the user
    # store it: the secret of the environments whose jobs make registry tags.
    key = {"REGISTRY_SIGNING_KEY": signing_key(project)}
    environments = {
        name: Environment(secrets=key, branches=("main",)) for name in ("writer", "production")
    }
    promoted = run_workflow(
        gh, workflow, "push", event, workdir=demo, env=runner_env(demo), environments=environments
    )
    show_jobs(promoted)
    if promoted.conclusion != "success":
        print(promoted.log(), flush=True)
        raise SystemExit("the promotion failed; its log is above")
    for name in ("gate", "promote"):  # the job that judges, the job that registers
        log = promoted.jobs[name].log
        print(*[line for line in log.splitlines() if line.startswith("promote: ")], flush=True)
    step("The registry after: gto show")
    sh(project, "git", "fetch", "--quiet", "--tags", "origin")
    sh(project, ".venv/bin/gto", "show")


def monitor(gh: GitHub, project: Path, demo: Path) -> None:
    """A drifted batch, .github/workflows/monitor.yaml run for it, its report and the
    issue it would open."""
    step("Operate: new rows arrive, and they drifted")
    incoming = demo / "incoming"
    incoming.mkdir()
    (incoming / "shift.py").write_text(SHIFT, encoding="utf-8")
    batch = incoming / "batch.parquet"
    sh(project, ".venv/bin/python", str(incoming / "shift.py"), str(batch))
    step("Drift check: .github/workflows/monitor.yaml, run locally (by hand, for this batch)")
    workflow = project / ".github" / "workflows" / "monitor.yaml"
    checked = run_workflow(
        gh, workflow, "workflow_dispatch", gh.dispatch_event(), inputs={"batch": str(batch)},
        workdir=demo, env=runner_env(demo),
    )  # fmt: skip
    show_jobs(checked)
    job = checked.jobs["monitor"]
    if job.step("monitor").outcome != "failure":  # exit status 3: drift found
        print(checked.log(), flush=True)
        raise SystemExit("the drift check found no drift in the shifted batch")
    step("The drift report (build/monitor/report.md, also the job's summary)")
    print(job.summary, flush=True)
    issues = json.loads(gh.state_file.read_text(encoding="utf-8"))["issues"]
    if not issues:
        print(checked.log(), flush=True)
        raise SystemExit("no drift issue was opened; the workflow's log is above")
    [issue] = issues
    step(f"The issue it would open: #{issue['number']} {issue['title']!r}")
    print(f"labels: {', '.join(issue['labels'])}; body: the report above", flush=True)


def show_jobs(run) -> None:
    print(f"{run.workflow_name}: {run.conclusion}", flush=True)
    for job in run.jobs.values():
        for result in job.steps:
            print(f"  {result.outcome:<8} {result.name}", flush=True)


if __name__ == "__main__":
    main()
