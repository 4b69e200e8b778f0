"""Typed records that plugins yield from collection hooks, and what the core derives from them.

Plugins build records; the core stamps each with the plugin and distribution that made it
(`plugin`, `distribution`), validates it and merges everything sorted by name. Records are
frozen dataclasses so they are cheap to import and to compare.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import BaseModel

ToolKind = Literal["read", "edit", "delete", "move", "search", "execute", "think", "fetch", "other"]
"""What a tool does, in the Agent Client Protocol's vocabulary (shown to the IDE)."""

PERMISSION_KINDS: frozenset[str] = frozenset({"edit", "delete", "move", "execute"})
"""Tool kinds that change the workspace or run programs: these ask for permission first."""

Layer = Literal["syntax", "conventions", "fixes", "types"]
"""Validation layers, in the order the pipeline runs them."""

LAYERS: tuple[Layer, ...] = ("syntax", "conventions", "fixes", "types")

NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
SKILL_NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RULE_ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*[0-9]{3}$")
VERSION_RANGE_PATTERN = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:(?:>=|<=|==|!=|>|<)\s*[0-9][0-9A-Za-z.]*\s*"
    r"(?:,\s*(?:>=|<=|==|!=|>|<)\s*[0-9][0-9A-Za-z.]*\s*)*)?$"
)
"""`library` followed by comma-separated specifiers: a rule's `Validator.versions` entry."""


class PluginUnavailable(Exception):
    """Raise at import time of a plugin module to decline loading (for example a missing extra).

    The plugin is listed as `skipped` with this message; it is not an error.

    Example:
        ```python
        try:
            import tdom
        except ImportError:
            raise PluginUnavailable("needs tdom>=0.1.20") from None
        ```
    """


class RecordError(ValueError):
    """A record a plugin yielded is malformed (the plugin is excluded as a whole)."""


def first_line(doc: str | None) -> str:
    """The summary line of a docstring, or an empty string."""
    return inspect.cleandoc(doc or "").split("\n", 1)[0].strip()


@dataclass(frozen=True)
class Tool:
    """A verb: a typed function the model can call from Code Mode (and directly).

    Attributes:
        function: The implementation, sync or async, fully annotated, with a Google docstring
            whose summary line is shown in the prompt and whose `Args:` section documents
            every parameter.
        name: The name the model calls; defaults to the function's name.
        kind: What the tool does (ACP tool kind); `edit`, `delete`, `move` and `execute`
            ask for permission before every call.
        timeout: Seconds the host waits for one call before it fails with `TimeoutError`.
        plugin: Stamped by the core: the plugin (entry-point name) that yielded it.
        distribution: Stamped by the core: the distribution that provides the plugin.
    """

    function: Callable[..., Any]
    name: str = ""
    kind: ToolKind = "other"
    timeout: float = 120.0
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        if not callable(self.function):
            raise RecordError(f"Tool.function must be callable, got {self.function!r}")
        if not self.name:
            object.__setattr__(self, "name", getattr(self.function, "__name__", ""))
        if not NAME_PATTERN.match(self.name):
            raise RecordError(f"tool name {self.name!r} is not a snake_case identifier")
        if not first_line(self.function.__doc__):
            raise RecordError(
                f"tool {self.name!r} has no docstring (it is the model's documentation)"
            )

    @property
    def description(self) -> str:
        """The docstring's summary line."""
        return first_line(self.function.__doc__)

    @property
    def needs_permission(self) -> bool:
        """True when calls change the workspace or run programs."""
        return self.kind in PERMISSION_KINDS

    @property
    def is_async(self) -> bool:
        """True when the function is a coroutine function."""
        return inspect.iscoroutinefunction(self.function)


@dataclass(frozen=True)
class Noun:
    """A domain noun: a Pydantic model class the model reads and builds in Code Mode.

    Attributes:
        model: The Pydantic model class. Its docstring and field descriptions become the stub.
        name: The class name shown to the model; defaults to the class's `__name__`.
        plugin: Stamped by the core.
        distribution: Stamped by the core.
    """

    model: type[BaseModel]
    name: str = ""
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        # Here, not at the top: a plugin's entry module imports records; pydantic waits for a noun.
        from pydantic import BaseModel

        if not (isinstance(self.model, type) and issubclass(self.model, BaseModel)):
            raise RecordError(
                f"Noun.model must be a pydantic BaseModel subclass, got {self.model!r}"
            )
        if not self.name:
            object.__setattr__(self, "name", self.model.__name__)
        if not self.name.isidentifier():
            raise RecordError(f"noun name {self.name!r} is not an identifier")


