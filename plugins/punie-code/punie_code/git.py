"""Read-only git tools with typed results, parsed from git's machine formats.

Safety, because a repository is untrusted input:

- Nothing the model gives reaches git as an option: refs must look like refs and may not start
  with `-`, and go after `--end-of-options`; paths go after `--`, confined to the workspace by
  the toolbox gate and here again (the `:(literal)` magic keeps `*` and `:` literal).
- Git runs nothing from the repository's configuration: no fsmonitor hook, no external diff,
  no textconv, no filter drivers (each one configured is overridden), no pager, no signature
  checks; system and global configuration are not read, and `GIT_*` variables of Punie's own
  environment are dropped so the workspace decides which repository is read.
- Git reads only the workspace's own repository: Punie finds the `.git` entry itself, checks
  that the git directory belongs to that work tree (a `.git` file or link pointing at another
  repository is refused; a linked worktree or submodule must point back at it) and passes both
  as `--git-dir`/`--work-tree`, so `core.worktree` cannot move the work tree elsewhere.
- Configuration naming files is fenced: `include.path`/`includeIf` are refused, and
  `blame.ignoreRevsFile`, `diff.orderFile`, `mailmap.file`, and a repository's own
  `core.excludesFile`/`core.attributesFile` are overridden, so no file outside is read (or
  quoted in an error).
- Only paths inside the workspace appear in results (the workspace may be a folder of a
  larger repository).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from punie_code.nouns import (
    BlameLine,
    GitCommit,
    GitDiff,
    GitDiffFile,
    GitFileStatus,
    GitStatus,
)
from punie_code.workspace import workspace_root

GIT_TIMEOUT = 30.0
PATCH_LIMIT = 200_000
"""Characters of patch text a diff carries in all (the numbers are always complete)."""
LOG_LIMIT = 500
BLAME_LIMIT = 2000
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
REF_PATTERN = re.compile(r"^[A-Za-z0-9_@][A-Za-z0-9_./@{}~^+-]*$")
SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.hooksPath=/dev/null",
    "diff.external=",
    "log.showSignature=false",
    "color.ui=false",
    "status.relativePaths=false",
    "submodule.recurse=false",
    "status.submoduleSummary=false",
    "gc.auto=0",
    "maintenance.auto=false",
    # Files named by configuration: only the global configuration (never read) could name
    # them legitimately, so the repository's own values are replaced.
    f"diff.orderFile={os.devnull}",
    f"mailmap.file={os.devnull}",
    "mailmap.blob=",
    "log.mailmap=false",
)
PATH_KEYS = {"core.excludesfile": "core.excludesFile", "core.attributesfile": "core.attributesFile"}
"""Keys whose default (a file of the person's own) must stay unless the repository sets them."""


class GitError(RuntimeError):
    """Git refused or failed (not a repository, an unknown ref, ...)."""


@dataclass(frozen=True)
class Repository:
    """The git repository holding the workspace.

    Attributes:
        root: The workspace root.
        prefix: The workspace's folder inside the repository (`""` at its top).
        git_dir: The repository's git directory (absolute).
        work_tree: The repository's work tree (the workspace or a folder above it).
        marker: Inode and modification time of its `.git`, to notice it being replaced.
    """

    root: Path
    prefix: str
    git_dir: Path
    work_tree: Path
    marker: tuple[int, int]

    def shown(self, repo_path: str) -> str | None:
        """A repository path as a workspace path; None when it is outside the workspace."""
        if not self.prefix:
            return repo_path
        if repo_path.startswith(self.prefix):
            return repo_path[len(self.prefix) :]
        return None


_repositories: dict[Path, Repository] = {}
_filters: dict[Path, tuple[int, tuple[str, ...]]] = {}


def git_env() -> dict[str, str]:
    """Punie's environment without git's own variables, and with git's configuration fenced."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",  # `git status` must not write the index
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",
    )
    return env


def run_git(
    root: Path, args: list[str], repo: Repository | None = None, ok: tuple[int, ...] = (0,)
) -> str:
    """Run git in `root` with every configuration that could run code turned off.

    Raises:
        GitError: Git is missing, timed out, or exited with a status not in `ok`.
    """
    argv = ["git", "--no-pager", "--no-optional-locks"]
    if repo is not None:
        # Ours, checked by `repository()`: the repository's `core.worktree` never applies.
        argv += [f"--git-dir={repo.git_dir}", f"--work-tree={repo.work_tree}"]
    overrides = config_overrides(repo) if repo is not None else ()
    for setting in SAFE_CONFIG + overrides:
        argv += ["-c", setting]
    try:
        completed = subprocess.run(
            argv + args,
            cwd=root,
            env=git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {GIT_TIMEOUT:g} s") from None
    if completed.returncode not in ok:
        message = completed.stderr.decode("utf-8", errors="replace").strip()
        raise GitError(message.splitlines()[-1] if message else f"git {args[0]} failed")
    return completed.stdout.decode("utf-8", errors="surrogateescape")


def git(repo: Repository, args: list[str]) -> str:
    """Run git in the workspace of `repo` (see `run_git`)."""
    return run_git(repo.root, args, repo)


def config_overrides(repo: Repository) -> tuple[str, ...]:
    """`-c` settings that neutralise what the repository's own configuration names.

    Every filter driver (`git status` may run a file's clean filter to compare it with the
    index; `.git/config` can name any program there) and the ignore and attributes files.
    Read again when the configuration changes.

    Raises:
        GitError: The configuration includes other files (they could set anything).
    """
    stamps = []
    for name in ("config", "config.worktree"):
        try:
            stamps.append((repo.git_dir / name).stat().st_mtime_ns)
        except OSError:
            stamps.append(0)
    stamp = hash(tuple(stamps))
    cached = _filters.get(repo.git_dir)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        listed = run_git(
            repo.root,
            [
                f"--git-dir={repo.git_dir}",
                f"--work-tree={repo.work_tree}",
                "config",
                "--no-includes",
                "--list",
                "--name-only",
            ],
            ok=(0, 1),
        )
    except GitError:
        listed = ""
    names = {name.lower() for name in listed.split()}
    included = sorted(n for n in names if n.startswith(("include.", "includeif.")))
    if included:
        raise GitError(
            f"the repository's configuration includes other files ({included[0]}): Punie's "
            "git tools read only the repository's own configuration; remove the include"
        )
    drivers = {
        name.rsplit(".", 1)[0]
        for name in names
        if re.fullmatch(r"filter\..*\.(clean|smudge|process)", name)
    }
    settings: list[str] = [f"{PATH_KEYS[n]}={os.devnull}" for n in sorted(names & PATH_KEYS.keys())]
    for driver in sorted(drivers):
        settings += [
            f"{driver}.clean=cat",
            f"{driver}.smudge=cat",
            f"{driver}.process=",
            f"{driver}.required=false",
        ]
    _filters[repo.git_dir] = (stamp, tuple(settings))
    return tuple(settings)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _points_back(git_dir: Path, dot_git: Path, work_tree: Path) -> bool:
    """True for a linked worktree's or a submodule's git dir that names this work tree."""
    backlink = git_dir / "gitdir"  # `git worktree add`: the path of the worktree's `.git` file
    try:
        named = backlink.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        named = ""
    if named and Path(os.path.realpath(git_dir / named)) == Path(os.path.realpath(dot_git)):
        return True
    try:  # a submodule: its git dir's own configuration sets the work tree
        worktree = run_git(
            work_tree, ["config", "--file", str(git_dir / "config"), "--get", "core.worktree"]
        ).strip()
    except GitError:
        return False
    return bool(worktree) and Path(os.path.realpath(git_dir / worktree)) == work_tree


def find_repository(root: Path) -> tuple[Path, Path, Path]:
    """The work tree, git dir and `.git` entry holding `root`, checked to belong together.

    Raises:
        GitError: No `.git` above `root`, or one pointing at another repository.
    """
    for work_tree in (root, *root.parents):
        dot_git = work_tree / ".git"
        if os.path.lexists(dot_git):
            break
    else:
        raise GitError("the workspace is not in a git repository (no .git found above it)")
    if dot_git.is_file():
        try:
            line = dot_git.read_text(encoding="utf-8", errors="replace").partition("\n")[0]
        except OSError as exc:
            raise GitError(f"cannot read {dot_git}: {exc.strerror}") from None
        if not line.startswith("gitdir: "):
            raise GitError(f"{dot_git} is a file but not a `gitdir:` link")
        git_dir = Path(os.path.realpath(work_tree / line.removeprefix("gitdir: ").strip()))
    else:
        git_dir = Path(os.path.realpath(dot_git))
    if not git_dir.is_dir():
        raise GitError(f"the git directory named by {dot_git} does not exist")
    own = _inside(git_dir, work_tree) and (not dot_git.is_file() or _inside(git_dir, root))
    if not own and not _points_back(git_dir, dot_git, work_tree):
        raise GitError(
            f"{dot_git} points at a git directory outside the workspace ({git_dir}) that is not "
            "a worktree or submodule of it: Punie's git tools read only the workspace's own "
            "repository"
        )
    return work_tree, git_dir, dot_git


def _marker(dot_git: Path) -> tuple[int, int]:
    try:
        info = dot_git.lstat()
    except OSError:
        return (0, 0)
    return (info.st_ino, info.st_mtime_ns)


def repository() -> Repository:
    """The repository of the current workspace (remembered while its `.git` stays the same).

    Raises:
        GitError: The workspace is not inside a git repository, or its `.git` or configuration
            would make git read outside it.
    """
    root = workspace_root()
    known = _repositories.get(root)
    if (
        known is not None
        and known.git_dir.is_dir()
        and _marker(known.work_tree / ".git") == known.marker
    ):
        return known
    work_tree, git_dir, dot_git = find_repository(root)
    try:  # git's own discovery must agree (and applies its ownership check)
        found = run_git(root, ["rev-parse", "--absolute-git-dir"]).strip()
    except GitError as exc:
        raise GitError(f"the workspace is not in a git repository ({exc})") from None
    if Path(os.path.realpath(found)) != git_dir:
        raise GitError(
            "git finds another repository than the workspace's own .git "
            f"({found}); Punie's git tools refuse to read it"
        )
    prefix = root.relative_to(work_tree).as_posix()
    repo = Repository(
        root,
        "" if prefix == "." else prefix + "/",
        git_dir,
        work_tree,
        _marker(dot_git),
    )
    config_overrides(repo)  # refuse an including configuration before the first command
    _repositories[root] = repo
    return repo


def check_ref(ref: str) -> str:
    """A ref (branch, tag, commit, `HEAD~2`, `main..feature`) that git cannot read as an option.

    Raises:
        ValueError: A side of it starts with `-`, or it holds characters no ref has.
    """
    sides = re.split(r"\.\.\.?", ref)
    if not REF_PATTERN.match(ref) or any(side.startswith("-") for side in sides):
        raise ValueError(
            f"{ref!r} is not a git ref: refs cannot start with '-' or hold spaces or colons"
        )
    return ref


def pathspecs(repo: Repository, paths: list[str] | None) -> list[str]:
    """Workspace paths as literal pathspecs (the whole workspace when None).

    Raises:
        ValueError: A path leaves the workspace.
    """
    if not paths:
        return [":(literal)."]
    specs = []
    for path in paths:
        target = (repo.root / path).resolve()
        try:
            relative = target.relative_to(repo.root.resolve())
        except ValueError:
            raise ValueError(f"{path} is outside the workspace") from None
        specs.append(f":(literal){relative.as_posix() or '.'}")
    return specs


def has_commits(repo: Repository) -> bool:
    try:
        git(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    except GitError:
        return False
    return True


def git_status() -> GitStatus:
    """The branch and the changed, staged and untracked files.

    Renames show `original_path`; `index` and `worktree` use git's letters (`.` unchanged).
    Untracked files are listed one by one; ignored files are not listed.
    """
    repo = repository()
    out = git(
        repo,
        [
            "status",
            "--porcelain=v2",
            "-z",
            "--branch",
            "--untracked-files=all",
            "--ignore-submodules=all",
            "--find-renames",
            # Only the workspace's part of a bigger repository (no pathspec at the top: faster).
            *(["--", ":(literal)."] if repo.prefix else []),
        ],
    )
    return parse_status(out, repo)


def parse_status(out: str, repo: Repository) -> GitStatus:
    """A `GitStatus` from `git status --porcelain=v2 -z --branch` output."""
    status = GitStatus()
    records = out.split("\0")
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        if not record:
            continue
        if record.startswith("# "):
            key, _, value = record[2:].partition(" ")
            if key == "branch.oid":
                status.head = None if value == "(initial)" else value
            elif key == "branch.head":
                status.branch = None if value == "(detached)" else value
            elif key == "branch.upstream":
                status.upstream = value
            elif key == "branch.ab":
                ahead, _, behind = value.partition(" ")
                status.ahead, status.behind = int(ahead.lstrip("+")), int(behind.lstrip("-"))
            continue
        kind = record[0]
        if kind == "1":
            fields = record.split(" ", 8)
            xy, path, original = fields[1], fields[8], None
        elif kind == "2":
            fields = record.split(" ", 9)
            xy, path = fields[1], fields[9]
            original = records[index]  # the original path is the next NUL-separated field
            index += 1
        elif kind == "u":
            fields = record.split(" ", 10)
            xy, path, original = fields[1], fields[10], None
        elif kind in "?!":
            xy, path, original = kind * 2, record[2:], None
            if kind == "!":
                continue
        else:
            continue
        shown = repo.shown(path)
        if shown is None:
            continue
        status.files.append(
            GitFileStatus(
                path=shown,
                index=xy[0],
                worktree=xy[1],
                original_path=(repo.shown(original) or original) if original is not None else None,
            )
        )
    status.files.sort(key=lambda f: f.path)
    status.clean = not status.files
    return status


def git_diff(ref: str | None = None, paths: list[str] | None = None) -> GitDiff:
    """Changes against a commit, file by file, with line counts and patches.

    Without `ref`: everything not committed yet (staged and unstaged) against HEAD.
    Untracked files are not part of a diff (see `git_status`).

    Args:
        ref: A commit, branch or tag (`HEAD~3`, `main`), or a range such as `main..HEAD`.
        paths: Only these files or folders (relative to the workspace root).
    """
    repo = repository()
    if ref is None:
        base = "HEAD" if has_commits(repo) else EMPTY_TREE
        revisions = [base]
        shown_ref = "HEAD" if base == "HEAD" else "(no commits)"
    else:
        check_ref(ref)
        revisions, shown_ref = [ref], ref
    specs = pathspecs(repo, paths)
    common = [
        "--no-ext-diff",
        "--no-textconv",
        "--no-color",
        "--find-renames",
        "--ignore-submodules=all",
    ]
    numstat = git(
        repo,
        ["diff", *common, "--numstat", "-z", "--end-of-options", *revisions, "--", *specs],
    )
    patch = git(
        repo,
        ["diff", *common, "--patch", "--end-of-options", *revisions, "--", *specs],
    )
    diff = parse_numstat(numstat, repo, shown_ref)
    attach_patches(diff, patch, repo)
    return diff


def parse_numstat(out: str, repo: Repository, ref: str) -> GitDiff:
    """A `GitDiff` (without patches) from `git diff --numstat -z` output."""
    diff = GitDiff(ref=ref)
    records = out.split("\0")
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        if not record:
            continue
        added, deleted, path = record.split("\t", 2)
        original = None
        if path == "":  # a rename: the old and new paths follow as their own fields
            original, path = records[index], records[index + 1]
            index += 2
        shown = repo.shown(path)
        if shown is None:
            continue
        binary = added == "-"
        file = GitDiffFile(
            path=shown,
            original_path=(repo.shown(original) or original) if original else None,
            additions=0 if binary else int(added),
            deletions=0 if binary else int(deleted),
            binary=binary,
        )
        diff.files.append(file)
        diff.additions += file.additions
        diff.deletions += file.deletions
    return diff


def attach_patches(diff: GitDiff, patch: str, repo: Repository) -> None:
    """Give each file its part of the patch, in order, up to `PATCH_LIMIT` characters in all."""
    chunks = re.split(r"(?m)^(?=diff --git )", patch)
    chunks = [c for c in chunks if c.startswith("diff --git ")]
    budget = PATCH_LIMIT
    for file, chunk in zip(diff.files, chunks, strict=False):
        if budget <= 0:
            diff.truncated = True
            break
        if len(chunk) > budget:
            chunk = chunk[:budget] + "\n[patch truncated]\n"
            diff.truncated = True
        file.patch = chunk
        budget -= len(chunk)


def git_log(paths: list[str] | None = None, limit: int = 20) -> list[GitCommit]:
    """Recent commits, newest first, optionally only those touching some paths.

    Args:
        paths: Only commits changing these files or folders (relative to the workspace root).
        limit: At most this many commits (up to 500).
    """
    if not 1 <= limit <= LOG_LIMIT:
        raise ValueError(f"limit must be between 1 and {LOG_LIMIT}")
    repo = repository()
    if not has_commits(repo):
        return []
    specs = pathspecs(repo, paths)
    out = git(
        repo,
        [
            "log",
            "--no-ext-diff",
            "--no-textconv",
            "--no-show-signature",
            "--no-color",
            f"--max-count={limit}",
            "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e",
            "--end-of-options",
            "HEAD",
            "--",
            *specs,
        ],
    )
    commits = []
    for record in out.split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        sha, author, email, date, subject = record.split("\x1f", 4)
        commits.append(GitCommit(sha=sha, author=author, email=email, date=date, subject=subject))
    return commits


def git_blame(path: str, start: int, end: int) -> list[BlameLine]:
    """Who last changed each line of a file range, in which commit.

    Args:
        path: File, relative to the workspace root.
        start: First line (1-based).
        end: Last line (1-based, included).
    """
    if start < 1 or end < start:
        raise ValueError("lines are 1-based and end must not be before start")
    if end - start + 1 > BLAME_LIMIT:
        raise ValueError(f"at most {BLAME_LIMIT} lines at a time")
    repo = repository()
    if not has_commits(repo):
        raise GitError("the repository has no commits yet: nothing to blame")
    target = (repo.root / path).resolve()
    if not target.is_file():
        raise FileNotFoundError(f"{path} does not exist or is not a file")
    (spec,) = pathspecs(repo, [path])
    out = git(
        repo,
        [
            "blame",
            "--porcelain",
            # A configured `blame.ignoreRevsFile` names any file (and quotes it in errors).
            "--no-ignore-revs-file",
            "--no-textconv",
            f"-L{start},{end}",
            "--",
            spec.removeprefix(":(literal)"),
        ],
    )
    return parse_blame(out)


def parse_blame(out: str) -> list[BlameLine]:
    """`BlameLine`s from `git blame --porcelain` output."""
    commits: dict[str, dict[str, str]] = {}
    lines: list[BlameLine] = []
    current: dict[str, str] = {}
    sha = ""
    final_line = 0
    for raw in out.split("\n"):
        if raw.startswith("\t"):
            info = commits.setdefault(sha, current)
            lines.append(
                BlameLine(
                    line=final_line,
                    sha=sha,
                    author=info.get("author", ""),
                    date=_iso(info.get("author-time"), info.get("author-tz")),
                    summary=info.get("summary", ""),
                    text=raw[1:],
                )
            )
            continue
        parts = raw.split(" ")
        if len(parts) >= 3 and re.fullmatch(r"[0-9a-f]{40}", parts[0]):
            sha, final_line = parts[0], int(parts[2])
            current = commits.setdefault(sha, {})
            continue
        key, _, value = raw.partition(" ")
        if key:
            current[key] = value
    return lines


def _iso(seconds: str | None, tz: str | None) -> str:
    if not seconds:
        return ""
    offset = UTC
    if tz and re.fullmatch(r"[+-]\d{4}", tz):
        sign = -1 if tz[0] == "-" else 1
        offset = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5])))
    return datetime.fromtimestamp(int(seconds), offset).isoformat()
