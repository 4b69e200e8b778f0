"""Which version of a library a checked project uses, and whether a rule applies to it.

Domain validators encode a library's behaviour, which changes between releases (tdom 0.1.15
removed its node classes; svcs 26.1 added autowire). Each rule declares the versions it holds
for (`Validator.versions`), and a validator asks here which version the project has: the one
installed in the project's own environment, else the one its lock or pins name.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from punie_core.validation.files import project_root, run_cached

_SPECIFIER = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([0-9][0-9A-Za-z.]*)\s*$")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$")
ENVIRONMENTS = (".venv", "venv", ".env", "env")
"""Where a project's own virtual environment usually lives (relative to its root)."""


def normalize(name: str) -> str:
    """A distribution name as packaging normalizes it (`tdom_svcs` == `tdom-svcs`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_version(text: str) -> tuple[int, ...]:
    """`0.1.20` -> (0, 1, 20); pre-release and local parts are ignored (`26.2.0rc1` -> 26.2.0).

    Raises:
        ValueError: No leading number.
    """
    numbers = []
    for part in text.strip().split("+", 1)[0].split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        numbers.append(int(digits.group()))
        if digits.end() != len(part):
            break
    if not numbers:
        raise ValueError(f"not a version: {text!r}")
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


@dataclass(frozen=True)
class VersionRange:
    """A library and the versions a rule holds for: `tdom>=0.1.15,<0.2`."""

    library: str
    specifiers: tuple[tuple[str, tuple[int, ...]], ...]

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        """Read `name` followed by comma-separated `>=, <=, ==, !=, >, <` specifiers.

        Raises:
            ValueError: Not of that form.
        """
        match = _REQUIREMENT.match(text)
        if match is None:
            raise ValueError(f"not a version range: {text!r}")
        name, rest = match.groups()
        specifiers = []
        for part in filter(None, (p.strip() for p in rest.split(","))):
            spec = _SPECIFIER.match(part)
            if spec is None:
                raise ValueError(f"not a version specifier: {part!r} in {text!r}")
            specifiers.append((spec.group(1), parse_version(spec.group(2))))
        return cls(normalize(name), tuple(specifiers))

    def contains(self, version: str | tuple[int, ...]) -> bool:
        """True when `version` satisfies every specifier."""
        value = parse_version(version) if isinstance(version, str) else version
        for op, bound in self.specifiers:
            ok = {
                ">=": value >= bound,
                "<=": value <= bound,
                ">": value > bound,
                "<": value < bound,
                "==": value == bound,
                "!=": value != bound,
            }[op]
            if not ok:
                return False
        return True


@dataclass(frozen=True)
class LibraryVersion:
    """The version of a library a project uses, and where it was read.

    Attributes:
        name: The distribution (normalized).
        version: Its version, or the assumed one when the project names none.
        source: `installed (.venv)`, `uv.lock`, `pyproject.toml`, `requirements.txt`, or
            `assumed` (nothing found: the newest version the rules know).
    """

    name: str
    version: str
    source: str

    @property
    def assumed(self) -> bool:
        return self.source == "assumed"

    def describe(self) -> str:
        """`tdom 0.1.20 (uv.lock)` — what a finding says it assumed."""
        return f"{self.name} {self.version} ({self.source})"


def _installed(root: Path, name: str) -> tuple[str, str] | None:
    wanted = normalize(name)
    for environment in ENVIRONMENTS:
        base = root / environment
        if not (base / "pyvenv.cfg").is_file():
            continue
        for site in [*base.glob("lib/python*/site-packages"), base / "Lib" / "site-packages"]:
            try:
                entries = os.listdir(site)
            except OSError:
                continue
            for entry in entries:
                if not entry.endswith(".dist-info"):
                    continue
                dist, _, version = entry[: -len(".dist-info")].partition("-")
                if normalize(dist) == wanted and version:
                    return version, f"installed ({environment})"
    return None


def _locked(root: Path, name: str) -> tuple[str, str] | None:
    wanted = normalize(name)
    lock = root / "uv.lock"
    try:
        data = tomllib.loads(lock.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    versions = [
        str(p["version"])
        for p in data.get("package", [])
        if isinstance(p, dict) and normalize(str(p.get("name", ""))) == wanted and "version" in p
    ]
    if not versions:
        return None
    return max(versions, key=_sort_key), "uv.lock"


def _pinned(root: Path, name: str) -> tuple[str, str] | None:
    """`name==X` in pyproject.toml's dependencies or a requirements file."""
    pattern = re.compile(
        rf"(?im)^[\s\"']*{re.escape(name).replace('-', '[-_.]')}\s*(?:\[[^\]]*\])?\s*==\s*"
        r"([0-9][0-9A-Za-z.]*)"
    )
    for file in ("pyproject.toml", "requirements.txt"):
        try:
            text = (root / file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        match = pattern.search(text)
        if match:
            return match.group(1), file
    return None


def _sort_key(version: str) -> tuple[int, ...]:
    try:
        return parse_version(version)
    except ValueError:
        return ()


@functools.lru_cache(maxsize=256)
def _lookup(root: str, name: str, assumed: str, stamp: tuple[float, ...]) -> LibraryVersion:
    base = Path(root)
    for read in (_installed, _locked, _pinned):
        found = read(base, name)
        if found is not None:
            return LibraryVersion(normalize(name), found[0], found[1])
    return LibraryVersion(normalize(name), assumed, "assumed")


def _stamp(root: Path) -> tuple[float, ...]:
    """Modification times of the files versions are read from (a change re-reads them)."""
    stamps = []
    for relative in ("uv.lock", "pyproject.toml", "requirements.txt", *ENVIRONMENTS):
        try:
            stamps.append(os.stat(root / relative).st_mtime)
        except OSError:
            stamps.append(0.0)
    return tuple(stamps)


def library_version(path: str | os.PathLike[str], name: str, assumed: str) -> LibraryVersion:
    """The version of library `name` the project holding `path` uses.

    Read from the project's own environment (`.venv`, `venv`: the installed distribution),
    else its `uv.lock`, else an exact pin in `pyproject.toml` / `requirements.txt`; when none
    names it, `assumed` (the newest version the caller's rules know) with source `assumed`.

    Args:
        path: A file or directory of the project.
        name: The distribution name (`tdom`, `svcs`).
        assumed: The version to assume when the project names none.
    """
    root = project_root(path)
    return run_cached(
        ("library-version", str(root), normalize(name)),
        lambda: _lookup(str(root), name, assumed, _stamp(root)),
    )


def rule_applies(versions: dict[str, str], rule: str, library: LibraryVersion) -> bool:
    """True when `rule` holds for the library version (rules without a range always do).

    Args:
        versions: A validator's `versions` (rule id -> `name>=x,<y`).
        rule: The rule id.
        library: The project's version of the library.
    """
    text = versions.get(rule)
    if not text:
        return True
    bounds = VersionRange.parse(text)
    if bounds.library != library.name:
        return True
    try:
        return bounds.contains(library.version)
    except ValueError:
        return True  # an unreadable version: keep the rule (and say which was assumed)
