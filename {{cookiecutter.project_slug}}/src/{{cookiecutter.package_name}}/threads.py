"""CPU threads: how many this process may use, and the model library's thread pools.

Scoring (the evaluate stage, the pull-request report and the gate, `predict`, `serve`)
limits the pools of OpenMP and BLAS (threadpoolctl) to ``SCORING_THREADS`` threads, by
default the CPUs this process may use: its CPU affinity, and its cgroup's CPU quota (a
container's ``--cpus``). A row's prediction does not depend on it. `serve` scores on one
thread per worker (operate/serve.py). Training's threads are part of the recipe
(params.yaml's ``train.threads``): the bytes of a gradient-boosted model depend on them.
"""

from __future__ import annotations

import math
import os
import threading
from pathlib import Path

from .errors import ProjectError

ENV = "SCORING_THREADS"
_done = threading.local()  # whether this thread's pools are limited


def quota(
    root: Path = Path("/sys/fs/cgroup"), cgroups: Path = Path("/proc/self/cgroup")
) -> int | None:
    """The CPUs this process's cgroup may use, rounded up (cgroup v2's ``cpu.max`` of its
    group and the groups above it, or v1's CFS quota); None without a quota."""
    try:
        lines = cgroups.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    found: list[float] = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # v2: every group from this one up to the root
            group = root / path.lstrip("/")
            while True:
                try:
                    limit, period = (group / "cpu.max").read_text(encoding="utf-8").split()
                    if limit != "max":
                        found.append(int(limit) / int(period))
                except (OSError, ValueError):
                    pass
                if group == root or root not in group.parents:
                    break
                group = group.parent
        elif "cpu" in controllers.split(","):  # v1
            folder = root / controllers
            try:
                limit = int((folder / "cpu.cfs_quota_us").read_text(encoding="utf-8"))
                period = int((folder / "cpu.cfs_period_us").read_text(encoding="utf-8"))
                if limit > 0 and period > 0:
                    found.append(limit / period)
            except (OSError, ValueError):
                pass
    return max(1, math.ceil(min(found))) if found else None


def available() -> int:
    """The CPUs this process may use: its affinity, within its cgroup's quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    limit = quota()
    return min(cpus, limit) if limit else cpus


def scoring() -> int:
    """The threads scoring uses: ``SCORING_THREADS``, else the CPUs available."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return available()
    if not text.isdigit() or int(text) < 1:
        raise ProjectError(f"{ENV}: expected a positive whole number of threads, got {text!r}")
    return int(text)


def limit(threads: int | None = None) -> None:
    """Limit the model library's thread pools to ``threads`` (by default ``scoring()``)
    for this thread, once: OpenMP's limit is each thread's own. The libraries must be
    loaded (a model unpickled) for threadpoolctl to find them."""
    if getattr(_done, "threads", None) is not None:
        return
    from threadpoolctl import threadpool_limits

    count = threads or scoring()
    threadpool_limits(limits=count)
    _done.threads = count
