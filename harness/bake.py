"""Generate projects from this template with cookiecutter's own API."""

import json
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
QUESTIONS = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))


def bake(output_dir: Path, **answers: str) -> Path:
    """Generate a project into ``output_dir`` with ``answers`` (defaults for the rest)."""
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir)
        )
    )


def choices(question: str) -> list[str]:
    """The options a multiple-choice question offers, default first."""
    return list(QUESTIONS[question])
