"""The runner's three kinds of failure."""


class RunnerError(Exception):
    """The workflow uses something the local runner does not know or cannot run."""


class ExprError(Exception):
    """An expression problem; RunnerError once the location is known."""


class StepFailed(Exception):
    """An action failed the way the real one would (a step failure, not a RunnerError)."""
