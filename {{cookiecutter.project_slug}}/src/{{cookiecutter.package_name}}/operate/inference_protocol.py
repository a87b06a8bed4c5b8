"""The Open Inference Protocol (KServe's V2 REST API, which KServe, MLServer, Triton and
Seldon Core 2 speak) beside `/predict`: the same model, checks and scores.

- ``GET /v2/health/live``, ``GET /v2/health/ready``: ``{"live": true}``,
  ``{"ready": true}`` (the model is loaded before the server listens).
- ``GET /v2``: the server's name, version and extensions (none).
- ``GET /v2/models/{name}[/versions/{version}]``: the model's metadata: one input per
  raw feature column, its datatype from the column's kind (numeric FP64, boolean BOOL,
  categorical and datetime BYTES), shape ``[-1]`` (one value per row); the outputs
  ``predicted`` and, for classification, ``proba_<class>`` per class (FP64), as
  `predict` names its columns.
- ``GET /v2/models/{name}[/versions/{version}]/ready``.
- ``POST /v2/models/{name}[/versions/{version}]/infer``: one input per feature column
  (ID columns may be sent too, and come back as outputs), each of shape ``[n]`` or
  ``[n, 1]`` with its ``n`` values flat or nested, checked against the protocol's request
  schema, then scored as `/predict` scores ``n`` rows. A ``null`` value is a missing one
  (the protocol has no other way to say so). ``outputs`` may ask for some outputs only.

Errors are the protocol's ``{"error": "..."}``: 404 for another model or version, 400
for anything else, naming the input, element or column without echoing a value. The
binary tensor data extension is not supported: its inputs are refused (send JSON; with
tritonclient, ``set_data_from_numpy(..., binary_data=False)``), and a request for binary
outputs gets JSON ones.
"""

import json
import math
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from ..errors import ProjectError
from ..pipeline.model import Model
from .bundle import Served
from .metrics import error_kind

INTEGERS = {
    f"{sign}INT{bits}": (lo, hi)
    for bits in (8, 16, 32, 64)
    for sign, lo, hi in (("", -(2 ** (bits - 1)), 2 ** (bits - 1) - 1), ("U", 0, 2**bits - 1))
}
FLOATS = ("FP16", "FP32", "FP64")
DATATYPES = ("BOOL", *INTEGERS, *FLOATS, "BYTES")
NUMBERS = {*INTEGERS, *FLOATS}
# The datatypes a column of each kind takes (its values are then checked as /predict's).
ACCEPTED = {
    "numeric": NUMBERS,
    "boolean": {"BOOL", "BYTES", *INTEGERS},  # yes/no, 0/1 too, as /predict takes
    "categorical": set(DATATYPES),
    "datetime": {"BYTES"},
}
DECLARED = {"numeric": "FP64", "boolean": "BOOL", "categorical": "BYTES", "datetime": "BYTES"}
SHOWN = 100  # characters of a name quoted in an error
BINARY = "binary_data_size"

Parameter = StrictStr | StrictInt | StrictFloat | StrictBool


class RequestInput(BaseModel):
    name: StrictStr
    shape: list[StrictInt]
    datatype: Literal[DATATYPES]  # type: ignore[valid-type]
    parameters: dict[str, Parameter] | None = None
    data: list[Any]


class RequestOutput(BaseModel):
    name: StrictStr
    parameters: dict[str, Parameter] | None = None


class InferenceRequest(BaseModel):
    """The protocol's $inference_request."""

    id: StrictStr | None = None
    parameters: dict[str, Parameter] | None = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


class Refused(Exception):
    """An answer of ``status`` with ``{"error": message}``."""

    def __init__(self, message: str, status: int = 400, kind: str = "invalid_request"):
        super().__init__(message)
        self.status, self.kind = status, kind


def shown(name: object) -> str:
    text = str(name)
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "…")


def datatype_of(values) -> str:
    """The protocol's datatype for an array of predictions or class labels."""
    kind = np.asarray(values).dtype.kind
    return {"b": "BOOL", "i": "INT64", "u": "UINT64", "f": "FP64"}.get(kind, "BYTES")


def metadata(served: Served, model: Model) -> dict[str, Any]:
    """The protocol's $metadata_model_response for ``model``."""
    inputs = [
        {"name": name, "datatype": DECLARED[kind], "shape": [-1]}
        for name, kind in model.features.items()
    ]
    return {
        "name": served.model,
        **({"versions": [served.version]} if served.version else {}),
        "platform": "sklearn_joblib",
        "inputs": inputs,
        "outputs": [
            {"name": name, "datatype": datatype, "shape": [-1]}
            for name, datatype in outputs(model).items()
        ],
    }


