"""Which pytest options `pytest_run(args=...)` accepts: an allow-list, parsed as pytest parses.

pytest reads its command line with argparse: short flags combine (`-xq`), a short option takes
the rest of its argument as its value (`-kfoo`, `-xoaddopts=...` is `-x -o addopts=...`), and
an argument starting with `@` is replaced by the lines of that file. A filter on the first
characters of each argument misses all three. So each argument is parsed here the same way and
only options known to stay inside the run are accepted: options that load code (`-p`, `-W`
imports warning categories), read another configuration (`-c`, `-o`, `--rootdir`,
`--confcutdir`), write or delete elsewhere (`--basetemp` is emptied, `--junitxml`,
`--log-file`, `--cache-dir` via `-o`) or wait for a debugger are refused, with the rule named.
Test paths go in `paths` (confined to the workspace); option values that are paths
(`--deselect`, `--ignore`) must stay inside it too.
"""

from __future__ import annotations

from collections.abc import Callable

RULE = (
    "pytest_run accepts only options that stay inside the run (it refuses options that load "
    "code, read other configuration, or write or delete files)"
)

FLAGS: frozenset[str] = frozenset(
    {
        "-x",
        "--exitfirst",
        "-q",
        "--quiet",
        "-v",
        "--verbose",
        "-l",
        "--showlocals",
        "--no-showlocals",
        "-s",
        "--lf",
        "--last-failed",
        "--ff",
        "--failed-first",
        "--nf",
        "--new-first",
        "--sw",
        "--stepwise",
        "--sw-skip",
        "--stepwise-skip",
        "--sw-reset",
        "--stepwise-reset",
        "--co",
        "--collect-only",
        "--collectonly",
        "--strict-markers",
        "--strict-config",
        "--strict",
        "--runxfail",
        "--no-header",
        "--no-summary",
        "--disable-warnings",
        "--disable-pytest-warnings",
        "--full-trace",
        "--setup-show",
        "--setup-only",
        "--setup-plan",
        "--cache-clear",
        "--cache-show",
        "--doctest-modules",
        "--keep-duplicates",
        "--fixtures",
        "--funcargs",
        "--fixtures-per-test",
        "--markers",
        "--last-failed-no-failures",
        "--lfnf",
        "--no-cov",
        "--continue-on-collection-errors",
        "--exact",
    }
)
"""Options without a value."""

CHOICES: dict[str, frozenset[str] | None] = {
    "-k": None,
    "-m": None,
    "--maxfail": None,
    "--tb": frozenset({"auto", "long", "short", "line", "native", "no"}),
    "--durations": None,
    "--durations-min": None,
    "-r": None,
    "--capture": frozenset({"fd", "sys", "no", "tee-sys"}),
    "--import-mode": frozenset({"prepend", "append", "importlib"}),
    "--color": frozenset({"yes", "no", "auto"}),
    "--code-highlight": frozenset({"yes", "no"}),
    "--log-level": None,
    "--log-cli-level": None,
    "--verbosity": None,
    "--timeout": None,
    "-n": None,
    "--numprocesses": None,
    "--count": None,
    "--deselect": None,
    "--ignore": None,
    "--ignore-glob": None,
    "--last-failed-no-failures": frozenset({"all", "none"}),
    "--lfnf": frozenset({"all", "none"}),
    "--doctest-glob": None,
}
"""Options that take a value, with the allowed values (None: any value that passes the
checks below). `-k`/`-m` expressions are parsed by pytest's own expression grammar, not eval."""

PATH_VALUES = frozenset({"--deselect", "--ignore"})
"""Options whose value is a workspace path (a node id for `--deselect`)."""

SHORT_FLAGS = frozenset(f[1] for f in FLAGS if len(f) == 2)
SHORT_VALUES = frozenset(o[1] for o in CHOICES if len(o) == 2)

ConfinePath = Callable[[str], object]


class RefusedArgument(ValueError):
    """An argument `pytest_run` does not pass to pytest."""


def _refuse(arg: str, why: str) -> RefusedArgument:
    return RefusedArgument(f"pytest_run(args=...): {arg!r} refused: {why}. Rule: {RULE}.")


def checked_args(args: list[str], confine: ConfinePath | None = None) -> list[str]:
    """The caller's pytest arguments, each parsed as pytest would and checked against the list.

    Args:
        args: What the model passed.
        confine: Called with each path-valued option's path; raises when it leaves the workspace.

    Returns:
        The arguments, normalised to one option per argument with its value attached
        (`-xq` -> `-x`, `-q`; `-k login` -> `-klogin`; `--tb short` -> `--tb=short`), so no
        value can be read as another option.

    Raises:
        RefusedArgument: An argument is not allowed (the message names it and the rule).
    """
    checked: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        position += 1
        if not isinstance(arg, str):
            raise _refuse(repr(arg), "arguments must be strings")
        if arg.startswith("@"):
            raise _refuse(arg, "pytest would read more arguments from that file")
        if "\x00" in arg:
            raise _refuse(arg, "it contains a NUL byte")
        if not arg.startswith("-") or arg in ("-", "--"):
            raise _refuse(arg, "test files and node ids go in `paths`, which stay in the workspace")
        if arg.startswith("--"):
            name, has_value, value = arg.partition("=")
            if name in FLAGS and not has_value:
                checked.append(name)
                continue
            if name not in CHOICES:
                raise _refuse(arg, f"{name} is not an allowed option")
            if not has_value:
                if position >= len(args):
                    raise _refuse(arg, f"{name} needs a value")
                value = args[position]
                position += 1
            checked.append(f"{name}={_value(name, value, confine)}")
            continue
        # Short options, combined as argparse combines them: flags until one takes a value.
        letters = arg[1:]
        for index, letter in enumerate(letters):
            option = "-" + letter
            if letter in SHORT_FLAGS:
                checked.append(option)
                continue
            if letter in SHORT_VALUES:
                value = letters[index + 1 :].removeprefix("=")
                if not value:
                    if position >= len(args):
                        raise _refuse(arg, f"{option} needs a value")
                    value = args[position]
                    position += 1
                checked.append(option + _value(option, value, confine))
                break
            raise _refuse(arg, f"{option} is not an allowed option")
    return checked


def _value(option: str, value: str, confine: ConfinePath | None) -> str:
    if not isinstance(value, str):
        raise _refuse(repr(value), f"the value of {option} must be a string")
    if value.startswith("@"):
        raise _refuse(value, "pytest would read more arguments from that file")
    if "\x00" in value:
        raise _refuse(value, "it contains a NUL byte")
    allowed = CHOICES.get(option)
    if allowed is not None and value not in allowed:
        raise _refuse(f"{option} {value}", f"{option} takes one of {', '.join(sorted(allowed))}")
    if option in PATH_VALUES and confine is not None:
        confine(value.partition("::")[0])
    return value
