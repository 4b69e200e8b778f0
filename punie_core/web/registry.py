"""The machine-wide list of running Punie agents: a JSON file per process in `$PUNIE_HOME/agents/`.

Every `punie serve` / `punie run --web` process registers itself (pid, project, model, start time,
web UI address) so any one web UI can list and link to every agent on the machine. An entry whose
process is gone (or whose pid now belongs to another process) is removed the next time anyone
lists the registry, so a crashed agent never lingers.

The files hold each web UI's token, so the directory is private to the user (mode 0700, files 0600):
whoever can read them could already read the agent's project and `$PUNIE_HOME`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from punie_core.security.workspace import atomic_write_text


def punie_home() -> Path:
    """Punie's data directory: `$PUNIE_HOME`, or `~/.punie`."""
    configured = os.environ.get("PUNIE_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".punie"


def registry_dir() -> Path:
    """Where agent entries live: `$PUNIE_HOME/agents/`."""
    return punie_home() / "agents"


@dataclass(frozen=True)
class AgentEntry:
    """One running Punie process.

    Attributes:
        pid: The process id.
        project: The project directory it works in.
        model: The model string it uses.
        started: Unix time the process registered.
        url: Its web UI address, with the token (`http://127.0.0.1:PORT/?token=...`), or "".
        command: What it is (`serve`, `run`, ...).
        pid_start: The process's start time as the kernel reports it (Linux), to tell a reused
            pid from the registered process; None where unknown.
    """

    pid: int
    project: str
    model: str
    started: float
    url: str = ""
    command: str = "serve"
    pid_start: int | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AgentEntry:
        """Rebuild an entry, ignoring keys a newer Punie may have added.

        Raises:
            TypeError, ValueError: The data is not an entry.
        """
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        entry = cls(**known)
        if not isinstance(entry.pid, int) or entry.pid <= 0:
            raise ValueError(f"bad pid {entry.pid!r}")
        return entry


def process_start(pid: int) -> int | None:
    """The kernel's start time of `pid` in clock ticks since boot (Linux), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def is_alive(entry: AgentEntry) -> bool:
    """True when the entry's process still runs (and is the same process, where knowable)."""
    try:
        os.kill(entry.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # Exists, owned by someone else: the start time below still tells reuse apart.
    if entry.pid_start is not None:
        current = process_start(entry.pid)
        if current is not None and current != entry.pid_start:
            return False
    return True


def entry_path(pid: int) -> Path:
    """The file of the entry for `pid`."""
    return registry_dir() / f"{pid}.json"


def register(
    *,
    project: str | os.PathLike[str],
    model: str,
    url: str = "",
    command: str = "serve",
    started: float | None = None,
) -> AgentEntry:
    """Add (or replace) this process's entry.

    Args:
        project: The project directory.
        model: The model string.
        url: The web UI address with its token, or "" without a web UI.
        command: Which Punie command runs.
        started: When the process started (now by default).

    Returns:
        The entry written.
    """
    pid = os.getpid()
    entry = AgentEntry(
        pid=pid,
        project=str(project),
        model=model,
        started=time.time() if started is None else started,
        url=url,
        command=command,
        pid_start=process_start(pid),
    )
    write_entry(entry)
    return entry


def write_entry(entry: AgentEntry) -> Path:
    """Write `entry` atomically into the private registry directory."""
    directory = registry_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        directory.chmod(0o700)
    path = entry_path(entry.pid)
    atomic_write_text(path, json.dumps(entry.to_json(), indent=1) + "\n")
    with contextlib.suppress(OSError):
        path.chmod(0o600)
    return path


def unregister(pid: int | None = None) -> None:
    """Remove the entry of `pid` (this process by default); a missing one is fine."""
    entry_path(os.getpid() if pid is None else pid).unlink(missing_ok=True)


def list_agents(*, prune: bool = True) -> list[AgentEntry]:
    """Every registered agent still running, oldest first.

    Args:
        prune: Delete the files of dead processes and unreadable entries.
    """
    directory = registry_dir()
    if not directory.is_dir():
        return []
    found: list[AgentEntry] = []
    for path in sorted(directory.glob("*.json")):
        try:
            entry = AgentEntry.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            continue  # Unregistered while we listed.
        except (OSError, ValueError, TypeError) as exc:
            print(f"punie: ignoring a broken agent entry {path}: {exc}", file=sys.stderr)
            if prune:
                path.unlink(missing_ok=True)
            continue
        if is_alive(entry):
            found.append(entry)
        elif prune:
            path.unlink(missing_ok=True)
            # A process killed outright also left its web UI address file behind.
            (punie_home() / "web" / f"{entry.pid}.url").unlink(missing_ok=True)
    found.sort(key=lambda e: (e.started, e.pid))
    return found


__all__ = [
    "AgentEntry",
    "is_alive",
    "list_agents",
    "punie_home",
    "register",
    "registry_dir",
    "unregister",
    "write_entry",
]
