"""Real projects in each layout for the spec tests: spec-kit, Agent OS, Kiro, nested AGENTS.md."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (relative path -> dedented text, or raw bytes) under `root`."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args], cwd=root, check=True, capture_output=True
    )


SPEC_KIT_SPEC = """
# Feature Specification: User authentication

**Feature Branch**: `001-user-auth`

## User Scenarios & Testing

### User Story 1 - Sign up (Priority: P1)

A visitor creates an account.

**Acceptance Scenarios**:

1. **Given** no account, **When** the visitor signs up, **Then** an account exists

## Requirements *(mandatory)*

<!--
  - **FR-999**: a template example inside a comment is not a requirement
-->

### Functional Requirements

- **FR-001**: System MUST let visitors sign up with an email address
- **FR-002**: System MUST reject malformed email addresses
- **FR-003**: System MUST store password hashes, never passwords
- **FR-004**: System MUST lock an account after [NEEDS CLARIFICATION: how many failed logins?]

## Success Criteria *(mandatory)*

- **SC-001**: 95% of visitors finish signing up in under a minute
"""

SPEC_KIT_TASKS = """
# Tasks: User authentication

- [x] T001 [P] [US1] Create the users table in app/models.py
- [ ] T002 [US1] Sign-up view in app/views.py (FR-001, FR-002)
- [ ] T003 Lockout after failed logins FR-004
"""

CONSTITUTION = """
# Shop Constitution

## Core Principles

### I. Test-First (NON-NEGOTIABLE)
Tests MUST be written before the code they test.

### II. Observability
- Code MUST NOT use `print` for logging; use the `logging` module.
- Views SHOULD NOT query the database directly; go through services.
"""


def spec_kit_project(root: Path) -> Path:
    """A spec-kit project on the git branch `001-user-auth`, with two spec folders."""
    write_tree(
        root,
        {
            ".specify/memory/constitution.md": CONSTITUTION,
            "specs/001-user-auth/spec.md": SPEC_KIT_SPEC,
            "specs/001-user-auth/plan.md": "# Implementation Plan: User authentication\n",
            "specs/001-user-auth/tasks.md": SPEC_KIT_TASKS,
            "specs/002-search/spec.md": (
                "# Feature Specification: Search\n\n- **FR-001**: System MUST search products\n"
            ),
            "app/__init__.py": "",
        },
    )
    git(root, "init", "-q")
    git(root, "checkout", "-q", "-b", "001-user-auth")
    return root


KIRO_REQUIREMENTS = """
# Requirements Document

## Introduction

Password reset by email.

## Requirements

### Requirement 1

**User Story:** As a user, I want to reset my password, so that I can log in again.

#### Acceptance Criteria

1. WHEN a user asks for a reset THEN THE system SHALL email a single-use link
2. IF the link is older than one hour THEN THE system SHALL reject it

### Requirement 2

**User Story:** As an admin, I want resets logged.

#### Acceptance Criteria

1. WHEN a reset succeeds THEN THE system SHALL write an audit entry
"""

KIRO_TASKS = """
# Implementation Plan

- [x] 1. Reset token model
  - _Requirements: 1.1, 1.2_
- [ ] 2. Reset email view
  - Send the link
  - _Requirements: 1.1_
- [ ] 3. Audit log entry
  - _Requirements: 2.1, 9.9_
"""


def kiro_project(root: Path) -> Path:
    return write_tree(
        root,
        {
            ".kiro/steering/product.md": "# Product\n\nA shop for rare teas.\n",
            ".kiro/steering/tech.md": (
                "---\ninclusion: always\n---\n# Tech\n\n- Services MUST NOT import from views.\n"
            ),
            ".kiro/steering/components.md": (
                '---\ninclusion: fileMatch\nfileMatchPattern: "app/components/*.py"\n---\n'
                "# Components\n\n- Components MUST NOT call `requests`.\n"
            ),
            ".kiro/specs/password-reset/requirements.md": KIRO_REQUIREMENTS,
            ".kiro/specs/password-reset/design.md": (
                "# Design Document\n\n## Overview\n\nTokens in the database.\n"
            ),
            ".kiro/specs/password-reset/tasks.md": KIRO_TASKS,
        },
    )


def agent_os_base(base: Path) -> Path:
    """An Agent OS base install with a `rails` profile that inherits from `base`."""
    return write_tree(
        base,
        {
            "config.yml": """
                version: 3.0
                default_profile: base
                profiles:
                  rails:
                    inherits_from: base
            """,
            "profiles/base/standards/global/style.md": "# Style\n\n- Functions SHOULD be short.\n",
            "profiles/base/standards/backend/api.md": "# API (base)\n\nBase API rules.\n",
            "profiles/rails/standards/backend/api.md": (
                "# API (rails)\n\n- Controllers MUST NOT call `eval`.\n"
            ),
            "profiles/rails/standards/index.yml": """
                backend:
                  api:
                    description: REST endpoints, versioning and errors
            """,
        },
    )


def agent_os_project(root: Path) -> Path:
    return write_tree(
        root,
        {
            "agent-os/config.yml": "profile: rails\n",
            "agent-os/standards/index.yml": """
                # Agent OS Standards Index

                global:
                  naming:
                    description: How modules, classes and tests are named
                testing:
                  test-writing:
                    description: Needs description - run /index-standards
            """,
            "agent-os/standards/global/naming.md": (
                "# Naming\n\n- Test modules MUST be named test_*.py.\n"
            ),
            "agent-os/standards/testing/test-writing.md": (
                "# Writing tests\n\nOne behaviour per test.\n"
            ),
            "agent-os/product/mission.md": "# Mission\n\nSell rare teas online.\n",
            "agent-os/product/roadmap.md": "# Roadmap\n\n1. Checkout\n",
            "agent-os/specs/2026-01-20-1430-checkout/shape.md": """
                # Checkout - Shaping Notes

                ## Requirements

                - **REQ-001**: Checkout MUST take card payments
                - **REQ-002**: Checkout MUST email a receipt

                ## Open Questions

                - [ ] Which payment provider?
                - [x] Do we ship abroad? (yes)
            """,
            "agent-os/specs/2026-01-20-1430-checkout/plan.md": """
                # Checkout - Plan

                - [x] 1. Payment form (REQ-001)
                - [ ] 2. Receipt email (REQ-002)
            """,
        },
    )


def nested_agents_project(root: Path) -> Path:
    """AGENTS.md at the root and nested two levels deep."""
    return write_tree(
        root,
        {
            "AGENTS.md": "# Shop\n\n- NEVER commit secrets to the repository.\n",
            "app/AGENTS.md": "# App\n\n- Code MUST NOT use `print`; use logging.\n",
            "app/api/AGENTS.md": "# API\n\n- Handlers MUST NOT use `time.sleep`.\n",
            "app/api/views.py": "def index():\n    return 'ok'\n",
            "scripts/tool.py": "print('hi')\n",
            "node_modules/pkg/AGENTS.md": "# vendored: never read\n",
        },
    )
