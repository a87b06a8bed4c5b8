"""{{ cookiecutter.project_name }}: a model whose whole life is declared in Git."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version({{ cookiecutter.project_slug | tojson }})
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

PROBLEM_TYPE = "{{ cookiecutter.problem_type }}"
