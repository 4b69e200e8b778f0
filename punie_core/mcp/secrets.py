"""Redaction of MCP secrets: env values and header values never leave the host process.

They are never written anywhere by Punie (specs hide them), but a server may echo them in an
error, its stderr or a result. Everything Punie takes from a server passes `Redactor.text` or
`Redactor.data` before the model, traces, logs or the web UI can see it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

MASK = "[secret]"
MIN_SECRET = 4
"""Shorter values (`1`, `on`) are not masked: they would mangle ordinary text."""


class Redactor:
    """Replaces known secret values in text and in nested data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these values too (longest first, so a secret containing another goes whole)."""
        found = set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET}
        self._secrets = sorted(found, key=len, reverse=True)

    def text(self, value: str) -> str:
        """`value` with every secret replaced by `[secret]`."""
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        """A copy of JSON-like data with secrets masked in every string (keys included)."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        return value


_process = Redactor()
_installed = False


def _masking_factory(factory: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if _process._secrets:
            try:
                message = record.getMessage()
            except Exception:  # a malformed record is the logging module's to report
                return record
            masked = _process.text(message)
            if masked != message:
                record.msg, record.args = masked, ()
        return record

    return make_record


def register(secrets: Iterable[str]) -> None:
    """Mask these values in every log record of this process from now on (the SDK logs URLs
    and payloads at debug level; a library's message may quote a header)."""
    global _installed
    _process.add(secrets)
    if not _installed:
        logging.setLogRecordFactory(_masking_factory(logging.getLogRecordFactory()))
        _installed = True
