"""The model file: the fitted estimator (encoding included, so it takes the raw table)
plus what is needed to use it safely later: the columns it reads and their kinds, the
ID columns, the categories it saw, the positive class.

Saved with joblib (pickle), the format scikit-learn documents for its estimators.
Pickle runs code when loaded, so a model is loaded only when it is this pipeline's: a
model of a commit is read through dvc.py, which refuses bytes other than the ones that
commit's dvc.lock records, and the promotion checks the workspace's the same way
(docs/design-decisions.md, "Models stay pickles; their bytes are checked first").
Loading refuses a scikit-learn version other than the one that trained the model,
because pickles are not portable across versions; a file that is not a whole model
(empty, truncated, something else) is an error naming it.
"""

from __future__ import annotations

import lzma
import pickle
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import sklearn

from .. import paths
from ..errors import ProjectError
from ..outputs import write_with

ERROR_LIMIT = 100  # characters of an unpickling error quoted in a message


@dataclass(frozen=True)
class Model:
    estimator: object  # a scikit-learn pipeline: raw columns in, predictions out
    features: dict[str, str]  # column -> kind (numeric, boolean, categorical, datetime)
    target: str
    problem_type: str  # classification or regression
    ids: tuple[str, ...] = ()  # never features; carried to predictions
    categories: dict[str, list[str]] = field(default_factory=dict)  # column -> values seen
    positive: object = None  # binary classification: the class whose probability scores
    sklearn_version: str = sklearn.__version__

    @property
    def classes(self) -> list:
        """The classes it predicts, in the order of its probabilities; [] for regression."""
        return list(self.estimator.classes_) if self.problem_type == "classification" else []

    @property
    def positive_index(self) -> int | None:
        """The column of the positive class in the probabilities (binary only)."""
        classes = self.classes
        if len(classes) != 2:
            return None
        return classes.index(self.positive) if self.positive in classes else 1


def save(model: Model, path: Path) -> None:
    write_with(path, lambda temporary: joblib.dump(model, temporary))


def load(path: Path) -> Model:
    if not path.is_file():
        raise ProjectError(f"{path}: model not found; run 'dvc repro' (or 'dvc pull') first")
    return check(unpickled(path, path), path)


def unpickled(source, where: Path) -> object:
    """joblib.load of ``source``; a file that is not a whole pickle is a ProjectError. (A
    file that starts like a zlib, gzip, bz2, xz or lzma stream is decompressed first: its
    decompressor's errors are zlib.error, OSError and LZMAError.)"""
    try:
        return joblib.load(source)
    except (EOFError, KeyError, ValueError, IndexError, TypeError, pickle.UnpicklingError,
            AttributeError, ModuleNotFoundError, ImportError, zlib.error, lzma.LZMAError,
            OSError) as error:  # fmt: skip
        shown = str(error)[:ERROR_LIMIT]
        raise ProjectError(
            f"{where}: not a readable model file ({type(error).__name__}: {shown}); it is "
            "empty, truncated, damaged or not written by this project. Restore it with "
            "'dvc checkout' (or 'dvc pull' from the remote), or train it again with "
            "'dvc repro'"
        ) from None


def check(model: object, path: Path) -> Model:
    """``model`` if this project wrote it with the installed scikit-learn; else a clear error."""
    if not isinstance(model, Model):
        raise ProjectError(f"{path}: not a model file written by this project")
    if model.sklearn_version != sklearn.__version__:
        raise ProjectError(
            f"{path}: trained with scikit-learn {model.sklearn_version}, but "
            f"{sklearn.__version__} is installed; run 'make install' to get the pinned version"
        )
    return model


def load_at(commit: str, shipped: dict[str, str] | None = None) -> Model:
    """The model of a commit, read through DVC (its cache, then the remote); ``shipped``:
    the bytes a version's promotion made instead (registry.Version.shipped)."""
    from ..dvc import read_at

    where = Path(f"{paths.MODEL}@{commit[:7]}")
    return check(unpickled(read_at(commit, paths.MODEL, shipped), where), where)
