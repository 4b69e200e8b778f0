"""Which workspace files other programs run or obey: the one list the permission gate uses.

A file is *sensitive* when writing it changes what some other program executes or how it is
configured, later and outside the agent's view: git runs hooks, pytest imports conftest.py and
the plugins its configuration names, CI systems run their pipeline files, shells source their
rc files, Python runs `.pth` lines and `sitecustomize` at start-up, direnv runs `.envrc`, the
editor runs tasks and dev containers. Writing one always needs a person's explicit yes: `--yes`,
accept-edits mode and "always allow" never cover it (see docs/security.md for the rule).

Each entry says which tool's documented behaviour puts it here. Names compare case-insensitively
(macOS and Windows file systems do). This module is the only place the list lives.
"""

from __future__ import annotations

import configparser
import contextlib
import fnmatch
import os
from pathlib import Path, PurePath

SENSITIVE_NAMES: dict[str, str] = {
    # Python start-up and packaging: run on every interpreter start or install.
    "sitecustomize.py": "imported by every Python start-up (site)",
    "usercustomize.py": "imported by every Python start-up (site)",
    "setup.py": "run by pip and setuptools on install",
    "noxfile.py": "run by nox",
    "conftest.py": "imported by pytest",
    # Task runners that are Python modules: the runner imports (runs) them.
    "tasks.py": "run by invoke",
    "fabfile.py": "run by fabric",
    "dodo.py": "run by doit",
    "pavement.py": "run by paver",
    "conf.py": "run by sphinx when the documentation is built (docs/conf.py)",
    # Debuggers and interactive start-up: run from the current directory.
    ".pdbrc": "commands run by pdb at every breakpoint (and pytest --pdb) in this directory",
    ".pdbrc.py": "run by pdb++ at every breakpoint",
    "ipython_config.py": "run by IPython at start-up",
    # Project managers: scripts, build hooks and the interpreter and tools they install.
    "hatch.toml": "hatch configuration (environment scripts, build hooks)",
    "pdm.toml": "pdm configuration (scripts, index URLs)",
    ".pdm.toml": "pdm configuration (scripts, index URLs)",
    "pipfile": "pipenv scripts and package sources",
    "poetry.toml": "poetry configuration (index URLs, virtualenv location)",
    "mise.toml": "mise tools, environment and tasks (run on entering the directory)",
    ".mise.toml": "mise tools, environment and tasks (run on entering the directory)",
    "mise.local.toml": "mise tools, environment and tasks (run on entering the directory)",
    ".mise.local.toml": "mise tools, environment and tasks (run on entering the directory)",
    ".tool-versions": "asdf/mise: which interpreter and tool versions run here",
    ".python-version": "which interpreter uv and pyenv run here",
    "environment.yml": "conda packages and their sources",
    "environment.yaml": "conda packages and their sources",
    ".coveragerc": "coverage configuration (plugins run under pytest-cov)",
    ".readthedocs.yaml": "Read the Docs build commands",
    ".readthedocs.yml": "Read the Docs build commands",
    # Lock files and requirement lists: what gets installed, from where (dependency substitution).
    "uv.lock": "the exact packages and sources uv installs",
    "poetry.lock": "the exact packages and sources poetry installs",
    "pdm.lock": "the exact packages and sources pdm installs",
    "pipfile.lock": "the exact packages and sources pipenv installs",
    "pylock.toml": "the exact packages and sources installers use (PEP 751)",
    # Coding-agent instructions and tool servers: every later session (Punie's own included)
    # reads them as instructions, so one write is a persistent prompt injection.
    "agents.md": "instructions every coding agent (Punie included) reads at each session",
    "agent.md": "instructions coding agents read at each session",
    "claude.md": "instructions Claude Code reads at each session",
    "claude.local.md": "instructions Claude Code reads at each session",
    "gemini.md": "instructions Gemini CLI reads at each session",
    ".cursorrules": "instructions Cursor reads at each session",
    ".windsurfrules": "instructions Windsurf reads at each session",
    ".clinerules": "instructions Cline reads at each session",
    ".goosehints": "instructions Goose reads at each session",
    "conventions.md": "instructions aider is told to read",
    ".aider.conf.yml": "aider configuration (files read, commands run)",
    ".mcp.json": "MCP servers agents start (commands they launch)",
    "mcp.json": "MCP servers agents start (commands they launch)",
    # pytest configuration (pytest docs, "Configuration file formats"): addopts, -p plugins.
    "pytest.ini": "pytest configuration (addopts, plugins)",
    ".pytest.ini": "pytest configuration (addopts, plugins)",
    "pytest.toml": "pytest configuration (addopts, plugins)",
    ".pytest.toml": "pytest configuration (addopts, plugins)",
    "tox.ini": "tox and pytest configuration (commands)",
    "setup.cfg": "pytest, flake8 and setuptools configuration",
    "pyproject.toml": "build backend, pytest, ruff and ty configuration",
    # Linters and type checkers Punie and CI run.
    "ruff.toml": "ruff configuration (extend, cache-dir)",
    ".ruff.toml": "ruff configuration (extend, cache-dir)",
    "ty.toml": "ty configuration (environment paths)",
    "mypy.ini": "mypy configuration (plugins)",
    ".mypy.ini": "mypy configuration (plugins)",
    ".flake8": "flake8 configuration",
    ".pylintrc": "pylint configuration (load-plugins)",
    "pylintrc": "pylint configuration (load-plugins)",
    # Task runners and hook managers: run on make, commit or checkout.
    "makefile": "run by make",
    "gnumakefile": "run by make",
    "justfile": "run by just",
    ".justfile": "run by just",
    "taskfile.yml": "run by task",
    "taskfile.yaml": "run by task",
    ".pre-commit-config.yaml": "hooks run by pre-commit on commit",
    ".pre-commit-config.yml": "hooks run by pre-commit on commit",
    "lefthook.yml": "hooks run by lefthook on commit",
    "lefthook.yaml": "hooks run by lefthook on commit",
    ".lefthook.yml": "hooks run by lefthook on commit",
    ".lefthook.yaml": "hooks run by lefthook on commit",
    "lefthook-local.yml": "hooks run by lefthook on commit",
    ".lefthook-local.yml": "hooks run by lefthook on commit",
    ".huskyrc": "hooks run by husky",
    ".envrc": "run by direnv on entering the directory",
    ".env": "loaded into the environment by many tools (secrets, PYTHONSTARTUP, ...)",
    # CI systems (each system's documented pipeline file).
    ".gitlab-ci.yml": "GitLab CI pipeline",
    "jenkinsfile": "Jenkins pipeline",
    "azure-pipelines.yml": "Azure Pipelines",
    "azure-pipelines.yaml": "Azure Pipelines",
    "bitbucket-pipelines.yml": "Bitbucket Pipelines",
    ".travis.yml": "Travis CI",
    "appveyor.yml": "AppVeyor",
    ".appveyor.yml": "AppVeyor",
    ".drone.yml": "Drone CI",
    ".woodpecker.yml": "Woodpecker CI",
    "cloudbuild.yaml": "Google Cloud Build",
    "cloudbuild.yml": "Google Cloud Build",
    "buildkite.yml": "Buildkite",
    "codemagic.yaml": "Codemagic",
    ".cirrus.yml": "Cirrus CI",
    ".gitpod.yml": "Gitpod start-up tasks",
    "devcontainer.json": "dev container (postCreateCommand)",
    ".devcontainer.json": "dev container (postCreateCommand)",
    # Package managers and their credentials.
    "package.json": "npm scripts (install hooks)",
    ".npmrc": "npm configuration",
    ".yarnrc": "yarn configuration",
    ".yarnrc.yml": "yarn configuration",
    ".pypirc": "package index credentials",
    "pip.conf": "pip configuration (index URL)",
    "uv.toml": "uv configuration (index URL)",
    "acp.json": "IDE agent configuration (commands it launches)",
    # git: attributes run filters, modules fetch code.
    ".gitattributes": "git filters and diff drivers",
    ".gitmodules": "git submodules",
    ".gitconfig": "git configuration (hooksPath, aliases, credential helpers)",
    # Shells and ssh, when the workspace is (under) a home directory.
    ".bashrc": "sourced by bash",
    ".bash_profile": "sourced by bash",
    ".bash_login": "sourced by bash",
    ".bash_logout": "sourced by bash",
    ".profile": "sourced by login shells",
    ".zshrc": "sourced by zsh",
    ".zshenv": "sourced by zsh",
    ".zprofile": "sourced by zsh",
    ".zlogin": "sourced by zsh",
    ".zlogout": "sourced by zsh",
    ".kshrc": "sourced by ksh",
    ".cshrc": "sourced by csh",
    ".tcshrc": "sourced by tcsh",
    ".inputrc": "readline key bindings",
    ".xinitrc": "run by startx",
    ".xprofile": "run at X login",
    ".pythonrc": "PYTHONSTARTUP file",
    ".pythonrc.py": "PYTHONSTARTUP file",
    ".netrc": "credentials used by curl, git, pip",
    ".curlrc": "curl configuration",
    ".wgetrc": "wget configuration",
    ".vimrc": "run by vim",
    ".exrc": "run by vi",
    ".nanorc": "nano configuration",
    ".tmux.conf": "run by tmux",
    ".screenrc": "run by screen",
    "authorized_keys": "ssh logins",
}
"""File names (lower case), anywhere in the workspace, with why they are sensitive."""

