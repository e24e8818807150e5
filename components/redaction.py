"""Credentials out of every URL this project writes down (MLflow params and tags, log lines, warnings,
the flow's log): the one helper for it.

A URL can carry a secret in two places: its userinfo (``https://user:password@host/``,
``https://TOKEN@host/``) and its query string (``?api_key=...``, a signed URL's ``sig=...``). ``redact_url``
replaces the userinfo with ``***@`` and every query value with ``***`` (the names stay, so the line still
says what was sent); the rest of the URL is left exactly as it was written. ``redact`` does that to every
URL inside a longer text. A URL without credentials comes back unchanged.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
# scheme://[userinfo@]rest -- the URL ends at whitespace, a quote or a bracket.
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>[^\s'\"<>`]+)")
_QUERY_VALUE = re.compile(r"(?P<name>[?&;][^=&#;]*=)[^&#;]*")


def redact_url(url: str) -> str:
    """``url`` without its credentials: userinfo -> ``***@``, each query value -> ``***``."""
    found = _URL.fullmatch(url.strip())
    return _URL.sub(_redacted, url) if found is None else url.replace(url.strip(), _redacted(found))


def redact(text: str) -> str:
    """``text`` with every URL in it redacted (``redact_url``)."""
    return _URL.sub(_redacted, text) if "://" in text else text


def _redacted(match: re.Match) -> str:
    rest = match.group("rest")
    authority_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:authority_end], rest[authority_end:]
    if "@" in authority:
        authority = f"{MASK}@{authority.rsplit('@', 1)[1]}"
    query_start = tail.find("?")
    if query_start >= 0:
        fragment_start = tail.find("#", query_start)
        end = len(tail) if fragment_start < 0 else fragment_start
        query = _QUERY_VALUE.sub(lambda m: f"{m.group('name')}{MASK}", tail[query_start:end])
        tail = tail[:query_start] + query + tail[end:]
    return match.group("scheme") + authority + tail


class RedactingFilter(logging.Filter):
    """A logging filter that redacts URLs in each record's message (installed on the CLI's handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Redact URLs in every record that reaches the root logger's handlers."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
