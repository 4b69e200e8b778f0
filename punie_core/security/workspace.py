"""Workspace confinement: every path a tool touches resolves (symlinks included) inside one root.

Three rings, checked on both the path as written and the path it resolves to (so a symlink can
neither lead out nor disguise a protected or sensitive file as a harmless one):

* outside the root: refused for every tool (`OutsideWorkspace`);
* protected locations (version control internals, virtual environments, Punie's own config,
  bytecode caches): never written (`ProtectedPath`), whoever approves;
* sensitive files that other tools later execute or obey (`conftest.py`, `.pth`, CI workflows,
  git hooks, editor task files, shell rc files; the list is in `security.sensitive`): written
  only with a person's explicit yes; `--yes` does not cover them.

Only regular files are read or written: a FIFO or a device at a target is refused (it would
block or never end). Writes walk to the target directory one component at a time without
following symlinks (`write_confined`), so a parent swapped for a link after the check cannot
redirect them, and the new text goes to an unnamed temporary file first, so a killed write
leaves nothing behind. A workspace of `/`, of a home directory itself or a folder holding
them all (`/home`), or inside a system tree (`/etc`, `/usr`, `/var`, ...: `SYSTEM_TREES`) is
refused.

Names compare case-insensitively: on macOS and Windows `.GIT/hooks` *is* `.git/hooks`.
Shell commands (`run_command`) are not confined by path: they run only with permission.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from punie_core.security.sensitive import hooks_directories, sensitive_reason


class OutsideWorkspace(PermissionError):
    """A path resolves outside the workspace root (traversal, absolute path or symlink)."""


class ProtectedPath(PermissionError):
    """A path the agent never writes (version control internals, environments, Punie's config)."""


class NotARegularFile(PermissionError):
    """A read or write target is a FIFO, a device, a socket or a directory."""


class UnsafeWorkspace(ValueError):
    """The workspace root would expose the whole system or a home directory."""


HOME_WORKSPACE_ENV = "PUNIE_ALLOW_HOME_WORKSPACE"
"""Set to 1 to accept a home directory as the workspace (its dotfiles still always ask)."""


SYSTEM_TREES = (
    "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/proc",
    "/sys", "/dev", "/run", "/var", "/snap", "/System", "/Library", "/private/etc",
    "/private/var",
)  # fmt: skip
"""System folders (and everything under them) that are never a workspace: configuration,
programs, kernel and device files, service state. Folders inside them that do hold people's
projects are the exceptions (`PROJECT_TREES`), and so is anything inside the home directory
(a service account's home is often under `/var/lib`)."""

HOME_FOLDERS = frozenset({Path("/home"), Path("/Users"), Path("/System/Volumes/Data/Users")})
"""The folders that hold everyone's home directories: never a workspace themselves."""

PROJECT_TREES = (
    "/var/tmp", "/var/www", "/var/folders", "/private/var/tmp", "/private/var/folders",
    "/usr/src", "/usr/local/src",
)  # fmt: skip
"""Folders under a system tree where projects do live: temporary folders (macOS keeps its
per-user one under `/var/folders`), web roots, source trees."""


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
        """A workspace rooted at `directory` (resolved; must exist).

        Raises:
            NotADirectoryError: `directory` is not a directory.
            UnsafeWorkspace: It is `/` (every file of the system), a home directory
                (ssh keys, shell rc files) without `PUNIE_ALLOW_HOME_WORKSPACE=1`, a folder
                holding home directories, or a system folder (`check_root`).
        """
        root = Path(directory).resolve(strict=True)
        if not root.is_dir():
            raise NotADirectoryError(f"workspace root is not a directory: {root}")
        check_root(root)
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
        try:
            mode = os.lstat(resolved).st_mode
        except OSError:
            return resolved
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            shown = self.relative(resolved)
            raise NotARegularFile(f"refusing to write {shown}: not a regular file ({_kind(mode)})")
        return resolved

    def is_protected(self, path: Path) -> bool:
        """True when `path` (inside the root) lies in a location the agent never writes."""
        return is_protected_below(self.root, path)

    def rewritable(self, path: str | os.PathLike[str]) -> Path:
        """Resolve `path` for a tool that rewrites the file in place (ruff's fixes, formatting).

        `writable`, and also refused: a file with other hard links (rewriting it in place
        would change a file elsewhere, outside the workspace perhaps). See `in_place_refusal`.

        Raises:
            OutsideWorkspace: The path leaves the workspace.
            ProtectedPath: A protected location, or a hard-linked file.
            NotARegularFile: A FIFO, device or socket.
        """
        resolved = self.writable(path)
        why = in_place_refusal(resolved, self.root)
        if why is not None:
            raise ProtectedPath(f"refusing to rewrite {self.relative(resolved)}: {why}")
        return resolved

    def is_sensitive(self, path: Path) -> bool:
        """True for files that other tools later execute or obey (`security.sensitive`)."""
        return self.sensitive_reason(path) is not None

    def sensitive_reason(self, path: Path) -> str | None:
        """Why `path` (inside the root) is sensitive, or None (see `security.sensitive`)."""
        rel = path.relative_to(self.root)
        return sensitive_reason(rel, _hooks(self.root))

    def is_sensitive_target(self, path: str | os.PathLike[str]) -> bool:
        """True when `path` as written, or what it resolves to, is a sensitive file.

        A symlink named `conftest.py` pointing at `notes.txt` is sensitive: pytest would run
        what is written through it.
        """
        resolved = self.resolve(path)
        lexical = self.lexical(path)
        return self.is_sensitive(resolved) or (self._inside(lexical) and self.is_sensitive(lexical))


def _under(path: Path, tree: str) -> bool:
    return path == Path(tree) or path.is_relative_to(tree)


def check_root(root: Path) -> None:
    """Refuse a workspace root that exposes the system or a home directory (see `Workspace.at`).

    Refused: `/`; a home directory itself (unless `PUNIE_ALLOW_HOME_WORKSPACE=1`) and the
    folder holding them all (`/home`, `/Users`); a folder in a system tree (`SYSTEM_TREES`)
    unless it is in one of the `PROJECT_TREES` or inside the home directory. `root` is
    already resolved.

    Raises:
        UnsafeWorkspace: The root is unsafe; the message says why and what to do.
    """
    if root == Path(root.anchor):
        raise UnsafeWorkspace(
            f"refusing {root} as the workspace: it is the whole file system; "
            "run Punie in a project directory"
        )
    homes = {Path(os.path.expanduser("~"))}
    with_env = os.environ.get("HOME")
    if with_env:
        homes.add(Path(with_env))
    resolved_homes = set()
    for home in homes:
        try:
            resolved_homes.add(home.resolve())
        except OSError:
            continue
    resolved_homes.discard(Path(root.anchor))  # HOME=/ (some service accounts): no home at all
    if root in resolved_homes and os.environ.get(HOME_WORKSPACE_ENV, "") not in ("1", "true"):
        raise UnsafeWorkspace(
            f"refusing {root} as the workspace: it is a home directory (ssh keys, shell "
            f"start-up files, credentials); run Punie in a project directory, or set "
            f"{HOME_WORKSPACE_ENV}=1 to accept it (dotfiles still always ask)"
        )
    if root in HOME_FOLDERS:
        raise UnsafeWorkspace(
            f"refusing {root} as the workspace: it holds home directories; "
            "run Punie in a project directory"
        )
    if any(root.is_relative_to(home) for home in resolved_homes):
        return
    system = next((tree for tree in SYSTEM_TREES if _under(root, tree)), None)
    if system is not None and not any(_under(root, tree) for tree in PROJECT_TREES):
        raise UnsafeWorkspace(
            f"refusing {root} as the workspace: it is in the system folder {system} "
            "(configuration, programs, service state); run Punie in a project directory "
            "(under your home, /srv, /opt, /tmp, /var/www, ...)"
        )


def project_workspace(cwd: str | os.PathLike[str]) -> Workspace:
    """The workspace of a project folder a client asks to open a session in.

    The one rule for every frontend that opens sessions on request (ACP `session/new` and
    `session/load`, the web UI): an absolute path to an existing directory that is not an
    unsafe root (`check_root`: `/`, a home directory, a system folder such as `/etc`).

    Raises:
        ValueError: `cwd` is not an absolute path, holds a NUL byte, or is an unsafe root
            (`UnsafeWorkspace`).
        OSError: It does not exist or is not a directory.
    """
    text = os.fspath(cwd)
    if "\x00" in text:
        raise ValueError("the path contains a NUL byte")
    if not Path(text).is_absolute():
        raise ValueError("must be an absolute path")
    return Workspace.at(text)


@functools.lru_cache(maxsize=64)
def _hooks_cached(root: Path, stamp: tuple[int, ...]) -> frozenset[str]:
    return hooks_directories(root)


def _hooks(root: Path) -> frozenset[str]:
    """`core.hooksPath` directories of the workspace, re-read when a git config changes."""
    stamp: list[int] = []
    for config in (root / ".git" / "config", Path(os.path.expanduser("~")) / ".gitconfig"):
        try:
            stamp.append(os.stat(config).st_mtime_ns)
        except OSError:
            stamp.append(0)
    return _hooks_cached(root, tuple(stamp))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a special file"


def read_regular_text(path: Path, limit: int | None = None) -> str:
    """A regular file's UTF-8 text, refusing FIFOs and devices without blocking on them.

    The file is opened non-blocking and checked with `fstat` on the open descriptor, so a
    FIFO swapped in after a check is refused too, never waited on.

    Args:
        path: The file.
        limit: Most bytes to read; a larger file raises `ValueError`.

    Raises:
        NotARegularFile: It is a FIFO, device, socket or directory.
        ValueError: It is larger than `limit`.
        UnicodeDecodeError: It is not UTF-8.
        OSError: It cannot be opened.
    """
    data = read_regular_bytes(path, limit)
    return data.decode("utf-8")


def read_regular_bytes(path: Path, limit: int | None = None) -> bytes:
    """`read_regular_text` without decoding."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"{path.name} is not a regular file ({_kind(info.st_mode)})")
        if limit is not None and info.st_size > limit:
            raise ValueError(f"{path.name} is larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise ValueError(f"{path.name} is larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def is_protected_below(boundary: Path, path: Path) -> bool:
    """True when `path` (inside `boundary`) lies in a location the agent never writes: a
    protected name (`PROTECTED_PARTS`) or a directory below `boundary` that is a git directory
    (`HEAD`, `objects/`, `refs/`) or a virtual environment (`pyvenv.cfg`) by its contents."""
    rel = path.relative_to(boundary)
    if any(_fold(part) in PROTECTED_PARTS for part in rel.parts):
        return True
    directory = boundary
    for part in rel.parts[:-1]:
        directory = directory / part
        if _is_git_dir(directory) or (directory / "pyvenv.cfg").is_file():
            return True
    return _is_git_dir(path) or (path / "pyvenv.cfg").is_file()


def in_place_refusal(path: Path, boundary: Path) -> str | None:
    """Why a fixer or formatter must not rewrite `path` in place, or None when it may.

    The one check every in-place writer uses (the `ruff_*` tools through
    `Workspace.rewritable`, `punie check --fix` directly), so none of them writes into a
    virtual environment or git directory recognised by name or by contents, into a special
    file, or through a hard link: ruff rewrites a file's own inode, so a file also linked from
    outside the workspace would change there too.

    Args:
        path: The absolute file (links resolved by the caller where it matters).
        boundary: The directory the walk or workspace started from; directories from there
            down are checked by contents.
    """
    absolute = Path(os.path.abspath(path))
    if absolute == boundary or absolute.is_relative_to(boundary):
        if is_protected_below(boundary, absolute):
            return "protected location (a git directory or virtual environment)"
    try:
        info = os.lstat(absolute)
    except OSError:
        return None  # not there (yet): nothing to rewrite in place
    if not stat.S_ISREG(info.st_mode):
        return f"not a regular file ({_kind(info.st_mode)})"
    if info.st_nlink > 1:
        return (
            f"it has {info.st_nlink} hard links; rewriting it in place would change "
            "the other names too (maybe outside the workspace)"
        )
    return None


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


TEMP_PREFIX = ".punie-tmp-"
"""Named temporary files (only where unnamed ones are unavailable) start with this, then the
writer's pid: a later write in the same directory removes those whose writer is gone."""


def atomic_write_text(path: Path, content: str, *, mode: int | None = None) -> None:
    """Write `content` to `path` so readers see the old file or the new one, never a torn one.

    The text goes to an unnamed temporary file in the same directory (`O_TMPFILE`; a killed
    writer leaves nothing), is flushed to disk, then linked and renamed over the target. The
    target's permission bits are kept when it exists. The rename replaces a symlink at `path`
    rather than writing through it (callers pass the resolved path, which is never a link).

    Args:
        path: The file to write.
        content: Its complete new text.
        mode: Permission bits of a new file; by default it is private (0o600), which suits
            Punie's own files. Project files pass `new_file_mode()`, as an editor would.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _replace_in(dir_fd, path.name, content.encode("utf-8"), mode)
    finally:
        os.close(dir_fd)


def write_confined(root: Path, path: Path, content: str, *, mode: int | None = None) -> None:
    """`atomic_write_text` for a workspace file, immune to a parent swapped for a symlink.

    The directories from `root` down to `path`'s parent are opened one at a time with
    `O_NOFOLLOW` (created when missing), and the file is replaced relative to the last one:
    a directory replaced by a link between the gate's check and this write makes it fail
    instead of writing outside.

    Raises:
        OutsideWorkspace: `path` is not inside `root`, or a parent is a symlink.
        NotARegularFile: The target exists and is not a regular file.
    """
    try:
        parts = path.parent.relative_to(root).parts
    except ValueError:
        raise OutsideWorkspace(f"{path} is outside the workspace {root}") from None
    dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts:
            parent, dir_fd = dir_fd, -1
            dir_fd = _step_into(parent, part, path)  # closes `parent`
        _replace_in(dir_fd, path.name, content.encode("utf-8"), mode)
    finally:
        if dir_fd >= 0:
            os.close(dir_fd)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _step_into(dir_fd: int, part: str, target: Path) -> int:
    """Open (or create) directory `part` under `dir_fd`, never through a link; closes `dir_fd`."""
    flags = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW
    try:
        try:
            child = os.open(part, flags, dir_fd=dir_fd)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o777, dir_fd=dir_fd)
            child = os.open(part, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        raise OutsideWorkspace(
            f"refusing to write {target}: {part!r} on the way is a symlink or not a directory"
        ) from None
    finally:
        os.close(dir_fd)
    return child


def _replace_in(dir_fd: int, name: str, data: bytes, mode: int | None) -> None:
    try:
        existing = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        existing = None
    if existing is not None:
        if stat.S_ISREG(existing.st_mode):
            mode = existing.st_mode & 0o7777
        elif not stat.S_ISLNK(existing.st_mode):
            kind = _kind(existing.st_mode)
            raise NotARegularFile(f"refusing to write {name}: not a regular file ({kind})")
    _sweep_stale_temps(dir_fd)
    final_mode = 0o600 if mode is None else mode
    fd, temp = _temp_file(dir_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            os.fchmod(fd, final_mode)
            if temp is None:
                temp = f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
                os.link(f"/proc/self/fd/{fd}", temp, dst_dir_fd=dir_fd, follow_symlinks=True)
        finally:
            os.close(fd)
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        if temp is not None:
            try:
                os.unlink(temp, dir_fd=dir_fd)
            except OSError:
                pass
        raise


_tmpfile_works = hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd")


def _temp_file(dir_fd: int) -> tuple[int, str | None]:
    """An unnamed temporary file in the directory (None name), else a named one."""
    global _tmpfile_works
    if _tmpfile_works:
        try:
            return os.open(".", os.O_WRONLY | os.O_TMPFILE, 0o600, dir_fd=dir_fd), None
        except OSError:
            _tmpfile_works = False  # the file system does not support it (some network mounts)
    name = f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    return os.open(name, flags, 0o600, dir_fd=dir_fd), name


def _sweep_stale_temps(dir_fd: int) -> None:
    """Remove temporary files a killed writer left in this directory (its pid is gone)."""
    try:
        names = [n for n in os.listdir(dir_fd) if n.startswith(TEMP_PREFIX)]
    except OSError:
        return
    for name in names:
        pid_text = name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        try:
            os.unlink(name, dir_fd=dir_fd)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
