"""`punie spec new NAME`: a new spec folder from the template of the layout the project uses.

spec-kit unless the project already keeps Kiro (`.kiro/`) or Agent OS (`agent-os/`) specs:
`specs/NNN-name/spec.md` (the next free number), `.kiro/specs/name/{requirements,design,tasks}.md`
or `agent-os/specs/YYYY-MM-DD-HHMM-name/{shape,plan}.md`. Nothing is overwritten; files are
written atomically.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from punie_core.specs.features import list_features

SPEC_KIT = """\
# Feature Specification: {title}

**Feature Branch**: `{folder}`
**Created**: {date}
**Status**: Draft

## User Scenarios & Testing *(mandatory)*

### User Story 1 - {title} (Priority: P1)

[Describe this user journey in plain language]

**Acceptance Scenarios**:

1. **Given** [initial state], **When** [action], **Then** [expected outcome]

## Requirements *(mandatory)*

### Functional Requirements

- **FR-001**: System MUST [specific capability]
- **FR-002**: System MUST [NEEDS CLARIFICATION: what is not decided yet]

## Success Criteria *(mandatory)*

### Measurable Outcomes

- **SC-001**: [Measurable outcome]

<!-- Link tests with @pytest.mark.spec("FR-001"); `punie spec status` shows coverage. -->
"""

SPEC_KIT_TASKS = """\
# Tasks: {title}

- [ ] T001 [US1] Write a failing test for FR-001 marked `@pytest.mark.spec("FR-001")`
- [ ] T002 [US1] Implement FR-001
"""

KIRO_REQUIREMENTS = """\
# Requirements Document

## Introduction

{title}: [what this feature is for]

## Requirements

### Requirement 1

**User Story:** As a [role], I want [feature], so that [benefit]

#### Acceptance Criteria

1. WHEN [event] THEN THE system SHALL [response]
2. IF [precondition] THEN THE system SHALL [response]
"""

KIRO_DESIGN = """\
# Design Document

## Overview

[How {title} works]

## Correctness Properties

[For any <inputs> ... SHALL ... Validates: Requirements 1.1]
"""

KIRO_TASKS = """\
# Implementation Plan

- [ ] 1. Write a failing test for acceptance criterion 1.1 marked `@pytest.mark.spec("1.1")`
  - _Requirements: 1.1_
- [ ] 2. Implement it
  - _Requirements: 1.1, 1.2_
"""

AGENT_OS_SHAPE = """\
# {title} - Shaping Notes

## Scope

[What we are building and why]

## Requirements

- **FR-001**: System MUST [specific capability]

## Open Questions

- [ ] [What is not decided yet]
"""

AGENT_OS_PLAN = """\
# {title} - Plan

## Tasks

- [ ] 1. Write a failing test for FR-001 marked `@pytest.mark.spec("FR-001")`
- [ ] 2. Implement FR-001
"""


def slugify(name: str) -> str:
    """`User auth!` -> `user-auth` (letters, digits and dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def layout_in_use(root: Path) -> str:
    """The layout of the project's existing specs: Kiro, Agent OS, else spec-kit."""
    layouts = {f.layout for f in list_features(root)}
    if "kiro" in layouts or ((root / ".kiro").is_dir() and not layouts):
        return "kiro"
    if "agent-os" in layouts or ((root / "agent-os").is_dir() and not layouts):
        return "agent-os"
    return "spec-kit"


def new_spec(root: Path, name: str, now: datetime | None = None) -> tuple[Path, list[Path]]:
    """Write a new spec folder for `name`; return it and the files written.

    Raises:
        ValueError: The name has no letters or digits.
        FileExistsError: A spec folder of that name exists already.
    """
    from punie_core.security.workspace import atomic_write_text

    slug = slugify(name)
    if not slug:
        raise ValueError(f"spec name {name!r} needs letters or digits")
    now = now or datetime.now()
    layout = layout_in_use(root)
    title = (
        " ".join(name.split())
        if not name.strip().islower()
        else slug.replace("-", " ").capitalize()
    )
    if layout == "kiro":
        folder = root / ".kiro" / "specs" / slug
        files = {
            "requirements.md": KIRO_REQUIREMENTS,
            "design.md": KIRO_DESIGN,
            "tasks.md": KIRO_TASKS,
        }
    elif layout == "agent-os":
        folder = root / "agent-os" / "specs" / f"{now:%Y-%m-%d-%H%M}-{slug}"
        files = {"shape.md": AGENT_OS_SHAPE, "plan.md": AGENT_OS_PLAN}
    else:
        existing = [f for f in list_features(root) if f.layout == "spec-kit"]
        taken = [f.name for f in existing if f.name.split("-", 1)[-1] == slug]
        if taken:
            raise FileExistsError(f"a spec for {slug!r} exists already: specs/{taken[0]}")
        numbers = [int(m.group(1)) for f in existing if (m := re.match(r"^(\d+)-", f.name))]
        folder = root / "specs" / f"{max(numbers, default=0) + 1:03d}-{slug}"
        files = {"spec.md": SPEC_KIT, "tasks.md": SPEC_KIT_TASKS}
    if folder.exists():
        raise FileExistsError(f"{folder.relative_to(root).as_posix()} exists already")
    folder.mkdir(parents=True)
    written = []
    for filename, template in files.items():
        path = folder / filename
        atomic_write_text(
            path, template.format(title=title, folder=folder.name, date=f"{now:%Y-%m-%d}")
        )
        written.append(path)
    return folder, written
