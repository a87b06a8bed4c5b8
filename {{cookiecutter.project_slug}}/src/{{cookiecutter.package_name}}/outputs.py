"""Writing outputs all-or-nothing: a failed command never leaves a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ProjectError

if TYPE_CHECKING:  # imported where used: commands that write only JSON stay light
    import pandas as pd
    import pyarrow as pa


@contextmanager
def atomic_path(path: Path):
    """Yield a temporary path beside ``path``; move it into place only on success. The
    folders it needs are made, and removed again on failure; a path that cannot be
    written (a folder, under a file, in a read-only folder) is a ProjectError naming it."""
    made = folders_for(path)
    try:
        # Named .<name>.*.tmp, which .gitignore ignores: a kill mid-write leaves nothing
        # git sees.
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        remove(made)
        raise cannot_write(path, error) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp makes the file private (0600); the output gets the mode the umask gives
        # any new file, as if it had been written in place.
        temporary.chmod(0o666 & ~current_umask())
        try:
            temporary.replace(path)
        except OSError as error:
            raise cannot_write(path, error) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        remove(made)
        raise


def cannot_write(path: Path, error: OSError) -> ProjectError:
    return ProjectError(f"{path}: cannot be written: {error.strerror or error}")


def folders_for(path: Path) -> list[Path]:
    """Make the folders ``path`` needs; those made, the deepest first. A ProjectError when
    ``path`` is a folder or a file stands where a folder must."""
    if path.is_dir():
        raise ProjectError(f"{path}: cannot be written: it is a folder; expected a file's path")
    missing = []
    for folder in path.parents:  # the nearest first
        if folder.is_dir():
            break
        if folder.exists():
            raise ProjectError(f"{path}: cannot be written: {folder} is a file, not a folder")
        missing.append(folder)
    made: list[Path] = []
    try:
        for folder in reversed(missing):
            folder.mkdir(exist_ok=True)  # another process may make it too
            made.insert(0, folder)
    except OSError as error:
        remove(made)
        raise cannot_write(path, error) from None
    return made


def remove(folders: list[Path]) -> None:
    """Remove ``folders`` (the deepest first) if still empty, as if never made."""
    for folder in folders:
        with suppress(OSError):
            folder.rmdir()


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_with(path: Path, writer: Callable[[Path], object]) -> None:
    with atomic_path(path) as temporary:
        writer(temporary)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    write_with(path, lambda temporary: frame.to_parquet(temporary, index=True))


def write_table(table: pa.Table, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Dictionary encoding pays off for repeated values, not for floats: skipping it
    # there makes writing large numeric tables about three times faster.
    repeated = [field.name for field in table.schema if not pa.types.is_floating(field.type)]
    write_with(path, lambda temporary: pq.write_table(table, temporary, use_dictionary=repeated))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    write_with(path, lambda temporary: frame.to_csv(temporary, index=False))


def write_text(text: str, path: Path) -> None:
    write_with(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def write_json(data: dict, path: Path) -> None:
    write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", path)


# A JSON value's type as a message names it.
KINDS = {
    str: "text", bool: "true/false", int: "a number", float: "a number", dict: "an object",
    list: "a list", type(None): "null",
}  # fmt: skip
SHOWN = 40  # characters of a value quoted in a message


def shown(value: object) -> str:
    """``value`` as a message quotes it: short, a list or object by its kind."""
    if isinstance(value, (dict, list)):
        return KINDS[type(value)]
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


Fields = Mapping[str, type | tuple[type, ...]]  # key -> the types its value may have


def json_object(path: Path, fields: Fields | None = None) -> dict[str, Any]:
    """The JSON object in ``path``, with ``fields``; a file that is not JSON (truncated,
    binary), not an object, or whose field is missing or of another type is a
    ProjectError naming it, the field and what was expected."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError
        raise ProjectError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a JSON object, found {KINDS[type(data)]}")
    for key, types in (fields or {}).items():
        allowed = types if isinstance(types, tuple) else (types,)
        if key not in data:
            raise ProjectError(f"{path}: {key}: required key is missing")
        value = data[key]
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            expected = " or ".join(dict.fromkeys(KINDS[kind] for kind in allowed))
            raise ProjectError(f"{path}: {key}: expected {expected}, found {shown(value)}")
    return data


def read_json(path: Path, command: str, fields: Fields | None = None) -> dict[str, Any]:
    """What an earlier command wrote to ``path``, with ``fields`` (``json_object``); a
    clear error when it did not run, or what it wrote was damaged since."""
    if not path.is_file():
        raise ProjectError(f"{path}: not found; run `make {command}` first")
    try:
        return json_object(path, fields)
    except ProjectError as error:
        raise ProjectError(f"{error}; run `make {command}` again") from None
