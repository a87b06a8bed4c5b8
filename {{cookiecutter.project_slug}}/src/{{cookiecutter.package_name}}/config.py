"""The declarative files, ``params.yaml`` and ``lifecycle.yaml``, read and validated.

A wrong key or type is reported with the file and the dotted key, e.g.
``lifecycle.yaml: gate.metrics.rocauc: unknown key (expected one of: ...)``. What each
problem type offers (its estimators and metrics) is declared here, once.
"""

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import paths
from .errors import ProjectError

ProblemType = Literal["classification", "regression"]
# params.yaml's train.estimator, per problem type (pipeline/train.py builds them).
ESTIMATORS = {
    "classification": ("hist_gradient_boosting", "random_forest", "logistic_regression"),
    "regression": ("hist_gradient_boosting", "random_forest", "ridge"),
}
# eval/metrics.json, per problem type (pipeline/evaluate.py computes them); the gate's keys.
METRICS = {
    "classification": ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"),
    "regression": ("rmse", "mae", "r2"),
}
# Metrics for which a larger value is better; for the others, smaller is.
HIGHER_IS_BETTER = {"accuracy", "precision", "recall", "f1", "roc_auc", "r2"}
Metric = Literal[sum(METRICS.values(), ())]  # any of them, as a gate's key
# The values each metric can take: a bound outside them could never be met (or always is).
RANGES = {
    **dict.fromkeys(("accuracy", "precision", "recall", "f1", "roc_auc"), (0.0, 1.0)),
    **dict.fromkeys(("log_loss", "rmse", "mae"), (0.0, float("inf"))),
    "r2": (float("-inf"), 1.0),
}


def renamed(data: Any, old: str, new: str) -> Any:
    """A section's raw ``data``, refused when it still has the key ``old`` (renamed)."""
    if isinstance(data, dict) and old in data:
        raise ValueError(f"{old} was replaced by {new}")
    return data