def outputs(model: Model) -> dict[str, str]:
    """Output name -> datatype: the prediction, then each class's probability."""
    if model.problem_type != "classification":
        return {"predicted": "FP64"}
    names = {"predicted": datatype_of(model.classes)}
    names.update({f"proba_{label}": "FP64" for label in model.classes})
    return names


def element_problem(value: object, datatype: str) -> str | None:
    """What is wrong with one element of a tensor of ``datatype`` (None: nothing; null is
    a missing value)."""
    if value is None:
        return None
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if datatype == "BOOL":
        return None if isinstance(value, bool) else "expected true or false"
    if datatype == "BYTES":
        return None if isinstance(value, str) else "expected a string"
    if datatype in INTEGERS:
        low, high = INTEGERS[datatype]
        if isinstance(value, int) and number and low <= value <= high:
            return None
        return f"expected an integer from {low} to {high}"
    return None if number else "expected a number"


def values_of(tensor: RequestInput, index: int) -> list:
    """The tensor's elements in row-major order, its shape and datatype checked."""
    where = f"inputs[{index}] ({shown(tensor.name)})"
    shape = tensor.shape
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1) or shape[0] < 1:
        raise Refused(f"{where}: shape {shape}: expected [n] or [n, 1], one value per row")
    if tensor.parameters and BINARY in tensor.parameters:
        raise Refused(
            f"{where}: binary tensor data is not supported; send the data as JSON (with "
            "tritonclient, set_data_from_numpy(..., binary_data=False))"
        )
    data = tensor.data
    if len(shape) == 2 and any(isinstance(item, list) for item in data):
        if len(data) != shape[0] or any(
            not isinstance(item, list) or len(item) != 1 for item in data
        ):
            raise Refused(f"{where}: data: expected {shape[0]} lists of 1 value, as shape")
        data = [item[0] for item in data]
    if len(data) != math.prod(shape):
        raise Refused(f"{where}: data: {len(data)} value(s) for shape {shape}")
    for position, value in enumerate(data):
        problem = element_problem(value, tensor.datatype)
        if problem:
            kind = "a list" if isinstance(value, list) else type(value).__name__
            found = f"{problem} ({tensor.datatype}), found {kind}"
            raise Refused(f"{where}: data[{position}]: {found}")
    return data


