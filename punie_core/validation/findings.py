"""What validators report, as the model sees it: the `Diagnostic` noun and the one-line form."""

from __future__ import annotations

from pydantic import BaseModel

from punie_core.plugins.records import Finding


class Diagnostic(BaseModel):
    """A validator finding.

    Where the problem is, which rule, and what to do about it.

    Attributes:
        path: The file, relative to the workspace root.
        line: 1-based line.
        column: 1-based column.
        rule: Rule id, for example `TDOM003` (see `load_skill` for the rule's domain).
        message: What is wrong and how to fix it.
        fixable: True when `punie check --fix` repairs it automatically.
    """

    path: str
    line: int
    column: int
    rule: str
    message: str
    fixable: bool = False

    @classmethod
    def from_finding(cls, finding: Finding) -> Diagnostic:
        """The noun shown to the model for a pipeline finding."""
        return cls(
            path=finding.path,
            line=finding.line,
            column=finding.column,
            rule=finding.rule,
            message=finding.message,
            fixable=finding.fixable,
        )

    def __str__(self) -> str:
        fix = " (fixable)" if self.fixable else ""
        return f"{self.path}:{self.line}:{self.column}: {self.rule} {self.message}{fix}"


def format_finding(finding: Finding, *, with_path: bool = True) -> str:
    """`path:line:column: RULE message [fixable]`, the one-line form shown to people and models."""
    where = (
        f"{finding.path}:{finding.line}:{finding.column}:"
        if with_path
        else (f"{finding.line}:{finding.column}")
    )
    fixable = " [fixable]" if finding.fixable else ""
    return f"{where} {finding.rule} {finding.message}{fixable}"
