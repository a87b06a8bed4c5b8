"""Post a pull request's report as one sticky comment (the "Pull request comment" workflow).

Standard library only: it runs without installing the project, from the default
branch, and never runs the pull request's code. The report artifact comes from the
pull request's run and is not trusted: the pull request number it names must be the
one whose head commit GitHub says triggered that run, or nothing is posted.

The comment is this workflow's own: the newest comment by the workflow's identity
(``AUTHOR``) that carries ``MARKER``, found through every page of the pull request's
comments. It is edited in place; when there is none, CML creates it. A comment anyone
else wrote is never edited, whatever it contains (CML's own `comment update` would
take the newest comment with its watermark whoever wrote it, and reads only the first
30 comments).

The artifact's text is what the pull request's run wrote, and a fork writes its own run:
it can make a failed run's report say the gate passes, or mention people. So the comment
opens with the run's conclusion as GitHub recorded it (``RUN_CONCLUSION``, from the
event, not the artifact), and every ``@`` of the report is followed by a zero-width
joiner, so no user or team is mentioned (notified) by the comment.

Usage: python -m <package>.review.post <report dir> (`make post-report`)
Environment: GITHUB_REPOSITORY, RUN_HEAD_SHA (the run's head commit), RUN_CONCLUSION
(its conclusion: success, failure, cancelled, timed_out...), GH_TOKEN and
REPO_TOKEN (a token that may comment); `gh` and `cml` on PATH.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

WATERMARK = "model-report"  # CML's watermark title on the comment it creates
MARKER = "<!-- model-report: the Pull request comment workflow's comment -->"
AUTHOR = "github-actions[bot]"  # who comments with the workflow's token
PAGE = 100  # comments per page read (GitHub's largest)
# How a run that did not succeed ended, by GitHub's conclusion of a workflow run.
ENDED = {
    "failure": "failed",
    "cancelled": "was cancelled",
    "timed_out": "timed out",
    "action_required": "is waiting for approval",
    "startup_failure": "could not start",
    "stale": "went stale",
    "skipped": "was skipped",
    "neutral": "ended neutral",
}
# "@" and the HTML entities Markdown renders as one.
AT = re.compile(r"@|&(?:#0*64|#[xX]0*40|commat);")
NO_MENTION = "@\u200d"  # "@" then a zero-width joiner: shown as "@", mentions no one


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
    try:
        pull_request = json.loads(about.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        return fail(f"{about}: not JSON ({error}); not posting")
    if not isinstance(pull_request, dict):
        return fail(f"{about}: expected a JSON object, got {type(pull_request).__name__}")
    number = str(pull_request.get("number", ""))
    if not number:
        print("post: the run was not for a pull request; nothing to post")
        return 0
    if not re.fullmatch(r"[1-9][0-9]{0,9}", number):
        return fail(f"{about}: number: expected a pull request number, got {number!r}")
    conclusion = os.environ.get("RUN_CONCLUSION", "")
    if not conclusion:
        return fail("RUN_CONCLUSION unset (the run's conclusion, from the event); not posting")
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
    mine = own_comment(repository, number)
    if isinstance(mine, str):
        return fail(f"cannot read pull request #{number}'s comments: {mine}")
    body = comment_body(report.read_text(encoding="utf-8"), conclusion)
    if mine is not None:
        payload = folder / "comment.json"
        payload.write_text(json.dumps({"body": body}), encoding="utf-8")
        edited = gh_api("--method", "PATCH", f"repos/{repository}/issues/comments/{mine}",
                        "--input", str(payload))  # fmt: skip
        if edited.returncode != 0:
            return fail(f"cannot update comment {mine}: {edited.stderr.strip()}")
        print(f"post: updated the report's comment on pull request #{number} ({mine})")
        return 0
    comment = folder / "comment.md"  # beside report.md: its relative links still resolve
    comment.write_text(body, encoding="utf-8")
    posted = subprocess.run(
        [
            *("cml", "comment", "create", f"--target=pr/{number}"),
            *(f"--watermark-title={WATERMARK}", "--no-publish", str(comment)),
        ],
        check=False,
    )
    return posted.returncode


def comment_body(report: str, conclusion: str) -> str:
    """The comment: first a line that says how the run ended (GitHub's conclusion, not
    the artifact's), then the report with no working @mention, then ``MARKER``."""
    if conclusion == "success":
        status = "✅ **This pull request's check succeeded** (its *Pull request* run)."
    else:
        ended = ENDED.get(conclusion, "did not succeed")
        status = (
            f"❌ **This pull request's check {ended}** (its *Pull request* run): the "
            "report below is not a passing verdict, whatever it says."
        )
    text = AT.sub(NO_MENTION, report.rstrip("\n"))
    return f"{status}\n\n{text}\n\n{MARKER}\n"


def gh_api(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["gh", "api", *args], capture_output=True, text=True, check=False)


def own_comment(repository: str, number: str) -> int | str | None:
    """The id of this workflow's newest comment on the pull request, None when it has
    none; a string says why the comments could not be read."""
    found, page = None, 1
    while True:
        listed = gh_api(f"repos/{repository}/issues/{number}/comments?per_page={PAGE}&page={page}")
        if listed.returncode != 0:
            return listed.stderr.strip() or "gh api failed"
        try:
            items = json.loads(listed.stdout)
        except ValueError:
            return "gh api gave no JSON"
        for item in items if isinstance(items, list) else []:
            author = (item.get("user") or {}).get("login")
            if author == AUTHOR and MARKER in (item.get("body") or ""):
                found = item["id"]
        if not isinstance(items, list) or len(items) < PAGE:
            return found
        page += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