def parsed(body: bytes) -> InferenceRequest:
    """The request, as the protocol's schema describes it; else Refused naming where."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else type(error).__name__
        raise Refused(f"the body is not JSON ({reason})") from None
    try:
        return InferenceRequest.model_validate(document)
    except ValidationError as error:
        problems = [
            f"{'.'.join(map(str, problem['loc'])) or 'body'}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)[:3]
        ]
        raise Refused(f"not an inference request: {'; '.join(problems)}"[:1000]) from None


def columns_of(request: InferenceRequest, model: Model, limit: int) -> dict[str, list]:
    """Column -> values of the request's inputs; every feature, no column twice, nothing
    the model does not read, as many rows in each, at most ``limit``."""
    columns: dict[str, list] = {}
    for index, tensor in enumerate(request.inputs):
        if tensor.name not in model.features and tensor.name not in model.ids:
            raise Refused(
                f"inputs[{index}]: {shown(tensor.name)} is not an input of this model "
                "(GET its /v2/models/<name> for its inputs)"
            )
        if tensor.name in columns:
            raise Refused(f"inputs[{index}]: {shown(tensor.name)} is given twice")
        kind = model.features.get(tensor.name)
        if kind and tensor.datatype not in ACCEPTED[kind]:
            raise Refused(
                f"inputs[{index}] ({shown(tensor.name)}): datatype {tensor.datatype}: the "
                f"column is {kind}, expected {DECLARED[kind]}"
            )
        columns[tensor.name] = values_of(tensor, index)
    missing = [name for name in model.features if name not in columns]
    if missing:
        named = ", ".join(map(shown, missing[:5])) + (" …" if len(missing) > 5 else "")
        raise Refused(f"missing input(s) for {len(missing)} feature(s): {named}")
    counts = {len(values) for values in columns.values()}
    if len(counts) > 1:
        raise Refused(f"inputs hold different numbers of rows: {sorted(counts)}")
    rows = counts.pop()
    if rows > limit:
        raise Refused(f"{rows} rows: at most {limit} in one request")
    return columns


def answer(
    served: Served, model: Model, request: InferenceRequest, scored, limit: int
) -> dict[str, Any]:
    """The protocol's $inference_response to ``request``: ``scored`` (serve's) scores the
    rows; a ProjectError of it (a value not of its column's kind) is Refused."""
    columns = columns_of(request, model, limit)
    names = list(columns)
    rows = [
        dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    available = outputs(model)
    wanted = [output.name for output in request.outputs or []] or list(available)
    wanted += [name for name in model.ids if name in columns and not request.outputs]
    unknown = [name for name in wanted if name not in available and name not in columns]
    if unknown:
        raise Refused(f"outputs: no output {shown(unknown[0])}; this model's: {list(available)}")
    try:
        result = scored(model, rows)
    except ProjectError as error:
        raise Refused(str(error), kind="invalid_input") from None
    predictions = result["predictions"]
    data: dict[str, tuple[str, list]] = {}
    predicted = [row["predicted"] for row in predictions]
    datatype = available["predicted"]
    data["predicted"] = (datatype, list(map(str, predicted)) if datatype == "BYTES" else predicted)
    for label in model.classes:
        chances = [row["probabilities"][str(label)] for row in predictions]
        data[f"proba_{label}"] = ("FP64", chances)
    given = {tensor.name: tensor.datatype for tensor in request.inputs}
    for name in model.ids:
        if name in columns:
            data[name] = (given[name], columns[name])
    response: dict[str, Any] = {"model_name": served.model}
    if served.version:
        response["model_version"] = served.version
    if request.id is not None:
        response["id"] = request.id
    if result.get("unseen"):
        response["parameters"] = {
            f"unseen.{column}": count for column, count in result["unseen"].items()
        }
    response["outputs"] = [
        {"name": name, "datatype": data[name][0], "shape": [len(rows)], "data": data[name][1]}
        for name in wanted
    ]
    return response


def router(served: Served, model: Model, scored, limit: int, on_scoring):
    """The protocol's routes for ``model``, scoring with ``scored`` (serve's) at most
    ``limit`` rows a request, on serve's scoring thread (``await on_scoring(function,
    *arguments)``). (FastAPI reads the handlers' annotations, hence no
    ``from __future__ import annotations`` in this module.)"""
    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse

    routes = APIRouter(prefix="/v2")
    described = metadata(served, model)

    def refused(error: Refused) -> JSONResponse:
        error_kind(error.kind)
        return JSONResponse({"error": str(error)}, status_code=error.status)

    def check(name: str, version: str | None) -> None:
        if name != served.model:
            found = f"no model {shown(name)} here: this server serves {served.model}"
            raise Refused(found, 404, "not_found")
        if version is not None and version != served.version:
            serves = f"{served.model} {served.version}" if served.version else "no versions"
            found = f"no version {shown(version)} here: this server serves {serves}"
            raise Refused(found, 404, "not_found")

    @routes.get("/health/live")
    def live() -> dict[str, bool]:
        return {"live": True}

    @routes.get("/health/ready")
    def ready() -> dict[str, bool]:
        return {"ready": True}

    @routes.get("")
    def server() -> dict[str, Any]:
        return {"name": __package__.split(".")[0], "version": served.version or "",
                "extensions": []}  # fmt: skip

    @routes.get("/models/{name}")
    @routes.get("/models/{name}/versions/{version}")
    def model_metadata(name: str, version: str | None = None):
        try:
            check(name, version)
        except Refused as error:
            return refused(error)
        return described

    @routes.get("/models/{name}/ready")
    @routes.get("/models/{name}/versions/{version}/ready")
    def model_ready(name: str, version: str | None = None):
        try:
            check(name, version)
        except Refused as error:
            return refused(error)
        return {"name": served.model, "ready": True}

    def infer_body(body: bytes, headers) -> dict[str, Any]:
        if "inference-header-content-length" in headers:
            raise Refused(
                "binary tensor data is not supported; send the request as JSON (with "
                "tritonclient, set_data_from_numpy(..., binary_data=False))"
            )
        return answer(served, model, parsed(body), scored, limit)

    @routes.post("/models/{name}/infer")
    @routes.post("/models/{name}/versions/{version}/infer")
    async def infer(name: str, request: Request, version: str | None = None):
        try:
            check(name, version)
            body = await request.body()
            return await on_scoring(infer_body, body, request.headers)
        except Refused as error:
            return refused(error)

    return routes
