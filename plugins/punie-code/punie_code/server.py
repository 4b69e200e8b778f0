"""One `ty server` per workspace, kept in step with the files so its answers are never stale.

Two paths keep the server current:

- Changes made through Punie arrive from the core's `punie_workspace_changed` hook with the
  exact text written (the IDE may hold it in an unsaved buffer): the file is opened in the
  server (`didOpen`, or `didChange` with the full text when already open), and the change is
  reported as a file event too.
- Changes made outside Punie (the person typing in the IDE and saving, `git checkout`, a
  formatter) are found before every query by comparing each tracked file's size, modification
  time, inode and change time with what was last reported, and hashing files changed too
  recently for the clock to tell (git's "racy" case). Each changed file's text is sent
  (`didOpen`, then `didChange`), because ty answers from an open document's text and decides
  from the modification time whether to read a closed file again; deletions close the
  document. Every change is also reported with `workspace/didChangeWatchedFiles`.

Nothing outside the workspace reaches the server through the workspace: it does not start
while the ty configuration names a place outside (`punie_code.ty_config`, checked again when a
config file changes), and every Python file that is a link to a file outside, or lies in a
linked folder outside, is opened in the server as an empty document, so ty never reads the
real one (its values cannot show up in hover, its names in symbols or renames).

The server starts on the first query and stops with the process (it also exits by itself when
Punie's end of its stdin closes, even if Punie is killed) or after 15 idle minutes. It is
restarted once if it dies; if the restart fails or it dies a second time, queries answer
`NavUnavailable` for a minute, after which one fresh start is tried (a deliberate stop, idle
or at exit, is not a death).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punie_code.lsp import LspConnection, ServerDied, child_env
from punie_code.ty_config import config_problem
from punie_code.workspace import inside

TRACKED_SUFFIXES = (".py", ".pyi")
TRACKED_NAMES = frozenset({"pyproject.toml", "ty.toml"})
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".punie",
    }
)
RACY_NS = 2_000_000_000
"""A file modified this close to when it was recorded may change again unseen: hash it."""
IDLE_STOP = 900.0
"""Seconds without a query after which the server is stopped (it starts again when needed)."""
UNAVAILABLE_FOR = 60.0
"""Seconds a server that died twice is reported unavailable before a new start is tried."""
CREATED, CHANGED, DELETED = 1, 2, 3
LINKED_LIMIT = 5_000
"""Most files masked inside folders linked from outside (more: the server does not start)."""


class ServerUnavailable(RuntimeError):
    """The language server cannot answer (not installed, failed to start, died twice)."""


@dataclass(frozen=True)
class FileState:
    """What identifies one version of a file on disk."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    digest: bytes | None = None


def ty_binary() -> str:
    """Punie's own pinned `ty` (never the project's: a cloned repository's binary is code)."""
    try:
        from ty.__main__ import find_ty_bin

        return str(find_ty_bin())
    except ImportError:
        found = shutil.which("ty")
        if found is None:
            raise ServerUnavailable("ty is not installed (pip install ty)") from None
        return found


def client_capabilities() -> dict[str, Any]:
    """What Punie's client supports: character columns, file events, hierarchical outlines."""
    return {
        "general": {"positionEncodings": ["utf-32", "utf-16"]},
        "textDocument": {
            "synchronization": {"didSave": False, "dynamicRegistration": False},
            "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "diagnostic": {"dynamicRegistration": False},
            "callHierarchy": {"dynamicRegistration": False},
            "rename": {"prepareSupport": True},
            "definition": {"linkSupport": False},
            "references": {},
        },
        "workspace": {
            "didChangeWatchedFiles": {"dynamicRegistration": True},
            "workspaceFolders": True,
            "configuration": True,
            "symbol": {},
        },
    }


