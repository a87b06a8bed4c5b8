"""`serve`'s fast path: a few rows of JSON scored by a gradient-boosted model without
pandas or scikit-learn's per-call work, to the same bits as the model's pipeline.

One row through the pipeline (scoring.predict) costs milliseconds, nearly none of it
arithmetic: a pandas table built and typed, the ColumnTransformer's selections and
checks, and one call into compiled code (an OpenMP parallel region) per tree. For the
default estimator (HistGradientBoosting with the native encoding of features.encoder:
numbers as they are, yes/no as 1/0, categories as codes; no date columns), ``compiled``
reads the fitted pipeline once: where each raw column lands in the trees' input, the
value each known category becomes there (found by the pipeline's own encoders, run once
on every category), and the trees as plain lists. A row is then walked through each
tree in Python, the leaves' values summed in scikit-learn's order, and the model's own
loss turns the sums into probabilities: the same float64 operations, so the same bits
(tests/test_fast.py compares them with the pipeline's predict and predict_proba).

It takes a request only when it reads each value as the pipeline does: numbers or null
in numeric columns, true/false or null in yes/no ones, text or null in categorical ones,
at most SMALL rows (beyond, the compiled code over the whole batch costs less). Any other
request, and so every value the pipeline refuses, goes the pipeline's way (its checks
and messages).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

from ..pipeline.features import Booleans, Numbers
from ..pipeline.model import Model
from ..pipeline.train import Columns

SMALL = 32  # rows: up to this many, walking the trees in Python costs less (make bench)
# The JSON values the pipeline reads one way only, by column kind (bool is not an int here)
TAKEN = {"numeric": (int, float), "boolean": (bool,), "categorical": (str,)}
ONE_TO_ONE = (Booleans, OrdinalEncoder, FunctionTransformer)  # one output per column


@dataclass(frozen=True)
class Fast:
    """A compiled model: per feature (name, kind, position in the trees' input, the value
    of each known category there); the trees; the baseline of each of the K sums."""

    columns: list[tuple[str, str, int, dict[str, float] | None]]
    trees: list[list[tuple]]  # per iteration, its K trees, each as lists (compile_model)
    baseline: list[float]
    width: int  # columns of the trees' input
    loss: Any  # the estimator's: sums -> predictions, probabilities
    problem_type: str
    classes: np.ndarray
    ids: tuple[str, ...]
    seen: dict[str, set[str]]  # categorical column -> the categories seen in training

    def scores(self, rows: list[dict[str, Any]]) -> tuple | None:
        """(predictions, probabilities or None, each row's IDs or None, unseen values per
        column) as serve.through_pipeline gives them; None when the pipeline must score
        ``rows``."""
        if len(rows) > SMALL:
            return None
        unseen: dict[str, int] = {}
        inputs = []
        for row in rows:
            x = [math.nan] * self.width
            for name, kind, position, codes in self.columns:
                value = row.get(name)
                if value is None:
                    continue
                if type(value) not in TAKEN[kind]:
                    return None
                if codes is None:
                    x[position] = float(value)
                    continue
                x[position] = codes.get(value, math.nan)  # unknown to the encoder: NaN
                if value not in self.seen[name]:
                    unseen[name] = unseen.get(name, 0) + 1
            inputs.append(x)
        sums = np.array([self.walk(x) for x in inputs], dtype=np.float64, order="F")
        if self.problem_type == "regression":
            predicted, probabilities = self.loss.link.inverse(sums.ravel()), None
        else:
            probabilities = self.loss.predict_proba(sums)
            predicted = self.classes[probabilities.argmax(axis=1)]
        present = [name for name in self.ids if any(name in row for row in rows)]
        ids = [{name: row.get(name) for name in present} for row in rows] if present else None
        counted = {name: unseen[name] for name in self.seen if name in unseen}
        return predicted.tolist(), probabilities, ids, counted

    def walk(self, x: list[float]) -> list[float]:
        """The K sums of the trees' leaves for one row (``_predict_one_from_raw_data`` of
        scikit-learn's _predictor.pyx, node by node)."""
        sums = list(self.baseline)
        for iteration in self.trees:
            for k, tree in enumerate(iteration):
                feature, threshold, left, right, missing_left, leaf, value, bits, known = tree
                node = 0
                while not leaf[node]:
                    found = x[feature[node]]
                    if found != found:  # NaN: missing, or a category unknown to the encoder
                        node = left[node] if missing_left[node] else right[node]
                    elif bits[node] is None:
                        node = left[node] if found <= threshold[node] else right[node]
                    elif found >= 0 and bits[node] >> int(found) & 1:
                        node = left[node]
                    elif found >= 0 and known[feature[node]] >> int(found) & 1:
                        node = right[node]
                    else:  # a category this split did not see: as missing
                        node = left[node] if missing_left[node] else right[node]
                sums[k] += value[node]
        return sums


