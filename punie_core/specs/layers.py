"""Discovery of the three context layers (organisation, project, feature), with provenance.

Organisation: the standards folder `$PUNIE_HOME/standards` (or the config's `standards` key),
often a symlink to a shared checkout; plain Markdown with an optional Agent OS `index.yml`, or an
Agent OS base install (`config.yml` + `profiles/NAME/standards/`) whose profile chain is
resolved base-first, later profiles overriding earlier ones file by file.
Project: every `AGENTS.md` (the closest one to an edited file wins), spec-kit's
`.specify/memory/constitution.md`, Agent OS `agent-os/standards/**` (+ `index.yml`) and
`agent-os/product/*.md`, Kiro `.kiro/steering/*.md`.
Feature: the files of the active spec folder (`punie_core.specs.features`).

Files are read as they are; a file that cannot be read is still listed, with its problem.
Every read is confined: a file whose real path (symlinks resolved) leaves the workspace is
listed with a problem and never read, and so is a FIFO or a device. The organisation folder
is the person's own and may be a symlink to a shared checkout: its files are confined to that
folder's real root instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punie_core.specs.nouns import ContextFile, Level

FILE_LIMIT = 256 * 1024
"""Context files larger than this are listed with a problem instead of being read."""

WALK_DEPTH = 6
WALK_LIMIT = 4000
"""How deep and how many folders the AGENTS.md search visits (big trees stay cheap)."""

SKIPPED_DIRS = frozenset(
    {"node_modules", "__pycache__", "site-packages", "venv", "build", "dist", "htmlcov"}
)
DESCRIPTION_LIMIT = 80


@dataclass(frozen=True)
class Entry:
    """A context file found, with the absolute path its text is read from.

    Attributes:
        file: What is shown of it.
        absolute: The path its text is read from.
        within: The folder its real path must stay in (the workspace, or the organisation
            folder's real root).
    """

    file: ContextFile
    absolute: Path
    within: Path


class OutsideFolder(PermissionError):
    """A file's real path (symlinks resolved) leaves the folder it must be read from."""


def confined_bytes(path: Path, within: Path, limit: int = FILE_LIMIT) -> bytes:
    """A regular file's bytes, only when its real path is inside `within`.

    Raises:
        OutsideFolder: Its real path (symlinks resolved) is outside `within`.
        NotARegularFile: It is a FIFO, a device, a socket or a folder (never waited on).
        ValueError: It is larger than `limit`.
        OSError: It cannot be opened.
    """
    from punie_core.security.workspace import read_regular_bytes

    real = Path(os.path.realpath(path))
    base = Path(os.path.realpath(within))
    if real != base and not real.is_relative_to(base):
        raise OutsideFolder(f"{path.name} leads outside {base}")
    return read_regular_bytes(real, limit)


def read_text(path: Path, within: Path) -> tuple[str, str]:
    """`(text, problem)`: a file's text, or an empty text and why it could not be read.

    Only a regular file whose real path is inside `within` is read; otherwise the problem
    says so (naming nothing of what the link points at).
    """
    from punie_core.security.workspace import NotARegularFile

    try:
        data = confined_bytes(path, within)
    except OutsideFolder:
        return "", f"a link leading outside {_folder_name(within)}: not read"
    except IsADirectoryError:
        return "", "a folder, not a file"
    except NotARegularFile as exc:
        kind = str(exc).rsplit("(", 1)[-1].rstrip(")") if "(" in str(exc) else "special"
        if kind == "a directory":
            return "", "a folder, not a file"
        return "", f"not a regular file ({kind}): not read"
    except ValueError:
        return "", f"larger than {FILE_LIMIT // 1024} KiB: not read"
    except OSError as exc:
        return "", f"cannot be read: {exc.strerror or exc}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    if not text.strip():
        return text, "the file is empty"
    return text, ""


def _folder_name(within: Path) -> str:
    org = org_folder()
    if org is not None and os.path.realpath(org) == os.path.realpath(within):
        return "the organisation folder"
    return "the workspace"


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """A `---` YAML header (Kiro steering inclusion modes, descriptions) and the body.

    A header that is not valid YAML is treated as no header.
    """
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    import yaml

    try:
        meta = yaml.safe_load(text[3:end])
    except yaml.YAMLError:
        return {}, text
    body = text[end + 4 :].split("\n", 1)[1] if "\n" in text[end + 4 :] else ""
    return (meta if isinstance(meta, dict) else {}), body


_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def describe(text: str) -> str:
    """One line for a file without an index entry: front matter, first heading or first line."""
    meta, body = front_matter(text)
    if isinstance(meta.get("description"), str) and meta["description"].strip():
        return clip(meta["description"])
    in_comment = False
    for raw in body.splitlines():
        line = raw.strip()
        if in_comment or line.startswith("<!--"):
            in_comment = "-->" not in line
            continue
        if not line:
            continue
        match = _HEADING.match(line)
        return clip(match.group(1) if match else line)
    return ""


def clip(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    text = " ".join(str(text).split()).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def estimate(text: str) -> int:
    from punie_core.plugins.prompt import estimate_tokens

    return estimate_tokens(text)


def make_entry(
    level: Level,
    source: str,
    name: str,
    absolute: Path,
    shown_path: str,
    *,
    within: Path,
    scope: str = "",
    description: str = "",
) -> Entry:
    text, problem = read_text(absolute, within)
    return Entry(
        ContextFile(
            level=level,
            source=source,
            name=name,
            path=shown_path,
            scope=scope,
            description=clip(description) if description else describe(text),
            tokens=estimate(text) if not problem else 0,
            problem=problem,
        ),
        absolute,
        within,
    )


def problem_entry(
    level: Level, source: str, name: str, absolute: Path, shown: str, problem: str
) -> Entry:
    """A file that is part of a layer's structure (an index, a config) and is broken."""
    return Entry(
        ContextFile(level=level, source=source, name=name, path=shown, problem=problem),
        absolute,
        absolute.parent,
    )


# --- organisation -----------------------------------------------------------------------------


def org_folder() -> Path | None:
    """The organisation's standards folder: config `standards`, else `$PUNIE_HOME/standards`."""
    from punie_core.models.config import ConfigError, load_config, punie_home

    configured = None
    try:
        configured = load_config().standards
    except ConfigError:
        configured = None
    folder = Path(configured).expanduser() if configured else punie_home() / "standards"
    return folder if folder.is_dir() else None


def markdown_files(folder: Path, within: Path) -> list[Path]:
    """Markdown files under a folder, sorted, skipping hidden folders and backups.

    Linked folders are followed only while their real path stays inside `within` (each real
    folder once, so a link loop ends); a linked folder leading outside is returned itself,
    for `read_text` to report, and never entered.
    """
    base = os.path.realpath(within)
    found: list[Path] = []
    seen: set[str] = set()
    for directory, subdirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen:
            subdirs[:] = []
            continue
        seen.add(real)
        kept = []
        for name in sorted(subdirs):
            if name.startswith(".") or name in SKIPPED_DIRS:
                continue
            target = os.path.realpath(os.path.join(directory, name))
            if target != base and not target.startswith(base.rstrip(os.sep) + os.sep):
                found.append(Path(directory) / name)  # reported, never walked
                continue
            kept.append(name)
        subdirs[:] = kept
        found += [Path(directory) / f for f in files if f.endswith(".md") and not f.startswith(".")]
    return sorted(found)


def index_descriptions(index: Path, within: Path) -> tuple[dict[str, str], str]:
    """Agent OS `index.yml` (`folder: {file: {description: ...}}`, `root` for top-level files)
    as `{"folder/file": description}`, and a problem when it is not valid."""
    if not index.is_file():
        return {}, ""
    text, problem = read_text(index, within)
    if problem:
        return {}, problem
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return {}, f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"
    if not isinstance(data, dict):
        return {}, "must map folders to files to descriptions"
    found: dict[str, str] = {}
    for folder, files in data.items():
        if not isinstance(files, dict):
            return found, f"entry {folder!r} must map file names to descriptions"
        for name, info in files.items():
            description = info.get("description") if isinstance(info, dict) else info
            if isinstance(description, str) and not description.startswith("Needs description"):
                key = str(name) if str(folder) == "root" else f"{folder}/{name}"
                found[key] = description
    return found, ""


def org_layer(root: Path) -> list[Entry]:
    """The organisation's standards (an Agent OS base install's profile chain, or plain files)."""
    folder = org_folder()
    if folder is None:
        return []
    # The person's own folder, often a link to a shared checkout: confined to its real root.
    within = Path(os.path.realpath(folder))
    if (folder / "config.yml").is_file() and (folder / "profiles").is_dir():
        return agent_os_profiles(folder, root)
    descriptions, problem = index_descriptions(folder / "index.yml", within)
    entries = []
    if problem:
        entries.append(
            problem_entry(
                "org",
                "standards",
                "org/index.yml",
                folder / "index.yml",
                str(folder / "index.yml"),
                problem,
            )
        )
    for path in markdown_files(folder, within):
        key = path.relative_to(folder).with_suffix("").as_posix()
        entries.append(
            make_entry(
                "org",
                "standards",
                f"org/{key}",
                path,
                str(path),
                within=within,
                description=descriptions.get(key, ""),
            )
        )
    return entries


def profile_chain(config: dict[str, Any], profile: str, profiles: Path) -> tuple[list[str], str]:
    """Agent OS profile inheritance, base first: `profiles: {b: {inherits_from: a}}`."""
    table = config.get("profiles") if isinstance(config.get("profiles"), dict) else {}
    chain: list[str] = []
    current: str | None = profile
    while current:
        if current in chain:
            cycle = " -> ".join([*chain, current])
            return [], f"profile inheritance is circular: {cycle}"
        if not (profiles / current).is_dir():
            return [], f"profile {current!r} does not exist in {profiles}"
        chain.append(current)
        settings = table.get(current) if isinstance(table, dict) else None
        parent = settings.get("inherits_from") if isinstance(settings, dict) else None
        current = str(parent) if parent and str(parent).lower() not in ("false", "none") else None
    return list(reversed(chain)), ""


def load_yaml(path: Path, within: Path) -> tuple[dict[str, Any], str]:
    text, problem = read_text(path, within)
    if problem:
        return {}, problem
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return {}, f"not valid YAML: {getattr(exc, 'problem', exc)}"
    if data is None:
        return {}, ""
    if not isinstance(data, dict):
        return {}, "must be a YAML mapping"
    return data, ""


def agent_os_profiles(base: Path, root: Path) -> list[Entry]:
    """Standards of an Agent OS base install: the project's profile (its `agent-os/config.yml`
    `profile`, else the base's `default_profile`) and every profile it inherits from."""
    within = Path(os.path.realpath(base))
    config, problem = load_yaml(base / "config.yml", within)
    if problem:
        return [
            problem_entry(
                "org",
                "agent-os config",
                "org/config.yml",
                base / "config.yml",
                str(base / "config.yml"),
                problem,
            )
        ]
    project_config, _ = load_yaml(root / "agent-os" / "config.yml", root)
    profile = str(project_config.get("profile") or config.get("default_profile") or "default")
    chain, problem = profile_chain(config, profile, base / "profiles")
    if problem:
        return [
            problem_entry(
                "org",
                "agent-os config",
                "org/config.yml",
                base / "config.yml",
                str(base / "config.yml"),
                problem,
            )
        ]
    chosen: dict[str, tuple[str, Path, str]] = {}
    for name in chain:
        standards = base / "profiles" / name / "standards"
        if not standards.is_dir():
            continue
        descriptions, _ = index_descriptions(standards / "index.yml", within)
        for path in markdown_files(standards, within):
            key = path.relative_to(standards).with_suffix("").as_posix()
            # Later profiles in the chain override earlier ones, as Agent OS installs them.
            chosen[key] = (name, path, descriptions.get(key, ""))
    return [
        make_entry(
            "org",
            f"agent-os profile {name}",
            f"org/{key}",
            path,
            str(path),
            within=within,
            description=description,
        )
        for key, (name, path, description) in sorted(chosen.items())
    ]


# --- project ----------------------------------------------------------------------------------


def agents_files(root: Path) -> list[Path]:
    """Every AGENTS.md of the project (shallowest first), skipping hidden and vendored folders."""
    from punie_core.security.workspace import PROTECTED_PARTS

    found: list[Path] = []
    visited = 0
    root_depth = len(root.parts)
    for directory, subdirs, files in os.walk(root):
        visited += 1
        here = Path(directory)
        if "AGENTS.md" in files:
            found.append(here / "AGENTS.md")
        if len(here.parts) - root_depth >= WALK_DEPTH or visited >= WALK_LIMIT:
            subdirs[:] = []
            continue
        subdirs[:] = sorted(
            d
            for d in subdirs
            if not d.startswith(".")
            and d.casefold() not in PROTECTED_PARTS
            and d not in SKIPPED_DIRS
        )
    return sorted(found, key=lambda p: (len(p.parts), p.as_posix()))


def agents_chain(root: Path, target: str) -> list[Path]:
    """The AGENTS.md files that govern `target` (a project-relative path), closest first."""
    chain = []
    folder = (root / target).parent if target else root
    while True:
        candidate = folder / "AGENTS.md"
        if candidate.is_file():
            chain.append(candidate)
        if folder == root or root not in folder.parents:
            break
        folder = folder.parent
    return chain


def project_layer(root: Path) -> list[Entry]:
    entries: list[Entry] = []
    for path in agents_files(root):
        relative = path.relative_to(root).as_posix()
        scope = path.parent.relative_to(root).as_posix()
        entries.append(
            make_entry(
                "project",
                "AGENTS.md",
                relative,
                path,
                relative,
                within=root,
                scope="" if scope == "." else scope + "/",
            )
        )
    constitution = root / ".specify" / "memory" / "constitution.md"
    if constitution.exists():
        entries.append(
            make_entry(
                "project",
                "spec-kit constitution",
                "constitution",
                constitution,
                ".specify/memory/constitution.md",
                within=root,
            )
        )
    standards = root / "agent-os" / "standards"
    if standards.is_dir():
        descriptions, problem = index_descriptions(standards / "index.yml", root)
        if problem:
            entries.append(
                problem_entry(
                    "project",
                    "agent-os standards",
                    "standards/index.yml",
                    standards / "index.yml",
                    "agent-os/standards/index.yml",
                    problem,
                )
            )
        for path in markdown_files(standards, root):
            key = path.relative_to(standards).with_suffix("").as_posix()
            entries.append(
                make_entry(
                    "project",
                    "agent-os standards",
                    f"standards/{key}",
                    path,
                    path.relative_to(root).as_posix(),
                    within=root,
                    description=descriptions.get(key, ""),
                )
            )
    product = root / "agent-os" / "product"
    if product.is_dir():
        for path in markdown_files(product, root):
            key = path.relative_to(product).with_suffix("").as_posix()
            entries.append(
                make_entry(
                    "project",
                    "agent-os product",
                    f"product/{key}",
                    path,
                    path.relative_to(root).as_posix(),
                    within=root,
                )
            )
    steering = root / ".kiro" / "steering"
    if steering.is_dir():
        for path in markdown_files(steering, root):
            text, _ = read_text(path, root)
            meta, _ = front_matter(text)
            inclusion = str(meta.get("inclusion") or "always")
            scope = ""
            if inclusion == "fileMatch":
                scope = str(meta.get("fileMatchPattern") or "")
            elif inclusion == "manual":
                scope = "manual"
            key = path.relative_to(steering).with_suffix("").as_posix()
            entries.append(
                make_entry(
                    "project",
                    "kiro steering",
                    f"steering/{key}",
                    path,
                    path.relative_to(root).as_posix(),
                    within=root,
                    scope=scope,
                )
            )
    return entries
