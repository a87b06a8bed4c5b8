"""The generated promotion and rollback workflows, run by the local workflow runner on
push and workflow_dispatch events against a bare `origin`: the registry is the GTO tags
that reach origin; the GitHub release is what the `gh` stand-in records."""

import hashlib
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from harness.runner import run as runner_run
from harness.runner.standins import localgh

from .conftest import (
    LAPTOP,
    RATE_IN_CARD,
    READ_SECRETS,
    SECRETS,
    WRITER,
    Payload,
    edit_yaml,
    git,
    hgb,
    other_platform,
    readme_commands,
    s3_client,
    swap_bundle,
)

GATE_STEP = "Check dvc.lock, reproduce, gate"  # the read-only job's, "gate"
REGISTER_STEP = "Register and stage"  # the writer job's, "promote"
NAME = "churn-model"


def origin_tags(repo) -> set[str]:
    return set(git(repo.gh.origin, "tag", "--list").split())


def land(repo, change, message: str, branch: str | None = None) -> dict:
    """Commit a change on main (merged from ``branch`` when given) and push it; the
    push event GitHub sends."""
    before = repo.gh.tip("refs/heads/main")
    if branch:
        git(repo.project, "checkout", "-q", "-b", branch, "main")
        change()
        repo.commit(message, remote="origin")
        git(repo.project, "checkout", "-q", "main")
        git(repo.project, "merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch)
        git(repo.project, "push", "-q", "origin", "main")
    else:
        change()
        repo.commit(message)
    return repo.gh.push_event("main", before)


def retrain(repo, **hyperparameters):
    def change():
        edit_yaml(
            repo.project / "params.yaml",
            lambda p: hgb(p).update(hyperparameters),
        )
        repo.sh("dvc", "repro")

    return change


def promote(repo, event: dict):
    return repo.run("promote.yaml", "push", event)


def verify_image(repo) -> subprocess.CompletedProcess:
    """The README's `gh attestation verify` of the production image, for this repository,
    through the `gh` stand-in (GitHub's attestations are emulated)."""
    gh = repo.gh
    [command] = [
        c for c in readme_commands(repo.project, "Serving") if c[:2] == ["gh", "attestation"]
    ]
    command = [
        part.replace("OWNER/REPO", gh.repository.lower() if "ghcr.io" in part else gh.repository)
        for part in command
    ]
    standin = Path(localgh.__file__).with_name("gh.py")
    env = {**os.environ, localgh.STATE_ENV: str(gh.state_file)}
    return subprocess.run(
        [sys.executable, str(standin), *command[1:]], capture_output=True, text=True, env=env
    )


def image_digest(gh, tag: str) -> str:
    """The digest ghcr.io's tag ``tag`` of the repository's image points at now."""
    return [p for p in gh.packages() if p["tag"] == tag][-1]["digest"]


def test_merges_promote_in_order_once_each_and_rollback_is_one_action(trained, tmp_path):
    """Merges promote, once each and in order; a developer on another platform (other
    bytes whatever params.yaml's thread setting) gets the bytes CI made shipped and named
    in the version's record; tags the promotion did not sign are never read; rollback
    is one action and never goes forward."""
    repo = trained()  # v1.0.0 in production; on branch `proposal`
    gh = repo.gh
    git(repo.project, "checkout", "-q", "main")

    # A reviewed change merges: the next minor version, in production, released. Its
    # developer is on another platform: the promotion trains again, checks the metrics
    # on the same rows, and ships the bytes it made, which the version's tag names.
    repo.laptop = other_platform(tmp_path / "other-platform")
    event = land(repo, retrain(repo, learning_rate=0.05), "Lower the rate", "lower-rate")
    repo.laptop = dict(LAPTOP)
    merged = event["after"]
    laptop_md5 = recorded_model(repo.project)
    first = repo.run("promote.yaml", "push", event, vars={"PUBLISH_IMAGE": "true"})
    job, gate = first.jobs["promote"], first.jobs["gate"]
    assert gate.conclusion == "success", gate.log
    assert job.conclusion == "success", job.log
    # The job that loads models can write nothing; the one that writes loads nothing.
    assert gate.permissions == {"contents": "read", "metadata": "read"}
    assert job.permissions == {"contents": "write", "metadata": "read"}
    assert "Running stage" not in job.log and "Running stage" in gate.log
    # PUBLISH_IMAGE: the version's image, built from its bundle, pushed to ghcr.io by a
    # job that alone (with the jobs moving its production tag) may write packages, with
    # its build provenance attested; straight to production, its production tag follows.
    image = first.jobs["image"]
    assert image.conclusion == "success", image.log
    assert image.permissions == {
        "contents": "read", "metadata": "read", "packages": "write",
        "id-token": "write", "attestations": "write",
    }  # fmt: skip
    package, production = gh.packages()
    assert (package["name"], package["tag"]) == (gh.repository.lower(), "v1.1.0")
    assert (production["name"], production["tag"]) == (package["name"], "production")
    assert production["digest"] == package["digest"]  # a carbon copy: the same image
    [attestation] = localgh.read(gh.state_file)["attestations"]
    assert attestation["subject"] == {
        "name": f"ghcr.io/{package['name']}",
        "digest": package["digest"],
    }
    assert attestation["sha"] == merged and attestation["pushed_to_registry"]
    assert ".github/workflows/promote.yaml@refs/heads/main" in attestation["workflow"]
    verified = verify_image(repo)
    assert verified.returncode == 0, verified.stderr
    assert f"Loaded digest {package['digest']}" in verified.stdout
    [(path, shipped)] = re.findall(
        r"^shipped (\S+) ([0-9a-f]{32})$", tag_message(repo, f"{NAME}@v1.1.0"), re.M
    )
    assert path == "models/model.joblib" and shipped != laptop_md5
    # the md5 the registry's record names (the bytes CI made), checked before the build,
    # which the image requires of the model file at start; not the developer's bytes
    assert package["build_args"] == {"VERSION": "v1.1.0", "MODEL_MD5": shipped}
    data = (repo.project / "models" / "model.joblib").read_bytes()
    assert package["files"]["build/image/model.joblib"] != hashlib.sha256(data).hexdigest()
    assert "its model file as the registry's record names it" in image.log
    assert {"uv.lock", "pyproject.toml", "README.md", "src/churn_model/cli.py"} <= set(
        package["files"]
    )
    assert not [name for name in package["files"] if "__pycache__" in name]
    assert package["labels"] == {
        "org.opencontainers.image.source": f"https://github.com/{gh.repository}"
    }
    assert first.jobs["production"].conclusion == "skipped"
    assert {f"{NAME}@v1.1.0", f"{NAME}#prod#2"} <= origin_tags(repo)
    assert git(gh.origin, "rev-list", "-n1", f"{NAME}@v1.1.0") == merged
    [release] = gh.releases()
    assert release["tag_name"] == f"{NAME}@v1.1.0"
    assert release["target_commitish"] == merged
    card = release["body"]
    assert card.startswith(f"# Model card: {NAME} v1.1.0")
    assert "**Stage:** prod" in card
    assert "Previous production version: `v1.0.0`" in card
    assert f"- Version: `v1.1.0` of `{NAME}`, from commit `{merged}`" in card.splitlines()
    assert RATE_IN_CARD in card
    assert "**Gate at promotion:**" in card and "- ✅ roc_auc vs production" in card
    assert "rollback --to v1.0.0" in card
    assert "Running stage 'train'" in gate.step(GATE_STEP).log  # no remote: reproduced
    assert "made again here with other bytes" in gate.log and "substituted" not in gate.log

    # Re-running the same push makes no tag and no second release.
    tags = origin_tags(repo)
    again = promote(repo, event)
    assert again.conclusion == "success", again.log()
    assert "v1.1.0 (this commit) was promoted before; no new tag" in again.jobs["gate"].log
    assert origin_tags(repo) == tags and len(gh.releases()) == 1

    # A change that leaves the model as it is makes no version.
    event = land(repo, lambda: (repo.project / "NOTES.md").write_text("notes\n"), "Add notes")
    unchanged = promote(repo, event)
    assert unchanged.conclusion == "success", unchanged.log()
    assert unchanged.jobs["promote"].conclusion == "skipped"
    assert "the model is the same artifact as v1.1.0 in prod; no new version" in (
        unchanged.jobs["gate"].log
    )
    assert origin_tags(repo) == tags

    # Staging first, production behind the "production" environment; two merges in
    # quick succession, promoted in the order of their pushes: two ordered versions.
    def staging_and_retrain():
        edit_yaml(
            repo.project / "lifecycle.yaml", lambda d: d["promotion"].update(staging="staging")
        )
        retrain(repo, max_iter=150)()

    first_push = land(repo, staging_and_retrain, "Stage first; fewer iterations", "staged")
    second_push = land(repo, retrain(repo, max_leaf_nodes=15), "Smaller trees", "smaller")
    # The image's production tag moves once the production stage is assigned (after the
    # approval), to the approved version's image.
    for event, version in ((first_push, "v1.2.0"), (second_push, "v1.3.0")):
        run = repo.run("promote.yaml", "push", event, vars={"PUBLISH_IMAGE": "true"})
        assert run.conclusion == "success", run.log()
        assert run.jobs["production"].conclusion == "success", run.log()
        assert "-> staging; prod after approval" in run.jobs["promote"].log, run.log()
        assert run.jobs["image"].step("Point the production tag at it").outcome == "skipped"
        assert run.jobs["image-production"].permissions == {
            "metadata": "read",
            "packages": "write",
        }
        assert image_digest(gh, "production") == image_digest(gh, version), run.log()
    history = git(repo.project, "ls-remote", "--tags", str(gh.origin))
    assert f"{NAME}@v1.2.0" in history and f"{NAME}@v1.3.0" in history
    repo.sh("git", "fetch", "-q", "--tags", "origin")
    shown = repo.sh("gto", "show", NAME).stdout
    assert "v1.3.0" in shown and "prod" in shown
    assert [item["tag_name"] for item in gh.releases()][-2:] == [
        f"{NAME}@v1.2.0",
        f"{NAME}@v1.3.0",
    ]
    assert "**Stage:** staging" in gh.releases()[-1]["body"]

    # A direct push that fails the gate promotes nothing, and says why.
    tags = origin_tags(repo)
    event = land(repo, retrain(repo, max_iter=1, learning_rate=0.01, max_depth=1), "Oops")
    failed = promote(repo, event)
    assert failed.conclusion == "failure"
    assert failed.jobs["gate"].step(GATE_STEP).outcome == "failure"
    assert "the gate failed on" in failed.jobs["gate"].log
    assert "nothing promoted" in failed.jobs["gate"].log
    assert failed.jobs["promote"].conclusion == "skipped"
    assert origin_tags(repo) == tags

    # Rollback: the previous production version by default; an unknown one is refused.
    rolled = repo.run(
        "rollback.yaml", "workflow_dispatch", gh.dispatch_event("main"),
        vars={"PUBLISH_IMAGE": "true"},
    )  # fmt: skip
    assert rolled.conclusion == "success", rolled.log()
    # The image's production tag goes back with it, to v1.2.0's image.
    assert rolled.jobs["image"].permissions == {"metadata": "read", "packages": "write"}
    assert (
        image_digest(gh, "production") == image_digest(gh, "v1.2.0") != image_digest(gh, "v1.3.0")
    )
    # Behind the production environment's reviewers, and never forward.
    rollback_job = yaml.safe_load(
        (repo.project / ".github" / "workflows" / "rollback.yaml").read_text()
    )["jobs"]["rollback"]
    assert rollback_job["environment"] == "production"
    tags = origin_tags(repo)
    forward = repo.run(
        "rollback.yaml",
        "workflow_dispatch",
        gh.dispatch_event("main"),
        inputs={"version": "v1.3.0"},
    )
    assert forward.conclusion == "failure"
    assert "rollback to v1.3.0 refused: v1.3.0 is newer than v1.2.0" in forward.log()
    assert origin_tags(repo) == tags
    # Re-running the promotion of v1.3.0 (its production step, say a late approval)
    # never undoes the rollback: the registry moved since, so it changes nothing.
    # Nor the image's production tag, which stays v1.2.0's.
    tags = origin_tags(repo)
    again = repo.run("promote.yaml", "push", second_push, vars={"PUBLISH_IMAGE": "true"})
    assert again.jobs["production"].conclusion == "failure"
    assert "v1.3.0 not assigned prod: the registry moved since it was promoted" in (
        again.jobs["production"].log
    )
    assert again.jobs["image-production"].conclusion == "skipped"
    assert image_digest(gh, "production") == image_digest(gh, "v1.2.0")
    assert verify_image(repo).returncode == 0  # the image put back is attested too
    assert origin_tags(repo) == tags
    # Neither workflow's run can cancel the other's: each has its own concurrency group.
    groups = {
        name: yaml.safe_load((repo.project / ".github" / "workflows" / name).read_text())[
            "concurrency"
        ]["group"]
        for name in ("promote.yaml", "rollback.yaml")
    }
    assert len(set(groups.values())) == 2, groups
    refused = repo.run(
        "rollback.yaml",
        "workflow_dispatch",
        gh.dispatch_event("main"),
        inputs={"version": "v9.9.9"},
    )
    assert refused.conclusion == "failure"
    assert "no version v9.9.9 in the registry (registered: v1.0.0, v1.1.0" in refused.log()

    repo.sh("git", "fetch", "-q", "--tags", "origin")  # the developer's clone, later
    history = repo.sh("gto", "history", NAME).stdout
    assert "unassignment" in history
    batch = tmp_path / "batch.csv"
    test_rows = pd.read_parquet(repo.project / "data" / "prepared" / "test.parquet")
    test_rows.drop(columns=["target"]).to_csv(batch, index=False)
    # The version CI re-made: the developer's own bytes are not those that shipped, and
    # with a folder remote only CI has them: refused by their md5, never loaded.
    command = ["python", "-m", "churn_model", "predict", "--version", "v1.1.0"]
    refused = repo.sh(*command, str(batch), str(tmp_path / "v1.1.csv"), check=False)
    assert refused.returncode != 0
    assert f"as its promotion re-made it (md5 {shipped})" in refused.stderr, refused.stderr
    assert "substituted" not in refused.stderr and not (tmp_path / "v1.1.csv").exists()

    # The README's local commands: forward with `make assign`, back with `make rollback`.
    repo.sh("make", "assign", "VERSION=v1.3.0")
    repo.sh("make", "rollback", "VERSION=v1.1.0")
    repo.sh("git", "fetch", "-q", "--tags", "origin")
    shown = repo.sh("gto", "show").stdout
    assert re.search(rf"{NAME}\s*│\s*v1.3.0\s*│\s*v1.1.0", shown), shown

    # Registry records made by hand, pushed to origin: a "gate passed" version on an
    # intermediate commit of main that no gate saw, and a stage tag giving it production.
    # GTO's own CLI lists them; the project's commands read none of them.
    intermediate = git(repo.project, "rev-parse", "smaller")  # the merge's other parent
    git(repo.project, "tag", "-a", f"{NAME}@v1.5.0", "-m", "gate passed on it", intermediate)
    git(repo.project, "tag", "-a", f"{NAME}#prod#99", "-m", "by hand", intermediate)
    git(repo.project, "push", "-q", "origin", f"{NAME}@v1.5.0", f"{NAME}#prod#99")
    repo.sh("git", "fetch", "-q", "--tags", "origin")
    held = "from churn_model.registry import holder; print(holder('churn-model', 'prod'))"
    read = repo.sh("python", "-c", held)
    assert "version='v1.1.0'" in read.stdout  # not v1.5.0
    assert f"tag {NAME}@v1.5.0 is not signed by a key" in read.stderr
    assert f"tag {NAME}#prod#99 is not signed by a key" in read.stderr


def test_with_the_s3_remote_the_model_reaches_the_remote_before_its_tags(trained, s3, tmp_path):
    """The S3 remote (moto) and its secrets: promotion runs `dvc repro --pull`. The
    developer is on another platform and pushed nothing: the promotion trains again,
    pushes the bytes it made before the tags that point at them, and the developer's
    `predict` fetches exactly those (checked against the version's record) and scores."""
    repo = trained(s3, SECRETS, dvc_remote="s3", dvc_remote_url="s3://models/churn")
    repo.laptop = other_platform(tmp_path / "other-platform")
    git(repo.project, "checkout", "-q", "main")
    event = land(repo, retrain(repo, learning_rate=0.05), "Lower the rate", "lower-rate")
    laptop_md5 = recorded_model(repo.project)
    run = repo.run("promote.yaml", "push", event, READ_SECRETS, environments=WRITER)
    job, gate = run.jobs["promote"], run.jobs["gate"]
    assert job.conclusion == "success", run.log()
    assert "dvc repro --pull" in gate.step(GATE_STEP).log  # with the read-only identity
    assert "made again here with other bytes" in gate.log
    assert job.step("Push the model to the DVC remote").outcome == "success"
    assert f"{NAME}@v1.1.0" in origin_tags(repo)
    [shipped] = re.findall(
        r"^shipped models/model.joblib ([0-9a-f]{32})$",
        tag_message(repo, f"{NAME}@v1.1.0"),
        re.M,
    )
    assert shipped != laptop_md5
    bucket = s3_client(s3["AWS_ENDPOINT_URL"])
    key = f"churn/files/md5/{shipped[:2]}/{shipped[2:]}"
    assert bucket.head_object(Bucket="models", Key=key)["ContentLength"] > 0

    repo.sh("git", "fetch", "-q", "--tags", "origin")
    batch = tmp_path / "batch.csv"
    rows = pd.read_parquet(repo.project / "data" / "prepared" / "test.parquet")
    rows.drop(columns=["target"]).to_csv(batch, index=False)
    out = tmp_path / "scored.csv"
    scored = repo.sh("python", "-m", "churn_model", "predict", str(batch), str(out))
    assert "scored with churn-model prod v1.1.0" in scored.stdout
    assert len(pd.read_csv(out)) == len(rows)


def test_a_swapped_bundle_artifact_builds_and_pushes_no_image(trained, tmp_path, monkeypatch):
    """Between the promotion's jobs, the `promotion` artifact's bundle is replaced by a
    pickle that runs a command when loaded, its metadata carrying that pickle's own md5
    (a bundle that vouches for itself). The image job checks it against the registry's
    record of the version before anything is built: it fails saying so, no image is
    built or pushed, and the payload never runs. The promotion itself stands."""
    repo = trained()
    gh = repo.gh
    git(repo.project, "checkout", "-q", "main")
    event = land(repo, retrain(repo, learning_rate=0.05), "Lower the rate", "lower-rate")
    marker = tmp_path / "payload-ran"
    swapped = {}

    class Swapping(runner_run.Job):
        """Whoever can write the run's artifacts, acting before the image job starts."""

        def execute(self):
            if self.id == "image":
                artifact = gh.root / "artifacts" / str(self.run.run_id) / "promotion"
                assert (artifact / "image" / "model.joblib").is_file()
                swapped["md5"] = swap_bundle(artifact / "image", marker)
            return super().execute()

    monkeypatch.setattr(runner_run, "Job", Swapping)
    run = repo.run("promote.yaml", "push", event, vars={"PUBLISH_IMAGE": "true"})
    assert run.jobs["promote"].conclusion == "success", run.log()
    assert {f"{NAME}@v1.1.0", f"{NAME}#prod#2"} <= origin_tags(repo)
    image = run.jobs["image"]
    assert image.conclusion == "failure" and run.conclusion == "failure"
    check = image.step("Check the bundle against the version's registry record")
    assert check.outcome == "failure", image.log
    recorded = recorded_model(repo.project)
    assert (
        f"build/image/model.joblib: its bytes (md5 {swapped['md5']}) are not the ones the "
        f"registry's record of v1.1.0 names (md5 {recorded}); refused before loading"
    ) in check.log, check.log
    later = [step.outcome for step in image.steps[image.steps.index(check) + 1 :]]
    assert later and set(later) == {"skipped"}, image.log
    state = localgh.read(gh.state_file)
    assert state.get("docker_images", {}) == {} and gh.packages() == []
    assert not marker.exists()


def model_key(lock_text: str) -> str:
    lock = yaml.safe_load(lock_text)
    [model] = [o for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.joblib"]
    return f"churn/files/md5/{model['md5'][:2]}/{model['md5'][2:]}"


def test_a_model_overwritten_on_the_remote_is_refused_before_it_is_loaded(trained, s3, tmp_path):
    """The issue's proof of concept: the remote's objects for the merged model and for
    production's are replaced by a pickle that runs a command when loaded. The payload
    never runs: with the remote's `verify` off, promotion's own check (every cached
    output hashed against dvc.lock) refuses the bytes and promotes nothing; a model of
    another commit read through DVC is refused the same way; with `verify` on (the
    generated .dvc/config), DVC refuses the pull itself, and the Promote workflow trains
    the reviewed code again and registers exactly the bytes dvc.lock records."""
    repo = trained(s3, SECRETS, dvc_remote="s3", dvc_remote_url="s3://models/churn")
    production_lock = (repo.project / "dvc.lock").read_text(encoding="utf-8")
    production = git(repo.project, "rev-parse", "HEAD")
    git(repo.project, "checkout", "-q", "main")
    event = land(repo, retrain(repo, learning_rate=0.05), "Lower the rate", "lower-rate")
    repo.sh("dvc", "push")  # the developer shares the reviewed model
    marker = tmp_path / "payload-ran"
    bucket = s3_client(s3["AWS_ENDPOINT_URL"])
    merged_lock = (repo.project / "dvc.lock").read_text(encoding="utf-8")
    for key in {model_key(merged_lock), model_key(production_lock)}:
        bucket.put_object(Bucket="models", Key=key, Body=pickle.dumps(Payload(marker)))
    tags = origin_tags(repo)

    # A fresh clone with `verify` off: DVC takes the payload into the workspace, and
    # promotion refuses it before anything loads it.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo.gh.origin), str(clone))
    repo.sh("dvc", "remote", "modify", "--local", "storage", "verify", "false", cwd=clone)
    refused = repo.sh("make", "promote-gate", "REPRO_FLAGS=--pull", cwd=clone, check=False)
    assert refused.returncode != 0
    assert "models/model.joblib: its bytes (md5 " in refused.stderr, refused.stderr
    assert "are not the ones dvc.lock records" in refused.stderr
    assert "refused before loading" in refused.stderr
    assert "Running stage" not in refused.stdout + refused.stderr  # before `dvc repro`
    assert not marker.exists()
    assert origin_tags(repo) == tags
    # A model of another commit (production's), read through DVC, is hashed first too.
    loaded = repo.sh(
        "python", "-c",
        f"from churn_model.pipeline.model import load_at; load_at({production!r})",
        cwd=clone, check=False,
    )  # fmt: skip
    assert loaded.returncode != 0
    assert f"models/model.joblib@{production[:7]}: its bytes (md5 " in loaded.stderr
    assert not marker.exists()

    # The workflow, with the generated .dvc/config (verify on): the pull is refused.
    run = repo.run("promote.yaml", "push", event, READ_SECRETS, environments=WRITER)
    job = run.jobs["promote"]
    assert job.conclusion == "success", run.log()
    log = run.jobs["gate"].step(GATE_STEP).log
    assert "Unable to pull data for stage: 'train'" in log
    assert "Running stage 'train'" in log  # the reviewed code, trained again
    assert "models/model.joblib" in log.split("the bytes dvc.lock records:")[1].split("\n")[0]
    assert not marker.exists()
    assert origin_tags(repo) - tags == {f"{NAME}@v1.1.0", f"{NAME}#prod#2"}


def tag_message(repo, tag: str) -> str:
    return git(repo.gh.origin, "tag", "--list", "--format=%(contents)", tag)


def recorded_model(project) -> str:
    lock = yaml.safe_load((project / "dvc.lock").read_text(encoding="utf-8"))
    [model] = [o for o in lock["stages"]["train"]["outs"] if o["path"] == "models/model.joblib"]
    return model["md5"]


GH_STUB = """#!/bin/sh
# Records a `gh` command and what it read on stdin (a stand-in for the user's gh).
printf '%s\\n' "$*" >> "$GH_CALLS"
cat >> "$GH_CALLS"
printf '\\n--\\n' >> "$GH_CALLS"
"""


def test_the_readme_stores_the_signing_key_where_the_signing_jobs_read_it(baked, tmp_path):
    """The README's commands store the key generation made as the secret that the jobs
    making registry tags read, in the environments those jobs use (a hand-made tag is
    refused in test_merges_promote_in_order_once_each_and_rollback_is_one_action, a
    promotion without the key in the project's own tests)."""
    project = baked()
    # The README's commands, with a `gh` that records them.
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "gh").write_text(GH_STUB)
    (stub / "gh").chmod(0o755)
    calls = tmp_path / "gh-calls"
    for command in readme_commands(project, "Registry signatures"):
        line = " ".join(command)
        subprocess.run(
            ["sh", "-c", line], cwd=project, check=True,
            env={**os.environ, "PATH": f"{stub}:{os.environ['PATH']}", "GH_CALLS": str(calls)},
        )  # fmt: skip
    key = (project / ".registry-signing-key").read_text()
    recorded = [entry.strip("\n") for entry in calls.read_text().split("\n--\n") if entry]
    stored = {entry.split("\n", 1)[0]: entry.split("\n", 1)[1] for entry in recorded}
    assert stored == {
        "secret set REGISTRY_SIGNING_KEY --env writer": key.strip("\n"),
        "secret set REGISTRY_SIGNING_KEY --env production": key.strip("\n"),
    }
    workflows = project / ".github" / "workflows"
    signing_jobs = {
        ("promote.yaml", "promote"): "writer",
        ("promote.yaml", "production"): "production",
        ("rollback.yaml", "rollback"): "production",
    }
    for (workflow, name), environment in signing_jobs.items():
        job = yaml.safe_load((workflows / workflow).read_text())["jobs"][name]
        assert job["environment"] == environment
        assert "${{ secrets.REGISTRY_SIGNING_KEY }}" in str(job["steps"])
    # The job that loads models holds no secret of an environment and no token that writes.
    gate = yaml.safe_load((workflows / "promote.yaml").read_text())["jobs"]["gate"]
    assert "environment" not in gate and gate["permissions"] == {"contents": "read"}
    assert "REGISTRY_SIGNING_KEY" not in str(gate) and "github.token" not in str(gate)
    assert gate["steps"][0]["with"]["persist-credentials"] is False