def positions(transformer: ColumnTransformer) -> dict[Any, int] | None:
    """Input column (name or position) -> output position, for a ColumnTransformer whose
    every part gives one output per input column; else None."""
    found = {}
    for name, part, columns in transformer.transformers_:
        if isinstance(part, str) and part == "drop":
            continue
        if part != "passthrough" and not isinstance(part, ONE_TO_ONE):
            return None
        selected = np.asarray(columns)
        keys = np.flatnonzero(selected).tolist() if selected.dtype == bool else list(columns)
        start = transformer.output_indices_[name].start
        found.update({key: start + index for index, key in enumerate(keys)})
    return found


def bitsets(words: np.ndarray) -> list[int]:
    """Each row of 32-bit words as one integer: bit i is word i // 32's bit i % 32."""
    return [sum(int(word) << (32 * index) for index, word in enumerate(row)) for row in words]


def categories_of(encode: ColumnTransformer) -> dict[str, list[str]]:
    """Categorical column -> the categories its OrdinalEncoder knows (missing left out)."""
    found = {}
    for _, part, columns in encode.transformers_:
        if isinstance(part, OrdinalEncoder):
            for name, known in zip(columns, part.categories_, strict=True):
                found[name] = [value for value in known.tolist() if isinstance(value, str)]
    return found


def compile_model(model: Model) -> Fast | None:
    """``model`` compiled for the fast path; None unless it is a pipeline of Columns, a
    ColumnTransformer of one output per column (no dates) and a HistGradientBoosting."""
    steps = model.estimator
    if not isinstance(steps, Pipeline) or len(steps) != 3:
        return None
    columns, encode, trees = (step for _, step in steps.steps)
    if not (
        isinstance(columns, Columns)
        and isinstance(encode, (ColumnTransformer, Numbers))
        and isinstance(trees, (HistGradientBoostingClassifier, HistGradientBoostingRegressor))
        and set(model.features.values()) <= set(TAKEN)
        and dict(columns.schema.features) == model.features
    ):
        return None
    if isinstance(encode, Numbers):  # numbers only: each column where it stands
        encoded = {name: index for index, name in enumerate(encode.columns_)}
    else:
        encoded = positions(encode)
    if encoded is None or not set(model.features) <= set(encoded):
        return None
    # The trees' input: the HistGradientBoosting's own encoding of categorical codes puts
    # them first (its _preprocessor), else the ColumnTransformer's output as it is.
    inner = positions(trees._preprocessor) if trees._preprocessor is not None else None
    if trees._preprocessor is not None and inner is None:
        return None
    place = {name: inner[encoded[name]] if inner else encoded[name] for name in model.features}
    # The value each known category becomes there: the pipeline's encoders run once on
    # every category (a table as long as the longest list, shorter ones padded).
    known = categories_of(encode) if isinstance(encode, ColumnTransformer) else {}
    categorical = [name for name, kind in model.features.items() if kind == "categorical"]
    if not set(categorical) <= set(known) & set(model.categories):
        return None
    codes: dict[str, dict[str, float]] = {}
    length = max((len(known[name]) for name in categorical), default=0)
    if length:
        probe = {
            name: (known[name] * length)[:length] if known.get(name) else [None] * length
            for name in model.features
        }
        inputs = trees._preprocess_X(steps[:-1].transform(pd.DataFrame(probe)), reset=False)
        for name in categorical:
            codes[name] = dict(zip(known[name], inputs[:, place[name]].tolist(), strict=False))
    mask = trees._bin_mapper.is_categorical_
    known_bits, feature_map = trees._bin_mapper.make_known_categories_bitsets()
    rows = bitsets(known_bits)
    width = trees.n_features_in_
    known_of = [rows[feature_map[f]] if mask is not None and mask[f] else 0 for f in range(width)]
    compiled = []
    for iteration in trees._predictors:
        compiled.append([])
        for predictor in iteration:
            nodes = predictor.nodes
            raw_bits = bitsets(predictor.raw_left_cat_bitsets)
            index = nodes["bitset_idx"].tolist()
            bits = [
                raw_bits[index[node]] if categorical_node else None
                for node, categorical_node in enumerate(nodes["is_categorical"].tolist())
            ]
            fields = ("feature_idx", "num_threshold", "left", "right", "missing_go_to_left",
                      "is_leaf", "value")  # fmt: skip
            compiled[-1].append((*(nodes[field].tolist() for field in fields), bits, known_of))
    features = model.features.items()
    return Fast(
        columns=[(name, kind, place[name], codes.get(name)) for name, kind in features],
        trees=compiled,
        baseline=np.asarray(trees._baseline_prediction, dtype=np.float64).ravel().tolist(),
        width=width,
        loss=trees._loss,
        problem_type=model.problem_type,
        classes=np.asarray(model.classes),
        ids=tuple(model.ids),
        seen={name: set(values) for name, values in model.categories.items()},
    )


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled(model: Model) -> Fast | None:
    """``model``'s fast path, compiled once per fitted pipeline; None if it has none."""
    try:
        return _COMPILED[model.estimator]
    except KeyError:
        found = _COMPILED[model.estimator] = compile_model(model)
        return found