@dataclass(frozen=True)
class Skill:
    """A skill document (Agent Skills `SKILL.md`): name and description in the prompt, body later.

    Attributes:
        name: Kebab-case name, equal to the `name:` in the frontmatter.
        description: One or two sentences: what it teaches and when to load it.
        body: The Markdown after the frontmatter.
        path: Where the SKILL.md was read from (for error messages and references).
        references: Extra documents shipped beside it (`references/*.md`), by file name.
        plugin: Stamped by the core.
        distribution: Stamped by the core.
    """

    name: str
    description: str
    body: str
    path: str = ""
    references: dict[str, str] = field(default_factory=dict)
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        where = f" in {self.path}" if self.path else ""
        if not isinstance(self.name, str) or not SKILL_NAME_PATTERN.match(self.name):
            raise RecordError(f"skill name {self.name!r}{where} must be kebab-case (a-z, 0-9, -)")
        if len(self.name) > 64:
            raise RecordError(f"skill name {self.name!r}{where} is longer than 64 characters")
        if not isinstance(self.description, str) or not self.description.strip():
            raise RecordError(f"skill {self.name!r}{where} has an empty description")
        if len(self.description) > 1024:
            raise RecordError(
                f"skill {self.name!r}{where}: description is longer than 1024 characters"
            )

    @classmethod
    def from_path(cls, directory: str | Path) -> Skill:
        """Read a skill directory holding `SKILL.md` (and optional `references/*.md`).

        Raises:
            RecordError: The file is missing, has no frontmatter, or its name is not the
                directory's name or not kebab-case.
        """
        directory = Path(directory)
        skill_file = directory / "SKILL.md"
        try:
            text = skill_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise RecordError(f"cannot read {skill_file}: {exc}") from exc
        meta, body = parse_frontmatter(text, str(skill_file))
        name = meta.get("name")
        if name != directory.name:
            raise RecordError(
                f"{skill_file}: frontmatter name {name!r} must equal the directory name "
                f"{directory.name!r}"
            )
        references = {}
        ref_dir = directory / "references"
        if ref_dir.is_dir():
            references = {
                p.name: p.read_text(encoding="utf-8") for p in sorted(ref_dir.glob("*.md"))
            }
        return cls(
            name=str(name),
            description=str(meta.get("description") or ""),
            body=body,
            path=str(skill_file),
            references=references,
        )

    @classmethod
    def from_package(cls, package: str, relative: str) -> Skill:
        """Read a skill shipped as package data, for example `("punie_tdom", "skills/tdom")`."""
        return cls.from_path(Path(str(files(package).joinpath(relative))))


def parse_frontmatter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """Split `---` YAML frontmatter from a Markdown body.

    Raises:
        RecordError: No frontmatter, or frontmatter that is not a YAML mapping.
    """
    # Here, not at the top: only skills need YAML, and plugin entry modules import records.
    import yaml

    if not text.startswith("---"):
        raise RecordError(f"{where}: missing '---' frontmatter with name and description")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise RecordError(f"{where}: frontmatter is not closed by a '---' line")
    header, body = parts[0][3:], parts[1]
    try:
        meta = yaml.safe_load(header)
    except yaml.YAMLError as exc:
        raise RecordError(f"{where}: frontmatter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise RecordError(f"{where}: frontmatter must be a mapping with name and description")
    return meta, body.split("\n", 1)[1] if "\n" in body else ""


@dataclass(frozen=True)
class Finding:
    """One problem a validator found in one file.

    Attributes:
        path: The file, as given to the validator.
        line: 1-based line.
        column: 1-based column.
        rule: Rule id, for example `TDOM001`.
        message: What is wrong and, where possible, how to fix it.
        plugin: Stamped by the pipeline with the validator's plugin.
        layer: Stamped by the pipeline with the validator's layer.
        fixable: True when the validator's `fix` can repair it.
    """

    path: str
    line: int
    column: int
    rule: str
    message: str
    plugin: str = ""
    layer: str = ""
    fixable: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape used by `punie check --json`."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
            "plugin": self.plugin,
            "layer": self.layer,
            "fixable": self.fixable,
        }


