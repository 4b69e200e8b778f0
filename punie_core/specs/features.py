"""Feature specs: the spec folders of a project, the active one, and what a spec says.

Layouts, read as they are:

* spec-kit: `specs/NNN-name/` with `spec.md` (`FR-001` requirements, `SC-001` success
  criteria, `[NEEDS CLARIFICATION: ...]`), `plan.md`, `tasks.md` (`- [ ] T001 [P] [US1] ...`).
* Agent OS: `agent-os/specs/YYYY-MM-DD[-HHMM]-slug/` with `shape.md`, `plan.md`, `spec.md`,
  `tasks.md`, `planning/requirements.md` (requirement ids where the team writes them).
* Kiro: `.kiro/specs/<feature>/requirements.md` (`### Requirement N` with numbered EARS
  acceptance criteria, ids `N.M`), `design.md`, `tasks.md` (`_Requirements: 1.1, 2.3_`).

The active feature is the one named explicitly (an argument, `PUNIE_FEATURE` or spec-kit's
`SPECIFY_FEATURE`), else the one the git branch names (`001-user-auth`, `feature/user-auth`),
else the most recently changed spec folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from punie_core.specs.layers import Entry, make_entry, markdown_files, read_text
from punie_core.specs.nouns import Requirement, Spec, SpecTask

LAYOUT_ROOTS = (("spec-kit", "specs"), ("agent-os", "agent-os/specs"), ("kiro", ".kiro/specs"))
"""Where each layout keeps its feature folders, relative to the project root."""

SPEC_KIT_FOLDER = re.compile(r"^\d{3,}-")


class FeatureNotFound(LookupError):
    """No spec folder matches the feature asked for (the message lists the known ones)."""


@dataclass(frozen=True)
class Feature:
    """A spec folder.

    Attributes:
        name: The folder's name (`001-user-auth`, `2026-01-20-user-auth`, `user-auth`).
        layout: `spec-kit`, `agent-os` or `kiro`.
        path: The folder.
        relative: The folder relative to the project root.
    """

    name: str
    layout: str
    path: Path
    relative: str


def list_features(root: Path) -> list[Feature]:
    """Every spec folder of the project, sorted by layout then name."""
    found = []
    for layout, base in LAYOUT_ROOTS:
        folder = root / base
        if not folder.is_dir():
            continue
        for child in sorted(folder.iterdir()):
            if not child.is_dir() or child.name.startswith("."):
                continue
            if layout == "spec-kit" and not (
                SPEC_KIT_FOLDER.match(child.name) or (child / "spec.md").exists()
            ):
                continue
            found.append(Feature(child.name, layout, child, f"{base}/{child.name}"))
    return found


def git_branch(root: Path) -> str | None:
    """The checked-out branch, read from `.git/HEAD` (no git process; worktrees included)."""
    folder = root
    for _ in range(8):
        dot_git = folder / ".git"
        if dot_git.is_file():
            text, _ = read_text(dot_git, folder)
            if text.startswith("gitdir:"):
                dot_git = (folder / text.split(":", 1)[1].strip()).resolve()
        if dot_git.is_dir():
            # A worktree's git dir lives elsewhere by design; only its own HEAD is read, and
            # only to match a branch name against spec folders (never shown).
            head, _ = read_text(dot_git / "HEAD", dot_git)
            if head.startswith("ref: refs/heads/"):
                return head[len("ref: refs/heads/") :].strip()
            return None
        if folder.parent == folder:
            return None
        folder = folder.parent
    return None


def _slug(name: str) -> str:
    """The descriptive part of a folder name: without spec-kit's number or Agent OS's date."""
    name = re.sub(r"^\d{4}-\d{2}-\d{2}(-\d{4})?-", "", name)
    return re.sub(r"^\d{3,}-", "", name)


def match_feature(features: list[Feature], wanted: str) -> list[Feature]:
    """Features a name picks: exact, then case-insensitive, number prefix (`001`) or slug."""
    exact = [f for f in features if f.name == wanted or f.relative == wanted.rstrip("/")]
    if exact:
        return exact
    low = wanted.lower().strip("/")
    return [
        f
        for f in features
        if f.name.lower() == low
        or f.name.lower().startswith(low + "-")
        or _slug(f.name).lower() == _slug(low)
    ]


def changed_at(folder: Path) -> float:
    """The newest modification time among a spec folder's files (two levels deep)."""
    newest = 0.0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    newest = max(newest, entry.stat().st_mtime)
                    if entry.is_dir():
                        with os.scandir(entry.path) as inner:
                            for item in inner:
                                newest = max(newest, item.stat().st_mtime)
                except OSError:
                    continue
    except OSError:
        return 0.0
    return newest


