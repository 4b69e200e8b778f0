"""Workspace confinement: every path a tool touches resolves (symlinks included) inside one root.

Three rings, checked on both the path as written and the path it resolves to (so a symlink can
neither lead out nor disguise a protected or sensitive file as a harmless one):

* outside the root: refused for every tool (`OutsideWorkspace`);
* protected locations (version control internals, virtual environments, Punie's own config,
  bytecode caches): never written (`ProtectedPath`), whoever approves;
* sensitive files that other tools later execute or obey (`conftest.py`, `.pth`, CI workflows,
  editor task files): written only with a person's explicit yes; `--yes` does not cover them.

Names compare case-insensitively: on macOS and Windows `.GIT/hooks` *is* `.git/hooks`.
Shell commands (`run_command`) are not confined by path: they run only with permission.
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class OutsideWorkspace(PermissionError):
    """A path resolves outside the workspace root (traversal, absolute path or symlink)."""


class ProtectedPath(PermissionError):
    """A path the agent never writes (version control internals, environments, Punie's config)."""


PROTECTED_PARTS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".jj",
        ".punie",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".direnv",
        "node_modules",
        "__pycache__",
        "site-packages",
    }
)
"""Directory names (lower case) whose contents the agent never writes: hooks, interpreters,
installed packages and bytecode run from there. Directories that *are* a git directory or a
virtual environment under another name are recognised by their contents too."""

SENSITIVE_NAMES = frozenset(
    {
        "conftest.py",
        "sitecustomize.py",
        "usercustomize.py",
        "setup.py",
        "noxfile.py",
        "tox.ini",
        "pytest.ini",
        "pyproject.toml",
        "setup.cfg",
        "makefile",
        "gnumakefile",
        "justfile",
        ".pre-commit-config.yaml",
        ".envrc",
        ".env",
        "acp.json",
        "package.json",
        ".npmrc",
        ".pypirc",
        "pip.conf",
        "uv.toml",
        ".gitattributes",
        ".gitmodules",
    }
)
"""File names (lower case) other tools execute or obey later: writing them always needs a
person's explicit yes."""

SENSITIVE_SUFFIXES = (".pth",)

SENSITIVE_DIRECTORIES = frozenset({".github", ".gitlab", ".circleci", ".vscode", ".idea", ".zed"})
"""Top-level directories (lower case) whose files CI or the editor runs (workflows, tasks)."""


