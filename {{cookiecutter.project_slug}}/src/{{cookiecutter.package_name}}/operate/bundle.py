"""A version's bundle, the folder a container image serves: its model file and metadata
(`bundle` writes it from the registry, `serve --bundle` loads it), and the image built
from it (`image`).

A bundle is a folder anyone could have written (a CI artifact, a copy), so nothing in
it vouches for itself: it carries no hash of its own, and its model file is only ever
checked against the md5 the registry's record of its version names
(``dvc.expected_md5``: its tag's, else its commit's dvc.lock's), by hashing it, before
anything unpickles it (a pickle runs code when loaded):

- `verify-bundle` checks a bundle against the registry before an image is built: its
  metadata names that version of this model at the commit the registry records, and its
  model file has the record's md5;
- `image` verifies build/image so, then builds the image with that md5 as
  ``MODEL_MD5`` (Dockerfile: the build refuses a bundle of another version or md5, and
  the image sets it as an environment variable);
- `serve --bundle` loads the model file only if its md5 is ``MODEL_MD5``'s, or, when
  that is unset, in the project's git checkout, the registry record's; with neither, it
  refuses to start.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import paths
from ..config import load_lifecycle
from ..dvc import expected_md5, md5_of
from ..errors import ProjectError
from ..git import commit_of
from ..outputs import json_object, write_json
from ..pipeline.model import Model
from ..registry import Version, find
from .predict import from_bytes, registered

BUNDLE_MODEL = "model.joblib"
BUNDLE_METADATA = "metadata.json"
# The md5 a bundle's model file must have, as the image gives it (Dockerfile: ENV).
EXPECTED_MD5 = "MODEL_MD5"
MD5 = re.compile(r"[0-9a-f]{32}")
# metadata.json's fields, as Served has them (other keys are left alone)
TEXT_OR_NULL = (str, type(None))
METADATA = {"model": str, "version": TEXT_OR_NULL, "stage": TEXT_OR_NULL, "commit": TEXT_OR_NULL}


@dataclass(frozen=True)
class Served:
    """What `/metadata` says the service runs."""

    model: str
    version: str | None  # None: a model file that is no registered version
    stage: str | None
    commit: str | None


def bundle(stage: str | None, version: str | None, folder: str) -> None:
    """The `bundle` command: a version's model file and metadata in ``folder``, which the
    Dockerfile copies into the image (the model fetched by its registry version)."""
    name, stage, found, data = registered(stage, version)
    write_bundle(Served(name, found.version, stage, found.commit), data, Path(folder))
    print(f"bundle: {name} {found.version} ({found.commit[:7]}) -> {folder}")


def write_bundle(served: Served, data: bytes, folder: Path) -> None:
    """``folder`` as `serve --bundle` reads it: the model file and its metadata (what
    `/metadata` says; no hash: a bundle's own word is never what its model is checked
    against)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / BUNDLE_MODEL).write_bytes(data)
    write_json(asdict(served), folder / BUNDLE_METADATA)


def read_bundle(folder: Path) -> tuple[dict[str, Any], Path]:
    """A bundle's metadata and the path of its model file (not read)."""
    model, metadata = folder / BUNDLE_MODEL, folder / BUNDLE_METADATA
    missing = [path.name for path in (model, metadata) if not path.is_file()]
    if missing:
        raise ProjectError(
            f"{folder}: not a bundle: no {' or '.join(missing)} (expected {BUNDLE_MODEL} and "
            f"{BUNDLE_METADATA} written by the `bundle` command)"
        )
    try:
        return json_object(metadata, METADATA), model
    except ProjectError as error:
        raise ProjectError(f"{error}; write the bundle again with the `bundle` command") from None


def recorded(name: str, version: str) -> tuple[Version, str]:
    """A registered version of ``name`` and the md5 its model file must have: the one
    its registry record names, else its commit's dvc.lock's (dvc.expected_md5)."""
    found = find(name, version)
    md5 = expected_md5(found.commit, paths.MODEL, found.shipped)
    if md5 is None:
        raise ProjectError(
            f"model {name} {version}: dvc.lock at {found.commit[:7]} records no {paths.MODEL}"
        )
    return found, md5


def same_version(folder: Path, metadata: dict[str, Any], name: str, found: Version) -> None:
    """A ProjectError unless the bundle's metadata names ``found``, a version of ``name``."""
    claimed = tuple(metadata.get(key) for key in ("model", "version", "commit"))
    if claimed != (name, found.version, found.commit):
        model, version, commit = claimed
        raise ProjectError(
            f"{folder}: its {BUNDLE_METADATA} names {model} {version} at commit {commit}, "
            f"not {name} {found.version} at {found.commit[:7]} as the registry records it; "
            f"write it again with `make bundle VERSION={found.version}`"
        )


