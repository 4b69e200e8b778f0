"""The real `punie` CLI of the environment running the tests, for tests that spawn it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def punie_command() -> list[str]:
    """The command that runs `punie`: the environment's script, else `python -m punie_core.cli`."""
    script = Path(sys.executable).with_name("punie")
    return [str(script)] if script.exists() else [sys.executable, "-m", "punie_core.cli"]


def run_cli(
    *args: str,
    env: dict[str, str],
    timeout: float,
    cwd: Path | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `punie *args` to the end, capturing its output as text."""
    return subprocess.run(
        [*punie_command(), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        input=input,
        timeout=timeout,
    )
