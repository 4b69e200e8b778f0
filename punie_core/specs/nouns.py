"""The nouns of spec-driven work: context files, specs, requirement status, rule violations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["org", "project", "feature"]
RequirementState = Literal["passing", "failing", "uncovered"]


class ContextFile(BaseModel):
    """One context document found in the organisation, project or feature layer.

    Attributes:
        level: `org`, `project` or `feature`.
        source: Where it comes from: `standards`, `agent-os profile NAME`, `AGENTS.md`,
            `spec-kit constitution`, `agent-os standards`, `agent-os product`,
            `kiro steering`, `spec-kit spec`, `agent-os spec` or `kiro spec`.
        name: Its short name; `context_layers(name)` returns its text.
        path: The file, relative to the project root (absolute for organisation files).
        scope: Where it applies: the folder an AGENTS.md governs (the closest one to an
            edited file wins) or a Kiro `fileMatch` pattern; empty for everywhere.
        description: One line: the index's description, front matter or first heading.
        tokens: Estimated tokens of its text.
        text: Its text, only when asked for by name.
        problem: Why it could not be read or parsed (empty when it could).
    """

    level: Level
    source: str
    name: str
    path: str
    scope: str = ""
    description: str = ""
    tokens: int = 0
    text: str = ""
    problem: str = ""


class Requirement(BaseModel):
    """A requirement or success criterion with its id (`FR-001`, `SC-001`, Kiro `1.2`)."""

    id: str
    text: str


class SpecTask(BaseModel):
    """One task of the feature's task list.

    Attributes:
        id: `T001` (spec-kit), `1.2` (Kiro, Agent OS) or the task's position.
        text: The task's text, without its checkbox and id.
        done: True when checked (`- [x]`).
        requirement_ids: The requirements it serves (ids in its text, Kiro's
            `_Requirements: 1.1_`, or the requirements of its `[US1]` user story).
    """

    id: str
    text: str
    done: bool
    requirement_ids: list[str] = Field(default_factory=list)


class Spec(BaseModel):
    """The active feature's spec, read from its folder in the layout it uses.

    Attributes:
        feature: The feature's name (its folder's name).
        path: The spec folder, relative to the project root.
        layout: `spec-kit`, `agent-os` or `kiro`.
        requirements: Requirements with ids, in file order.
        criteria: Success criteria (`SC-001`), in file order.
        tasks: Tasks with done state.
        open_questions: `[NEEDS CLARIFICATION: ...]` markers and open-question items.
        findings: Problems with the spec files, each naming the file.
    """

    feature: str
    path: str
    layout: str
    requirements: list[Requirement] = Field(default_factory=list)
    criteria: list[Requirement] = Field(default_factory=list)
    tasks: list[SpecTask] = Field(default_factory=list)
    open_questions: list[str] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)


class RequirementStatus(BaseModel):
    """Whether the tests that cover a requirement pass.

    Attributes:
        id: The requirement's id.
        status: `passing` (covered, every covering test passed), `failing` (a covering test
            failed or errored) or `uncovered` (no test ran for it).
        tests: Node ids of the tests that ran for it (passed, failed or errored); skipped and
            xfailed tests cover nothing, so an `uncovered` requirement has none.
    """

    id: str
    status: RequirementState
    tests: list[str] = Field(default_factory=list)


class SpecStatus(BaseModel):
    """Each requirement of a feature with the tests covering it, from a real pytest run.

    Attributes:
        feature: The feature's name.
        requirements: One status per requirement, in spec order.
        passing: Requirements whose tests all passed.
        failing: Requirements with a failing covering test.
        uncovered: Requirements no test covers.
        tasks_done: Tasks checked done.
        tasks_total: Tasks in the task list.
        findings: Problems: spec files, tests naming unknown ids, a pytest run that failed.
    """

    feature: str
    requirements: list[RequirementStatus] = Field(default_factory=list)
    passing: int = 0
    failing: int = 0
    uncovered: int = 0
    tasks_done: int = 0
    tasks_total: int = 0
    findings: list[str] = Field(default_factory=list)


class SpecViolation(BaseModel):
    """A MUST/SHOULD rule of a context file that a plan or diff breaks.

    Attributes:
        level: `MUST` or `SHOULD`.
        rule: The rule's line, as written.
        path: The file holding the rule.
        line: The rule's line number in that file.
        match: What in the checked text breaks it.
    """

    level: Literal["MUST", "SHOULD"]
    rule: str
    path: str
    line: int
    match: str
