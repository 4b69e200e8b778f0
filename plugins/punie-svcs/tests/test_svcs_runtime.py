"""Each registry rule's bad project really fails with svcs 26.2 (run in a fresh interpreter);
the good project runs clean."""

from __future__ import annotations

import subprocess
import sys

import pytest
from svcs_corpus import FIXTURES

SCENARIOS: dict[str, list[tuple[str, str]]] = {
    "bad_SVCS003_factory_params": [
        (
            "import svcs\nfrom app.main import build\nfrom app.mail import Mailer\n"
            "svcs.Container(build()).get(Mailer)",
            "TypeError: make_mailer() missing 1 required positional argument: 'host'",
        ),
        (
            "import svcs\nfrom app.main import build\nfrom app.mail import Outbox\n"
            "svcs.Container(build()).get(Outbox)",
            "TypeError: Outbox.__init__() missing 1 required positional argument: 'mailer'",
        ),
        (
            "import svcs\nfrom app.main import build\nsvcs.Container(build()).get(str)",
            "<lambda>() missing 1 required positional argument: 'container'",
        ),
    ],
    "bad_SVCS005_autowire_generator": [
        ("from app.main import main\nmain()", "TypeError: Cannot autowire the generator function"),
    ],
    "bad_SVCS010_missing_registration": [
        (
            "import svcs\nfrom app.registry import build\nfrom app.views import checkout\n"
            "checkout(svcs.Container(build()))",
            "svcs.exceptions.ServiceNotFoundError: <class 'app.models.Payments'>",
        ),
        (
            "import svcs\nfrom app.registry import build\nfrom app.views import report\n"
            "report(svcs.Container(build()))",
            "ServiceNotFoundError: typing.Annotated[app.models.Connection, 'replica']",
        ),
    ],
    "bad_SVCS011_async_factory_get": [
        ("from app.main import main\nmain()", "TypeError: Use `aget()` for async factories."),
    ],
    "bad_SVCS015_local_dependency": [
        ("from app.main import main\nmain()", "ServiceNotFoundError: <class 'app.audit.Request'>"),
    ],
}


def run(case: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=FIXTURES / case,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("case", "code", "error"),
    [(case, code, error) for case, items in SCENARIOS.items() for code, error in items],
    ids=[f"{case}-{i}" for case, items in SCENARIOS.items() for i, _ in enumerate(items)],
)
def test_bad_project_fails_at_run_time(case: str, code: str, error: str) -> None:
    result = run(case, code)
    assert result.returncode != 0
    assert error in result.stderr, result.stderr[-2000:]


def test_cleanup_outside_finally_leaks_when_the_error_reaches_the_factory() -> None:
    result = run("bad_SVCS004_cleanup_outside_finally", "from app.main import main\nmain()")
    assert result.returncode == 0, result.stderr
    assert "connections in use: 1" in result.stdout  # the release after `yield` never ran


def test_cleanup_in_finally_runs_in_the_same_situation(tmp_path) -> None:
    import shutil

    root = tmp_path / "fixed"
    shutil.copytree(FIXTURES / "bad_SVCS004_cleanup_outside_finally", root)
    db = root / "app/db.py"
    db.write_text(
        db.read_text().replace(
            "    yield conn\n    conn.release()\n",
            "    try:\n        yield conn\n    finally:\n        conn.release()\n",
        )
    )
    result = subprocess.run(
        [sys.executable, "-c", "from app.main import main\nmain()"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "connections in use: 0" in result.stdout, result.stderr


def test_good_project_runs_clean() -> None:
    result = run("good_api", "from app.main import main\nmain()")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "hello user 7 of 1",
        "128",
        "in use after close: 0",
        "OK",
    ]
    assert "Warning" not in result.stderr