class TyServer:
    """The language server of one workspace and the file states it has been told about.

    Args:
        root: The workspace root (absolute, resolved).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.encoding = "utf-32"
        self.start_seconds: float | None = None
        self._connection: LspConnection | None = None
        self._lock = threading.RLock()
        self._known: dict[str, FileState] = {}
        self._open: dict[str, int] = {}  # uri -> version
        self._masked: set[str] = set()  # relative paths of files whose real path is outside
        self._deaths = 0
        self._unavailable_until = 0.0
        self._reason = ""
        self._idle: threading.Timer | None = None

    # -- life cycle ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the server process is up."""
        return self._connection is not None and self._connection.alive

    def _start(self, masked: set[str]) -> None:
        started = time.perf_counter()
        argv = [ty_binary(), "server"]
        try:
            connection = LspConnection(argv, self.root, child_env(self.root), self._on_request)
        except OSError as exc:
            raise ServerUnavailable(f"could not start ty server: {exc}") from exc
        uri = self.root.as_uri()
        # Record the disk as the server will first read it, before it starts reading.
        self._known = dict(scan(self.root))
        self._open.clear()
        self._masked = set()
        result = connection.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": self.root.name or "workspace"}],
                "capabilities": client_capabilities(),
                # Pull diagnostics of closed files too, not only of open ones.
                "initializationOptions": {"diagnosticMode": "workspace"},
            },
            timeout=30.0,
        )
        self.encoding = (result or {}).get("capabilities", {}).get("positionEncoding", "utf-16")
        connection.notify("initialized", {})
        self._connection = connection
        self._mask(masked, set(self._known))
        self.start_seconds = time.perf_counter() - started

    def _on_request(self, method: str, params: Any) -> Any:
        if method == "workspace/configuration":
            return [{} for _ in (params or {}).get("items", [])]
        return None  # registerCapability, workDoneProgress/create: accepted

    def stop(self) -> None:
        """Stop the server (it starts again on the next query)."""
        with self._lock:
            connection, self._connection = self._connection, None
            self._open.clear()
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
        if connection is not None:
            connection.close()

    def _ensure(self) -> LspConnection:
        if self.running:
            assert self._connection is not None
            return self._connection
        if time.monotonic() < self._unavailable_until:
            raise ServerUnavailable(self._reason)
        if self._connection is not None:  # it was running and died
            self._connection.close()
            self._connection = None
            self._deaths += 1
            if self._deaths > 1:
                self._give_up("ty server died again after a restart")
        problem = config_problem(self.root, SKIPPED_DIRS)
        if problem:  # not a failure to give up on: it starts once the configuration is fixed
            raise ServerUnavailable(f"refusing to start ty server: {problem}")
        masked = outside_files(self.root)
        try:
            self._start(masked)
        except (ServerDied, TimeoutError, OSError, ServerUnavailable) as exc:
            self._give_up(f"ty server failed to start: {exc}")
        assert self._connection is not None
        return self._connection

    def _give_up(self, reason: str) -> None:
        self._reason = reason
        self._unavailable_until = time.monotonic() + UNAVAILABLE_FOR
        self._deaths = 0
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        raise ServerUnavailable(reason)

    # -- queries ---------------------------------------------------------------------------

    def request(self, method: str, params: Any, timeout: float = 30.0, sync: bool = True) -> Any:
        """Send a query after bringing the server up to date; restart once if it died.

        Args:
            method: The LSP method.
            params: Its parameters.
            timeout: Seconds to wait for the answer.
            sync: Check the disk for changes first (a tool's follow-up queries skip it).

        Raises:
            ServerUnavailable: It could not start, or died again after one restart.
            TimeoutError: It did not answer in time.
            LspError: It answered with an error.
        """
        with self._lock:
            while True:
                connection = self._ensure()
                try:
                    if sync or not self._known:
                        self._sync_disk(connection)
                    result = connection.request(method, params, timeout)
                except ServerDied:
                    continue  # `_ensure` restarts it after a first death, gives up after a second
                self._arm_idle_stop()
                return result

    def _arm_idle_stop(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = threading.Timer(IDLE_STOP, self._stop_if_idle)
        self._idle.daemon = True
        self._idle.start()

    def _stop_if_idle(self) -> None:
        if self._lock.acquire(blocking=False):
            try:
                self.stop()
            finally:
                self._lock.release()

    def query_ready(self) -> None:
        """Start the server if needed and report external changes (no query)."""
        with self._lock:
            self._sync_disk(self._ensure())

    # -- keeping the server current --------------------------------------------------------

    def changed(self, changes: Iterable[tuple[str, str, str | None]]) -> None:
        """Report changes made through Punie: `(relative path, kind, new text or None)`.

        Nothing to do while the server is not running: it reads the disk when it starts.
        """
        with self._lock:
            if not self.running:
                return
            assert self._connection is not None
            events = []
            config_changed = False
            try:
                for relative, kind, text in changes:
                    path = self.root / relative
                    if not _tracked_name(path.name):
                        continue
                    config_changed = config_changed or path.name in TRACKED_NAMES
                    if kind != "deleted" and not inside(self.root, path):
                        continue  # written through a link: what is outside stays unread
                    uri = path.as_uri()
                    if kind == "deleted":
                        self._close(uri)
                        self._known.pop(relative, None)
                        events.append({"uri": uri, "type": DELETED})
                        continue
                    if text is not None and path.suffix in TRACKED_SUFFIXES:
                        self._send_text(uri, text)
                    state = file_state(path)
                    if state is not None:
                        self._known[relative] = state
                    events.append({"uri": uri, "type": CREATED if kind == "created" else CHANGED})
                if events:
                    self._connection.notify("workspace/didChangeWatchedFiles", {"changes": events})
            except ServerDied:
                pass  # the next query restarts it, and the restart reads the disk
            if config_changed and config_problem(self.root, SKIPPED_DIRS):
                self.stop()  # the next query says why it does not start

    def _send_text(self, uri: str, text: str) -> None:
        assert self._connection is not None
        version = self._open.get(uri)
        if version is None:
            self._open[uri] = 1
            self._connection.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
            )
        else:
            self._open[uri] = version + 1
            self._connection.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": uri, "version": version + 1},
                    "contentChanges": [{"text": text}],
                },
            )

    def _close(self, uri: str) -> None:
        assert self._connection is not None
        if self._open.pop(uri, None) is not None:
            self._connection.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def _mask(self, masked: set[str], plain: set[str]) -> None:
        """Open files whose real path is outside as empty documents; close those no longer.

        Args:
            masked: The files to hide now.
            plain: The workspace's own tracked files (their text is sent by `_sync_disk`).
        """
        for relative in sorted(masked - self._masked):
            self._send_text((self.root / relative).as_uri(), "")
        for relative in self._masked - masked:
            if relative not in plain:
                self._close((self.root / relative).as_uri())
        self._masked = masked

    def _sync_disk(self, connection: LspConnection) -> None:
        """Report every tracked file created, changed or deleted since the last report.

        Raises:
            ServerUnavailable: The ty configuration changed to name a place outside the
                workspace (the server is stopped).
        """
        links: list[str] = []
        current = dict(scan(self.root, self._known, links))
        touched = {
            relative
            for relative, state in current.items()
            if relative not in self._known or not _same(self._known[relative], state)
        }
        touched |= (self._known.keys() - current.keys()) | set(links)
        if any(Path(relative).name in TRACKED_NAMES for relative in touched):
            problem = config_problem(self.root, SKIPPED_DIRS)
            if problem:
                self.stop()
                raise ServerUnavailable(f"refusing to run ty server: {problem}")
        self._mask(outside_files(self.root, links), set(current))
        events = []
        for relative, state in current.items():
            before = self._known.get(relative)
            if before is not None and _same(before, state):
                continue
            path = self.root / relative
            uri = path.as_uri()
            # Send the text itself: ty decides from a file's modification time whether to read
            # it again, and an edit that keeps size and time (a coarse clock) would be missed.
            if path.suffix in TRACKED_SUFFIXES:
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    self._close(uri)
                else:
                    self._send_text(uri, text)
            events.append({"uri": uri, "type": CHANGED if before is not None else CREATED})
        for relative in self._known.keys() - current.keys():
            uri = (self.root / relative).as_uri()
            if relative in self._masked:  # replaced by a link out: it stays an empty document
                events.append({"uri": uri, "type": CHANGED})
                continue
            self._close(uri)
            events.append({"uri": uri, "type": DELETED})
        self._known = current
        if events:
            connection.notify("workspace/didChangeWatchedFiles", {"changes": events})