SENSITIVE_SUFFIXES: dict[str, str] = {
    ".pth": "lines starting with `import` run at every Python start-up (site)",
}

SENSITIVE_PATTERNS: dict[str, str] = {
    "requirements*.txt": "the packages pip installs, and index URLs (dependency substitution)",
    "requirements*.in": "the packages pip-tools pins and installs",
    "constraints*.txt": "the package versions pip installs (dependency substitution)",
}
"""Shell-style patterns (lower case) for file names, anywhere in the workspace."""

SENSITIVE_DIRECTORIES: dict[str, str] = {
    ".githooks": "git hooks (core.hooksPath)",
    ".husky": "git hooks installed by husky",
    ".git-hooks": "git hooks (core.hooksPath)",
    ".github": "GitHub Actions workflows and actions, Copilot instructions",
    ".gitlab": "GitLab CI includes",
    ".circleci": "CircleCI pipeline",
    ".buildkite": "Buildkite pipeline",
    ".azure-pipelines": "Azure Pipelines",
    ".woodpecker": "Woodpecker CI",
    ".forgejo": "Forgejo Actions",
    ".gitea": "Gitea Actions",
    ".devcontainer": "dev container (postCreateCommand)",
    ".vscode": "editor tasks and launch configurations",
    ".idea": "editor run configurations",
    ".zed": "editor tasks",
    ".ssh": "ssh keys and configuration",
    ".gnupg": "gpg keys and configuration",
    ".config": "per-user configuration of many programs (git, fish, systemd, autostart)",
    ".local": "per-user programs (~/.local/bin) and autostart",
    ".aws": "cloud credentials",
    ".kube": "cluster credentials",
    ".docker": "registry credentials",
    ".oh-my-zsh": "sourced by zsh",
    ".pytest_cache": "pytest's cache decides which tests --lf/--sw run (and it is pytest's)",
    "requirements": "requirement lists pip installs (dependency substitution)",
    ".mise": "mise tasks and configuration",
    ".cursor": "Cursor rules (instructions) and MCP servers",
    ".claude": "Claude Code settings (hooks run commands) and instructions",
    ".gemini": "Gemini CLI settings and instructions",
    ".windsurf": "Windsurf rules (instructions)",
    ".clinerules": "Cline rules (instructions)",
    ".roo": "Roo Code rules (instructions)",
    ".continue": "Continue configuration (instructions, MCP servers)",
    ".amazonq": "Amazon Q rules (instructions)",
    ".junie": "JetBrains Junie guidelines (instructions)",
    ".aiassistant": "JetBrains AI Assistant rules (instructions)",
    ".ipython": "IPython start-up scripts",
}
"""Directory names (lower case): every file below one, at any depth, is sensitive. Any other
directory git's `core.hooksPath` names is added per workspace (see `hooks_directories`)."""