@dataclass(frozen=True)
class Validator:
    """A checker run by `punie check` and after every file the agent writes.

    Attributes:
        name: Unique snake_case name.
        layer: `syntax`, `conventions` or `types` (fixes run as part of `conventions`).
        rules: Every rule id this validator can report, with a one-line description.
        check: `check(path, source) -> Iterable[Finding]` for one file. It returns findings for
            bad code and raises only when the validator itself is broken.
        fix: Optional `fix(path, source) -> str`: the repaired source (unchanged when nothing
            can be fixed safely).
        applies_to: Optional cheap `applies_to(path, source) -> bool` gate run before `check`
            (for example a substring test), so irrelevant files skip parsing.
        batch: Optional `batch(paths) -> Iterable[Finding]` for tools that are faster on many
            files at once (type checkers); used instead of `check` when present.
        versions: Optional rule id -> the library versions the rule holds for, as
            `library>=x,<y` (for example `{"TDOM014": "tdom>=0.1.12"}`). The validator reads
            the project's version (`punie_core.library_version`) and reports a rule only
            where it applies; rules not listed apply to every version.
        plugin: Stamped by the core.
        distribution: Stamped by the core.
    """

    name: str
    layer: Layer
    rules: dict[str, str]
    check: Callable[[str, str], Iterable[Finding]] | None = None
    fix: Callable[[str, str], str] | None = None
    applies_to: Callable[[str, str], bool] | None = None
    batch: Callable[[list[str]], Iterable[Finding]] | None = None
    versions: dict[str, str] = field(default_factory=dict)
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise RecordError(f"validator name {self.name!r} is not snake_case")
        for rule, bounds in self.versions.items():
            if rule not in self.rules:
                raise RecordError(f"validator {self.name!r}: versions names unknown rule {rule!r}")
            if not VERSION_RANGE_PATTERN.match(bounds):
                raise RecordError(
                    f"validator {self.name!r}: {rule} versions {bounds!r} is not like "
                    "'library>=1.2,<2'"
                )
        if self.layer not in LAYERS:
            raise RecordError(f"validator {self.name!r}: layer {self.layer!r} not in {LAYERS}")
        if self.check is None and self.batch is None:
            raise RecordError(f"validator {self.name!r} needs check or batch")
        for rule in self.rules:
            if not RULE_ID_PATTERN.match(rule):
                raise RecordError(
                    f"validator {self.name!r}: rule id {rule!r} must look like ABC123"
                )


@dataclass(frozen=True)
class Term:
    """A word of a plugin's domain vocabulary, listed in the system prompt.

    Attributes:
        name: The word, as the model should use it (for example `component`).
        meaning: One short line.
        plugin: Stamped by the core.
        distribution: Stamped by the core.
    """

    name: str
    meaning: str
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.meaning.strip():
            raise RecordError("a Term needs a name and a meaning")


@dataclass(frozen=True)
class View:
    """How the web UI shows one noun: a Jinja2 template rendered on the server, escaping on.

    Every value reaches the page as text: escaping cannot be turned off (`|safe` and
    `{% autoescape %}` are refused), the markup is checked against an allowlist (no script,
    event handlers, `javascript:` links or forms; frames only as sandboxed `srcdoc`
    previews) and the page forbids inline script. A view that fails is replaced by the
    generic view, with a notice.

    Attributes:
        noun: The Pydantic model class shown (or its class name).
        template: Jinja2 source for one value, `value`. Also available: `noun` (the class
            name), `line_link(path, line, column)` (opens a project file at a line in the
            editor), `generic(x)` (the generic view of any value), `plural(n, word)`, and
            whatever `prepare` returns.
        list_template: Optional Jinja2 source for a list of values, `values` (a registry as
            one table); without it a list shows each value with `template`.
        prepare: Optional `prepare(value) -> dict` computing more template variables in
            Python (a rendered preview); its strings are escaped like any value.
        name: The noun's class name; derived from `noun`.
        plugin: Stamped by the core.
        distribution: Stamped by the core.
    """

    noun: type[BaseModel] | str
    template: str
    list_template: str | None = None
    prepare: Callable[[Any], dict[str, Any]] | None = None
    name: str = ""
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        name = self.noun if isinstance(self.noun, str) else getattr(self.noun, "__name__", "")
        if not isinstance(self.noun, str) and not hasattr(self.noun, "model_fields"):
            raise RecordError(f"View.noun must be a Pydantic model class, got {self.noun!r}")
        if not name.isidentifier():
            raise RecordError(f"View.noun {self.noun!r} is not a class name")
        object.__setattr__(self, "name", name)
        if not isinstance(self.template, str) or not self.template.strip():
            raise RecordError(f"the view of {name} has no template")
        if self.prepare is not None and not callable(self.prepare):
            raise RecordError(f"the view of {name}: prepare must be callable")


