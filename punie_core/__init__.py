"""Punie core: the public API every Punie plugin builds on (the only module plugins import from).

Plugin modules import what they need from here, never from the core's packages:

    from punie_core import hookimpl, Tool, Noun, Skill, Validator, Finding, Term
    from punie_core import tool_context, workspace_path, Diagnostic, parse_module, walk

Test helpers for plugin authors live in `punie_core.testing`. Everything else under
`punie_core` is internal and may move; docs/plugins/api.md lists what is here and why.
"""

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs `punie --help` 10 ms
if TYPE_CHECKING:
    from punie_core.plugins.changes import WorkspaceChange
    from punie_core.plugins.context import (
        AskCallback,
        AutoApprove,
        CommandResult,
        PermissionRequest,
        RefuseAll,
        ToolContext,
        kill_group,
        tool_context,
        using_context,
    )
    from punie_core.plugins.hookspecs import hookimpl
    from punie_core.plugins.loader import load_toolbox
    from punie_core.plugins.records import (
        Finding,
        Noun,
        Page,
        PluginUnavailable,
        Skill,
        Term,
        Tool,
        Validator,
        View,
    )
    from punie_core.plugins.toolbox import (
        Toolbox,
        ToolRefused,
        current_call_id,
        new_call_id,
        require_approval,
        workspace_path,
    )
    from punie_core.sandbox.runner import run_sync
    from punie_core.security.workspace import PROTECTED_PARTS, ProtectedPath
    from punie_core.validation.files import (
        iter_source_files,
        project_files,
        project_root,
        read_source,
        resolve_module,
        run_cached,
        validation_run,
    )
    from punie_core.validation.findings import Diagnostic, format_finding
    from punie_core.validation.libraries import (
        LibraryVersion,
        library_version,
        parse_version,
        rule_applies,
    )
    from punie_core.validation.parsing import iter_children, parse_module, walk
    from punie_core.validation.pipeline import check_paths, validate_source
    from punie_core.validation.sources import (
        FileCache,
        Import,
        Param,
        ParamKind,
        ParsedModule,
        SourceCache,
        decorator_names,
        dotted,
        file_identity,
        import_bindings,
        parameters,
    )
    from punie_core.validation.syntax import syntax_findings

# Public name -> the module defining it. Loaded on first use (PEP 562), so `punie --help` does
# not pay for pluggy, pydantic or libcst, and a plugin pays only for what it uses.
_LAZY: dict[str, str] = {
    # Hooks and the records plugins yield.
    "hookimpl": "punie_core.plugins.hookspecs",
    "WorkspaceChange": "punie_core.plugins.changes",
    **dict.fromkeys(
        (
            "Finding",
            "Noun",
            "Page",
            "PluginUnavailable",
            "Skill",
            "Term",
            "Tool",
            "Validator",
            "View",
        ),
        "punie_core.plugins.records",
    ),
    # What a running tool sees: its context, the workspace, permission.
    **dict.fromkeys(
        (
            "AskCallback",
            "AutoApprove",
            "CommandResult",
            "PermissionRequest",
            "RefuseAll",
            "ToolContext",
            "kill_group",
            "tool_context",
            "using_context",
        ),
        "punie_core.plugins.context",
    ),
    **dict.fromkeys(
        (
            "ToolRefused",
            "Toolbox",
            "current_call_id",
            "new_call_id",
            "require_approval",
            "workspace_path",
        ),
        "punie_core.plugins.toolbox",
    ),
    **dict.fromkeys(("PROTECTED_PARTS", "ProtectedPath"), "punie_core.security.workspace"),
    # Validators: findings, the pipeline, project files, libcst helpers.
    **dict.fromkeys(("Diagnostic", "format_finding"), "punie_core.validation.findings"),
    **dict.fromkeys(("check_paths", "validate_source"), "punie_core.validation.pipeline"),
    "syntax_findings": "punie_core.validation.syntax",
    **dict.fromkeys(
        ("LibraryVersion", "library_version", "parse_version", "rule_applies"),
        "punie_core.validation.libraries",
    ),
    **dict.fromkeys(
        (
            "iter_source_files",
            "project_files",
            "project_root",
            "read_source",
            "resolve_module",
            "run_cached",
            "validation_run",
        ),
        "punie_core.validation.files",
    ),
    **dict.fromkeys(("iter_children", "parse_module", "walk"), "punie_core.validation.parsing"),
    **dict.fromkeys(
        (
            "FileCache",
            "Import",
            "Param",
            "ParamKind",
            "ParsedModule",
            "SourceCache",
            "decorator_names",
            "dotted",
            "file_identity",
            "import_bindings",
            "parameters",
        ),
        "punie_core.validation.sources",
    ),
    # Loading the merged toolbox and running Code Mode with it (for plugin tests and scripts).
    "load_toolbox": "punie_core.plugins.loader",
    "run_sync": "punie_core.sandbox.runner",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'punie_core' has no attribute {name!r}")
    import importlib  # here, not at the top: `punie --help` imports this package

    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__version__ = "0.1.0"

__all__ = [
    "AskCallback",
    "AutoApprove",
    "CommandResult",
    "Diagnostic",
    "FileCache",
    "Finding",
    "Import",
    "LibraryVersion",
    "Noun",
    "PROTECTED_PARTS",
    "Param",
    "ParamKind",
    "ParsedModule",
    "Page",
    "PermissionRequest",
    "PluginUnavailable",
    "ProtectedPath",
    "RefuseAll",
    "Skill",
    "SourceCache",
    "Term",
    "Tool",
    "ToolContext",
    "ToolRefused",
    "Toolbox",
    "Validator",
    "View",
    "WorkspaceChange",
    "__version__",
    "check_paths",
    "current_call_id",
    "decorator_names",
    "dotted",
    "file_identity",
    "format_finding",
    "hookimpl",
    "import_bindings",
    "iter_children",
    "iter_source_files",
    "kill_group",
    "library_version",
    "load_toolbox",
    "new_call_id",
    "parameters",
    "parse_module",
    "parse_version",
    "project_files",
    "project_root",
    "read_source",
    "require_approval",
    "resolve_module",
    "rule_applies",
    "run_cached",
    "run_sync",
    "syntax_findings",
    "tool_context",
    "using_context",
    "validate_source",
    "validation_run",
    "walk",
    "workspace_path",
]
