"""The two HTML pages: static shells; the page scripts fill in every dynamic value as text."""

from __future__ import annotations

from html import escape

ASSET_VERSION = "1"


def _page(title: str, page: str, body: str, attributes: str = "") -> str:
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
<script src="/static/highlight.js?v={ASSET_VERSION}"></script>
<script src="/static/common.js?v={ASSET_VERSION}"></script>
<script src="/static/{page}.js?v={ASSET_VERSION}"></script>
</body>
</html>
"""


def dashboard_page() -> str:
    """The dashboard: this agent's sessions and every Punie agent on the machine."""
    body = """<main>
<section>
  <h1>Sessions</h1>
  <table id="sessions" class="grid">
    <thead><tr><th>Session</th><th>State</th><th>Project</th><th>Model</th>
      <th>Tokens (in / out)</th><th>Last activity</th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="no-sessions" class="muted">No session yet: start one from your IDE or with
    <code>punie run --web</code>.</p>
</section>
<section>
  <h2>Punie agents on this machine</h2>
  <table id="agents" class="grid">
    <thead><tr><th>Agent</th><th>Project</th><th>Model</th><th>Command</th><th>Started</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
</main>"""
    return _page("Punie", "dashboard", body)


def session_page(session_id: str) -> str:
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
        "Punie session", "session", body, f' data-session="{escape(session_id, quote=True)}"'
    )
