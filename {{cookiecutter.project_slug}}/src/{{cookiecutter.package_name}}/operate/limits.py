"""What one request, and one worker process, of `serve` may take: the defaults of its
options, in one place (cli.py reads them without loading the server; serve.py applies
them)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one request, and one worker process, may take (`serve`'s options)."""

    max_body_bytes: int = 1_048_576  # a request's body: 1 MiB
    max_rows: int = 1_000  # rows in one request (`predict` scores files of any size)
    max_concurrent: int = 4  # scoring requests in flight in a worker, queued included
    max_connections: int = 256  # open connections per worker
    header_timeout: float = 10.0  # seconds for a request's line and headers to arrive
    body_timeout: float = 30.0  # seconds for its body to arrive
    keep_alive: float = 5.0  # seconds an idle kept-alive connection stays open
    workers: int = 1  # processes, each scoring on one thread