def _same(before: FileState, now: FileState) -> bool:
    if (before.size, before.mtime_ns, before.ctime_ns, before.inode) != (
        now.size,
        now.mtime_ns,
        now.ctime_ns,
        now.inode,
    ):
        return False
    return before.digest is None or before.digest == now.digest


def _tracked_name(name: str) -> bool:
    return name.endswith(TRACKED_SUFFIXES) or name in TRACKED_NAMES


def file_state(path: Path, known: FileState | None = None) -> FileState | None:
    """The state of one file, hashed when its modification is too recent to trust the clock."""
    try:
        info = path.stat()
    except OSError:
        return None
    digest = None
    if time.time_ns() - info.st_mtime_ns < RACY_NS:
        if known is not None and (known.size, known.mtime_ns) != (info.st_size, info.st_mtime_ns):
            digest = b"changed"  # already different: no need to read it
        else:
            try:
                digest = hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
            except OSError:
                return None
    return FileState(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, digest)


def scan(
    root: Path, known: dict[str, FileState] | None = None, links: list[str] | None = None
) -> Iterator[tuple[str, FileState]]:
    """Every tracked file under `root` with its state (skipping virtualenvs, caches, VCS).

    Links are not followed; with `links`, the relative path of each one met is added to it.
    """
    known = known or {}
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            try:
                if entry.is_symlink():
                    if links is not None and name not in SKIPPED_DIRS:
                        links.append(os.path.relpath(entry.path, root).replace(os.sep, "/"))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if name not in SKIPPED_DIRS and not name.endswith(".egg-info"):
                        stack.append(Path(entry.path))
                    continue
                if not entry.is_file(follow_symlinks=False) or not _tracked_name(name):
                    continue
            except OSError:
                continue
            relative = os.path.relpath(entry.path, root).replace(os.sep, "/")
            state = file_state(Path(entry.path), known.get(relative))
            if state is not None:
                yield relative, state


