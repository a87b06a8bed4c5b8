"""Progress on stderr: a line rewritten in place on a terminal, plain lines at a steady
pace elsewhere, nothing for quick work. A fake clock stands in for time."""

import io
import re
import time
from itertools import pairwise

import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.progress import Progress, duration


class Clock:
    """Seconds that pass only when a test says so."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(stream, seconds: float, steps: int, environ=None) -> str:
    """``steps`` steps, evenly over ``seconds``, counted on a Progress writing to ``stream``."""
    clock = Clock()
    with Progress(
        "predict", "scoring", steps, "rows", stream=stream, clock=clock, environ=environ or {}
    ) as progress:
        for step in range(1, steps + 1):
            clock.now = 100.0 + seconds * step / steps
            progress.advance()
    return stream.getvalue()


def test_plain_lines_come_at_a_steady_pace_and_end_with_one_last_line():
    """100,000 steps over 10 minutes print a line after 2 s, then one every 15 s, and
    the last: about 40 lines, none rewritten in place."""
    text = run(io.StringIO(), 600, 100_000)
    lines = text.splitlines()
    assert "\r" not in text
    assert 38 <= len(lines) <= 42
    assert lines[0] == "predict: scoring, 334/100,000 rows (0%), elapsed 2 s, ETA 9 min 58 s"
    assert re.fullmatch(
        r"predict: scoring, 50,\d{3}/100,000 rows \(50%\), elapsed 5 min 0\d s, "
        r"ETA 4 min 5\d s",
        lines[20],
    )
    assert lines[-1] == "predict: 100,000 rows, done in 10 min 00 s"


def test_a_terminal_gets_one_line_rewritten_at_most_four_times_a_second():
    text = run(Terminal(), 10, 10_000)
    assert text.count("\n") == 1 and text.endswith("\n")
    rewrites = text.split("\r")[1:]
    assert 25 <= len(rewrites) <= 10 * 4 + 1
    assert rewrites[0] == "predict: scoring, 2,000/10,000 rows (20%), elapsed 2 s, ETA 8 s"
    assert rewrites[-1].rstrip() == "predict: 10,000 rows, done in 10 s"
    # each rewrite covers what the one before showed (padded with spaces, no escape codes)
    assert all(len(new) >= len(old.rstrip()) for old, new in pairwise(rewrites))


@pytest.mark.parametrize("stream", [io.StringIO, Terminal])
def test_quick_work_says_nothing(stream):
    assert run(stream(), 1.9, 1_000) == ""


def test_progress_off_and_dumb_terminals():
    """PROGRESS=0 silences it; a dumb terminal gets plain lines, not rewrites."""
    assert run(Terminal(), 60, 100, {"PROGRESS": "0"}) == ""
    dumb = run(Terminal(), 60, 100, {"TERM": "dumb"})
    assert dumb and "\r" not in dumb


def test_the_interval_is_a_setting():
    """PROGRESS_INTERVAL=0: a line at every step; anything but seconds is refused."""
    assert len(run(io.StringIO(), 1, 10, {"PROGRESS_INTERVAL": "0"}).splitlines()) == 11
    with pytest.raises(ProjectError, match="PROGRESS_INTERVAL: expected seconds"):
        Progress("train", environ={"PROGRESS_INTERVAL": "soon"})


def test_work_opened_inside_other_work_continues_its_line():
    """The bootstrap inside the report: its step shows as the report's; one last line."""
    clock, stream = Clock(), io.StringIO()
    options = {"stream": stream, "clock": clock, "environ": {"PROGRESS_INTERVAL": "0"}}
    with Progress("report", "comparing", **options) as report:
        clock.now += 1
        with Progress("bootstrap", "resampling", 10, "resamples", **options) as inner:
            assert inner is report
            clock.now += 1
            inner.advance(5)
        report.tick()  # its own stage again
        report.step("rendering")
    lines = stream.getvalue().splitlines()
    assert "report: resampling, 5/10 resamples (50%), elapsed 2 s, ETA 1 s" in lines
    assert lines[-3:] == [
        "report: comparing, elapsed 2 s",
        "report: rendering, elapsed 2 s",
        "report: done in 2 s",
    ]
    assert not any(line.startswith("bootstrap") for line in lines)


def test_a_heartbeat_shows_the_time_while_one_long_call_runs():
    stream = io.StringIO()
    environ = {"PROGRESS_INTERVAL": "0.05"}
    with Progress("train", "fitting", heartbeat=True, stream=stream, environ=environ):
        # the call, with no step to count, lasts until the heartbeat (the thread wakes
        # every 0.25 s) has shown a line: however late a loaded machine wakes it
        deadline = time.monotonic() + 60
        while "\n" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2
    # the seconds shown depend on the machine's load, not on this code: any whole number
    assert all(re.fullmatch(r"train: fitting, elapsed \d+ s", line) for line in lines[:-1])
    assert re.fullmatch(r"train: done in \d+ s", lines[-1])


def test_an_error_ends_the_terminal_line_so_its_message_starts_on_its_own():
    clock, stream = Clock(), Terminal()
    with pytest.raises(ProjectError), Progress("predict", stream=stream, clock=clock) as progress:
        clock.now += 3
        progress.advance()
        raise ProjectError("bad row")
    assert stream.getvalue() == "\rpredict: elapsed 3 s\n"


def test_durations_read_as_people_say_them():
    seconds = (0.4, 59.4, 65, 3725)
    assert [duration(s) for s in seconds] == ["0 s", "59 s", "1 min 05 s", "1 h 02 min"]