def refuse_unless(model: Path, found: str, expected: str, source: str) -> None:
    """A ProjectError unless a bundle's model file's md5 (``found``) is ``expected``."""
    if found != expected:
        raise ProjectError(
            f"{model}: its bytes (md5 {found}) are not the ones {source} names (md5 "
            f"{expected}); refused before loading. The bundle was altered or is of another "
            "version: write it again with the `bundle` command, from the registry"
        )


def verified(version: str, folder: Path) -> tuple[str, str]:
    """(the md5, a line saying what was checked) once ``folder`` is checked to hold
    ``version``'s bundle, its model file (hashed, never loaded) with the md5 the
    registry's record of that version names; else a ProjectError."""
    metadata, model = read_bundle(folder)
    name = load_lifecycle().model.name
    found, expected = recorded(name, version)
    same_version(folder, metadata, name, found)
    refuse_unless(model, md5_of(model), expected, f"the registry's record of {version}")
    return expected, (
        f"{folder} holds {name} {version} ({found.commit[:7]}), its model file as the "
        f"registry's record names it (md5 {expected})"
    )


def verify(version: str, folder: str) -> None:
    """The `verify-bundle` command: ``folder`` holds ``version``'s bundle as the
    registry records it (``verified``)."""
    _, checked = verified(version, Path(folder))
    print(f"verify-bundle: {checked}")


def image(version: str, name: str, source: str | None) -> None:
    """The `image` command: verify build/image's bundle (``verified``), then build the
    container image ``name:version`` from it with Docker, the md5 checked as MODEL_MD5
    (what the image requires of the model file at start)."""
    md5, checked = verified(version, paths.IMAGE_BUNDLE)
    print(f"image: {checked}", flush=True)
    label = ["--label", f"org.opencontainers.image.source={source}"] if source else []
    command = [
        "docker", "build", "--build-arg", f"VERSION={version}",
        "--build-arg", f"{EXPECTED_MD5}={md5}", *label, "--tag", f"{name}:{version}", ".",
    ]  # fmt: skip
    try:
        built = subprocess.run(command, check=False)
    except FileNotFoundError:
        raise ProjectError("image: no `docker` command; install Docker to build") from None
    if built.returncode != 0:
        raise ProjectError(f"image: `docker build` failed (exit {built.returncode}); see above")


def expected_for(folder: Path, metadata: dict[str, Any]) -> tuple[str, str]:
    """(the md5 a bundle's model file must have, where it comes from): ``MODEL_MD5``
    when set (the image's), else, in the project's git checkout, the registry's record of
    the version the bundle's metadata names; else a ProjectError saying how to give it."""
    given = os.environ.get(EXPECTED_MD5, "").strip()
    if given:
        if not MD5.fullmatch(given):
            raise ProjectError(f"{EXPECTED_MD5}={given!r}: not an md5 (32 hexadecimal digits)")
        return given, EXPECTED_MD5
    checkout = paths.LIFECYCLE.is_file() and shutil.which("git") and commit_of("HEAD")
    if not checkout:
        raise ProjectError(
            f"{folder}: no md5 to check its model file against, so it is not loaded: set "
            f"{EXPECTED_MD5} to the md5 the registry's record of its version names (an "
            "image built by `make image` sets it; `make verify-bundle` prints it), or run "
            "`serve --bundle` in the project's git checkout, whose registry gives it"
        )
    name, version = load_lifecycle().model.name, metadata.get("version")
    if not isinstance(version, str) or not version:
        raise ProjectError(
            f"{folder}: its {BUNDLE_METADATA} names no registered version to check its "
            f"model file against; set {EXPECTED_MD5} to the md5 it must have"
        )
    found, md5 = recorded(name, version)
    same_version(folder, metadata, name, found)
    return md5, f"the registry's record of {version}"


def from_bundle(folder: str) -> tuple[Served, Model]:
    """A bundle's model, refused before it is unpickled unless its bytes have the md5
    the version's registry record names (``expected_for``), never the bundle's own."""
    where = Path(folder)
    metadata, model = read_bundle(where)
    expected, source = expected_for(where, metadata)
    data = model.read_bytes()  # hashed, then loaded: the same bytes
    refuse_unless(model, hashlib.md5(data).hexdigest(), expected, source)
    served = Served(*(metadata.get(key) for key in ("model", "version", "stage", "commit")))
    print(f"serve: {model}: md5 {expected}, as {source} names it", flush=True)
    return served, from_bytes(data, model)
