"""The one exception type the CLI turns into a clear message and a non-zero exit."""


class ProjectError(Exception):
    """A problem the user can fix: the message names the file, the field and what is expected."""
