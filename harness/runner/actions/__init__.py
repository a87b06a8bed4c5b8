"""The actions the runner emulates, by ``owner/repo``: each module holds one action's (or
one family's) emulation and its inputs; ``uses:`` of anything else is a RunnerError."""

from . import artifacts, attest, cache, checkout, clouds, cml, python
from .base import Action, Call

ACTIONS: dict[str, Action] = {
    "actions/checkout": checkout.ACTION,
    "actions/setup-python": python.ACTION,
    "actions/cache": cache.ACTION,
    "actions/upload-artifact": artifacts.UPLOAD,
    "actions/download-artifact": artifacts.DOWNLOAD,
    "actions/attest-build-provenance": attest.ACTION,
    "iterative/setup-cml": cml.ACTION,
    "aws-actions/configure-aws-credentials": clouds.AWS,
    "google-github-actions/auth": clouds.GOOGLE,
    "azure/login": clouds.AZURE,
}

__all__ = ["ACTIONS", "Action", "Call"]
