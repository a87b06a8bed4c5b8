"""GitHub's side of a run: the repository (a bare ``origin``), pull requests with their
refs and test merges, event payloads, and the JSON state the stand-ins read and write."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import RunnerError
from .standins import localgh

if TYPE_CHECKING:
    from .results import Run


def git(*args: str, cwd: Path | None = None, env: dict | None = None, check=True):
    """Git's stdout, raising RunnerError on failure; with ``check=False`` the completed
    process itself, for callers that read the exit code (e.g. a conflicting merge)."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise RunnerError(
            f"git {' '.join(args)} failed ({result.returncode}) in {cwd}: {result.stderr.strip()}"
        )
    return result.stdout.strip() if check else result


def rev(git_dir: Path, ref: str) -> str | None:
    result = git(
        "--git-dir",
        str(git_dir),
        "rev-parse",
        "--verify",
        "--quiet",
        f"{ref}^{{commit}}",
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


GITHUB_IDENTITY = {
    "GIT_AUTHOR_NAME": "GitHub",
    "GIT_AUTHOR_EMAIL": "noreply@github.com",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.com",
}


class GitHub:
    """GitHub's side of things: the repository (a bare ``origin``), pull requests with
    their refs, and the JSON state the stand-ins read and write."""

    def __init__(self, root: Path, repository: str = "acme/model", default_branch: str = "main"):
        self.root = Path(root).resolve()
        self.repository, self.default_branch = repository, default_branch
        self.owner, self.name = repository.split("/")
        self.origin = self.root / "origin.git"
        self.state_file = self.root / "github.json"
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.origin.exists():
            git(
                "init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(self.origin)
            )
        if not self.state_file.exists():
            state = localgh.initial_state(repository, default_branch)
            self.state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")
        elif localgh.read(self.state_file)["repository"] != repository:
            raise RunnerError(f"{self.state_file} belongs to another repository")

    # repository objects as GitHub's payloads and API show them
    def repo_object(self, full_name: str | None = None) -> dict:
        full_name = full_name or self.repository
        owner, name = full_name.split("/")
        return {
            "id": int(hashlib.sha256(full_name.encode()).hexdigest()[:8], 16),
            "name": name,
            "full_name": full_name,
            "owner": {"login": owner},
            "private": False,
            "fork": full_name != self.repository,
            "default_branch": self.default_branch,
            "html_url": f"{localgh.SERVER_URL}/{full_name}",
            "clone_url": f"{localgh.SERVER_URL}/{full_name}.git",
        }

    def tip(self, ref: str) -> str:
        sha = rev(self.origin, ref)
        if sha is None:
            raise RunnerError(f"origin has no {ref}")
        return sha

    def pull(self, number: int) -> dict:
        for pull in localgh.read(self.state_file)["pulls"]:
            if pull["number"] == number:
                return pull
        raise RunnerError(f"no pull request #{number}")

    def open_pull_request(self, head: str, base: str = "main", fork: Path | None = None) -> int:
        """Open a pull request from branch ``head`` (of origin, or of the bare repository
        ``fork``) into ``base``; creates refs/pull/N/head and, unless the merge
        conflicts, refs/pull/N/merge."""
        source = Path(fork).resolve() if fork else self.origin
        if rev(source, f"refs/heads/{head}") is None:
            raise RunnerError(f"{source} has no branch {head}")
        base_sha = self.tip(f"refs/heads/{base}")
        head_repo = f"forker/{self.name}" if fork else self.repository
        with localgh.locked(self.state_file) as state:
            number = localgh.next_id(state, "issue")
            pull = {
                "url": f"{localgh.API_URL}/repos/{self.repository}/pulls/{number}",
                "id": 100_000 + number,
                "number": number,
                "state": "open",
                "title": f"Merge {head} into {base}",
                "user": {"login": head_repo.split("/")[0]},
                "html_url": f"{localgh.SERVER_URL}/{self.repository}/pull/{number}",
                "draft": False,
                "merged": False,
                "head": {
                    "label": f"{head_repo.split('/')[0]}:{head}",
                    "ref": head,
                    "sha": "",
                    "repo": self.repo_object(head_repo),
                },
                "base": {
                    "label": f"{self.owner}:{base}",
                    "ref": base,
                    "sha": base_sha,
                    "repo": self.repo_object(),
                },
                "merge_commit_sha": None,
                "mergeable": None,
                "_source": str(source),
                "_before": None,
            }
            state["pulls"].append(pull)
        self._update_refs(number)
        return number

    def synchronize(self, number: int) -> None:
        """After commits were pushed to the head branch: recompute both refs."""
        self._update_refs(number)

    def _update_refs(self, number: int) -> None:
        pull = self.pull(number)
        source, head = Path(pull["_source"]), pull["head"]["ref"]
        head_sha = rev(source, f"refs/heads/{head}")
        if head_sha is None:
            raise RunnerError(f"{source} has no branch {head}")
        if source == self.origin:
            git("--git-dir", str(self.origin), "update-ref", f"refs/pull/{number}/head", head_sha)
        else:
            git(
                "--git-dir",
                str(self.origin),
                "fetch",
                "--quiet",
                "--no-tags",
                str(source),
                f"+refs/heads/{head}:refs/pull/{number}/head",
            )
        base_sha = self.tip(f"refs/heads/{pull['base']['ref']}")
        merge = self._test_merge(number, base_sha, head_sha)
        with localgh.locked(self.state_file) as state:
            record = next(p for p in state["pulls"] if p["number"] == number)
            if record["head"]["sha"] and record["head"]["sha"] != head_sha:
                record["_before"] = record["head"]["sha"]
            record["head"]["sha"], record["base"]["sha"] = head_sha, base_sha
            # a pull request opened by `gh pr create` gets GitHub's full repository objects
            record["head"]["repo"] = self.repo_object(record["head"]["repo"]["full_name"])
            record["base"]["repo"] = self.repo_object()
            record["merge_commit_sha"], record["mergeable"] = merge, merge is not None

    def _test_merge(self, number: int, base_sha: str, head_sha: str) -> str | None:
        """GitHub's test merge of head into base, as a real merge commit (merge-ort, as
        GitHub's servers do, without a work tree); None when it conflicts."""
        git_dir = ("--git-dir", str(self.origin))
        merged = git(
            *git_dir,
            "merge-tree",
            "--write-tree",
            "--no-messages",
            base_sha,
            head_sha,
            check=False,
        )
        if merged.returncode == 1:
            git(*git_dir, "update-ref", "-d", f"refs/pull/{number}/merge", check=False)
            return None
        if merged.returncode != 0:
            raise RunnerError(f"test merge of PR #{number} failed: {merged.stderr.strip()}")
        tree = merged.stdout.split()[0]
        commit = git(
            *git_dir,
            "commit-tree",
            tree,
            "-p",
            base_sha,
            "-p",
            head_sha,
            "-m",
            f"Merge {head_sha} into {base_sha}",
            env=GITHUB_IDENTITY,
        )
        git(*git_dir, "update-ref", f"refs/pull/{number}/merge", commit)
        return commit

    def event(self, number: int, action: str = "opened") -> dict:
        """A ``pull_request`` event payload for pull request ``number``."""
        if action not in ("opened", "synchronize", "reopened"):
            raise RunnerError(f"pull_request action {action!r} is not emulated")
        pull = self.pull(number)
        payload = {
            "action": action,
            "number": number,
            "pull_request": localgh.public(pull),
            "repository": self.repo_object(),
            "sender": pull["user"],
        }
        if action == "synchronize":
            payload["before"], payload["after"] = pull["_before"], pull["head"]["sha"]
        return payload

    def push_event(self, branch: str, before: str = "0" * 40) -> dict:
        """A ``push`` event payload for the current tip of ``branch`` in origin."""
        after = self.tip(f"refs/heads/{branch}")
        return {
            "ref": f"refs/heads/{branch}",
            "before": before,
            "after": after,
            "repository": self.repo_object(),
            "pusher": {"name": self.owner},
            "sender": {"login": self.owner},
        }

    def dispatch_event(self, ref: str | None = None) -> dict:
        """A ``workflow_dispatch`` payload (inputs are given to run_workflow)."""
        return {
            "ref": ref or f"refs/heads/{self.default_branch}",
            "inputs": {},
            "repository": self.repo_object(),
            "sender": {"login": self.owner},
        }

    def schedule_event(self, cron: str) -> dict:
        return {"schedule": cron, "repository": self.repo_object()}

    def comments(self, number: int) -> list[dict]:
        """The comments on pull request or issue ``number``, oldest first."""
        comments = localgh.read(self.state_file)["comments"]
        return [
            {"id": c["id"], "body": c["body"], "user": c["user"]["login"]}
            for c in comments
            if c["issue_number"] == number
        ]

    def add_comment(self, number: int, body: str, login: str = "a-reviewer") -> int:
        """A person's comment on pull request ``number``; returns its id."""
        with localgh.locked(self.state_file) as state:
            identifier = localgh.next_id(state, "comment", start=1_000_001)
            state["comments"].append(
                {
                    "id": identifier,
                    "target": f"pr/{number}",
                    "issue_number": number,
                    "commit_id": None,
                    "user": {"login": login, "type": "User"},
                    "html_url": f"{localgh.SERVER_URL}/{state['repository']}/pull/"
                    f"{number}#issuecomment-{identifier}",
                    "body": body,
                }
            )
        return identifier

    def releases(self) -> list[dict]:
        """The releases created (``gh release create``), oldest first."""
        return [localgh.public(item) for item in localgh.read(self.state_file)["releases"]]

    def packages(self) -> list[dict]:
        """The container images pushed to ghcr.io (``docker push``), oldest first."""
        return list(localgh.read(self.state_file).get("packages", []))

    def workflow_run_event(self, run: Run, workflow_name: str | None = None) -> dict:
        """A ``workflow_run`` completed payload for an earlier run. As on GitHub, its
        pull_requests list is empty when the pull request comes from a fork."""
        head_sha, head_branch, head_repo, pulls = run.sha, run.ref_name, self.repository, []
        if run.event_name == "pull_request":
            pull = run.payload["pull_request"]
            head_sha, head_branch = pull["head"]["sha"], pull["head"]["ref"]
            head_repo = pull["head"]["repo"]["full_name"]
            if head_repo == self.repository:
                pulls = [
                    {
                        "id": pull["id"],
                        "number": pull["number"],
                        "url": pull["url"],
                        "head": {"ref": head_branch, "sha": head_sha},
                        "base": {"ref": pull["base"]["ref"], "sha": pull["base"]["sha"]},
                    }
                ]
        name = workflow_name or run.workflow_name
        workflow_run = {
            "id": run.run_id,
            "name": name,
            "event": run.event_name,
            "status": "completed",
            "conclusion": run.conclusion,
            "head_sha": head_sha,
            "head_branch": head_branch,
            "run_number": run.run_number,
            "run_attempt": 1,
            "path": run.workflow_ref_path,
            "pull_requests": pulls,
            "head_repository": self.repo_object(head_repo),
            "repository": self.repo_object(),
            "html_url": f"{localgh.SERVER_URL}/{self.repository}/actions/runs/{run.run_id}",
        }
        return {
            "action": "completed",
            "workflow_run": workflow_run,
            "workflow": {"name": name, "path": run.workflow_ref_path},
            "repository": self.repo_object(),
            "sender": {"login": self.owner},
        }
