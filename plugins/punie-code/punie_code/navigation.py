"""Navigation tools on the workspace's `ty server`: definitions, references, outlines, calls.

Every tool takes and returns 1-based lines and columns (columns count characters). The
server is brought up to date with the files before each query (see `punie_code.server`), so
an answer always reflects what is on disk and what Punie just wrote.

Results come only from the workspace and the Python environment: a location in a file whose
real path is outside the workspace (a link out) is dropped, and so is one outside that is not
the standard library, an installed package or a bundled stub.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from punie_code.lsp import LspError, uri_path
from punie_code.nouns import (
    Call,
    CodeDiagnostic,
    HoverInfo,
    Location,
    NavUnavailable,
    References,
    Symbol,
)
from punie_code.server import TRACKED_SUFFIXES, ServerUnavailable, TyServer, scan, server_for
from punie_code.workspace import environment_file, inside, workspace_root

MAX_DEPTH = 5
SYMBOL_KINDS = {
    1: "file",
    2: "module",
    3: "namespace",
    4: "package",
    5: "class",
    6: "method",
    7: "property",
    8: "field",
    9: "constructor",
    10: "enum",
    11: "interface",
    12: "function",
    13: "variable",
    14: "constant",
    15: "string",
    16: "number",
    17: "boolean",
    18: "array",
    19: "object",
    20: "key",
    21: "null",
    22: "enum_member",
    23: "struct",
    24: "event",
    25: "operator",
    26: "type_parameter",
}
SEVERITIES: dict[int, Literal["error", "warning", "info", "hint"]] = {
    1: "error",
    2: "warning",
    3: "info",
    4: "hint",
}

T = TypeVar("T")


def navigate(query: Callable[[Navigator], T]) -> T | NavUnavailable:
    """Run `query` on the current workspace's server; a dead server gives `NavUnavailable`."""
    navigator = Navigator(server_for(workspace_root()))
    try:
        return query(navigator)
    except ServerUnavailable as exc:
        return NavUnavailable(reason=str(exc))
    except TimeoutError as exc:
        return NavUnavailable(reason=f"ty server did not answer: {exc}")