class Section(BaseModel):
    """A section of a declarative file: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# params.yaml ---------------------------------------------------------------------------


Kind = Literal["numeric", "boolean", "categorical", "datetime"]  # pipeline/features.py
Seed = Annotated[int, Field(ge=0, lt=2**32, strict=True)]  # what NumPy and scikit-learn take


def _written(text: str) -> str:
    if not text.strip():
        raise ValueError("is blank; expected a few words")
    return text


Text = Annotated[str, Field(strict=True), AfterValidator(_written)]  # words, not blank


class BaseParams(Section):
    seed: Seed
    problem_type: ProblemType = Field(description="what the model predicts: classes or values")


class SyntheticParams(Section):
    rows: int = Field(gt=0, le=100_000_000)
    features: int = Field(ge=4, le=10_000)
    categorical: int = Field(default=0, ge=0, le=100, description="text columns among them")


class SplitParams(Section):
    method: Literal["hash", "time", "group", "random"] = "hash"
    column: str | None = Field(default=None, description="the date (time) or group column")

    @model_validator(mode="after")
    def _column_when_needed(self):
        if self.method in ("time", "group") and not self.column:
            raise ValueError(f"split method {self.method!r} needs a column (split.column)")
        return self


class PrepareParams(Section):
    source: Literal["sklearn", "synthetic", "file"]
    path: str = Field(description="the data file (CSV or Parquet) when source is 'file'")
    target: str = Field(min_length=1)
    ids: list[str] = Field(default_factory=list, description="ID columns: never features")
    drop: list[str] = Field(default_factory=list, description="columns left out")
    kinds: dict[str, Kind] = Field(default_factory=dict, description="column -> its kind")
    positive_class: str | int | bool | None = Field(
        default=None, description="binary classification: the class a probability is of"
    )
    split: SplitParams = SplitParams()
    test_size: float = Field(gt=0, lt=1)
    synthetic: SyntheticParams


class TrainParams(Section):
    estimator: str = Field(min_length=1)
    # estimator name -> its keyword arguments, so that switching estimator keeps each
    # one's settings (`dvc exp run -S train.estimator=random_forest`)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    # The CPU threads of the fit: the model's bytes depend on them (pipeline/train.py).
    threads: int = Field(default=1, ge=1, le=1024, strict=True)

    def settings(self) -> dict[str, Any]:
        """The chosen estimator's hyperparameters."""
        return dict(self.hyperparameters.get(self.estimator) or {})


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
    max_relative_regression: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="largest worsening allowed, as a fraction of the baseline's value",
    )

    @model_validator(mode="after")
    def _bounds_in_order(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Gate(Section):
    metrics: dict[Metric, MetricGate] = Field(min_length=1)

    # how a worsening beyond a metric's allowance is judged (review/gate.py):
    # "significant": fails when the interval shows the model worse, and its estimate
    # exceeds the allowance; "non_inferiority": passes only when the interval shows the
    # worsening within the allowance; "point": fails on the estimate alone
    regression_test: Literal["significant", "non_inferiority", "point"] = "significant"
    error_rate: float = Field(
        default=0.05,
        gt=0,
        lt=0.5,
        description="significant: the largest chance of failing a model as good as its "
        "baselines, over every criterion; non_inferiority: of passing one worse than allowed",
    )
    reproducibility_tolerance: float = Field(default=1e-6, ge=0)
    # Columns prepare names as likely leaks (eval/data.json) that the owners judged sound,
    # each with the reason: any other likely leak fails the gate.
    acknowledged_leaks: dict[Text, Text] = Field(
        default_factory=dict, description="column: why it is not a leak"
    )

    @model_validator(mode="after")
    def _bounds_in_range(self):
        for metric, rule in self.metrics.items():
            low, high = RANGES[metric]
            for name in ("min", "max"):
                value = getattr(rule, name)
                if value is not None and not low <= value <= high:
                    raise ValueError(
                        f"metrics.{metric}.{name}: {value} is outside the values {metric} "
                        f"takes ({low} to {high})"
                    )
        return self

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        new = "regression_test: `significant` (for true) or `point` (for false)"
        return renamed(data, "regression_must_be_significant", new)


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
    false_alarm_rate: float = Field(
        default=0.01,
        gt=0,
        lt=0.5,
        description="the largest chance that a batch with no drift is called drifted: "
        "split over every test of the batch (Bonferroni)",
    )
    psi: float = Field(
        default=0.1,
        gt=0,
        description="population stability index from which a significant shift drifts",
    )
    missing_increase: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="rise in the share of missing values from which a significant one drifts",
    )
    drifted_features: int = Field(
        default=1, ge=1, description="drifted features from which the batch has drifted"
    )
    min_rows: int = Field(
        default=30, ge=2, description="rows below which a batch is too small to judge"
    )
    sample_rows: int = Field(
        default=100_000, ge=100, description="rows per side the two-sample tests compare"
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        new = "false_alarm_rate (the chance, over every test of a batch, of calling a batch "
        return renamed(data, "p_value", new + "with no drift drifted)")


class Monitoring(Section):
    batch: str = Field(
        default="data/incoming/batch.parquet", min_length=1, description="the new data"
    )
    outcomes: str | None = Field(
        default=None,
        description="a file of the batch's outcomes (the target), joined by the ID columns",
    )
    thresholds: DriftThresholds = DriftThresholds()
    retrain_on_drift: bool = False
    # A label name for `gh`: it must not start with "-" (it would be read as an option).
    issue_label: str = Field(
        default="model-drift", pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,49}$"
    )


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


ERROR_LIMIT = 300  # characters of a YAML error quoted in a message
# Levels of nesting a file may have: the project's files have a handful; thousands would
# exhaust Python's recursion limit while they are read.
MAX_DEPTH = 100


class StrictLoader(yaml.SafeLoader):
    """YAML for the project's own files: no aliases (a kilobyte of nested ones expands to
    gigabytes, and the files never need them), no key twice (the second would win
    silently) and no more than MAX_DEPTH levels of nesting."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in this file; write the value out",
                problem_mark=self.peek_event().start_mark,
            )
        if self.depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                problem=f"nested deeper than {MAX_DEPTH} levels; the project's files need a few",
                problem_mark=self.peek_event().start_mark,
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = []
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"key {key!r} appears twice in the same mapping",
                    problem_mark=key_node.start_mark,
                )
            seen.append(key)
        return super().construct_mapping(node, deep)


def parse_yaml(text: str, where: Path | str) -> Any:
    """Parse the text of one of the project's YAML files (``where`` names it); malformed
    YAML, an alias or a repeated key is a ProjectError naming it, the line and the key."""
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as error:
        shown = str(error)
        if len(shown) > ERROR_LIMIT:
            shown = shown[:ERROR_LIMIT] + "…"
        raise ProjectError(f"{where}: not valid YAML: {shown}") from None


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a missing, binary or malformed file is a ProjectError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(f"{path}: file not found; run commands from the project root") from None
    except UnicodeDecodeError as error:
        byte = error.object[error.start : error.start + 1].hex()
        raise ProjectError(
            f"{path}: not UTF-8 text (byte 0x{byte} at position {error.start}); expected "
            "a YAML file"
        ) from None
    return parse_yaml(text, path)


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
    message = error["msg"].removeprefix("Value error, ")
    return f"{key}: {message} (got {error.get('input')!r})"


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
    params = load(path, Params)
    kind, estimator = params.base.problem_type, params.train.estimator
    if estimator not in ESTIMATORS[kind] and "." not in estimator:
        raise ProjectError(
            f"{path}: train.estimator: {estimator!r} is not a {kind} estimator "
            f"(base.problem_type); expected one of: {', '.join(ESTIMATORS[kind])}, or the "
            "import path of a scikit-learn-compatible estimator (e.g. "
            "sklearn.ensemble.ExtraTreesClassifier)"
        )
    for name, settings in params.train.hyperparameters.items():
        if settings is not None and not isinstance(settings, dict):
            raise ProjectError(
                f"{path}: train.hyperparameters.{name}: expected the keyword arguments of "
                f"estimator {name!r} (a mapping), got {settings!r}"
            )
    return params


def load_lifecycle(path: Path = paths.LIFECYCLE, problem_type: str | None = None) -> Lifecycle:
    """lifecycle.yaml; with ``problem_type``, its gate must name that type's metrics."""
    lifecycle = load(path, Lifecycle)
    if problem_type is not None:
        check_gate(lifecycle.gate, problem_type, path)
    return lifecycle


