"""Trust in a project's `.mcp.json`: asked once per file content, remembered in `$PUNIE_HOME`.

A project file can start programs on the person's machine, so it is used only after they
said yes to exactly that content. The answer is stored by the SHA-256 of the file's bytes in
`$PUNIE_HOME/mcp-trust.json`: editing the file asks again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

TRUST_FILE = "mcp-trust.json"


def trust_path() -> Path:
    """`$PUNIE_HOME/mcp-trust.json`."""
    from punie_core.models.config import punie_home

    return punie_home() / TRUST_FILE


def digest(content: bytes) -> str:
    """The SHA-256 of a config file's bytes."""
    return hashlib.sha256(content).hexdigest()


def _load() -> dict[str, str]:
    try:
        data = json.loads(trust_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    trusted = data.get("trusted") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in trusted.items()} if isinstance(trusted, dict) else {}


def is_trusted(path: Path, content: bytes) -> bool:
    """True when this exact content of `path` was trusted before."""
    return digest(content) in _load()


def remember(path: Path, content: bytes) -> None:
    """Trust this content of `path` from now on (written atomically)."""
    from punie_core.security.workspace import atomic_write_text

    trusted = _load()
    trusted[digest(content)] = str(path.resolve())
    target = trust_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps({"trusted": trusted}, indent=2, sort_keys=True) + "\n")
