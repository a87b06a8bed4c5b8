"""`serve`'s optional bearer token (RFC 6750): off unless a token is given.

``SERVE_TOKEN`` holds the token, or ``SERVE_TOKEN_FILE`` names a file holding it (a
secret mounted by the platform; its surrounding whitespace is ignored). With either set,
every request but the health checks and the metrics (``/health``, ``/v2/health/live``,
``/v2/health/ready``, ``/metrics``) must carry ``Authorization: Bearer <token>``, else it
gets a 401 with ``WWW-Authenticate: Bearer``. Tokens are compared in constant time
(``hmac.compare_digest``). TLS is not here: a reverse proxy or the platform's ingress
terminates it (README, "Serving").
"""

from __future__ import annotations

import hmac
import json
import os
from pathlib import Path

from ..errors import ProjectError

TOKEN, TOKEN_FILE = "SERVE_TOKEN", "SERVE_TOKEN_FILE"
OPEN = frozenset({"/health", "/v2/health/live", "/v2/health/ready", "/metrics"})
SHORTEST = 16  # characters: a shorter token is guessable


def configured_token() -> bytes | None:
    """The token the environment gives (None: no authentication); a ProjectError names a
    file that cannot be read, a token too short, or both variables set."""
    value, file = os.environ.get(TOKEN), os.environ.get(TOKEN_FILE)
    if value is not None and file is not None:
        raise ProjectError(f"{TOKEN} and {TOKEN_FILE} are both set: set one")
    if file is not None:
        try:
            value = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or type(error).__name__
            raise ProjectError(f"{TOKEN_FILE}={file}: cannot read the token ({reason})") from None
    if value is None:
        return None
    token = value.strip()
    where = f"{TOKEN_FILE}={file}" if file is not None else TOKEN
    if len(token) < SHORTEST or any(not 32 < ord(char) < 127 for char in token):
        raise ProjectError(
            f"{where}: expected a token of at least {SHORTEST} printable ASCII characters "
            "without spaces (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return token.encode("ascii")


class BearerToken:
    """ASGI middleware: answers 401 to an HTTP request outside OPEN without the token."""

    def __init__(self, app, token: bytes) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN or self.carries_token(scope):
            await self.app(scope, receive, send)
            return
        given = any(name == b"authorization" for name, _ in scope["headers"])
        challenge = b'Bearer realm="serve"' + (b', error="invalid_token"' if given else b"")
        message = "invalid bearer token" if given else "a bearer token is required"
        # The protocol's errors are {"error": ...}; /predict's, FastAPI's {"detail": ...}.
        key = "error" if scope["path"].startswith("/v2") else "detail"
        body = json.dumps({key: message}).encode()
        headers = [(b"content-type", b"application/json"), (b"www-authenticate", challenge),
                   (b"content-length", str(len(body)).encode())]  # fmt: skip
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def carries_token(self, scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    given.strip(), self.token
                )
        return False
