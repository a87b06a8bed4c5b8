"""How far long work is, on stderr (stdout stays clean for what tools parse).

A ``Progress`` line says what is being done, how far it is (done/total, or the share
of a file read), the time elapsed and, when the share is known, the time left. On a
terminal it is one line rewritten in place (``\\r``) at most four times a second;
anywhere else (CI logs, pipes, files) it is plain lines, at most one every
PROGRESS_INTERVAL seconds (15 by default), and one last line when done. Work finished
within 2 seconds (or PROGRESS_INTERVAL, when shorter) prints nothing at all.

Work with no steps to count (a model's fit is one call) opens with ``heartbeat=True``:
a thread shows the elapsed time at that same pace while the call runs. A Progress
opened while another is open (the bootstrap inside the report) continues the outer
one's line as its next stage, and gives the outer one its stage back when done.
Nothing here writes colours or escape codes, so NO_COLOR holds; TERM=dumb gets plain
lines, as ``\\r`` may not rewrite there; PROGRESS=0 turns it all off. The clock is read
per step (a chunk of rows), never per row.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from .errors import ProjectError

INTERVAL = 15.0  # seconds between plain lines (PROGRESS_INTERVAL)
QUIET = 2.0  # work done within this many seconds says nothing
REWRITE = 0.25  # seconds between rewrites of a terminal's line
OFF = {"0", "off", "no", "false"}

_lock = threading.RLock()
_open: list[Progress] = []  # the Progress objects open, outermost first: it has the line


def duration(seconds: float) -> str:
    """12 s, 3 min 05 s, 1 h 02 min."""
    whole = int(seconds + 0.5)
    if whole < 60:
        return f"{whole} s"
    minutes, whole = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {whole:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def interval_of(environ: Mapping[str, str]) -> float:
    """PROGRESS_INTERVAL's seconds, or the default."""
    text = environ.get("PROGRESS_INTERVAL", "").strip()
    if not text:
        return INTERVAL
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also refuses nan
        raise ProjectError(f"PROGRESS_INTERVAL: expected seconds (0 or more), got {text!r}")
    return seconds


@dataclass
class Stage:
    """What is being done, and how far it is: ``done`` of ``total``, or a ``share``."""

    doing: str
    total: int | None
    unit: str
    since: float  # when it began
    done: int = 0
    share: float | None = None  # 0 to 1, when it is not done/total
    at: float = 0.0  # when it last advanced: the time left counts down from there


class Progress:
    """``with Progress("predict", "scoring batch.csv", unit="rows") as progress:``, then
    ``progress.advance(rows)`` per chunk, or ``progress.step(...)`` at each new stage."""

    def __init__(
        self,
        label: str,
        doing: str = "",
        total: int | None = None,
        unit: str = "",
        *,
        heartbeat: bool = False,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        environ: Mapping[str, str] | None = None,
    ):
        environ = os.environ if environ is None else environ
        self.label, self.heartbeat = label, heartbeat
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.interval = interval_of(environ)
        self.quiet = min(QUIET, self.interval)
        self.enabled = environ.get("PROGRESS", "").strip().lower() not in OFF
        terminal = getattr(self.stream, "isatty", lambda: False)()
        self.terminal = terminal and environ.get("TERM") != "dumb"
        self.pace = REWRITE if self.terminal else self.interval
        self.started = clock()
        self.shown: float | None = None  # when a line was last written
        self.last, self.width = "", 0  # the line written last, its length on a terminal
        self.outer: Progress | None = None
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.stage = Stage(doing, total, unit, self.started, at=self.started)
        self.saved: Stage | None = None  # an outer Progress's stage, while this one has it

    # the steps --------------------------------------------------------------------------

    def step(self, doing: str, total: int | None = None, unit: str = "") -> None:
        """A new stage: its own count and time left; the elapsed time goes on."""
        now = self.clock()
        self.stage = Stage(doing, total, unit, now, at=now)
        self.tick()

    def advance(self, amount: int = 1, share: float | None = None) -> None:
        """``amount`` more done; ``share``: how much of the whole is done (0 to 1), when it
        is not done/total (the bytes of a file read, say)."""
        self.stage.done += amount
        if share is not None:
            self.stage.share = share
        self.stage.at = self.clock()
        self.tick()

    # showing ----------------------------------------------------------------------------

    def line(self, now: float) -> str:
        """predict: scoring batch.csv, 300,000 rows (30%), elapsed 12 s, ETA 28 s"""
        stage, count = self.stage, ""
        share = stage.share
        if share is None and stage.total:
            share = stage.done / stage.total
        if stage.total is not None:
            count = f"{stage.done:,}/{stage.total:,} {stage.unit}".rstrip()
        elif stage.unit:
            count = f"{stage.done:,} {stage.unit}"
        if share is not None:
            share = min(max(share, 0.0), 1.0)
            count = f"{count} ({share:.0%})".lstrip()
        parts = [text for text in (stage.doing, count) if text]
        parts.append(f"elapsed {duration(now - self.started)}")
        if share and share < 1:
            left = (stage.at - stage.since) * (1 - share) / share - (now - stage.at)
            parts.append(f"ETA {duration(max(left, 0.0))}")
        return f"{self.label}: " + ", ".join(parts)

    def tick(self) -> None:
        """Show the line if it is due: after the quiet time, at the pace."""
        if not self.enabled:
            return
        with _lock:
            if not _open or _open[0] is not self:
                return
            now = self.clock()
            if now - self.started < self.quiet:
                return
            if self.shown is not None and now - self.shown < self.pace:
                return
            line = self.line(now)
            if not (self.terminal and line == self.last):  # rewritten only when it changed
                self.write(line, now)

    def write(self, line: str, now: float, end: str = "") -> None:
        self.shown, self.last = now, line
        self.emit("\r" + line.ljust(self.width) + end if self.terminal else line + "\n")
        self.width = 0 if end or not self.terminal else len(line)

    def emit(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed (a pipe's reader gone): work goes on
            self.enabled = False

    def close(self, failed: bool = False) -> None:
        """The last line, if any was shown: done, or (``failed``) the line ended, so that
        an error starts on its own."""
        if not self.enabled or self.shown is None:
            return
        with _lock:
            if failed:
                if self.terminal and self.width:
                    self.emit("\n")
                return
            now, stage = self.clock(), self.stage
            text = f"{stage.done:,} {stage.unit}, " if stage.unit else ""
            self.write(f"{self.label}: {text}done in {duration(now - self.started)}", now, "\n")

    # as a context manager ---------------------------------------------------------------

    def __enter__(self) -> Progress:
        """This Progress, or the one already open, now at this one's step."""
        with _lock:
            self.outer = _open[0] if _open else None
            _open.append(self)
        owner = self.outer or self
        if self.outer is not None:
            self.saved = self.outer.stage
            self.outer.step(self.stage.doing, self.stage.total, self.stage.unit)
        if self.heartbeat and owner.enabled and not (self.outer and self.outer.thread):
            self.thread = threading.Thread(target=self.beat, args=(owner,), daemon=True)
            self.thread.start()
        return owner

    def beat(self, owner: Progress) -> None:
        while not self.stop.wait(REWRITE):  # the line says when it is due
            owner.tick()

    def __exit__(self, kind, value, traceback) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with _lock:
            _open.remove(self)
            if self.outer is not None:  # the outer work's own stage again
                self.outer.stage = self.saved
        if self.outer is None:
            self.close(failed=kind is not None)