class Navigator:
    """Positions and paths translated between the model's view and the server's.

    Args:
        server: The workspace's language server.
    """

    def __init__(self, server: TyServer) -> None:
        self.server = server
        self.root = server.root
        self._lines: dict[Path, list[str]] = {}
        self._synced = False

    def request(self, method: str, params: Any) -> Any:
        """A query; only the first one of a tool call checks the disk for changes."""
        if not self._synced:
            self._synced = True
            return self.server.request(method, params)
        return self.server.request(method, params, sync=False)

    # -- positions -------------------------------------------------------------------------

    def file(self, path: str) -> Path:
        """The absolute path of a workspace source file.

        Raises:
            FileNotFoundError: No such file.
            ValueError: Not a Python file.
        """
        target = (self.root / path).resolve()
        if not inside(self.root, target):
            raise PermissionError(f"{path} is outside the workspace (a link out)")
        if not target.is_file():
            raise FileNotFoundError(f"{path} does not exist or is not a file")
        if target.suffix not in TRACKED_SUFFIXES:
            raise ValueError(f"{path} is not a Python file (.py or .pyi)")
        return target

    def lines(self, target: Path) -> list[str]:
        cached = self._lines.get(target)
        if cached is None:
            try:
                text = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            cached = self._lines[target] = text.splitlines() or [""]
        return cached

    def position(self, target: Path, line: int, column: int) -> dict[str, Any]:
        """The LSP position of a 1-based line and character column.

        Raises:
            ValueError: The position is outside the file.
        """
        lines = self.lines(target)
        shown = self.relative(target)
        if line < 1 or line > len(lines):
            raise ValueError(f"line {line} is outside {shown} (lines 1-{len(lines)})")
        text = lines[line - 1]
        if column < 1 or column > len(text) + 1:
            raise ValueError(
                f"column {column} is outside line {line} of {shown} (columns 1-{len(text) + 1})"
            )
        return {"line": line - 1, "character": self._units(text[: column - 1])}

    def _units(self, prefix: str) -> int:
        if self.server.encoding == "utf-16":
            return len(prefix.encode("utf-16-le")) // 2
        if self.server.encoding == "utf-8":
            return len(prefix.encode("utf-8"))
        return len(prefix)

    def _column(self, target: Path | None, line: int, units: int) -> int:
        """A 1-based character column from an LSP character offset on a 0-based line."""
        if self.server.encoding == "utf-32" or target is None:
            return units + 1
        lines = self.lines(target)
        text = lines[line] if 0 <= line < len(lines) else ""
        codec = "utf-16-le" if self.server.encoding == "utf-16" else "utf-8"
        width = 2 if codec == "utf-16-le" else 1
        data = text.encode(codec)[: units * width]
        return len(data.decode(codec, errors="ignore")) + 1

    def relative(self, target: Path) -> str:
        try:
            return target.relative_to(self.root).as_posix()
        except ValueError:
            return str(target)

    def uri_target(self, uri: str) -> tuple[str, Path | None]:
        target = uri_path(uri)
        if target is None:
            return uri, None
        return self.relative(target), target

    def visible(self, uri: str) -> bool:
        """True when a result in `uri` may be shown: a workspace file whose real path is in the
        workspace, or a module of the Python environment (never a file reached by a link out)."""
        target = uri_path(uri)
        if target is None:
            return not uri.startswith("file:")  # ty's own virtual documents (vendored stubs)
        if target == self.root or target.is_relative_to(self.root):
            return inside(self.root, target)
        return environment_file(target)

    def location(self, uri: str, range_: dict[str, Any]) -> Location:
        shown, target = self.uri_target(uri)
        start, end = range_["start"], range_["end"]
        return Location(
            path=shown,
            line=start["line"] + 1,
            column=self._column(target, start["line"], start["character"]),
            end_line=end["line"] + 1,
            end_column=self._column(target, end["line"], end["character"]),
        )

    def document(self, path: str, line: int, column: int) -> dict[str, Any]:
        target = self.file(path)
        return {
            "textDocument": {"uri": target.as_uri()},
            "position": self.position(target, line, column),
        }

    # -- symbols ---------------------------------------------------------------------------

    def outline(self, target: Path) -> list[Symbol]:
        """The symbols of one file, depth first, each with its container."""
        found: list[Symbol] = []
        result = self.request(
            "textDocument/documentSymbol", {"textDocument": {"uri": target.as_uri()}}
        )
        shown = self.relative(target)

        def walk(items: list[dict[str, Any]], container: str) -> None:
            for item in items:
                if "location" in item:  # flat SymbolInformation
                    range_ = item["location"]["range"]
                    selection = range_
                else:
                    range_ = item["range"]
                    selection = item.get("selectionRange", range_)
                start = selection["start"]
                name = item["name"]
                found.append(
                    Symbol(
                        name=name,
                        kind=SYMBOL_KINDS.get(item.get("kind", 0), "symbol"),
                        path=shown,
                        line=start["line"] + 1,
                        column=self._column(target, start["line"], start["character"]),
                        end_line=range_["end"]["line"] + 1,
                        container=item.get("containerName") or container,
                    )
                )
                walk(item.get("children") or [], f"{container}.{name}" if container else name)

        walk(result or [], "")
        return found

    def symbol_of(self, item: dict[str, Any]) -> Symbol:
        """A `Symbol` for a call hierarchy item."""
        shown, target = self.uri_target(item["uri"])
        selection = item.get("selectionRange", item["range"])
        start = selection["start"]
        container = ""
        if target is not None and target.suffix in TRACKED_SUFFIXES and shown != str(target):
            for symbol in self.outline_cached(target):
                if symbol.name == item["name"] and symbol.line == start["line"] + 1:
                    container = symbol.container
                    break
        return Symbol(
            name=item["name"],
            kind=SYMBOL_KINDS.get(item.get("kind", 0), "symbol"),
            path=shown,
            line=start["line"] + 1,
            column=self._column(target, start["line"], start["character"]),
            end_line=item["range"]["end"]["line"] + 1,
            container=container,
        )

    def outline_cached(self, target: Path) -> list[Symbol]:
        cache: dict[Path, list[Symbol]] = self.__dict__.setdefault("_outlines", {})
        if target not in cache:
            cache[target] = self.outline(target)
        return cache[target]


def _sorted(locations: list[Location]) -> list[Location]:
    return sorted(locations, key=lambda loc: (loc.path, loc.line, loc.column))


