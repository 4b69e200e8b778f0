"""Workspace confinement: every path a tool touches resolves (symlinks included) inside one root."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class OutsideWorkspace(PermissionError):
    """A path resolves outside the workspace root (traversal, absolute path or symlink)."""


class ProtectedPath(PermissionError):
    """A path the agent may never write (version control internals, environments, Punie's config)."""


PROTECTED_PARTS = frozenset({".git", ".hg", ".svn", ".punie", ".venv", "venv", "node_modules"})
"""Directory names whose contents the agent never writes: hooks and interpreters run from there."""

SENSITIVE_NAMES = frozenset(
    {
        "conftest.py",
        "sitecustomize.py",
        "usercustomize.py",
        "setup.py",
        "noxfile.py",
        "tox.ini",
        "pyproject.toml",
        "setup.cfg",
        "Makefile",
        ".pre-commit-config.yaml",
        ".envrc",
        "acp.json",
    }
)
"""Files other tools execute or obey later: writing them always needs a person's explicit yes."""

SENSITIVE_SUFFIXES = (".pth",)


@dataclass(frozen=True)
class Workspace:
    """The project directory the agent works in; nothing outside it is read or written.

    Attributes:
        root: The resolved, absolute project directory.
    """

    root: Path

    @classmethod
    def at(cls, directory: str | os.PathLike[str]) -> Workspace:
        """A workspace rooted at `directory` (resolved; must exist)."""
        root = Path(directory).resolve(strict=True)
        if not root.is_dir():
            raise NotADirectoryError(f"workspace root is not a directory: {root}")
        return cls(root)

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """The absolute path for `path` (relative to the root), refused if it leaves the root.

        Symlinks are resolved before the check, so a link inside the workspace that points
        outside is refused too. The comparison is by path components, so `/app-evil` is not
        inside `/app`.

        Raises:
            OutsideWorkspace: The resolved path is not inside the root.
        """
        text = os.fspath(path)
        if "\x00" in text:
            raise OutsideWorkspace(f"path contains a NUL byte: {text!r}")
        candidate = Path(text).expanduser() if text.startswith("~") else Path(text)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        resolved = candidate.resolve(strict=False)
        if resolved != self.root and not resolved.is_relative_to(self.root):
            raise OutsideWorkspace(
                f"path {text!r} resolves to {resolved}, outside the workspace {self.root}"
            )
        return resolved

    def relative(self, path: Path) -> str:
        """`path` relative to the root, with forward slashes ('.' for the root)."""
        rel = path.relative_to(self.root)
        return PurePosixPath(*rel.parts).as_posix() if rel.parts else "."

    def writable(self, path: str | os.PathLike[str]) -> Path:
        """Resolve `path` for writing: inside the root and not a protected location.

        Raises:
            OutsideWorkspace: The path leaves the workspace.
            ProtectedPath: The path is inside `.git/`, a virtual environment, `node_modules`
                or Punie's own `.punie/` directory.
        """
        resolved = self.resolve(path)
        parts = resolved.relative_to(self.root).parts
        if any(part in PROTECTED_PARTS for part in parts):
            raise ProtectedPath(f"refusing to write {self.relative(resolved)}: protected location")
        if resolved == self.root:
            raise IsADirectoryError(f"cannot write the workspace root {self.root}")
        return resolved

    def is_sensitive(self, path: Path) -> bool:
        """True for files that other tools later execute or obey (see `SENSITIVE_NAMES`)."""
        rel = path.relative_to(self.root)
        return (
            path.name in SENSITIVE_NAMES
            or path.name.endswith(SENSITIVE_SUFFIXES)
            or (len(rel.parts) > 1 and rel.parts[0] == ".github")
        )


def atomic_write_text(path: Path, content: str) -> None:
    """Write `content` to `path` so readers see the old file or the new one, never a torn one.

    The text goes to a temporary file in the same directory, is flushed to disk, then
    renamed over the target. The target's permission bits are kept when it exists.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
