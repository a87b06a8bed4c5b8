"""actions/attest-build-provenance: a signed SLSA provenance statement for a subject (here
a container image by name and digest). As the real action: it needs the job's
``id-token: write`` (the OIDC token Sigstore certifies) and a token that grants
``attestations: write``; with ``push-to-registry`` the image must be in the registry at
that digest. The attestation is recorded in the emulated GitHub state (``attestations``)
with the claims `gh attestation verify` checks: the repository, the workflow and the
commit that built it. Nothing is signed here (no Sigstore)."""

from __future__ import annotations

import re

from ..errors import StepFailed
from ..standins import localgh
from .base import Action, Call
from .clouds import oidc_request

PROVENANCE = "https://slsa.dev/provenance/v1"


def attest(call: Call) -> None:
    inputs = call.inputs
    name, digest = inputs["subject-name"], inputs["subject-digest"]
    if not digest or inputs["subject-path"]:
        raise StepFailed("emulated only with subject-name and subject-digest (an image)")
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise StepFailed(f'Digest "{digest}" must be in the form "algorithm:hex_digest"')
    if not name:
        raise StepFailed("subject-name is required with subject-digest")
    if not oidc_request(call):
        raise StepFailed(
            "Failed to get ID token: Error message: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL "
            "env variable (the job needs id-token: write)"
        )
    if not localgh.allows(inputs["github-token"], "attestations", "write"):
        raise StepFailed("Failed to persist attestation: Resource not accessible by integration")
    github = call.job.github
    record = {
        "subject": {"name": name, "digest": digest},
        "predicate_type": PROVENANCE,
        "repository": github["repository"],
        "workflow": github["workflow_ref"],
        "sha": github["sha"],
        "ref": github["ref"],
        "run_id": github["run_id"],
        "pushed_to_registry": call.boolean("push-to-registry"),
    }
    with localgh.locked(call.job.run.gh.state_file) as state:
        if record["pushed_to_registry"]:
            repository = name.removeprefix("ghcr.io/")
            if not name.startswith("ghcr.io/") or not any(
                (p["name"], p["digest"]) == (repository, digest) for p in state.get("packages", [])
            ):
                raise StepFailed(f"Failed to push attestation: {name}@{digest}: MANIFEST_UNKNOWN")
        attestations = state.setdefault("attestations", [])
        attestations.append(record)
        identifier = str(len(attestations))
    call.outputs["attestation-id"] = identifier
    call.outputs["attestation-url"] = (
        f"https://github.com/{github['repository']}/attestations/{identifier}"
    )
    call.say(f"Attestation created for {name}@{digest} (local: not signed)")


ACTION = Action(
    inputs={
        "subject-path": "",
        "subject-digest": "",
        "subject-name": "",
        "push-to-registry": "false",
        "create-storage-record": "true",
        "show-summary": "true",
        "github-token": "$token",
    },
    not_emulated=frozenset({"subject-checksums", "predicate-type", "predicate", "predicate-path"}),
    run=attest,
)
