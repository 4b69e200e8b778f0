"""The project's library of model-written tools, `.punie/tools/`, and the drafts waiting for it.

```
.punie/tools/
  manifest.json          every tool: active version, versions (hash, parent, model, trace,
                         created), description, calls, failures, last use
  NAME/v1.py             one file per tool and version (old versions kept for rollback)
  NAME/v1.tests.json     the tests the version passed, beside it
  drafts/NAME.json       a session's draft (source, tests, checks) until it is promoted
```

Only the host writes here (`.punie/` is a protected directory for every tool), atomically and
under a lock, so concurrent sessions never lose an update. A version whose file no longer
matches its recorded hash is refused, never loaded. The library may come with a cloned
repository, so nothing in it is trusted: tool names must be snake_case identifiers (a name is
a path component), and every read and write stays inside the project without following a
symlink (`.punie` linked elsewhere is refused, not written through).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from punie_core.plugins.records import NAME_PATTERN, first_line
from punie_core.security.workspace import (
    NotARegularFile,
    OutsideWorkspace,
    read_regular_text,
    write_confined,
)
from punie_core.toolmaking.nouns import LibraryTool, ToolCheck
from punie_core.toolmaking.source import source_hash

LIBRARY_DIR = Path(".punie") / "tools"


class LibraryError(ValueError):
    """A library operation that cannot be done (unknown tool, tampered file, bad manifest)."""


@dataclass
class Draft:
    """A checked draft, as kept between its making and its promotion.

    Attributes:
        name: The tool's name.
        version: The version it becomes when promoted.
        source: Its source.
        tests: The tests it passed.
        description: The model's one-line description.
        checks: Its check results.
        signature: `name(params) -> result`.
        session: The session that made it.
        model: The model that wrote it.
        trace: The trace id of the prompt that made it.
        created: When it was made (ISO 8601).
    """

    name: str
    version: int
    source: str
    tests: list[str]
    description: str = ""
    checks: list[ToolCheck] = field(default_factory=list)
    signature: str = ""
    session: str = ""
    model: str = ""
    trace: str = ""
    created: str = ""

    @property
    def sha256(self) -> str:
        return source_hash(self.source)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "checks"}
        return data | {"sha256": self.sha256, "checks": [c.model_dump() for c in self.checks]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "checks"}
        checks = [ToolCheck.model_validate(c) for c in data.get("checks", [])]
        return cls(**known, checks=checks)


@dataclass(frozen=True)
class Version:
    """One library version, read and verified.

    Attributes:
        name: The tool's name.
        version: Its version number.
        source: The source (its hash matches the manifest).
        description: The tool's description.
    """

    name: str
    version: int
    source: str
    description: str


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Library:
    """The library of one project root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.dir = self.root / LIBRARY_DIR

    # --- reading ---------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """The manifest (`{"tools": {}}` when there is none).

        Raises:
            LibraryError: It is not valid JSON of the expected shape.
        """
        path = self.dir / "manifest.json"
        try:
            data = json.loads(self._read(path))
        except FileNotFoundError:
            return {"tools": {}}
        except ValueError as exc:
            raise LibraryError(f"{path}: unreadable manifest ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("tools"), dict):
            raise LibraryError(f"{path}: the manifest has no 'tools' object")
        return data

    def source_path(self, name: str, version: int) -> Path:
        """Where version `version` of `name` lives.

        Raises:
            LibraryError: `name` is not a tool name (it would name another path).
        """
        return self.dir / check_name(name) / f"v{int(version)}.py"

    def _read(self, path: Path) -> str:
        """A library file's text, read only when its real path is inside the project.

        Raises:
            FileNotFoundError: There is no such file.
            LibraryError: It leads outside the project, or is not a regular file.
        """
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(path)
        real = path.resolve()
        if not real.is_relative_to(self.root):
            raise LibraryError(f"{path.relative_to(self.root)} leads outside the project: refused")
        try:
            return read_regular_text(real)
        except (NotARegularFile, OSError, UnicodeDecodeError) as exc:
            raise LibraryError(f"{path.relative_to(self.root)}: unreadable ({exc})") from None

    def read_version(self, name: str, version: int | None = None) -> Version:
        """A version's source, verified against its recorded hash (the active one by default).

        Raises:
            LibraryError: No such tool or version, or the file does not match its hash.
        """
        entry = self._entry(self.manifest(), name)
        number = entry["active"] if version is None else version
        recorded = entry["versions"].get(str(number))
        if not isinstance(recorded, dict):
            raise LibraryError(f"tool {name!r} has no version {number}")
        path = self.source_path(name, number)
        try:
            source = self._read(path)
        except FileNotFoundError:
            raise LibraryError(f"tool {name!r} v{number}: {path} is missing") from None
        if source_hash(source) != recorded.get("sha256"):
            raise LibraryError(
                f"tool {name!r} v{number}: {path.relative_to(self.root)} does not match its "
                "recorded sha256 (changed outside Punie): refused. Restore the file, or remove "
                f"the version with `punie tools remove {name} --version {number}`"
            )
        return Version(name, number, source, entry.get("description", ""))

    def active(self) -> tuple[list[Version], list[str]]:
        """Every tool's active version that verifies, and one message per refused tool."""
        try:
            tools = self.manifest()["tools"]
        except LibraryError as exc:
            return [], [str(exc)]
        versions, refused = [], []
        for name in sorted(tools):
            try:
                versions.append(self.read_version(name))
            except (LibraryError, KeyError, TypeError, ValueError) as exc:
                refused.append(str(exc))
        return versions, refused

    def drafts(self) -> list[Draft]:
        """The drafts waiting for promotion, by name (unreadable ones skipped)."""
        found = []
        for path in sorted((self.dir / "drafts").glob("*.json")):
            with contextlib.suppress(OSError, ValueError, TypeError, LibraryError):
                draft = Draft.from_json(json.loads(self._read(path)))
                if path.stem == check_name(draft.name):
                    found.append(draft)
        return found

    def draft(self, name: str) -> Draft:
        """The draft called `name`.

        Raises:
            LibraryError: There is none.
        """
        for draft in self.drafts():
            if draft.name == name:
                return draft
        raise LibraryError(f"no draft named {name!r} (make_tool makes drafts)")

    def next_version(self, name: str) -> int:
        """The version a new draft of `name` gets."""
        with contextlib.suppress(LibraryError, KeyError, TypeError, ValueError):
            versions = self.manifest()["tools"][name]["versions"]
            return max(int(v) for v in versions) + 1
        return 1

    def entries(self) -> list[LibraryTool]:
        """Library tools and drafts, as listed by `punie tools list` and `punie plugins`."""
        entries = []
        try:
            tools = self.manifest()["tools"]
        except LibraryError:
            tools = {}
        for name in sorted(tools):
            entry = tools[name]
            if not (NAME_PATTERN.match(name) and isinstance(entry, dict)):
                continue  # not a tool this library could have written: never listed, never loaded
            status = "library"
            try:
                self.read_version(name)
                sha = entry["versions"][str(entry["active"])]["sha256"]
            except (LibraryError, KeyError, TypeError):
                status, sha = "tampered", ""
            entries.append(
                LibraryTool(
                    name=name,
                    version=int(entry.get("active", 0)),
                    status=status,
                    signature=entry.get("signature", ""),
                    description=entry.get("description", ""),
                    sha256=sha,
                    versions=sorted(int(v) for v in entry.get("versions", {})),
                    calls=int(entry.get("calls", 0)),
                    failures=int(entry.get("failures", 0)),
                    last_used=entry.get("last_used", ""),
                )
            )
        for draft in self.drafts():
            entries.append(
                LibraryTool(
                    name=draft.name,
                    version=draft.version,
                    status="draft",
                    signature=draft.signature,
                    description=draft.description or first_line(draft.source),
                    sha256=draft.sha256,
                    versions=[draft.version],
                )
            )
        return entries

    # --- writing (host only, under the lock) -----------------------------------------------

    def save_draft(self, draft: Draft) -> None:
        """Keep `draft` (replacing an earlier draft of the same name)."""
        with self._locked():
            self._write_json(self.dir / "drafts" / f"{draft.name}.json", draft.to_json())

    def promote(self, name: str) -> LibraryTool:
        """Move the draft `name` into the library as its next version, the new active one.

        Raises:
            LibraryError: No such draft, or it did not pass its checks.
        """
        draft = self.draft(name)
        if not draft.ok:
            raise LibraryError(f"draft {name!r} did not pass its checks: make it again first")
        with self._locked():
            manifest = self.manifest()
            entry = manifest["tools"].setdefault(
                name, {"active": 0, "versions": {}, "calls": 0, "failures": 0, "last_used": ""}
            )
            version = max([int(v) for v in entry["versions"]] + [0]) + 1
            parent = entry["active"] or None
            source = self.source_path(name, version)
            write_confined(self.root, source, draft.source)
            tests = source.with_name(f"v{version}.tests.json")
            self._write_json(tests, draft.tests)
            entry["versions"][str(version)] = {
                "sha256": draft.sha256,
                "parent": parent,
                "model": draft.model,
                "trace": draft.trace,
                "session": draft.session,
                "created": draft.created or now(),
            }
            entry["active"] = version
            entry["description"] = draft.description
            entry["signature"] = draft.signature
            self._write_manifest(manifest)
            self._unlink(self.dir / "drafts" / f"{name}.json")
        return next(e for e in self.entries() if e.name == name and e.status != "draft")

    def remove(self, name: str, version: int | None = None) -> str:
        """Remove a draft, one library version, or (no version) the active one.

        Removing the active version makes the newest remaining one active (a rollback); the
        last one removes the tool.

        Returns:
            What was done, in one line.

        Raises:
            LibraryError: Nothing of that name or version.
        """
        check_name(name)
        with self._locked():
            manifest = self.manifest()
            entry = manifest["tools"].get(name)
            draft_path = self.dir / "drafts" / f"{name}.json"
            if not isinstance(entry, dict) or not isinstance(entry.get("versions"), dict):
                if draft_path.exists():
                    self._unlink(draft_path)
                    return f"removed the draft of {name}"
                raise LibraryError(f"no tool or draft named {name!r}")
            number = entry["active"] if version is None else version
            if str(number) not in entry["versions"]:
                raise LibraryError(f"tool {name!r} has no version {number}")
            del entry["versions"][str(number)]
            source = self.source_path(name, number)
            self._unlink(source)
            self._unlink(source.with_name(f"v{number}.tests.json"))
            if not entry["versions"]:
                del manifest["tools"][name]
                with contextlib.suppress(OSError):
                    (self.dir / name).rmdir()  # only when empty: nothing else is deleted
                self._write_manifest(manifest)
                return f"removed {name} (its last version, v{number})"
            if entry["active"] == number:
                entry["active"] = max(int(v) for v in entry["versions"])
            self._write_manifest(manifest)
            return f"removed {name} v{number}; v{entry['active']} is active"

    def record_call(self, name: str, ok: bool) -> None:
        """Count one call of a library tool (best effort: a failure to count never fails a call)."""
        with contextlib.suppress(OSError, LibraryError), self._locked():
            manifest = self.manifest()
            entry = manifest["tools"].get(name)
            if entry is None:
                return
            entry["calls"] = int(entry.get("calls", 0)) + 1
            entry["failures"] = int(entry.get("failures", 0)) + (0 if ok else 1)
            entry["last_used"] = now()
            self._write_manifest(manifest)

    def _entry(self, manifest: dict[str, Any], name: str) -> dict[str, Any]:
        entry = manifest["tools"].get(name)
        if not isinstance(entry, dict) or not isinstance(entry.get("versions"), dict):
            raise LibraryError(f"no tool named {name!r} in the library")
        return entry

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        self._write_json(self.dir / "manifest.json", manifest)

    def _write_json(self, path: Path, data: Any) -> None:
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        try:
            write_confined(self.root, path, text)
        except (OutsideWorkspace, NotARegularFile) as exc:
            raise LibraryError(f"refused to write {path.relative_to(self.root)}: {exc}") from None

    def _unlink(self, path: Path) -> None:
        """Delete a library file: only a regular file or link inside `.punie/tools/` itself."""
        self._confined_dir(path.parent)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def _confined_dir(self, directory: Path) -> None:
        """Check every directory from the project down to `directory` is a real one, not a link.

        Raises:
            LibraryError: One is a symlink or not a directory (written through, it would lead
                elsewhere).
        """
        current = self.root
        for part in directory.relative_to(self.root).parts:
            current = current / part
            if current.is_symlink() or (current.exists() and not current.is_dir()):
                shown = current.relative_to(self.root)
                raise LibraryError(f"{shown} is a link or not a directory: refused")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # Created through the same confined path as every library file, then opened without
        # following a link.
        lock = self.dir / ".lock"
        self._confined_dir(self.dir)
        if not lock.exists():
            self._write_json(lock, {})
        fd = os.open(lock, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def check_name(name: str) -> str:
    """`name` when it is a tool name (a snake_case identifier).

    Raises:
        LibraryError: It is not: as a path component it could lead anywhere.
    """
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise LibraryError(f"{name!r} is not a tool name (snake_case letters, digits, _)")
    return name
