"""Which MCP servers a session uses: the ACP client's, `$PUNIE_HOME/mcp.json` and `.mcp.json`.

Both files use the `{"mcpServers": {NAME: {...}}}` JSON other tools read: a stdio server is
`{"command", "args", "env", "cwd"}`, a remote one `{"type": "http" | "sse", "url",
"headers"}`; `"disabled": true` leaves one out and `"timeout"` sets its seconds to connect.
`${VAR}` and `${VAR:-default}` in values read the environment, so secrets stay out of the file.
The client's servers (ACP `session/new` / `session/load`) win by name over the files; the
user's file wins over the project's.

`env` values and `headers` are secrets: a `ServerSpec` never shows them (`repr`, `public()`),
and `secret_values()` lists them for redaction. So is every value a `${VAR}` took from the
environment, wherever it went (a URL's path, an argument): `public()` and `describe()` show
`[secret]` in its place.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Transport = Literal["stdio", "http", "sse"]
Source = Literal["client", "user", "project"]

PROJECT_FILE = ".mcp.json"
USER_FILE = "mcp.json"
DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds a server gets to start and answer `initialize` and `tools/list`."""
DEFAULT_CALL_TIMEOUT = 120.0
"""Seconds one tool call may take (the toolbox gate's time limit)."""

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigProblem(ValueError):
    """An MCP config file or server entry cannot be used (the message names the file and key)."""