def lifecycle_at(commit: str) -> Lifecycle | None:
    """lifecycle.yaml as committed at ``commit``, validated; None when it had none."""
    from .git import show

    text = show(commit, paths.LIFECYCLE)
    if text is None:
        return None
    where = f"{paths.LIFECYCLE}@{commit[:7]}"
    return validate(parse_yaml(text, where), where, Lifecycle)


def check_gate(gate: Gate, problem_type: str, path: Path | str) -> None:
    """Every gated metric is one a model of ``problem_type`` has."""
    for metric in gate.metrics:
        if metric not in METRICS[problem_type]:
            raise ProjectError(
                f"{path}: gate.metrics.{metric}: not a {problem_type} metric "
                f"(params.yaml: base.problem_type); expected one of: "
                f"{', '.join(METRICS[problem_type])}"
            )


def flatten(data: Any, prefix: str = "") -> dict[str, object]:
    """Nested settings as dotted keys: {"train.estimator": ..., ...}."""
    if isinstance(data, dict):
        items: dict[str, object] = {}
        for key, value in data.items():
            items.update(flatten(value, f"{prefix}{key}."))
        return items
    return {prefix.rstrip("."): data}


def plot_files(entry: Any) -> set[str]:
    """The data files one of dvc.yaml's plot definitions reads."""
    if isinstance(entry, str):
        return {entry}
    files = set()
    for key, settings in (entry or {}).items():
        axes = [(settings or {}).get(axis) for axis in ("x", "y")]
        named = {name for axis in axes if isinstance(axis, dict) for name in axis}
        files |= named or {key}
    return files


def check_plots(problem_type: str, path: Path = paths.PIPELINE) -> None:
    """dvc.yaml's plots read files that the evaluate stage writes for ``problem_type``."""
    written = {item.as_posix() for item in paths.PLOTS[problem_type]}
    for entry in (read_yaml(path) or {}).get("plots") or []:
        for name in sorted(plot_files(entry) - written):
            if name.startswith(paths.PLOTS_DIR.as_posix() + "/"):
                expected = ", ".join(sorted(written))
                raise ProjectError(
                    f"{path}: plots: {name} is not written for a {problem_type} model "
                    f"(params.yaml: base.problem_type); its plots are: {expected}"
                )


def check_artifact(name: str, path: Path = paths.PIPELINE) -> None:
    """dvc.yaml's artifact of the model file is named ``name`` (lifecycle.yaml's
    model.name): the registry (GTO) knows the model by the one name."""
    artifacts = (read_yaml(path) or {}).get("artifacts") or {}
    model = paths.MODEL.as_posix()
    names = [
        str(key)
        for key, entry in artifacts.items()
        if isinstance(entry, dict) and str(entry.get("path", "")).removeprefix("./") == model
    ]
    if name in names:
        return
    expected = f"{name!r} (lifecycle.yaml: model.name)"
    if not names:
        raise ProjectError(
            f"{path}: artifacts: no artifact of {model}; expected one named {expected}"
        )
    raise ProjectError(
        f"{path}: artifacts: the model file {model} is the artifact {names[0]!r}, not "
        f"{expected}; the registry knows a model by one name: make the two the same"
    )


def check_project() -> None:
    """params.yaml, lifecycle.yaml and dvc.yaml's plots and model artifact, each valid and
    all agreeing (on the problem type, on the model's name); the first problem found is a
    ProjectError."""
    kind = load_params().base.problem_type
    lifecycle = load_lifecycle(problem_type=kind)
    check_plots(kind)
    check_artifact(lifecycle.model.name)
