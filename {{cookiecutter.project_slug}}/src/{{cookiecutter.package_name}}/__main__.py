"""Allow ``python -m <package>``."""

from .cli import main

if __name__ == "__main__":  # not when `serve --workers` starts a worker (it imports this)
    raise SystemExit(main(prog=f"python -m {__package__}"))
