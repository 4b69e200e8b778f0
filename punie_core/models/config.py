"""The user's Punie configuration: `$PUNIE_HOME/config.toml` (PUNIE_HOME defaults to `~/.punie`).

Everything is optional; see docs/models.md for the keys. Read with the standard library only,
so loading it costs nothing at start-up.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_LOCAL_URL = "http://localhost:8080/v1"
"""What the model string `local` means unless the config says otherwise (mlx_lm.server's port)."""

COMPAT_KEYS = ("strict_tools", "max_completion_tokens", "multiple_system_messages")
"""Compatibility switches for OpenAI-compatible servers (True = the server supports it)."""


class ConfigError(ValueError):
    """The config file is unreadable or has a wrong value (the message names the file and key)."""


def punie_home() -> Path:
    """`$PUNIE_HOME`, or `~/.punie`."""
    value = os.environ.get("PUNIE_HOME")
    return Path(value).expanduser() if value else Path.home() / ".punie"


def config_path() -> Path:
    """Where the user config lives: `$PUNIE_HOME/config.toml`."""
    return punie_home() / "config.toml"


@dataclass(frozen=True)
class Config:
    """The parsed config file.

    Attributes:
        model: Default model string (below `--model` and `PUNIE_MODEL`).
        local_url: The URL `local` stands for.
        local_name: The model name sent to the `local` server (None: ask the server).
        api_key: API key sent to OpenAI-compatible servers that need one.
        compat: Compatibility switches forced for every server (`strict_tools`,
            `max_completion_tokens`, `multiple_system_messages`).
        servers: Per-URL overrides: URL -> {compat keys, `name`, `api_key`}.
        settings: Model settings passed to every request (`temperature`, `max_tokens`, ...).
        request_limit: Model requests allowed per prompt.
        embedded: False to never fall back to the embedded model.
        keep_alive: Seconds a managed model server stays up after its last use (None: the
            default, 300; 0: it stops when Punie exits). `keep_alive = "5m"` works too.
        nudges: Nudge a model whose first answer shows code or guesses before any tool ran
            (None: on for the servers Punie starts, off otherwise).
        tool_format: How the model calls tools in Code Mode: `tools` (the `execute_code` tool
            definition) or `blocks` (```python blocks in its text; no tool definition sent).
            None: `blocks` for the servers Punie starts, `tools` otherwise.
        standards: The organisation's standards folder (a shared checkout); default
            `$PUNIE_HOME/standards`.
        path: The file read (None when there was none).
    """

    model: str | None = None
    local_url: str = DEFAULT_LOCAL_URL
    local_name: str | None = None
    api_key: str | None = None
    compat: dict[str, bool] = field(default_factory=dict)
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    request_limit: int = 50
    embedded: bool = True
    keep_alive: float | None = None
    nudges: bool | None = None
    tool_format: str | None = None
    standards: str | None = None
    path: Path | None = None

    def server(self, url: str) -> dict[str, Any]:
        """Overrides for one server URL (trailing slashes ignored)."""
        return self.servers.get(url.rstrip("/"), {})


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file gives the defaults.

    Raises:
        ConfigError: The file is not valid TOML or a value has the wrong type.
    """
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate the TOML data of a config file."""
    where = str(path or "config")

    def typed(
        table: dict[str, Any], key: str, kind: type | tuple[type, ...], prefix: str = ""
    ) -> Any:
        value = table.get(key)
        if value is not None and not isinstance(value, kind):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise ConfigError(f"{where}: {prefix}{key} must be a {names}, got {value!r}")
        return value

    local = typed(data, "local", dict) or {}
    compat = typed(data, "compat", dict) or {}
    for key, value in compat.items():
        if key not in COMPAT_KEYS or not isinstance(value, bool):
            raise ConfigError(
                f"{where}: [compat] {key} must be one of {COMPAT_KEYS} set to true/false"
            )
    servers: dict[str, dict[str, Any]] = {}
    for url, table in (typed(data, "servers", dict) or {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f'{where}: [servers."{url}"] must be a table')
        for key, value in table.items():
            if key in COMPAT_KEYS and not isinstance(value, bool):
                raise ConfigError(f'{where}: [servers."{url}"] {key} must be true or false')
        servers[url.rstrip("/")] = dict(table)
    return Config(
        model=typed(data, "model", str),
        local_url=(typed(local, "url", str, "[local] ") or DEFAULT_LOCAL_URL).rstrip("/"),
        local_name=typed(local, "name", str, "[local] "),
        api_key=typed(data, "api_key", str) or typed(local, "api_key", str, "[local] "),
        compat=dict(compat),
        servers=servers,
        settings=dict(typed(data, "settings", dict) or {}),
        request_limit=typed(data, "request_limit", int) or 50,
        embedded=typed(data, "embedded", bool) is not False,
        keep_alive=_optional_duration(typed(data, "keep_alive", (int, float, str)), where),
        nudges=typed(data, "nudges", bool),
        tool_format=_tool_format(typed(data, "tool_format", str), where),
        standards=typed(data, "standards", str),
        path=path,
    )


def _tool_format(value: str | None, where: str) -> str | None:
    if value is not None and value not in ("tools", "blocks"):
        raise ConfigError(f'{where}: tool_format must be "tools" or "blocks", got {value!r}')
    return value


def _optional_duration(value: Any, where: str) -> float | None:
    return None if value is None else parse_duration(value, f"{where}: keep_alive")


def parse_duration(value: Any, where: str) -> float:
    """Seconds from a number or `"30s"`, `"5m"`, `"1h"`.

    Raises:
        ConfigError: Not a duration, or negative (the message starts with `where`).
    """
    import re

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
        if isinstance(value, bool) or not match:
            raise ConfigError(f'{where} must be seconds or like "5m", got {value!r}')
        seconds = float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    if seconds < 0 or seconds != seconds:
        raise ConfigError(f"{where} must not be negative, got {value!r}")
    return seconds