def _fold(name: str) -> str:
    return name.casefold()


def sensitive_reason(relative: PurePath, hooks: frozenset[str] = frozenset()) -> str | None:
    """Why a workspace file is sensitive, or None when it is not.

    Args:
        relative: The file's path relative to the workspace root.
        hooks: Extra directories (relative, lower case, `/`-separated) that are git hook
            directories in this workspace (`core.hooksPath`).
    """
    parts = [_fold(p) for p in relative.parts]
    if not parts:
        return None
    name = parts[-1]
    if name in SENSITIVE_NAMES:
        return SENSITIVE_NAMES[name]
    for suffix, why in SENSITIVE_SUFFIXES.items():
        if name.endswith(suffix):
            return why
    for pattern, why in SENSITIVE_PATTERNS.items():
        if fnmatch.fnmatchcase(name, pattern):
            return why
    if name in SENSITIVE_DIRECTORIES:  # the directory itself (moved, deleted, replaced)
        return SENSITIVE_DIRECTORIES[name]
    for index, part in enumerate(parts[:-1]):
        if part in SENSITIVE_DIRECTORIES:
            return SENSITIVE_DIRECTORIES[part]
        if "/".join(parts[: index + 1]) in hooks:
            return "git hooks (core.hooksPath)"
    return None


def hooks_directories(root: Path) -> frozenset[str]:
    """The workspace-relative directories git runs hooks from (`core.hooksPath`), lower case.

    Read from the repository's `.git/config` and the user's git configuration (a relative
    `hooksPath` is relative to the work tree). Unreadable or absent configuration: none.
    """
    found: set[str] = set()
    for config_path in _git_configs(root):
        found |= _hooks_paths(config_path, root)
    return frozenset(found)


def _git_configs(root: Path) -> list[Path]:
    home = Path(os.path.expanduser("~"))
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return [root / ".git" / "config", home / ".gitconfig", xdg / "git" / "config"]


def _hooks_paths(config_path: Path, root: Path) -> set[str]:
    found: set[str] = set()
    with contextlib.suppress(OSError, UnicodeDecodeError, configparser.Error):
        if not config_path.is_file():
            return found
        parser = configparser.RawConfigParser(strict=False)
        parser.read_string(config_path.read_text(encoding="utf-8")[:100_000])
        for section in parser.sections():
            if section.strip().lower() != "core":
                continue
            for key, value in parser.items(section):
                if key.lower() != "hookspath" or not value:
                    continue
                target = Path(value.strip().strip('"')).expanduser()
                if not target.is_absolute():
                    target = root / target
                with contextlib.suppress(ValueError, OSError):
                    relative = Path(str(target.resolve())).relative_to(root)
                    found.add(_fold(relative.as_posix()))
    return found