def outside_files(root: Path, links: list[str] | None = None) -> set[str]:
    """Python files of the workspace whose real path is outside it (relative paths).

    Files that are links out, and the files inside folders that are links out (ty would
    read them when an import names them).

    Args:
        root: The resolved workspace root.
        links: The links under `root` (found by walking it when None).

    Raises:
        ServerUnavailable: A linked folder outside holds more than `LINKED_LIMIT` files.
    """
    if links is None:
        links = []
        for _ in scan(root, None, links):
            pass
    found: set[str] = set()
    for relative in links:
        path = root / relative
        if inside(root, path):
            continue  # a link within the workspace: ty reads workspace files
        if relative.endswith(TRACKED_SUFFIXES):
            found.add(relative)
            continue
        if path.is_dir():
            found |= _linked_folder_files(root, relative)
    return found


def _linked_folder_files(root: Path, relative: str) -> set[str]:
    """The Python files under a linked folder, as workspace paths (each real folder once)."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [relative]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(root / folder)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = list(os.scandir(root / folder))
        except OSError:
            continue
        for entry in entries:
            shown = f"{folder}/{entry.name}"
            try:
                if entry.is_dir():
                    if entry.name not in SKIPPED_DIRS:
                        stack.append(shown)
                elif entry.name.endswith(TRACKED_SUFFIXES):
                    found.add(shown)
            except OSError:
                continue
        if len(found) + len(seen) > LINKED_LIMIT:
            raise ServerUnavailable(
                f"{relative} links to a large folder outside the workspace; navigation never "
                "reads outside the workspace: remove the link"
            )
    return found


_servers: dict[Path, TyServer] = {}
_servers_lock = threading.Lock()


def server_for(root: Path) -> TyServer:
    """The language server of the workspace at `root` (created on first use, not started)."""
    root = root.resolve()
    with _servers_lock:
        server = _servers.get(root)
        if server is None:
            server = _servers[root] = TyServer(root)
        return server


def running_server(root: Path) -> TyServer | None:
    """The workspace's server when one is running, else None."""
    with _servers_lock:
        server = _servers.get(root.resolve())
    return server if server is not None and server.running else None


@atexit.register
def stop_all() -> None:
    """Stop every workspace's server (at exit, and from tests)."""
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()
