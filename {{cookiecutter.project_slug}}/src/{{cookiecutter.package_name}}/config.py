"""The declarative files, ``params.yaml`` and ``lifecycle.yaml``, read and validated.

A wrong key or type is reported with the file and the dotted key, e.g.
``lifecycle.yaml: gate.metrics.rocauc: unknown key (expected one of: ...)``.
"""

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import paths
from .errors import ProjectError
{%- if cookiecutter.problem_type == "classification" %}

Estimator = Literal["hist_gradient_boosting", "random_forest", "logistic_regression"]
Metric = Literal["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"]
{%- else %}

Estimator = Literal["hist_gradient_boosting", "random_forest", "ridge"]
Metric = Literal["rmse", "mae", "r2"]
{%- endif %}


class Section(BaseModel):
    """A section of a declarative file: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# params.yaml ---------------------------------------------------------------------------


class BaseParams(Section):
    seed: int


class SyntheticParams(Section):
    rows: int = Field(gt=0)
    features: int = Field(ge=2)


class PrepareParams(Section):
    source: Literal["sklearn", "synthetic", "file"]
    path: str = Field(description="the data file (CSV or Parquet) when source is 'file'")
    target: str = Field(min_length=1)
    test_size: float = Field(gt=0, lt=1)
    synthetic: SyntheticParams


class TrainParams(Section):
    estimator: Estimator
    hyperparameters: dict[str, Any] = Field(default_factory=dict)


class Params(Section):
    base: BaseParams
    prepare: PrepareParams
    train: TrainParams


# lifecycle.yaml ------------------------------------------------------------------------

GTO_NAME = r"^[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?$"


class ModelCard(Section):
    name: str = Field(pattern=GTO_NAME)
    owner: str = Field(min_length=1)
    purpose: str = Field(min_length=1)
    intended_use: str = Field(min_length=1)
    limitations: list[str] = Field(min_length=1)


class MetricGate(Section):
    min: float | None = Field(default=None, description="absolute floor")
    max: float | None = Field(default=None, description="absolute ceiling")
    max_regression: float | None = Field(
        default=None, ge=0, description="largest worsening allowed against production and base"
    )

    @model_validator(mode="after")
    def _bounds_in_order(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Gate(Section):
    metrics: dict[Metric, MetricGate] = Field(min_length=1)
    regression_must_be_significant: bool = True
    reproducibility_tolerance: float = Field(default=1e-6, ge=0)


class Promotion(Section):
    stage: str = Field(default="prod", pattern=GTO_NAME, description="the production stage")
    bump: Literal["major", "minor", "patch"] = "minor"
    staging: str | None = Field(
        default=None, pattern=GTO_NAME, description="a stage assigned before production"
    )

    @model_validator(mode="after")
    def _two_stages(self):
        if self.staging == self.stage:
            raise ValueError(f"staging and stage are both {self.stage!r}")
        return self


class DriftThresholds(Section):
    psi: float = Field(
        default=0.25, gt=0, description="population stability index from which a column drifts"
    )
    p_value: float = Field(
        default=0.01, gt=0, lt=1, description="two-sample test p-value below which it drifts"
    )
    missing_increase: float = Field(
        default=0.05, ge=0, le=1, description="rise in the share of missing values that drifts"
    )
    drifted_features: int = Field(
        default=1, ge=1, description="drifted features from which the batch has drifted"
    )
    sample_rows: int = Field(
        default=10_000, ge=100, description="rows per side the two-sample test compares"
    )


class Monitoring(Section):
    batch: str = Field(
        default="data/incoming/batch.parquet", min_length=1, description="the new data"
    )
    thresholds: DriftThresholds = DriftThresholds()
    retrain_on_drift: bool = False
    issue_label: str = Field(default="model-drift", min_length=1, max_length=50)


class Retraining(Section):
    update: list[str] = Field(
        default_factory=list, description="DVC-tracked data `dvc update` refreshes"
    )
    auto_merge: bool = False


class Lifecycle(Section):
    model: ModelCard
    gate: Gate
    promotion: Promotion = Promotion()
    monitoring: Monitoring = Monitoring()
    retraining: Retraining = Retraining()


# loading -------------------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a missing or malformed file is a ProjectError naming it."""
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.safe_load(stream)
    except FileNotFoundError:
        raise ProjectError(f"{path}: file not found; run commands from the project root") from None
    except yaml.YAMLError as error:
        raise ProjectError(f"{path}: not valid YAML: {error}") from None


def _describe(error: dict, schema: type[BaseModel]) -> str:
    """One line per validation error: the dotted key, then what was expected."""
    location = [str(part) for part in error["loc"] if part != "[key]"]
    key = ".".join(location) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key (expected one of: {', '.join(_allowed(schema, location))})"
    if error["type"] == "literal_error" and error["loc"][-1] == "[key]":
        return f"{key}: unknown key ({error['msg'].lower()})"
    if error["type"] == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {error['msg']} (got {error.get('input')!r})"


def _allowed(schema: type[BaseModel], location: list[str]) -> list[str]:
    """The keys a section accepts, found by walking the schema along ``location``."""
    model: Any = schema
    for part in location[:-1]:
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = field.annotation
    return list(model.model_fields) if hasattr(model, "model_fields") else []


def load(path: Path, schema: type[BaseModel]) -> Any:
    """Read ``path`` and validate it against ``schema``; every problem in one error."""
    return validate(read_yaml(path), path, schema)


def validate(data: Any, path: Path | str, schema: type[BaseModel]) -> Any:
    """``data`` (read from ``path``) validated against ``schema``, or one error naming
    every problem."""
    try:
        return schema.model_validate(data if data is not None else {})
    except ValidationError as error:
        lines = [f"{path}: {_describe(item, schema)}" for item in error.errors()]
        raise ProjectError("\n".join(lines)) from None


def load_params(path: Path = paths.PARAMS) -> Params:
    return load(path, Params)


def load_lifecycle(path: Path = paths.LIFECYCLE) -> Lifecycle:
    return load(path, Lifecycle)
