"""The HTML pages: static shells the page scripts fill in (every dynamic value as text), and
the frame of plugin pages, whose server-rendered body may use no script at all."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

ASSET_VERSION = "1"


def _page(title: str, page: str, body: str, attributes: str = "", token: str = "") -> str:
    # The token travels in addresses, never in a cookie (docs/security.md): the scripts need it.
    auth = f"&amp;token={quote(token, safe='')}" if token else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/static/app.css?v={ASSET_VERSION}">
</head>
<body data-page="{page}"{attributes}>
<header class="top">
  <a class="brand" href="/">Punie</a>
  <span id="agent-info" class="muted"></span>
  <span id="connection" class="connection" title="live updates">connecting…</span>
</header>
{body}
<script src="/static/highlight.js?v={ASSET_VERSION}{auth}"></script>
<script src="/static/common.js?v={ASSET_VERSION}{auth}"></script>
<script src="/static/{page}.js?v={ASSET_VERSION}{auth}"></script>
</body>
</html>
"""


PLUGIN_PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; sandbox allow-same-origin"
)
"""A plugin page's Content-Security-Policy: no script of any kind (the `sandbox` has no
`allow-scripts`), no forms, no frames around it; only this server's stylesheet (which its
same-origin resource policy would refuse to an opaque origin, hence `allow-same-origin`: with
no script in the page, that origin can do nothing)."""


def _mode_options() -> str:
    from punie_core.agent.modes import DEFAULT_MODE, MODES

    return "\n".join(
        f'<option value="{escape(m.id, quote=True)}"{" selected" if m.id == DEFAULT_MODE else ""}>'
        f"{escape(m.name)}: {escape(m.description)}</option>"
        for m in MODES
    )


def dashboard_page(token: str = "") -> str:
    """The dashboard: start or resume sessions, this agent's sessions, agents, plugin pages."""
    body = f"""<main>
<h1>Sessions</h1>
<section id="start" class="card start">
  <h2>New session</h2>
  <form id="start-form" class="start-form" autocomplete="off">
    <label for="start-project">Project folder</label>
    <input id="start-project" name="cwd" list="project-list" required spellcheck="false"
      placeholder="/absolute/path/to/a/project">
    <datalist id="project-list"></datalist>
    <div id="recent-projects" class="recent"></div>
    <label for="start-mode">Mode</label>
    <select id="start-mode" name="mode">
{_mode_options()}
    </select>
    <label for="start-prompt">First prompt</label>
    <textarea id="start-prompt" name="prompt" rows="3"
      placeholder="What should the agent do? (Ctrl+Enter to start)"></textarea>
    <div class="actions">
      <button id="start-button" type="submit">Start session <kbd>Ctrl+Enter</kbd></button>
      <span id="start-status" class="muted" role="status"></span>
    </div>
  </form>
</section>
<section>
  <h2>Running here</h2>
  <table id="sessions" class="grid">
    <thead><tr><th>Session</th><th>State</th><th>Project</th><th>Model</th>
      <th>Tokens (in / out)</th><th>Last activity</th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="no-sessions" class="muted">No session yet: start one above, from your IDE or with
    <code>punie run --web</code>.</p>
</section>
<section>
  <h2>Earlier sessions</h2>
  <table id="history" class="grid">
    <thead><tr><th>Session</th><th>Project</th><th>Prompts</th><th>Last prompt</th><th></th>
    </tr></thead>
    <tbody></tbody>
  </table>
  <p id="no-history" class="muted">No earlier session in the traces.</p>
</section>
<section id="plugin-pages" hidden>
  <h2>Plugin pages</h2>
  <ul id="pages"></ul>
</section>
<section>
  <h2>Punie agents on this machine</h2>
  <table id="agents" class="grid">
    <thead><tr><th>Agent</th><th>Project</th><th>Model</th><th>Command</th><th>Started</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
</main>"""
    return _page("Punie", "dashboard", body, token=token)


def session_page(session_id: str, token: str = "") -> str:
    """One session: live transcript, pending approvals, prompt box and cancel button."""
    body = """<main class="session">
<section class="summary">
  <h1 id="title">Session</h1>
  <div class="facts">
    <span id="state" class="state">…</span>
    <span id="project" class="muted"></span>
    <span id="model" class="muted"></span>
    <span id="tokens" class="muted"></span>
  </div>
</section>
<section id="approvals" aria-live="polite"></section>
<section id="transcript" class="transcript" aria-live="polite"></section>
<section class="composer">
  <textarea id="prompt" rows="3" placeholder="Ask the agent… (Ctrl+Enter to send)"></textarea>
  <div class="actions">
    <button id="send" type="button">Send <kbd>Ctrl+Enter</kbd></button>
    <button id="cancel" type="button" class="danger">Cancel <kbd>Esc</kbd></button>
    <span id="composer-status" class="muted"></span>
  </div>
  <p class="muted keys">Keys: <kbd>a</kbd> allow the oldest request · <kbd>r</kbd> reject it ·
    <kbd>/</kbd> focus the prompt · <kbd>Esc</kbd> cancel the running prompt</p>
</section>
</main>"""
    return _page(
        "Punie session",
        "session",
        body,
        f' data-session="{escape(session_id, quote=True)}"',
        token=token,
    )


def plugin_page(title: str, body: str | None, plugin: str, *, problem: str = "") -> str:
    """A plugin's page around its rendered (sanitized) `body`; no script, no token.

    Args:
        title: The page's title.
        body: The page's HTML from `ViewSet.render_page`, or None when it failed.
        plugin: The plugin that serves it.
        problem: Why the page could not be rendered.
    """
    content = (
        body
        if body is not None
        else (
            f'<h1>{escape(title)}</h1><p class="error">The page of plugin {escape(plugin)} failed: '
            f"{escape(problem)}</p>"
        )
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{escape(title)} · Punie</title>
<link rel="stylesheet" href="/static/app.css?v={ASSET_VERSION}">
</head>
<body data-page="plugin" data-plugin="{escape(plugin, quote=True)}">
<header class="top">
  <span class="brand">Punie</span>
  <span class="muted">page of plugin {escape(plugin)} (no script runs here; open sessions from
    the dashboard)</span>
</header>
<main class="plugin-page">
{content}
</main>
</body>
</html>
"""
