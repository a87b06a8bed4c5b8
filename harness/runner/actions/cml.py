"""iterative/setup-cml: puts the `cml` stand-in on PATH; the version must be exact."""

from __future__ import annotations

import re

from ..errors import RunnerError
from ..standins import STANDINS, install_standin
from .base import Action, Call


def check_cml_version(version: str, where: str) -> None:
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
        raise RunnerError(
            f"{where}: iterative/setup-cml version {version!r}: pin an exact version like 0.20.6"
        )


def setup_cml(call: Call) -> None:
    version = call.inputs["version"]
    check_cml_version(version, call.job.where)
    if not call.boolean("vega"):
        call.say("vega-lite CLI tools not requested")
    else:
        call.say("note (local runner): the vega-lite CLI tools are not provided")
    directory = call.job.run.dir / "cml-bin"
    install_standin(directory, "cml")
    call.job.path_additions.insert(0, str(directory))
    call.say(f"cml {version} (local stand-in {STANDINS / 'cml.py'}) on PATH")


# OpenID Connect logins. Each, like the real action, needs the job's id-token: write
# (the runner then sets ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, as GitHub does) and fails
# without it; the token is minted by _Job.id_token.

ACTION = Action(
    inputs={"version": "latest", "vega": "true"}, not_emulated=frozenset(), run=setup_cml
)  # fmt: skip