def active_feature(root: Path, explicit: str | None = None) -> tuple[Feature | None, str]:
    """The feature to work on and how it was chosen (`explicit`, `env`, `branch`, `recent`).

    Raises:
        FeatureNotFound: An explicit name (argument or environment) matches no spec folder,
            or several.
    """
    features = list_features(root)
    for how, wanted in (
        ("explicit", explicit),
        ("env", os.environ.get("PUNIE_FEATURE") or os.environ.get("SPECIFY_FEATURE")),
    ):
        if wanted:
            matches = match_feature(features, wanted)
            if len(matches) == 1:
                return matches[0], how
            known = ", ".join(f.name for f in features) or "none"
            if matches:
                names = ", ".join(f.relative for f in matches)
                raise FeatureNotFound(f"feature {wanted!r} is ambiguous: {names}")
            raise FeatureNotFound(f"no spec folder for feature {wanted!r}; known: {known}")
    if not features:
        return None, ""
    branch = git_branch(root)
    if branch:
        for candidate in (branch, branch.rsplit("/", 1)[-1]):
            matches = match_feature(features, candidate)
            if not matches and SPEC_KIT_FOLDER.match(candidate):
                number = candidate.split("-", 1)[0]
                matches = [f for f in features if f.name.startswith(number + "-")]
            if len(matches) == 1:
                return matches[0], "branch"
    newest = max(features, key=lambda f: (changed_at(f.path), f.relative))
    return newest, "recent"


# --- reading a spec ---------------------------------------------------------------------------

REQUIREMENT_LINE = re.compile(
    r"^\s*(?:[-*+]\s+|\d+\.\s+)?(?:\*\*|__)?\[?(?P<id>[A-Z]{1,5}-\d{1,4})\]?(?:\*\*|__)?"
    r"\s*(?:[:.)\u2013\u2014-]\s*)?(?:\*\*|__)?\s*(?P<text>.*)$"
)
"""`- **FR-001**: System MUST ...`, `FR-001: ...`, `- [SC-002] ...` (spec-kit and free-form)."""

TABLE_ROW = re.compile(
    r"^\s*\|\s*(?:\*\*)?(?P<id>[A-Z]{1,5}-\d{1,4})(?:\*\*)?\s*\|\s*(?P<text>[^|]*?)\s*\|"
)
"""`| FR-001 | System MUST ... |`: requirements kept in a table."""
STRICT_ID = re.compile(r"[A-Z]{2,5}-\d{3}|\d+\.\d+")
"""Ids a task may name that no requirement defines and still be taken for a requirement id (and
reported): `FR-009`, `9.9`. Looser words (`UTF-8`, `ISO-8601`) count only when defined."""
CLARIFICATION = re.compile(r"\[NEEDS CLARIFICATION:?\s*([^\]]*)\]", re.IGNORECASE)
TASK_LINE = re.compile(r"^(?P<indent>\s*)[-*+]\s+\[(?P<mark>[ xX])\]\s+(?P<text>.*)$")
TASK_ID = re.compile(r"^(?:\*\*)?(?P<id>T\d{2,}|\d+(?:\.\d+)*)(?:\*\*)?\.?(?:\s+|$)")
STORY_LABEL = re.compile(r"\[(US\d+)\]")
LABEL = re.compile(r"\[(?:P|US\d+|Story \d+)\]\s*")
KIRO_REFERENCES = re.compile(
    r"_?Requirements?:\s*([0-9.,\s]+|[A-Z]{1,5}-\d{1,4}(?:\s*,\s*[A-Z]{1,5}-\d{1,4})*)_?"
)
ID_IN_TEXT = re.compile(r"\b[A-Z]{1,5}-\d{1,4}\b")
KIRO_REQUIREMENT = re.compile(r"^#{2,4}\s+Requirement\s+(\d+)\b", re.IGNORECASE)
USER_STORY = re.compile(r"^#{2,4}\s+User Story\s+(\d+)\b", re.IGNORECASE)
NUMBERED = re.compile(r"^\s*(\d+)\.\s+(.+)$")
QUESTIONS_HEADING = re.compile(
    r"open questions|questions|clarifications? needed|unresolved", re.IGNORECASE
)
NOT_REQUIREMENT_PREFIXES = frozenset({"T"})
"""`T001` is a task id, never a requirement."""