def definition(path: str, line: int, column: int) -> list[Location] | NavUnavailable:
    """Where the name at a position is defined.

    Follows imports to the definition itself (into the standard library's stubs and installed
    packages too: those paths are absolute).

    Args:
        path: Python file, relative to the workspace root.
        line: Line of the name (1-based).
        column: Column of the name (1-based, characters).
    """

    def query(nav: Navigator) -> list[Location]:
        result = nav.request("textDocument/definition", nav.document(path, line, column))
        items = result if isinstance(result, list) else [result] if result else []
        return _sorted(
            [
                nav.location(
                    item.get("uri") or item["targetUri"],
                    item.get("range") or item["targetSelectionRange"],
                )
                for item in items
                if nav.visible(item.get("uri") or item["targetUri"])
            ]
        )

    return navigate(query)


def references(path: str, line: int, column: int) -> References | NavUnavailable:
    """Every use of the symbol at a position, across the workspace.

    Scope-aware: a local variable, a method and a module function that share a name are
    different symbols. The declaration is included.

    Args:
        path: Python file, relative to the workspace root.
        line: Line of the name (1-based).
        column: Column of the name (1-based, characters).
    """

    def query(nav: Navigator) -> References:
        params = nav.document(path, line, column) | {"context": {"includeDeclaration": True}}
        result = nav.request("textDocument/references", params) or []
        locations = _sorted(
            [
                nav.location(item["uri"], item["range"])
                for item in result
                if nav.visible(item["uri"])
            ]
        )
        return References(locations=locations, count=len(locations))

    return navigate(query)


def hover(path: str, line: int, column: int) -> HoverInfo | NavUnavailable:
    """The type, signature and docstring of the name at a position.

    Args:
        path: Python file, relative to the workspace root.
        line: Line of the name (1-based).
        column: Column of the name (1-based, characters).
    """

    def query(nav: Navigator) -> HoverInfo:
        result = nav.request("textDocument/hover", nav.document(path, line, column))
        return parse_hover((result or {}).get("contents"))

    return navigate(query)


FENCE = re.compile(r"```[a-z]*\n(?P<code>.*?)```", re.DOTALL)


def parse_hover(contents: Any) -> HoverInfo:
    """Split hover markdown into the signature (the first code block) and the docstring."""
    if contents is None:
        return HoverInfo()
    if isinstance(contents, list):
        text = "\n".join(c if isinstance(c, str) else c.get("value", "") for c in contents)
    elif isinstance(contents, dict):
        text = contents.get("value", "")
    else:
        text = str(contents)
    match = FENCE.search(text)
    if match is None:
        return HoverInfo(doc=text.strip())
    signature = match["code"].strip()
    rest = (text[: match.start()] + text[match.end() :]).strip()
    rest = rest.removeprefix("---").strip()
    return HoverInfo(signature=signature, doc=rest)


def symbols(path: str) -> list[Symbol] | NavUnavailable:
    """The outline of a file: its classes, functions, methods and variables.

    Args:
        path: Python file, relative to the workspace root.
    """
    return navigate(lambda nav: nav.outline(nav.file(path)))


def find_symbol(
    query: str, kind: str | None = None, limit: int = 50
) -> list[Symbol] | NavUnavailable:
    """Find classes, functions and variables by name across the workspace.

    Exact matches come first, then names starting with the query, then fuzzy matches.

    Args:
        query: The name or part of it, such as `Cart` or `total`.
        kind: Only this kind (`class`, `function`, `method`, `variable`, ...).
        limit: At most this many symbols.
    """
    if not query.strip():
        raise ValueError("query must name a symbol (an empty query would list everything)")
    if limit < 1:
        raise ValueError("limit must be at least 1")

    def run(nav: Navigator) -> list[Symbol]:
        result = nav.request("workspace/symbol", {"query": query}) or []
        wanted: set[tuple[str, str]] = set()
        files: list[Path] = []
        for item in result:
            shown, target = nav.uri_target(item["location"]["uri"])
            if target is None or shown == str(target) or not nav.visible(item["location"]["uri"]):
                continue  # outside the workspace
            wanted.add((shown, item["name"]))
            if target not in files:
                files.append(target)
        found = [
            symbol
            for target in files
            for symbol in nav.outline_cached(target)
            if (symbol.path, symbol.name) in wanted and (kind is None or symbol.kind == kind)
        ]
        lowered = query.lower()

        def rank(symbol: Symbol) -> tuple[int, str, int]:
            name = symbol.name.lower()
            score = 0 if name == lowered else 1 if name.startswith(lowered) else 2
            return score, symbol.path, symbol.line

        return sorted(found, key=rank)[:limit]

    return navigate(run)


