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
# Import names the generated project depends on: a package with one of these
# names would shadow the dependency.
TAKEN = {
    "dvc",
    "gto",
    "sklearn",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "pydantic",
    "yaml",
    "joblib",
    "pytest",
    "ruff",
    "tests",
}


def problems(answers):
    """Return one message per answer that cannot make a working project."""
    found = []

    def refuse(name, expected):
        found.append(f"answer '{name}' = {answers.get(name)!r}: {expected}")

    for name in ("project_name", "author_name", "model_owner"):
        value = answers.get(name, "")
        if not value.strip() or "\n" in value or "\r" in value:
            refuse(name, "expected a non-empty, single-line text")
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
    elif package in TAKEN or package in sys.stdlib_module_names:
        refuse(
            "package_name",
            "expected a name that does not shadow the standard library "
            "or a dependency, e.g. 'churn_model'",
        )
    if not MODEL_NAME.match(answers.get("model_name", "")):
        refuse(
            "model_name",
            "expected letters, digits, '-', '_' or '/', starting and ending "
            "with a letter or digit (GTO's naming rule), e.g. 'churn-model'",
        )
    if not EMAIL.match(answers.get("author_email", "")):
        refuse("author_email", "expected an e-mail address such as 'you@example.com'")
    for name, allowed in CHOICES.items():
        if answers.get(name) not in allowed:
            refuse(name, "expected one of " + ", ".join(allowed))
    url = answers.get("dvc_remote_url", "")
    scheme = REMOTE_SCHEMES.get(answers.get("dvc_remote"))
    if scheme and not (url.startswith(scheme) and len(url) > len(scheme)):
        refuse(
            "dvc_remote_url",
            f"expected a URL starting with {scheme} for the '{answers.get('dvc_remote')}' remote",
        )
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