@dataclass
class _Reader:
    """Accumulates what the files of one spec folder say."""

    spec: Spec
    defined: dict[str, str] = field(default_factory=dict)  # id -> "file:line"
    stories: dict[str, list[str]] = field(default_factory=dict)  # US1 -> requirement ids
    task_refs: list[tuple[SpecTask, str]] = field(default_factory=list)  # (task, "file:line")
    task_stories: list[tuple[SpecTask, list[str]]] = field(default_factory=list)  # [US1] labels

    def add_requirement(self, rid: str, text: str, where: str, story: str | None) -> None:
        text = CLARIFICATION.sub(lambda m: f"[NEEDS CLARIFICATION: {m.group(1).strip()}]", text)
        text = text.strip().rstrip("*_").strip()
        if rid in self.defined:
            self.spec.findings.append(
                f"{where}: {rid} is defined twice (first at {self.defined[rid]})"
            )
            return
        if not text:
            self.spec.findings.append(f"{where}: {rid} has no text")
        self.defined[rid] = where
        item = Requirement(id=rid, text=text)
        if rid.startswith("SC-"):
            self.spec.criteria.append(item)
        else:
            self.spec.requirements.append(item)
            if story:
                self.stories.setdefault(story, []).append(rid)


def visible_lines(text: str, where: str, findings: list[str]) -> list[tuple[int, str]]:
    """Lines outside HTML comments and code fences, numbered from 1; unclosed ones are findings."""
    out: list[tuple[int, str]] = []
    in_comment = in_fence = False
    opened = 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_fence:
            if stripped.startswith("```") or stripped.startswith("~~~"):
                in_fence = False
            continue
        if in_comment:
            if "-->" in line:
                in_comment = False
                line = line.split("-->", 1)[1]
                if not line.strip():
                    continue
            else:
                continue
        if stripped.startswith("```") or stripped.startswith("~~~"):
            in_fence, opened = True, number
            continue
        while "<!--" in line:
            before, after = line.split("<!--", 1)
            if "-->" in after:
                line = before + after.split("-->", 1)[1]
            else:
                line, in_comment, opened = before, True, number
                break
        out.append((number, line))
    if in_comment:
        findings.append(
            f"{where}:{opened}: an HTML comment is never closed (`-->`): "
            "the rest of the file is hidden"
        )
    if in_fence:
        findings.append(
            f"{where}:{opened}: a code fence is never closed: the rest of the file is hidden"
        )
    return out


def _read_file(reader: _Reader, path: Path, shown: str, layout: str, root: Path) -> None:
    spec = reader.spec
    text, problem = read_text(path, root)
    if problem:
        spec.findings.append(f"{shown}: {problem}")
        return
    lines = visible_lines(text, shown, spec.findings)
    name = path.name.lower()
    is_tasks = name == "tasks.md"
    kiro_requirement: str | None = None
    in_criteria = False
    story: str | None = None
    questions_level = 0
    last_task: SpecTask | None = None
    for number, line in lines:
        where = f"{shown}:{number}"
        stripped = line.strip()
        for match in CLARIFICATION.finditer(line):
            rid = REQUIREMENT_LINE.match(line) or TABLE_ROW.match(line)
            prefix = f"{rid.group('id')}: " if rid else ""
            spec.open_questions.append(f"{prefix}{match.group(1).strip()} ({where})")
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            if questions_level and level <= questions_level:
                questions_level = 0
            if QUESTIONS_HEADING.search(title):
                questions_level = level
            kiro = KIRO_REQUIREMENT.match(stripped)
            if kiro:
                kiro_requirement, in_criteria = kiro.group(1), False
            elif level <= 2:
                kiro_requirement = None
            if re.search(r"acceptance criteria", title, re.IGNORECASE):
                in_criteria = kiro_requirement is not None
            user_story = USER_STORY.match(stripped)
            if user_story:
                story = f"US{user_story.group(1)}"
            elif level <= 2:
                story = None
            continue
        if questions_level and not CLARIFICATION.search(line):
            item = re.match(r"^\s*(?:[-*+]|\d+\.)\s+(?:\[( |x|X)\]\s+)?(.+)$", line)
            if item and item.group(1) in (None, " "):
                spec.open_questions.append(f"{item.group(2).strip()} ({where})")
            continue
        task = TASK_LINE.match(line)
        if task and (is_tasks or layout == "agent-os"):
            last_task = _task(reader, task.group("text"), task.group("mark") != " ", where)
            continue
        if last_task is not None and line[:1].isspace():
            refs = KIRO_REFERENCES.search(stripped)
            if refs:
                ids = [i.strip() for i in refs.group(1).split(",") if i.strip().strip(".")]
                last_task.requirement_ids.extend(
                    i.strip(".") for i in ids if i.strip(".") not in last_task.requirement_ids
                )
                reader.task_refs.append((last_task, where))
                continue
        if not line[:1].isspace():
            last_task = None
        if is_tasks:
            continue
        if in_criteria and kiro_requirement:
            numbered = NUMBERED.match(line)
            if numbered:
                reader.add_requirement(
                    f"{kiro_requirement}.{numbered.group(1)}", numbered.group(2), where, None
                )
                continue
        requirement = REQUIREMENT_LINE.match(line) or TABLE_ROW.match(line)
        if requirement and requirement.group("id").split("-")[0] not in NOT_REQUIREMENT_PREFIXES:
            reader.add_requirement(requirement.group("id"), requirement.group("text"), where, story)