def _fold(name: str) -> str:
    return name.casefold()


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

    def _candidate(self, path: str | os.PathLike[str]) -> tuple[str, Path]:
        text = os.fspath(path)
        if "\x00" in text:
            raise OutsideWorkspace(f"path contains a NUL byte: {text!r}")
        candidate = Path(text).expanduser() if text.startswith("~") else Path(text)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        return text, candidate

    def _inside(self, path: Path) -> bool:
        return path == self.root or path.is_relative_to(self.root)

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """The absolute path for `path` (relative to the root), refused if it leaves the root.

        Symlinks are resolved before the check, so a link inside the workspace that points
        outside is refused too (dangling ones included). The comparison is by path components,
        so `/app-evil` is not inside `/app`.

        Raises:
            OutsideWorkspace: The resolved path is not inside the root, or cannot be resolved
                (a symlink loop).
        """
        text, candidate = self._candidate(path)
        try:
            resolved = Path(os.path.realpath(candidate))
        except (OSError, RuntimeError, ValueError) as exc:
            raise OutsideWorkspace(f"path {text!r} cannot be resolved: {exc}") from None
        if resolved.is_symlink():  # realpath stops on a link it cannot resolve: a loop
            raise OutsideWorkspace(f"path {text!r} is a symlink loop")
        if not self._inside(resolved):
            raise OutsideWorkspace(
                f"path {text!r} resolves to {resolved}, outside the workspace {self.root}"
            )
        return resolved

    def lexical(self, path: str | os.PathLike[str]) -> Path:
        """`path` made absolute and normalised without following symlinks (`a/../b` is `b`)."""
        _, candidate = self._candidate(path)
        return Path(os.path.normpath(candidate))

    def relative(self, path: Path) -> str:
        """`path` relative to the root, with forward slashes ('.' for the root)."""
        rel = path.relative_to(self.root)
        return PurePosixPath(*rel.parts).as_posix() if rel.parts else "."

    def writable(self, path: str | os.PathLike[str]) -> Path:
        """Resolve `path` for writing: inside the root and not a protected location.

        Both the path as written and the path it resolves to are checked.

        Raises:
            OutsideWorkspace: The path leaves the workspace.
            ProtectedPath: The path is inside `.git/`, a virtual environment, `node_modules`,
                a bytecode cache or Punie's own `.punie/` directory.
            IsADirectoryError: The path is the workspace root.
        """
        resolved = self.resolve(path)
        for candidate in (self.lexical(path), resolved):
            if self._inside(candidate) and self.is_protected(candidate):
                shown = self.relative(candidate)
                raise ProtectedPath(f"refusing to write {shown}: protected location")
        if resolved == self.root:
            raise IsADirectoryError(f"cannot write the workspace root {self.root}")
        return resolved

    def is_protected(self, path: Path) -> bool:
        """True when `path` (inside the root) lies in a location the agent never writes."""
        rel = path.relative_to(self.root)
        if any(_fold(part) in PROTECTED_PARTS for part in rel.parts):
            return True
        directory = self.root
        for part in rel.parts[:-1]:
            directory = directory / part
            if _is_git_dir(directory) or (directory / "pyvenv.cfg").is_file():
                return True
        return _is_git_dir(path) or (path / "pyvenv.cfg").is_file()

    def is_sensitive(self, path: Path) -> bool:
        """True for files that other tools later execute or obey (see `SENSITIVE_NAMES`)."""
        rel = path.relative_to(self.root)
        name = _fold(path.name)
        return (
            name in SENSITIVE_NAMES
            or name.endswith(SENSITIVE_SUFFIXES)
            or (len(rel.parts) > 1 and _fold(rel.parts[0]) in SENSITIVE_DIRECTORIES)
        )

    def is_sensitive_target(self, path: str | os.PathLike[str]) -> bool:
        """True when `path` as written, or what it resolves to, is a sensitive file.

        A symlink named `conftest.py` pointing at `notes.txt` is sensitive: pytest would run
        what is written through it.
        """
        resolved = self.resolve(path)
        lexical = self.lexical(path)
        return self.is_sensitive(resolved) or (self._inside(lexical) and self.is_sensitive(lexical))


def _is_git_dir(directory: Path) -> bool:
    """True for a git directory under any name (a bare repository, or `.git` renamed)."""
    return (
        (directory / "HEAD").is_file()
        and (directory / "objects").is_dir()
        and (directory / "refs").is_dir()
    )


def new_file_mode() -> int:
    """The permission bits an ordinary new file gets here: 0o666 less the process's umask."""
    return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    # Linux shows the umask without changing it; elsewhere it can only be read by setting it
    # (once, cached: the process-wide value is briefly wrong for other threads).
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def atomic_write_text(path: Path, content: str, *, mode: int | None = None) -> None:
    """Write `content` to `path` so readers see the old file or the new one, never a torn one.

    The text goes to a temporary file in the same directory, is flushed to disk, then
    renamed over the target. The target's permission bits are kept when it exists. The
    rename replaces a symlink at `path` rather than writing through it (callers pass the
    resolved path, which is never a link).

    Args:
        path: The file to write.
        content: Its complete new text.
        mode: Permission bits of a new file; by default it is private (0o600), which suits
            Punie's own files. Project files pass `new_file_mode()`, as an editor would.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        mode = path.stat().st_mode & 0o7777
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
