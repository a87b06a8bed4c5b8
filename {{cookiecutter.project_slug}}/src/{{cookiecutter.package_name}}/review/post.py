"""Post a pull request's report as one sticky comment (the "Pull request comment" workflow).

Standard library only: it runs without installing the project, from the default
branch, and never runs the pull request's code. The report artifact comes from the
pull request's run and is not trusted: the pull request number it names must be the
one whose head commit GitHub says triggered that run, or nothing is posted.

Usage: python -m <package>.review.post <report dir> (`make post-report`)
Environment: GITHUB_REPOSITORY, RUN_HEAD_SHA (the run's head commit), GH_TOKEN and
REPO_TOKEN (a token that may comment); `gh` and `cml` on PATH.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

WATERMARK = "model-report"  # the same title on every push: CML updates, never adds


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        return fail(f"usage: python -m {__name__} <report dir>")
    folder = Path(argv[0])
    report, about = folder / "report.md", folder / "pull-request.json"
    if not report.is_file() or not about.is_file():
        return fail(f"{folder}: no report.md or pull-request.json in the report artifact")
    pull_request = json.loads(about.read_text(encoding="utf-8"))
    number = str(pull_request.get("number", ""))
    if not number:
        print("post: the run was not for a pull request; nothing to post")
        return 0
    if not re.fullmatch(r"[1-9][0-9]{0,9}", number):
        return fail(f"{about}: number: expected a pull request number, got {number!r}")
    expected = os.environ.get("RUN_HEAD_SHA", "")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    actual = subprocess.run(
        ["gh", "api", f"repos/{repository}/pulls/{number}", "--jq", ".head.sha"],
        capture_output=True,
        text=True,
        check=False,
    )
    if actual.returncode != 0:
        return fail(f"cannot read pull request #{number}: {actual.stderr.strip()}")
    if not expected or actual.stdout.strip() != expected:
        return fail(
            f"pull request #{number}'s head is {actual.stdout.strip() or 'unknown'}, not the "
            f"commit this report was made for ({expected or 'RUN_HEAD_SHA unset'}); not posting"
        )
    posted = subprocess.run(
        [
            *("cml", "comment", "update", f"--target=pr/{number}"),
            *(f"--watermark-title={WATERMARK}", "--no-publish", str(report)),
        ],
        check=False,
    )
    return posted.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
