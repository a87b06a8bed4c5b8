"""CPU threads: the CPUs a process may use (affinity, cgroup quota), the one setting of
scoring's thread pools, and predictions that do not depend on it."""

import os
import threading

import pytest

from {{ cookiecutter.package_name }} import threads
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.scoring import predict

from .conftest import fit, mixed_table


def cgroup(tmp_path, group: str, quotas: dict[str, str]):
    """A cgroup v2 tree under tmp_path with ``cpu.max`` per group, and the process's
    /proc/self/cgroup naming ``group``."""
    for path, value in quotas.items():
        folder = tmp_path / "fs" / path.lstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cpu.max").write_text(value + "\n", encoding="utf-8")
    (tmp_path / "cgroup").write_text(f"0::{group}\n", encoding="utf-8")
    return tmp_path / "fs", tmp_path / "cgroup"


def test_the_quota_is_the_tightest_of_the_groups_above_rounded_up(tmp_path):
    root, self = cgroup(
        tmp_path, "/pods/app", {"/pods/app": "max 100000", "/pods": "150000 100000"}
    )
    assert threads.quota(root, self) == 2  # 1.5 CPUs, from the parent group
    root, self = cgroup(tmp_path / "none", "/app", {"/app": "max 100000"})
    assert threads.quota(root, self) is None
    assert threads.quota(root, tmp_path / "absent") is None


def test_scoring_threads_default_to_the_cpus_available_and_refuse_nonsense(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    assert 1 <= threads.scoring() == threads.available() <= len(os.sched_getaffinity(0))
    monkeypatch.setenv(threads.ENV, "3")
    assert threads.scoring() == 3
    monkeypatch.setenv(threads.ENV, "all")
    with pytest.raises(ProjectError, match="SCORING_THREADS: expected a positive whole"):
        threads.scoring()


def test_predictions_do_not_depend_on_the_threads():
    frame = mixed_table("classification")
    model = fit(frame, "classification", name="hist_gradient_boosting", max_iter=20)
    features = frame.drop(columns="target")
    found = {}

    def scored(count: int) -> None:
        threads.limit(count)  # each thread's own limit
        found[count] = predict(model, features)[1]

    for count in (1, 2):
        worker = threading.Thread(target=scored, args=(count,))
        worker.start()
        worker.join()
    assert (found[1] == found[2]).all()
