"""The project's command line: every command, declared once with its arguments.

Run it from the project root as ``python -m <package> <command>``, or as the console
script named after the project (``--help`` lists them). argparse lives here only: each
command parses its arguments and calls one function with plain keyword arguments,
importing that function when it runs, so a light command (`gate`, `rollback`) never
loads the model libraries. Problems the user can fix are printed as one clear message
and exit with status 1.
"""

import argparse
import re
import sys
from collections.abc import Callable
from typing import Any

from . import __version__
from .errors import ProjectError
from .operate.limits import Limits
from .paths import IMAGE_BUNDLE

BUNDLE = str(IMAGE_BUNDLE)  # the bundle the image serves
LIMITS = Limits()  # `serve`'s defaults
# command -> (its help, its arguments as (flags, options) for argparse, what it runs)
COMMANDS: dict[str, tuple[str, list[tuple[tuple[str, ...], dict]], Callable[..., Any]]] = {}


def argument(*flags: str, **options: Any) -> tuple[tuple[str, ...], dict]:
    """One argument of a command, as argparse's add_argument takes it."""
    return flags, options


def command(name: str, text: str, *arguments: tuple[tuple[str, ...], dict]):
    """Declare the decorated function as the command ``name``; it receives the parsed
    arguments as keywords and may return an exit status."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        COMMANDS[name] = (text, list(arguments), function)
        return function

    return register


def exclusive(*arguments: tuple[tuple[str, ...], dict]) -> tuple[tuple[str, ...], dict]:
    """Arguments of which a command takes one at most."""
    return (), {"exclusive": arguments}


def port(text: str) -> int:
    """A port to listen on, 1 to 65535: not 0, with which the system would pick one that
    `serve` could not print (nor the image's health check call)."""
    if not re.fullmatch(r"[0-9]{1,5}", text) or not 1 <= int(text) <= 65_535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return int(text)


def positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argument's type: a positive number of ``kind`` (int or float)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def pull_request(text: str) -> str:
    """A pull request's number, or empty outside one (the Makefile passes PR_NUMBER only
    when CI sets it)."""
    if text and not re.fullmatch(r"[1-9][0-9]{0,9}", text):  # as review/post.py reads it
        raise argparse.ArgumentTypeError(f"expected a pull request's number, got {text!r}")
    return text


NO_PUSH = argument(
    "--no-push", dest="push_tags", action="store_false", help="make the tags, do not push"
)

# Which registered model a command uses: a stage's version, or a version by its name.
WHICH_VERSION = (
    argument("--stage", help="the registry stage (lifecycle.yaml's by default)"),
    argument("--version", help="a registered version, e.g. v1.2.0"),
)

# the pipeline (dvc.yaml runs these) ----------------------------------------------------


@command("prepare", "load the source data, validate it, split train and test")
def prepare() -> None:
    from .pipeline.prepare import main

    main()


@command("train", "fit the estimator chosen in params.yaml")
def train() -> None:
    from .pipeline.train import main

    main()


@command("evaluate", "score the test rows; write metrics, plots and predictions")
def evaluate() -> None:
    from .pipeline.evaluate import main

    main()


@command("validate", "check params.yaml, lifecycle.yaml and dvc.yaml's plots and artifact")
def validate() -> None:
    from .config import check_project

    check_project()
    print("params.yaml, lifecycle.yaml and dvc.yaml's plots and artifact are valid")


# review: a pull request ------------------------------------------------------------------


@command("lock-check", "record whether dvc.lock matches the code, params and data")
def lock_check() -> None:
    from .review.lockcheck import main

    main()


@command(
    "report",
    "compare this model with production and base; write the report",
    argument("--base", default="origin/main", help="base branch or commit (%(default)s)"),
    argument(
        "--pull-request", type=pull_request, default="", help="the pull request's number, in CI"
    ),
    argument("--head-sha", default="", help="the pull request's head commit, in CI"),
)
def report(base: str, pull_request: str, head_sha: str) -> None:
    from .review.report import main

    main(base, pull_request, head_sha)


@command(
    "propose-gate",
    "propose gate values from this model's metrics and their intervals",
    argument("--write", action="store_true", help="write them into lifecycle.yaml's gate"),
)
def propose_gate(write: bool) -> None:
    from .review.proposal import main

    main(write)


@command("gate", "exit non-zero when the report's verdict is a failure")
def gate() -> None:
    from .review.gate import main

    main()


# release: merging promotes ---------------------------------------------------------------


@command(
    "promote-gate",
    "judge this commit's model after `dvc repro` (loads models; needs no secret)",
    argument("--base", default=None, help="the commit to compare with besides production (HEAD^)"),
)
def promote_gate(base: str | None) -> None:
    from .release.promote import gate_main

    gate_main(base)


@command("promote", "register and stage what promote-gate decided (signs; loads nothing)")
def promote() -> None:
    from .release.promote import main

    main()


@command("push-tags", "push the tags the last promote made to origin")
def push_tags() -> None:
    from .release.publish import push_tags

    push_tags()


@command("release", "create the GitHub release of the last promote's version (gh)")
def release() -> None:
    from .release.publish import release

    release()


@command(
    "assign",
    "give a registered version a stage (production)",
    argument("version", help="a registered version, e.g. v1.2.0"),
    argument("--stage", help="the stage (lifecycle.yaml's production stage)"),
    argument(
        "--if-newest",
        action="store_true",
        help="only if nothing moved in the registry since the version was registered "
        "(the promotion's production step: a late approval never undoes a rollback)",
    ),
    NO_PUSH,
)
def assign(version: str, stage: str | None, if_newest: bool, push_tags: bool) -> None:
    from .release.rollback import assign

    assign(version, stage, push_tags, if_newest)


@command(
    "rollback",
    "put production back to an earlier version",
    argument("--to", help="the version (default: the previous production one)"),
    NO_PUSH,
)
def rollback(to: str | None, push_tags: bool) -> None:
    from .release.rollback import rollback

    rollback(to, push_tags)


@command(
    "model-card",
    "render a version's model card (production's by default)",
    argument("--version", help="a registered version (default: production's)"),
    argument("--output", help="write it to this file instead of stdout"),
)
def model_card(version: str | None, output: str | None) -> None:
    from .release.card import main

    main(version, output)


# operate: the model in production --------------------------------------------------------


@command(
    "predict",
    "score a CSV or Parquet file with the model in production",
    argument("source", metavar="input", help="a .csv or .parquet file with the features"),
    argument("output", help="where to write predictions (.csv or .parquet)"),
    exclusive(
        *WHICH_VERSION,
        argument("--model", help="a model file instead of the registry"),
    ),
    argument("--chunk-rows", type=int, default=100_000, help="rows scored at once (%(default)s)"),
)
def predict(
    source: str,
    output: str,
    stage: str | None,
    version: str | None,
    model: str | None,
    chunk_rows: int,
) -> None:
    from .operate.predict import main

    main(source, output, stage, version, model, chunk_rows)


@command(
    "serve",
    "answer predictions over HTTP with the model in production (FastAPI)",
    exclusive(
        *WHICH_VERSION,
        argument("--bundle", dest="bundle_dir", help="a folder the `bundle` command wrote"),
    ),
    argument("--host", default="127.0.0.1", help="the address to listen on (%(default)s)"),
    argument("--port", type=port, default=8000, help="the port, 1 to 65535 (%(default)s)"),
    argument(
        "--workers", type=positive(int), default=LIMITS.workers, help="processes (%(default)s)"
    ),
    argument(
        "--max-body-bytes", type=positive(int), default=LIMITS.max_body_bytes,
        help="a request's body at most, else 413 (%(default)s)",
    ),
    argument(
        "--max-rows", type=positive(int), default=LIMITS.max_rows,
        help="rows per request at most, else 422 (%(default)s)",
    ),
    argument(
        "--max-concurrent", type=positive(int), default=LIMITS.max_concurrent,
        help="scoring requests in flight per worker, else 503 (%(default)s)",
    ),
    argument(
        "--max-connections", type=positive(int), default=LIMITS.max_connections,
        help="open connections per worker; more are closed (%(default)s)",
    ),
    argument(
        "--header-timeout", type=positive(float), default=LIMITS.header_timeout,
        help="seconds for a request's headers, else closed (%(default)s)",
    ),
    argument(
        "--body-timeout", type=positive(float), default=LIMITS.body_timeout,
        help="seconds for a request's body, else closed (%(default)s)",
    ),
    argument(
        "--keep-alive", type=positive(float), default=LIMITS.keep_alive,
        help="seconds an idle connection stays open (%(default)s)",
    ),
)  # fmt: skip
def serve(
    stage: str | None,
    version: str | None,
    bundle_dir: str | None,
    host: str,
    port: int,
    **limits: Any,
) -> None:
    from .operate.serve import main

    main(stage, version, bundle_dir, host, port, Limits(**limits))


@command(
    "bundle",
    "write a version's model and metadata to a folder, for `serve --bundle` (the image)",
    exclusive(*WHICH_VERSION),
    argument("--to", dest="folder", default=BUNDLE, help="the folder (%(default)s)"),
)
def bundle(stage: str | None, version: str | None, folder: str) -> None:
    from .operate.bundle import bundle

    bundle(stage, version, folder)


@command(
    "verify-bundle",
    "check a bundle against a version's registry record (its model is never loaded)",
    argument("version", help="the version the bundle must hold, e.g. v1.2.0"),
    argument("--bundle", dest="folder", default=BUNDLE, help="its folder (%(default)s)"),
)
def verify_bundle(version: str, folder: str) -> None:
    from .operate.bundle import verify

    verify(version, folder)


@command(
    "image",
    f"verify {BUNDLE}'s bundle against a version's registry record, build its image (docker)",
    argument("version", help="the bundle's version, e.g. v1.2.0: the image's tag"),
    argument("--name", required=True, help="the image's name, e.g. ghcr.io/owner/repo"),
    argument("--source", help="the repository's URL: a label linking a ghcr.io package to it"),
)
def image(version: str, name: str, source: str | None) -> None:
    from .operate.bundle import image

    image(version, name, source)


@command(
    "monitor",
    "compare new data with the production model's training data",
    argument(
        "batch", nargs="?", help="a .csv or .parquet file (lifecycle.yaml's monitoring.batch)"
    ),
    argument("--version", help="compare with this version, not production's"),
    argument(
        "--fetch",
        dest="fetch_newest",
        action="store_true",
        help="get the newest DVC-tracked batch (dvc update for an import, else dvc pull)",
    ),
    argument(
        "--outcomes",
        help="a .csv or .parquet file of the batch's outcomes (the ID columns and the "
        "target): the model's realized metrics (lifecycle.yaml's monitoring.outcomes)",
    ),
)
def monitor(
    batch: str | None, version: str | None, fetch_newest: bool, outcomes: str | None
) -> int:
    from .operate.monitor import main

    return main(batch, version, fetch_newest, outcomes)


@command("drift-issue", "open or update the drift issue (GitHub CLI)")
def drift_issue() -> None:
    from .operate.monitor import issue

    issue()


@command(
    "retrain",
    "refresh the data, rerun the pipeline; a new model on a new branch",
    argument("--pull", action="store_true", help="fetch stage results the DVC remote has"),
)
def retrain(pull: bool) -> None:
    from .operate.retrain import main

    main(pull)


@command("retrain-pr", "push the retrained branch, open its pull request (gh)")
def retrain_pr() -> None:
    from .operate.retrain import open_pr

    open_pr()


# the DVC remote --------------------------------------------------------------------------


@command("push", "share outputs and stage results (run-cache) with the DVC remote")
def push() -> None:
    from .dvc import push

    push()


@command("pull", "fetch outputs and stage results (run-cache) from the DVC remote")
def pull() -> None:
    from .dvc import pull

    pull()


# parsing ---------------------------------------------------------------------------------


def parser(prog: str | None = None) -> argparse.ArgumentParser:
    """``prog``: the name usage shows; by default the program's (the console script's)."""
    root = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="command")
    for name, (text, arguments, _) in COMMANDS.items():
        sub = commands.add_parser(name, help=text, description=text)
        for flags, options in arguments:
            if "exclusive" in options:
                group = sub.add_mutually_exclusive_group()
                for inner, settings in options["exclusive"]:
                    group.add_argument(*inner, **settings)
            else:
                sub.add_argument(*flags, **options)
    return root


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """The console script's entry point; ``python -m`` names itself with ``prog``."""
    arguments = vars(parser(prog).parse_args(argv))
    _, _, run = COMMANDS[arguments.pop("command")]
    try:
        status = run(**arguments)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return status or 0
