"""`punie check` on awkward files: names that are not UTF-8 never break ruff's or ty's batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PUNIE = [sys.executable, "-m", "punie_core.cli"]


def punie_check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Every installed plugin: the quality plugin's ruff and ty batches are what broke.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")}
    return subprocess.run(
        [*PUNIE, "check", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_file_name_that_is_not_utf8_is_one_finding_and_the_rest_is_checked(
    tmp_path: Path,
) -> None:
    (tmp_path / "good.py").write_text("import os\n")
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.py"), "w") as handle:
        handle.write("x = 1\n")

    result = punie_check(".", "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["path"], f["rule"]) for f in findings] == [
        ("caf\\xe9.py", "SYN003"),
        ("good.py", "F401"),
    ]

    text = punie_check(".", cwd=tmp_path)
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert "caf\\xe9.py:1:1: SYN003 the file name is not valid UTF-8" in text.stdout
