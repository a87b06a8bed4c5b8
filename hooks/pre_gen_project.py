"""Refuse answers that would generate a broken project, before any file is written.

Standard library only: this runs in whatever Python runs cookiecutter.
"""

import json
import keyword
import re
import sys

# The answers arrive as JSON data, never pasted into code (see tests/test_hooks.py).
ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

CHOICES = {
    "problem_type": ("classification", "regression"),
    "dvc_remote": ("local", "s3", "gcs", "azure", "ssh"),
    "python_version": ("3.10", "3.11", "3.12", "3.13"),
    "license": ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"),
}
REMOTE_SCHEMES = {"s3": "s3://", "gcs": "gs://", "azure": "azure://", "ssh": "ssh://"}
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
# GTO's rule for artifact names (gto.constants.name).
MODEL_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RUNNER_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# CODEOWNERS owners: @user or @org/team (GitHub's naming rules), separated by spaces.
OWNER = re.compile(r"^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
# Jinja's delimiters, spelled so that rendering this file leaves them alone. Cookiecutter
# renders the answers it is given as templates before this hook sees them (`cruft update`
# gives it .cruft.json's; a replay file's arrive as written), so an answer that still
# holds one would run as code the next time the recorded answers are rendered.
JINJA = tuple("{" + second for second in ("{", "%", "#"))
# Import names the generated project depends on: a package with one of these names would
# shadow the dependency. Every top-level module of what uv.lock installs (every extra;
# Python 3.11 on Linux), and the project's own tests: tests/test_hooks.py checks the list
# against the projects' environment.
DEPENDENCY_MODULES = """
    adlfs aiobotocore aiohappyeyeballs aiohttp aiohttp_retry aioitertools aiosignal amqp
    annotated_doc annotated_types antlr4 anyio appdirs argcomplete asyncssh attr attrs
    azure bcrypt billiard botocore celery certifi cffi charset_normalizer click
    click_didyoumean click_plugins click_repl cloudpickle colorama configobj
    cryptography dateutil decorator dictdiffer diskcache distro dotenv dpath dulwich dvc
    dvc_azure dvc_data dvc_gs dvc_http dvc_objects dvc_render dvc_s3 dvc_ssh
    dvc_studio_client dvc_task dvclive entrypoints example fastapi filelock flatten_dict
    flufl frozenlist fsspec funcy gcsfs git gitdb google google_auth_oauthlib
    google_crc32c grandalf grpc grpc_status gto h11 hydra idna images iniconfig isodate
    iterative_telemetry jmespath joblib jwt knack kombu markdown_it mdurl msal
    msal_extensions multidict networkx numpy oauthlib omegaconf opentelemetry orjson
    packaging pandas pathspec platformdirs pluggy prometheus_client prompt_toolkit
    propcache proto psutil public py pyarrow pyasn1 pyasn1_modules pycparser pydantic pydantic_core
    pydantic_settings pydevd_plugins pydot pygit2 pygments pygtrie pynvml pyparsing
    pytest pytz requests requests_oauthlib rich ruamel ruff s3fs scipy scmrepo semver
    setuptools shortuuid shtab six sklearn smmap sqltrie sshfs starlette tabulate
    threadpoolctl tomlkit tqdm typing_extensions typing_inspection tzdata tzlocal
    urllib3 uv uvicorn validate vine voluptuous wcwidth wrapt yaml yarl zc
    tests
"""
TAKEN = frozenset(DEPENDENCY_MODULES.split())
# Where project_slug's default comes from (cookiecutter.json) when project_name holds no
# letter or digit: a folder name cookiecutter can create, so that this hook runs and
# names project_name, instead of cookiecutter stopping at an empty one ("directory
# already exists").
NO_SLUG = "project-name-has-no-letters-or-digits"
# A control character (a line break ends .dvc/config's line: the rest would be a line of
# its own).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bucket (container) names, the URL's first part, by each provider's rules: S3's (general
# purpose buckets: 3-63 characters, no "..", not an IP address), Google Cloud Storage's
# (3-63 characters, or up to 222 in dot-separated parts of at most 63), Azure's
# containers (3-63 characters, no "--").
BUCKETS = {
    "s3": (
        re.compile(r"^(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
        "3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter "
        "or digit (S3's rule)",
    ),
    "gcs": (
        re.compile(
            r"^(?!\d+\.\d+\.\d+\.\d+$)(?!goog)(?!.*google)(?=.{3,222}$)"
            r"[a-z0-9][a-z0-9_-]{0,62}(\.[a-z0-9_-]{1,63})*(?<=[a-z0-9])$"
        ),
        "3 to 63 lowercase letters, digits, '-', '_' and '.' (up to 222 with dots, 63 between "
        "them), starting and ending with a letter or digit, not starting with 'goog' "
        "(Google Cloud Storage's rule)",
    ),
    "azure": (
        re.compile(r"^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"),
        "3 to 63 lowercase letters, digits and single '-', starting and ending with a letter "
        "or digit (Azure's rule for containers)",
    ),
}
# Git keeps each registry tag (`<model_name>@v1.2.0`, `<model_name>#<stage>#<n>`) as a
# file, written as `<tag>.lock` first, and a file name has at most 255 bytes (ext4, APFS,
# NTFS): a tag's last part may have 250 (git: "File name too long"). GTO's name rule
# sets no length; 200 leaves 50 for the version or stage after the name.
MODEL_NAME_MAX = 200


def problems(answers):
    """Return one message per answer that cannot make a working project."""
    found = []

    def refuse(name, expected):
        found.append(f"answer '{name}' = {answers.get(name)!r}: {expected}")

    for name in ("project_name", "author_name", "model_owner"):
        value = answers.get(name, "")
        if not value.strip() or "\n" in value or "\r" in value:
            refuse(name, "expected a non-empty, single-line text")
    if answers.get("project_name", "").strip() and answers.get("project_slug") == NO_SLUG:
        refuse(
            "project_name",
            "expected a name with letters or digits: the folder name (project_slug) is "
            "made of them",
        )
    if "\n" in answers.get("description", "") or "\r" in answers.get("description", ""):
        refuse("description", "expected a single line")
    if not SLUG.match(answers.get("project_slug", "")):
        refuse(
            "project_slug",
            "expected lowercase letters, digits and single hyphens, "
            "starting with a letter, e.g. 'churn-model'",
        )
    package = answers.get("package_name", "")
    if not PACKAGE.match(package) or keyword.iskeyword(package):
        refuse(
            "package_name",
            "expected a valid Python identifier that is not a keyword: "
            "lowercase letters, digits and underscores, starting with a letter, "
            "e.g. 'churn_model'",
        )
    elif package in TAKEN:
        refuse(
            "package_name",
            f"expected a name that does not shadow a dependency: {package!r} is a module the "
            f"project imports from its dependencies (`import {package}` would load this "
            "package instead), e.g. 'churn_model'",
        )
    elif package in sys.stdlib_module_names:
        refuse(
            "package_name",
            f"expected a name that does not shadow the standard library: {package!r} is one "
            "of its modules, e.g. 'churn_model'",
        )
    if not MODEL_NAME.match(answers.get("model_name", "")):
        refuse(
            "model_name",
            "expected letters, digits, '-', '_' or '/', starting and ending "
            "with a letter or digit (GTO's naming rule), e.g. 'churn-model'",
        )
    elif len(answers["model_name"]) > MODEL_NAME_MAX or "//" in answers["model_name"]:
        refuse(
            "model_name",
            f"expected at most {MODEL_NAME_MAX} characters and no '//': git keeps each "
            "registry tag, `<model_name>@v1.2.0`, as a file, whose name has at most 255 bytes",
        )
    if not EMAIL.match(answers.get("author_email", "")):
        refuse("author_email", "expected an e-mail address such as 'you@example.com'")
    for name, allowed in CHOICES.items():
        if answers.get(name) not in allowed:
            refuse(name, "expected one of " + ", ".join(allowed))
    url = answers.get("dvc_remote_url", "")
    scheme = REMOTE_SCHEMES.get(answers.get("dvc_remote"))
    bucket = BUCKETS.get(answers.get("dvc_remote"))
    if CONTROL.search(url):
        refuse(
            "dvc_remote_url",
            "expected no control character (a line break would end .dvc/config's line)",
        )
    elif scheme and not (url.startswith(scheme) and len(url) > len(scheme)):
        refuse(
            "dvc_remote_url",
            f"expected a URL starting with {scheme} for the '{answers.get('dvc_remote')}' remote",
        )
    elif bucket and not bucket[0].match(url[len(scheme) :].split("/", 1)[0]):
        name = url[len(scheme) :].split("/", 1)[0]
        refuse("dvc_remote_url", f"expected a bucket name ({name!r}) of {bucket[1]}")
    elif answers.get("dvc_remote") == "local" and (not url.strip() or "://" in url or "\n" in url):
        refuse(
            "dvc_remote_url",
            "expected a folder path for the local remote, e.g. '../my-dvc-storage'",
        )
    owners = answers.get("code_owners", "").split(" ")
    if not owners or not all(OWNER.match(owner) for owner in owners):
        refuse(
            "code_owners",
            "expected GitHub users or teams separated by single spaces, e.g. '@alice @acme/ml'",
        )
    if not RUNNER_LABEL.match(answers.get("training_runner", "")):
        refuse(
            "training_runner", "expected one runner label such as 'ubuntu-latest' or 'self-hosted'"
        )
    for name, value in answers.items():
        if name.startswith("_") and not name.startswith("__"):
            continue  # cookiecutter's own (_template, _output_dir...), never rendered
        if any(mark in text for text in strings(value) for mark in JINJA):
            refuse(
                name,
                f"expected no {', '.join(JINJA)}: cookiecutter renders recorded answers "
                "as Jinja templates, so this would run as code when the project is updated",
            )
    return found


def strings(value):
    """Every string in an answer (a text, or the lists and dicts a template may hold)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.items():
            yield from strings(list(item))
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def main():
    """Print every problem at once, so the user fixes them in one go."""
    found = problems(ANSWERS)
    if found:
        print("Cannot generate the project:", file=sys.stderr)
        for message in found:
            print(f"  - {message}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