PAGE_PATH_PATTERN = re.compile(r"^([a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*)?$")


@dataclass(frozen=True)
class Page:
    """A page of a plugin's own in the web UI, at `/plugins/<plugin>/<path>`.

    Rendered like a view (Jinja2, escaping always on, allowlisted markup) and served with a
    Content-Security-Policy that allows no script at all, and never given the user's token.

    Attributes:
        title: The page's title, also its link on the dashboard.
        template: Jinja2 source. Variables: `title`, `results` (the newest tool results of
            `nouns` in this agent's sessions, each with `session_id`, `session_title`,
            `tool`, `noun`, `html`: the value shown by its view), `sessions`
            (every session's summary), and the helpers of `View` templates.
        path: Path under the plugin's prefix (`""` for `/plugins/<plugin>/`, or `reports`).
        nouns: Names of the nouns whose results the page lists.
        plugin: Stamped by the core.
        distribution: Stamped by the core.
    """

    title: str
    template: str
    path: str = ""
    nouns: tuple[str, ...] = ()
    plugin: str = ""
    distribution: str = ""

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise RecordError("a Page needs a title")
        if not PAGE_PATH_PATTERN.match(self.path):
            raise RecordError(f"page path {self.path!r}: use lower-case words separated by /")
        if not isinstance(self.template, str) or not self.template.strip():
            raise RecordError(f"page {self.title!r} has no template")
        nouns = tuple(n if isinstance(n, str) else getattr(n, "__name__", "") for n in self.nouns)
        object.__setattr__(self, "nouns", nouns)


Record = Tool | Noun | Skill | Validator | Term | View | Page


def stamp(record: Record, plugin: str, distribution: str) -> Record:
    """A copy of the record attributed to its plugin and distribution."""
    return replace(record, plugin=plugin, distribution=distribution)


Status = Literal["active", "failed", "skipped", "conflict"]
"""Where a plugin stands after loading."""


@dataclass
class PluginInfo:
    """What `punie plugins` reports for one plugin.

    Attributes:
        name: The entry-point name (the plugin's name).
        distribution: The distribution that provides it.
        version: The distribution's version.
        status: `active`, `failed`, `skipped` or `conflict`.
        error: Why it is not active (None when it is).
        phase: Where it failed: `load`, `validate`, `collect`, `conflict` or `render`.
        hooks: The hooks it implements.
        records: What it adds, by kind (`tools`, `nouns`, `skills`, `validators`, `vocabulary`).
        builtin: True for Punie's own core plugin.
    """

    name: str
    distribution: str
    version: str
    status: Status = "active"
    error: str | None = None
    phase: str | None = None
    hooks: list[str] = field(default_factory=list)
    records: dict[str, list[Record]] = field(default_factory=dict)
    builtin: bool = False

    def names(self, kind: str) -> list[str]:
        """Sorted names of the records of one kind (`tools`, `nouns`, ...)."""
        return sorted(r.name for r in self.records.get(kind, []))

    @property
    def tools(self) -> list[Tool]:
        """The tools it adds."""
        return [r for r in self.records.get("tools", []) if isinstance(r, Tool)]

    @property
    def nouns(self) -> list[Noun]:
        """The nouns it adds (declared, and found in its tools' signatures)."""
        return [r for r in self.records.get("nouns", []) if isinstance(r, Noun)]

    @property
    def skills(self) -> list[Skill]:
        """The skills it adds."""
        return [r for r in self.records.get("skills", []) if isinstance(r, Skill)]

    @property
    def validators(self) -> list[Validator]:
        """The validators it adds."""
        return [r for r in self.records.get("validators", []) if isinstance(r, Validator)]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `punie plugins --json`."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "tools": self.names("tools"),
            "nouns": self.names("nouns"),
            "skills": self.names("skills"),
            "validators": self.names("validators"),
        }
