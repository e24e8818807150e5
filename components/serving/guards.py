"""What ``judgeops serve`` refuses before a request reaches the model, and how it says so.

Binding to 127.0.0.1 keeps other machines out, not web pages: a page on evil.example can point its own
name at 127.0.0.1 (DNS rebinding) and make the user's browser post to the judge. Such a request carries
``Host: evil.example``, so only loopback names (and the hosts the operator adds) are served. A body, a
completion and the queue are bounded so that one client cannot take the memory or the model's time of
all the others. Every refusal is an OpenAI-shaped error, rendered as ASCII JSON so that an error that
quotes a client's broken text (a lone surrogate) still renders, and never holds a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Limits:
    """The server's bounds. ``max_tokens`` is a cap, not a default: a request asking for more gets a 400
    (never a silently shorter completion). ``allowed_hosts`` are served besides LOOPBACK_HOSTS, any port.
    On SIGTERM/SIGINT, requests in flight get ``shutdown_grace_s`` to finish, then are cut off."""

    max_body_bytes: int = 1 << 20
    max_tokens: int = 1024
    max_queue: int = 64
    allowed_hosts: tuple[str, ...] = ()
    shutdown_grace_s: float = 5.0

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_tokens", "max_queue"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.shutdown_grace_s < 0:
            raise ValueError(f"shutdown_grace_s must not be negative, not {self.shutdown_grace_s}")
        for host in self.allowed_hosts:
            if allowed_name(host) is None:
                raise ValueError(f"{host!r} is not a host name or address")

    def hosts(self) -> frozenset[str]:
        return frozenset(allowed_name(host) for host in LOOPBACK_HOSTS + self.allowed_hosts)


def host_name(header: str) -> str | None:
    """The host of a Host header, lowercased and without its port; None if it is not one."""
    value = header.strip().lower()
    if value.startswith("["):  # an IPv6 literal: [::1]:8000
        end = value.find("]") + 1
        name, port = value[:end], value[end:]
    else:
        colon = value.find(":")
        name, port = (value, "") if colon < 0 else (value[:colon], value[colon:])
    if not name or not (port == "" or (port.startswith(":") and port[1:].isdigit())):
        return None
    return name


def allowed_name(entry: str) -> str | None:
    """An allowlist entry as host_name gives it: ``::1`` may be written bare, a port is ignored."""
    entry = entry.strip()
    if entry.count(":") > 1 and not entry.startswith("["):
        entry = f"[{entry}]"
    return host_name(entry)


class HostAllowlist:
    """ASGI middleware: an HTTP request whose Host is not allowed gets a 421 and never reaches the app."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host_name(header) not in self.hosts:
                refusal = error_response(
                    421, f"this server does not serve the host {header[:100]!r}", code="host_not_allowed"
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyTooLarge(ValueError):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it is known to be over ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise BodyTooLarge(f"the request body is {declared} bytes; this server takes at most {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"the request body is over {limit} bytes, the most this server takes")
    return bytes(body)


class AsciiJSONResponse(JSONResponse):
    def render(self, content) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def error_response(
    status: int,
    message: str,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``."""
    payload = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return AsciiJSONResponse(payload, status_code=status, headers=headers)