@dataclass(frozen=True)
class ServerSpec:
    """How to reach one MCP server.

    Attributes:
        name: The server's name (the prefix of its tools' names).
        transport: `stdio`, `http` (streamable HTTP) or `sse`.
        source: Where it came from: `client` (ACP), `user` or `project` (config files).
        command: The program of a stdio server.
        args: Its arguments.
        env: Extra environment of a stdio server (secret: never shown).
        cwd: The directory a stdio server starts in (default: the project).
        url: The endpoint of an HTTP or SSE server.
        headers: HTTP headers (secret: never shown).
        connect_timeout: Seconds to connect, initialize and list tools.
        call_timeout: Seconds one tool call may take.
        file: The config file it came from (None for the client's).
        expanded: The values `${VAR}` took from the environment (secret: never shown).
    """

    name: str
    transport: Transport
    source: Source = "client"
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    cwd: str | None = None
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    file: str | None = None
    expanded: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def secret_values(self) -> list[str]:
        """Every env value and header value, a URL's password and query values, and every
        value taken from the environment (what redaction hides)."""
        found = [*self.env.values(), *self.headers.values(), *self.expanded]
        if self.url:
            from urllib.parse import parse_qsl, urlsplit

            parts = urlsplit(self.url)
            found += [parts.password or "", *(v for _, v in parse_qsl(parts.query))]
        return [v for v in found if v]

    @property
    def shown_url(self) -> str:
        """The URL without credentials or query values (`?key=…` becomes `?…`)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return f"{parts.scheme}://{host}{parts.path}" + ("?…" if parts.query else "")

    def _masked(self, text: str) -> str:
        from punie_core.mcp.secrets import Redactor

        return Redactor(self.secret_values()).text(text)

    def public(self) -> dict[str, Any]:
        """What may be shown anywhere: no env values, no header values (names only), no value
        taken from the environment."""
        data: dict[str, Any] = {
            "name": self.name,
            "transport": self.transport,
            "source": self.source,
        }
        if self.transport == "stdio":
            data["command"] = self._masked(self.command)
            data["args"] = [self._masked(a) for a in self.args]
            data["env"] = sorted(self.env)  # names only
        else:
            data["url"] = self._masked(self.shown_url)
            data["headers"] = sorted(self.headers)  # names only
        if self.file:
            data["file"] = self.file
        return data

    def describe(self) -> str:
        """One line for people: `name (stdio: cmd args)` or `name (http: url)`."""
        if self.transport == "stdio":
            shown = " ".join([self.command, *self.args])
            return self._masked(f"{self.name} (stdio: {shown})")
        return f"{self.name} ({self.transport}: {self._masked(self.shown_url)})"


def connect_timeout_default() -> float:
    """`PUNIE_MCP_CONNECT_TIMEOUT` seconds, or 10."""
    try:
        value = float(os.environ.get("PUNIE_MCP_CONNECT_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_CONNECT_TIMEOUT
    return value if value > 0 else DEFAULT_CONNECT_TIMEOUT


def from_acp(server: Any) -> ServerSpec:
    """A `ServerSpec` from an ACP `McpServer` (the SDK's model or its JSON).

    Raises:
        ConfigProblem: The entry has no name, no command or URL, or an unknown type.
    """
    data = server.model_dump(by_alias=True) if hasattr(server, "model_dump") else server
    if not isinstance(data, dict):
        raise ConfigProblem(f"an MCP server entry must be an object, got {type(data).__name__}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigProblem("an MCP server entry has no name")
    kind = data.get("type") or "stdio"
    timeout = connect_timeout_default()
    if kind == "stdio":
        command = data.get("command")
        if not isinstance(command, str) or not command:
            raise ConfigProblem(f"MCP server {name!r}: a stdio server needs a command")
        return ServerSpec(
            name=name,
            transport="stdio",
            command=command,
            args=tuple(str(a) for a in data.get("args") or ()),
            env=_pairs(data.get("env"), name, "env"),
            connect_timeout=timeout,
        )
    if kind in ("http", "sse"):
        url = data.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigProblem(f"MCP server {name!r}: an {kind} server needs an http(s) url")
        return ServerSpec(
            name=name,
            transport=kind,
            url=url,
            headers=_pairs(data.get("headers"), name, "headers"),
            connect_timeout=timeout,
        )
    raise ConfigProblem(f"MCP server {name!r}: transport {kind!r} is not supported")


def _pairs(value: Any, server: str, key: str) -> dict[str, str]:
    """ACP's `[{name, value}]` (or a plain mapping) as a dict."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    result: dict[str, str] = {}
    for item in value:
        data = item.model_dump() if hasattr(item, "model_dump") else item
        if not isinstance(data, dict) or "name" not in data:
            raise ConfigProblem(f"MCP server {server!r}: {key} entries need a name and a value")
        result[str(data["name"])] = str(data.get("value", ""))
    return result


def read_file(path: Path, source: Source) -> list[ServerSpec]:
    """The servers of one `mcpServers` file (none when it does not exist).

    Raises:
        ConfigProblem: The file is not JSON, not the `mcpServers` shape, or an entry is bad.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigProblem(f"{path}: cannot read it: {exc}") from None
    return parse_file(text, path, source)


def parse_file(text: str, path: Path, source: Source) -> list[ServerSpec]:
    """The servers of an `mcpServers` JSON text.

    Raises:
        ConfigProblem: The text is not JSON or not the `mcpServers` shape, or an entry is bad.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigProblem(f"{path}: not valid JSON: {exc}") from None
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ConfigProblem(f'{path}: expected {{"mcpServers": {{NAME: {{...}}}}}}')
    specs = []
    for name, entry in servers.items():
        if not isinstance(entry, dict):
            raise ConfigProblem(f"{path}: mcpServers.{name} must be an object")
        if entry.get("disabled") is True:
            continue
        specs.append(_from_entry(str(name), entry, path, source))
    return specs


def _from_entry(name: str, entry: dict[str, Any], path: Path, source: Source) -> ServerSpec:
    where = f"{path}: mcpServers.{name}"
    kind = entry.get("type") or (
        "stdio" if "command" in entry else "http" if "url" in entry else None
    )
    if kind == "streamable-http":
        kind = "http"
    taken: list[str] = []  # values `${VAR}` took from the environment: secrets

    def expand_here(value: str, at: str = where) -> str:
        return expand(value, at, taken)

    timeout = entry.get("timeout", connect_timeout_default())
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ConfigProblem(f"{where}.timeout must be a positive number of seconds")
    common: dict[str, Any] = {
        "name": name,
        "source": source,
        "connect_timeout": float(timeout),
        "file": str(path),
    }
    if kind == "stdio":
        command = entry.get("command")
        args = entry.get("args", [])
        if not isinstance(command, str) or not command:
            raise ConfigProblem(f"{where}.command must be a non-empty string")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ConfigProblem(f"{where}.args must be a list of strings")
        cwd = entry.get("cwd")
        if cwd is not None and not isinstance(cwd, str):
            raise ConfigProblem(f"{where}.cwd must be a string")
        return ServerSpec(
            transport="stdio",
            command=expand_here(command),
            args=tuple(expand_here(a) for a in args),
            env=_mapping(entry.get("env"), f"{where}.env", taken),
            cwd=expand_here(cwd) if cwd else None,
            expanded=tuple(taken),  # after the expansions above: arguments run in order
            **common,
        )
    if kind in ("http", "sse"):
        url = entry.get("url")
        if not isinstance(url, str):
            raise ConfigProblem(f"{where}.url must be a string")
        url = expand_here(url)
        if not url.startswith(("http://", "https://")):
            raise ConfigProblem(f"{where}.url must start with http:// or https://")
        headers = _mapping(entry.get("headers"), f"{where}.headers", taken)
        return ServerSpec(transport=kind, url=url, headers=headers, expanded=tuple(taken), **common)
    raise ConfigProblem(
        f"{where}: needs a command (stdio) or a url with type http or sse, got type {kind!r}"
    )


def _mapping(value: Any, where: str, taken: list[str] | None = None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigProblem(f"{where} must map names to strings")
    return {str(k): expand(v, where, taken) for k, v in value.items()}


def expand(value: str, where: str, taken: list[str] | None = None) -> str:
    """Replace `${VAR}` / `${VAR:-default}` with the environment's value.

    Args:
        value: The text from the config file.
        where: The file and key, for the error.
        taken: Where to note each value taken from the environment (they are secrets to
            mask wherever the server's settings are shown; defaults from the file are not).

    Raises:
        ConfigProblem: A variable without a default is not set.
    """

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            if taken is not None:
                taken.append(os.environ[name])
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigProblem(f"{where}: environment variable {name} is not set")

    return _VARIABLE.sub(replace, value)


def user_file() -> Path:
    """`$PUNIE_HOME/mcp.json`."""
    from punie_core.models.config import punie_home

    return punie_home() / USER_FILE


def project_file(root: Path) -> Path:
    """`.mcp.json` at the project root."""
    return root / PROJECT_FILE


def merge(*layers: list[ServerSpec]) -> list[ServerSpec]:
    """Servers by name, earlier layers winning (client, then user, then project), sorted."""
    chosen: dict[str, ServerSpec] = {}
    for layer in layers:
        for spec in layer:
            chosen.setdefault(spec.name, spec)
    return sorted(chosen.values(), key=lambda s: s.name)
