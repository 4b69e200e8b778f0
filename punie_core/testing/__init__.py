"""Testing support for plugin authors: pytest fixtures, the contract check, a scripted model server.

    from punie_core.testing import assert_plugin_contract, corpus_cases, expected_findings

The pytest plugin itself is `punie_core.testing.pytest_plugin` (entry point `pytest11`, name
`punie`); the scripted OpenAI-compatible server is `punie_core.testing.scripted_model` (used by
`punie eval --reference`). Importing this package imports neither pytest nor Punie: names load
on first use (PEP 562), so the product never needs pytest installed.
"""

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`, as in punie_core/__init__.py
if TYPE_CHECKING:
    from punie_core.testing.pytest_plugin import (
        PluginHarness,
        assert_plugin_contract,
        contract_problems,
        corpus_cases,
        documented_args,
        expected_findings,
    )
    from punie_core.testing.realcode import (
        DeliberateError,
        corpus_findings,
        deliberate_errors,
        read_labels,
        recall,
    )

_REALCODE = ("DeliberateError", "corpus_findings", "deliberate_errors", "read_labels", "recall")
_HELPERS = (
    "PluginHarness",
    "assert_plugin_contract",
    "contract_problems",
    "corpus_cases",
    "documented_args",
    "expected_findings",
)


def __getattr__(name: str) -> object:
    if name in _REALCODE:
        from punie_core.testing import realcode

        return getattr(realcode, name)
    if name not in _HELPERS:
        raise AttributeError(f"module 'punie_core.testing' has no attribute {name!r}")
    from punie_core.testing import pytest_plugin  # here: it imports pytest

    return getattr(pytest_plugin, name)


__all__ = [
    "DeliberateError",
    "PluginHarness",
    "assert_plugin_contract",
    "contract_problems",
    "corpus_cases",
    "corpus_findings",
    "deliberate_errors",
    "documented_args",
    "expected_findings",
    "read_labels",
    "recall",
]