def _task(reader: _Reader, text: str, done: bool, where: str) -> SpecTask:
    tid_match = TASK_ID.match(text.strip())
    position = str(len(reader.spec.tasks) + 1)
    tid = tid_match.group("id") if tid_match else position
    body = text.strip()[tid_match.end() :] if tid_match else text.strip()
    stories = STORY_LABEL.findall(body)
    ids = [i for i in ID_IN_TEXT.findall(body) if i.split("-")[0] not in NOT_REQUIREMENT_PREFIXES]
    refs = KIRO_REFERENCES.search(body)
    if refs:
        ids += [i.strip().strip(".") for i in refs.group(1).split(",") if i.strip().strip(".")]
        body = KIRO_REFERENCES.sub("", body)
    task = SpecTask(
        id=tid,
        text=LABEL.sub("", body).strip(),
        done=done,
        requirement_ids=list(dict.fromkeys(ids)),
    )
    reader.spec.tasks.append(task)
    if task.requirement_ids:
        reader.task_refs.append((task, where))
    reader.task_stories.append((task, stories))
    return task


FILE_ORDER = {
    "spec.md": 0,
    "requirements.md": 0,
    "shape.md": 1,
    "plan.md": 2,
    "design.md": 2,
    "tasks.md": 3,
}


def spec_files(feature: Feature, root: Path) -> list[Path]:
    """The Markdown files of a spec folder: the spec first, then plan/design, then tasks
    (links leading outside `root` are listed, for the reader to report, never followed)."""
    files = markdown_files(feature.path, root)
    return sorted(
        files,
        key=lambda p: (FILE_ORDER.get(p.name.lower(), 4), p.relative_to(feature.path).as_posix()),
    )


def read_spec(root: Path, feature: Feature) -> Spec:
    """Everything a spec folder says, with findings for what is missing or malformed."""
    spec = Spec(feature=feature.name, path=feature.relative, layout=feature.layout)
    reader = _Reader(spec)
    files = spec_files(feature, root)
    if not files:
        spec.findings.append(f"{feature.relative}: the spec folder has no Markdown files")
    for path in files:
        _read_file(reader, path, path.relative_to(root).as_posix(), feature.layout, root)
    known = {r.id for r in spec.requirements} | {c.id for c in spec.criteria}
    for task in spec.tasks:
        task.requirement_ids = [
            i for i in task.requirement_ids if i in known or STRICT_ID.fullmatch(i)
        ]
    for task, stories in reader.task_stories:
        for story in stories:
            for rid in reader.stories.get(story, []):
                if rid not in task.requirement_ids:
                    task.requirement_ids.append(rid)
    reported: set[tuple[int, str]] = set()
    for task, where in reader.task_refs:
        for rid in task.requirement_ids:
            if rid not in known and (id(task), rid) not in reported:
                reported.add((id(task), rid))
                spec.findings.append(
                    f"{where}: task {task.id} names {rid}, which no requirement defines"
                )
    if files and not spec.requirements:
        expected = (
            "`### Requirement 1` with numbered acceptance criteria in requirements.md"
            if feature.layout == "kiro"
            else "`- **FR-001**: System MUST ...` lines"
        )
        spec.findings.append(
            f"{feature.relative}: no requirements with ids found (expected {expected})"
        )
    return spec


def feature_entries(root: Path, feature: Feature) -> list[Entry]:
    """The active feature's files as context entries."""
    source = f"{feature.layout} spec"
    return [
        make_entry(
            "feature",
            source,
            f"feature/{path.relative_to(feature.path).with_suffix('').as_posix()}",
            path,
            path.relative_to(root).as_posix(),
            within=root,
        )
        for path in spec_files(feature, root)
    ]
