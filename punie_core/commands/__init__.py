"""`punie` subcommands: each module has `add_arguments(parser, name)` and `run(args) -> int`."""

from __future__ import annotations

import argparse


def http_address(value: str) -> str:
    """An argparse `type` for `--http HOST:PORT`: a malformed address is a usage error (exit 2).

    The value is returned unchanged; the web UI parses it again when it starts. Whether the
    address can be bound is only known then (a port in use is reported, the agent goes on).
    """
    from punie_core.web.server import parse_http_address

    try:
        parse_http_address(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def version() -> str:
    """Punie's version (without importing the package's dependencies)."""
    # Here, not at the top: importlib.metadata costs `punie --help` several milliseconds.
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("punie")
    except PackageNotFoundError:
        return "0+unknown"
