"""The project's command line: one subcommand per pipeline stage or lifecycle action.

Run it from the project root as ``python -m {{ cookiecutter.package_name }} <command>``.
Problems the user can fix are printed as one clear message and exit with status 1.
"""

import argparse
import importlib
import inspect
import sys

from . import __version__
from .errors import ProjectError


def validate() -> None:
    """Check params.yaml and lifecycle.yaml against their schemas."""
    from .config import load_lifecycle, load_params

    load_params()
    load_lifecycle()
    print("params.yaml and lifecycle.yaml are valid")


# command -> (module[:function] that runs it, help); each imports its libraries lazily.
COMMANDS = {
    "prepare": ("prepare", "load the source data, validate it, split train and test"),
    "train": ("train", "fit the estimator chosen in params.yaml"),
    "evaluate": ("evaluate", "score the test rows; write metrics, plots and predictions"),
    "validate": (None, "check params.yaml and lifecycle.yaml"),
    "lock-check": ("lockcheck", "record whether dvc.lock matches the code, params and data"),
    "report": ("report", "compare this model with production and base; write the report"),
    "gate": ("gate", "exit non-zero when the report's verdict is a failure"),
    "predict": ("predict", "score a CSV or Parquet file with the model in production"),
    "promote": ("promote", "gate this commit's model; register it and assign its stage"),
    "assign": ("promote:assign_main", "give a registered version a stage (production)"),
    "rollback": ("promote:rollback_main", "put production back to an earlier version"),
    "push-tags": ("promote:push_main", "push the tags the last promote made to origin"),
    "model-card": ("card", "render a version's model card (production's by default)"),
    "push": ("storage:push", "share outputs and stage results (run-cache) with the DVC remote"),
    "pull": ("storage:pull", "fetch outputs and stage results (run-cache) from the DVC remote"),
    "monitor": ("monitor", "compare new data with the production model's training data"),
    "drift-issue": ("monitor:issue_main", "open or update the drift issue (GitHub CLI)"),
    "retrain": ("retrain", "refresh the data, rerun the pipeline; a new model on a new branch"),
    "retrain-pr": ("retrain:open_pr", "push the retrained branch, open its pull request (gh)"),
}


def arguments_of(name: str, command: argparse.ArgumentParser) -> None:
    """The options of the commands that take any."""
    if name in ("report", "promote"):
        default, shown = ("origin/main", "%(default)s") if name == "report" else (None, "HEAD^")
        command.add_argument("--base", default=default, help=f"base branch or commit ({shown})")
    if name == "report":
        command.add_argument("--pull-request", default="", help="the PR's number, in CI")
        command.add_argument("--head-sha", default="", help="the PR's head commit, in CI")
    if name == "predict":
        command.add_argument("input", help="a .csv or .parquet file with the features")
        command.add_argument("output", help="where to write predictions (.csv or .parquet)")
        model = command.add_mutually_exclusive_group()
        model.add_argument("--stage", help="the registry stage (lifecycle.yaml's by default)")
        model.add_argument("--version", help="a registered version, e.g. v1.2.0")
        model.add_argument("--model", help="a model file instead of the registry")
        command.add_argument(
            "--chunk-rows", type=int, default=100_000, help="rows scored at once (%(default)s)"
        )
    if name == "assign":
        command.add_argument("version", help="a registered version, e.g. v1.2.0")
        command.add_argument("--stage", help="the stage (lifecycle.yaml's production stage)")
    if name == "rollback":
        command.add_argument("--to", help="the version (default: the previous production one)")
    if name in ("assign", "rollback"):
        command.add_argument(
            "--no-push", dest="push", action="store_false", help="make the tags, do not push"
        )
    if name == "monitor":
        command.add_argument(
            "batch", nargs="?", help="a .csv or .parquet file (lifecycle.yaml's monitoring.batch)"
        )
        command.add_argument("--version", help="compare with this version, not production's")
        command.add_argument(
            "--fetch",
            action="store_true",
            help="get the newest DVC-tracked batch (dvc update for an import, else dvc pull)",
        )
    if name == "retrain":
        command.add_argument(
            "--pull", action="store_true", help="fetch stage results the DVC remote has"
        )
    if name == "model-card":
        command.add_argument("--version", help="a registered version (default: production's)")
        command.add_argument("--output", help="write it to this file instead of stdout")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }}", description=__doc__.splitlines()[0]
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="command")
    for name, (_, text) in COMMANDS.items():
        arguments_of(name, commands.add_parser(name, help=text, description=text))
    return root


def main(argv: list[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    target, _ = COMMANDS[arguments.command]
    try:
        if target is None:
            validate()
            return 0
        module, _, function = target.partition(":")
        run = getattr(importlib.import_module(f"{__package__}.{module}"), function or "main")
        # the commands with options take them; a command may return its exit status
        status = run(arguments) if inspect.signature(run).parameters else run()
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return status or 0
