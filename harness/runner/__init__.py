"""A local GitHub Actions runner: a workflow's jobs for one event, against real git.

No Docker, no ``act``, no network. A bare repository (``GitHub.origin``) stands in for
the repository on GitHub; pull requests are real ``refs/pull/N/head`` and
``refs/pull/N/merge`` refs in it, and the rest of GitHub's state (pull requests,
comments, runs) is a JSON file read and written by the stand-ins in
``standins/`` (``gh``, ``cml``).

Emulated:

- triggers ``pull_request`` (types, branches, paths), ``push`` (branches, tags, paths),
  ``workflow_run`` (workflows, types, branches), ``workflow_dispatch`` (inputs, their
  defaults and types) and ``schedule``; a workflow not triggered by the event raises;
- jobs in ``needs`` order with ``if`` (default ``success()``), ``needs`` results and
  outputs, job ``outputs``, ``env``, ``defaults.run``, ``permissions`` (workflow and
  job level), ``concurrency``, ``runs-on``, ``timeout-minutes``, ``environment``,
  ``name``, ``continue-on-error``;
- deployment environments (``run_workflow(environments=...)``): a job that names one
  gets its secrets; one with a deployment branch rule fails a job of any other ref (a
  pull request's included) before its first step, as on GitHub;
- the ``GITHUB_TOKEN``: a fake token naming the job's effective permissions
  (``ghs_local.contents=read.metadata=read``); pull requests from forks get at most
  read scopes and no other secrets, as on GitHub;
- ``run`` steps with bash as GitHub calls it (``bash -e {0}`` without ``shell:``,
  ``bash --noprofile --norc -eo pipefail {0}`` with ``shell: bash``), GitHub's variables,
  the GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY files, step
  ``if``, ``env``, ``working-directory``, ``continue-on-error``, ``timeout-minutes``;
  secret values are masked in the step logs;
- ``${{ }}`` expressions with GitHub's grammar, loose equality, functions and the
  availability of each context per workflow key (checked before anything runs);
- the actions checkout, setup-python (validates, installs nothing: Python comes from
  ``path``), cache (scoped by ref like GitHub), upload-artifact, download-artifact
  (other runs need a token with ``actions: read``) and iterative/setup-cml (puts the
  ``cml`` stand-in on PATH). ``gh`` and ``docker`` (login, build: records what the
  image would hold, nothing is built; push to the emulated ghcr.io) are always on PATH;
- local composite actions (``uses: ./path``, read from the workspace when the step runs):
  inputs and their defaults, ``run`` steps (``shell: bash``) and ``uses`` steps with
  ``if``, ``env``, ``continue-on-error``, the action's own ``steps`` context and status,
  outputs; environment files act on the job as on GitHub;
- OpenID Connect: a job with ``id-token: write`` gets ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN
  and a minted token with GitHub's claims (``sub`` = ``repo:OWNER/REPO:pull_request``,
  ``...:ref:<ref>`` or ``...:environment:<name>``; unsigned); the logins
  aws-actions/configure-aws-credentials (really calls STS AssumeRoleWithWebIdentity, at
  AWS_ENDPOINT_URL_STS/AWS_ENDPOINT_URL when set, and exports the session),
  google-github-actions/auth (writes its credentials file and variables, no token
  exchange) and azure/login (checks only: the Azure CLI login is not emulated) each fail
  like the real ones without that permission.

Not emulated (each raises ``RunnerError`` when used): other actions, non-composite local
actions, Docker actions, ``strategy``/``matrix``, ``container``, ``services``, reusable workflows,
shells other than bash, other events. Jobs run one after the other; concurrency
groups are evaluated but nothing is cancelled; workflow commands printed on stdout
(``::set-output``, ``::add-mask::``) are not interpreted; setup-python's pip cache is
not kept; the workflow file is the caller's copy (GitHub would read it from the
merge commit or the default branch).

The package: ``model.py`` parses a workflow (or a local composite action) once into
typed objects and checks everything in it; ``expressions.py`` is the ``${{ }}``
language; ``run.py`` runs a workflow for an event (``triggers.py`` says whether the event
triggers it), ``job.py`` a job and its steps, ``composite.py`` a local composite action;
``actions/`` holds the emulated actions; ``github.py`` is GitHub's side (the bare origin,
pull requests, events); ``standins/`` the ``gh`` and ``cml`` programs.
"""

from .errors import RunnerError
from .expressions import Ctx, Evaluator
from .github import GitHub
from .globs import hash_files
from .results import Environment, JobResult, Run, StepResult
from .run import run_workflow

__all__ = [
    "Ctx",
    "Environment",
    "Evaluator",
    "GitHub",
    "JobResult",
    "Run",
    "RunnerError",
    "StepResult",
    "hash_files",
    "run_workflow",
]
