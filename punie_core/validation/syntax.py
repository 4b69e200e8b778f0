"""The core syntax gate: `ast` first, libcst for grammar newer than the running interpreter."""

from __future__ import annotations

import ast
import re
import sys
import warnings
from typing import TYPE_CHECKING, Any

from punie_core.plugins.records import Finding
from punie_core.validation.parsing import parse_module, walk

if TYPE_CHECKING:
    import libcst

CORE_PLUGIN = "core"
"""The plugin name on findings the pipeline itself reports."""


def core_finding(path: str, line: int, column: int, rule: str, message: str) -> Finding:
    return Finding(
        path=path,
        line=max(1, line),
        column=max(1, column),
        rule=rule,
        message=message,
        plugin=CORE_PLUGIN,
        layer="syntax",
    )


def syntax_findings(path: str, source: str) -> list[Finding]:
    """The core syntax gate: an empty list when `source` is valid Python 3.14.

    `ast` answers for almost every file in a few milliseconds. When it refuses a file and
    the interpreter is older than 3.14, libcst decides, because the refusal may be newer
    grammar (t-strings, `type X = ...`, PEP 701 f-strings) rather than a mistake.

    Args:
        path: The file's path, for the findings.
        source: Its text.
    """
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences in real code warn; the gate must stay quiet.
            warnings.simplefilter("ignore")
            ast.parse(source, filename=path)
        return []
    except SyntaxError as exc:
        ast_error = exc
    except ValueError as exc:  # NUL bytes
        return [core_finding(path, 1, 1, "SYN001", f"not valid Python source: {exc}")]
    if sys.version_info >= (3, 14):
        return [_from_ast_error(path, ast_error)]
    # libcst here, not at the top: `punie plugins` loads this module; libcst takes ~0.5 s.
    import libcst as cst

    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as exc:
        if not _newer_grammar(source, ast_error.lineno):
            # CPython stopped at a line without 3.12+ syntax: its position and wording are right.
            return [_from_ast_error(path, ast_error)]
        message = _libcst_message(exc)
        line, column = exc.raw_line, exc.raw_column + 1
        lines = source.splitlines()
        if column == 1 and 1 < line <= len(lines) + 1 and "parser error" in str(exc):
            # libcst stops at the token after the mistake: point at the end of the line before.
            line -= 1
            while line > 1 and not lines[line - 1].strip():
                line -= 1
            column = len(lines[line - 1].rstrip()) + 1
        return [core_finding(path, line, column, "SYN001", f"syntax error: {message}")]
    except Exception:  # libcst validation (str + bytes ...): CPython's error stands
        return [_from_ast_error(path, ast_error)]
    return _mixed_template_concatenations(path, module)


_NEWER_GRAMMAR = re.compile(
    r"""(?<![\w"'\\-])(?:[tT][rR]?|[rR][tT])["']"""  # t-strings
    r"|^\s*type\s+\w+"  # type aliases
    r"|^\s*(?:async\s+)?(?:def|class)\s+\w+\s*\["  # PEP 695 generics
    r"|^\s*except\s*\*?\s*[^(:]*,"  # PEP 758 unparenthesized except
    r"|\b[fF][rR]?(?P<q>[\"']).*\{[^}]*(?P=q)"  # an f-string reusing its quote inside {}
)


def _newer_grammar(source: str, line: int | None) -> bool:
    """True when the line CPython refused uses syntax newer than the running interpreter's."""
    if line is None:
        return True
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return _NEWER_GRAMMAR.search(text) is not None


def _from_ast_error(path: str, exc: SyntaxError, extra: str = "") -> Finding:
    return core_finding(
        path, exc.lineno or 1, exc.offset or 1, "SYN001", f"syntax error: {exc.msg}{extra}"
    )


def _libcst_message(exc: Exception) -> str:
    text = str(exc)
    for line in text.splitlines():
        if line.startswith(("parser error:", "tokenizer error:")):
            detail = line.split(":", 1)[1].strip()
            # "error at 3:4: expected one of ..." -> "expected one of ..."
            return detail.split(": ", 1)[1] if detail.startswith("error at") else detail
    return text.splitlines()[0] if text else type(exc).__name__


def _mixed_template_concatenations(path: str, module: libcst.Module) -> list[Finding]:
    """SYN002: `t"a" "b"` and `t"a" f"b"` parse in libcst but are SyntaxErrors on 3.14."""
    # libcst here, not at the top: `punie plugins` loads this module; libcst takes ~0.5 s.
    import libcst as cst

    bad: list[Any] = []

    class Finder:
        # A plain walk, not libcst.matchers: importing matchers alone costs ~0.4 s.
        def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
            kinds = {isinstance(p, cst.TemplatedString) for p in _flatten_concatenation(node)}
            if kinds == {True, False}:
                bad.append(node)
            return False  # nested parts belong to this concatenation

    walk(module, Finder())
    if not bad:
        return []
    # Only when a SYN002 finding needs its position (the metadata modules are slow to import).
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    findings = []
    for node in bad:
        start = positions[node].start
        findings.append(
            core_finding(
                path,
                start.line,
                start.column + 1,
                "SYN002",
                "cannot mix t-string literals with string or f-string literals; "
                "make every part a t-string",
            )
        )
    return findings


def _flatten_concatenation(node: Any) -> list[Any]:
    # libcst here, not at the top: `punie plugins` loads this module; libcst takes ~0.5 s.
    import libcst as cst

    if isinstance(node, cst.ConcatenatedString):
        return _flatten_concatenation(node.left) + _flatten_concatenation(node.right)
    return [node]