def _hierarchy(
    path: str, line: int, column: int, depth: int, incoming: bool
) -> list[Call] | NavUnavailable:
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH}")
    method = "callHierarchy/incomingCalls" if incoming else "callHierarchy/outgoingCalls"
    side = "from" if incoming else "to"

    def run(nav: Navigator) -> list[Call]:
        prepared = nav.request(
            "textDocument/prepareCallHierarchy", nav.document(path, line, column)
        )
        calls: list[Call] = []
        seen: set[tuple[str, int, int]] = set()
        frontier = [item for item in prepared or [] if nav.visible(item["uri"])]
        for item in frontier:
            start = item["selectionRange"]["start"]
            seen.add((item["uri"], start["line"], start["character"]))
        for level in range(1, depth + 1):
            following = []
            for item in frontier:
                for edge in nav.request(method, {"item": item}) or []:
                    other = edge[side]
                    if not (nav.visible(other["uri"]) and nav.visible(item["uri"])):
                        continue
                    # Call sites are in the caller's file: the other item's for incoming calls,
                    # this item's for outgoing ones.
                    site_uri = other["uri"] if incoming else item["uri"]
                    sites = _sorted([nav.location(site_uri, r) for r in edge.get("fromRanges", [])])
                    calls.append(Call(symbol=nav.symbol_of(other), sites=sites, depth=level))
                    start = other["selectionRange"]["start"]
                    key = (other["uri"], start["line"], start["character"])
                    if key not in seen:
                        seen.add(key)
                        following.append(other)
            frontier = following
        return calls

    return navigate(run)


def callers(path: str, line: int, column: int, depth: int = 1) -> list[Call] | NavUnavailable:
    """The functions that call the function at a position.

    Args:
        path: Python file, relative to the workspace root.
        line: Line of the function's name (1-based).
        column: Column of the function's name (1-based, characters).
        depth: 1 for direct callers; 2 adds their callers, and so on (at most 5).
    """
    return _hierarchy(path, line, column, depth, incoming=True)


def callees(path: str, line: int, column: int, depth: int = 1) -> list[Call] | NavUnavailable:
    """The functions called by the function at a position.

    Args:
        path: Python file, relative to the workspace root.
        line: Line of the function's name (1-based).
        column: Column of the function's name (1-based, characters).
        depth: 1 for direct calls; 2 adds what those call, and so on (at most 5).
    """
    return _hierarchy(path, line, column, depth, incoming=False)


def diagnostics(paths: list[str] | None = None) -> list[CodeDiagnostic] | NavUnavailable:
    """Type errors and warnings in files, straight from the language server.

    Args:
        paths: Files or folders, relative to the workspace root; all the workspace when omitted.
    """

    def run(nav: Navigator) -> list[CodeDiagnostic]:
        targets = _expand(nav, paths if paths is not None else ["."])
        found: list[CodeDiagnostic] = []
        for target in targets:
            try:
                result = nav.request(
                    "textDocument/diagnostic", {"textDocument": {"uri": target.as_uri()}}
                )
            except LspError:
                continue
            for item in (result or {}).get("items", []):
                found.append(diagnostic(nav, target, item))
        return sorted(found, key=lambda d: (d.path, d.line, d.column, d.code))

    return navigate(run)


def diagnostic(nav: Navigator, target: Path, item: dict[str, Any]) -> CodeDiagnostic:
    location = nav.location(target.as_uri(), item["range"])
    return CodeDiagnostic(
        path=location.path,
        line=location.line,
        column=location.column,
        end_line=location.end_line,
        end_column=location.end_column,
        severity=SEVERITIES.get(item.get("severity", 1), "error"),
        code=str(item.get("code") or ""),
        message=str(item.get("message", "")),
    )


def _expand(nav: Navigator, paths: list[str]) -> list[Path]:
    targets: list[Path] = []
    for path in paths:
        target = (nav.root / path).resolve()
        if not inside(nav.root, target):
            raise PermissionError(f"{path} is outside the workspace (a link out)")
        if target.is_dir():
            targets += sorted(
                target / relative
                for relative, _ in scan(target)
                if relative.endswith(TRACKED_SUFFIXES)
            )
        elif target.is_file():
            targets.append(nav.file(path))
        else:
            raise FileNotFoundError(f"{path} does not exist")
    return list(dict.fromkeys(targets))
