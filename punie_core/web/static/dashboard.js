// The dashboard: start a session (or resume one from the traces), this agent's sessions (live
// over SSE), every Punie agent on the machine, and the plugins' own pages.
"use strict";
(function () {
  const { el, api, ago, when, tokens, shortPath, stateLabel, stream, showAgentInfo } = window.Punie;
  const rows = new Map(); // session id -> {row, summary}
  const body = document.querySelector("#sessions tbody");
  const empty = document.getElementById("no-sessions");

  // The session's MCP servers: state and tool count; the error of a failed one on hover.
  function mcpLine(summary) {
    const servers = summary.mcp_servers || [];
    if (!servers.length) return null;
    const text = servers.map((s) => s.name + " " + s.state + (s.state === "ready" ? " (" + s.tools + ")" : "")).join(", ");
    const title = servers.map((s) => s.name + ": " + s.state + (s.error ? " - " + s.error : "")).join("\n");
    return el("div", { className: "muted small mcp", title }, "MCP: " + text);
  }

  function cells(summary) {
    const link = el("a", { href: "/sessions/" + encodeURIComponent(summary.id), className: "session-link" },
      summary.title || summary.id);
    return [
      el("td", {}, link, el("div", { className: "muted small" }, summary.id)),
      el("td", {}, el("span", { className: "state state-" + summary.state, dataset: { state: summary.state } },
        stateLabel(summary.state)),
        summary.pending_approvals ? el("span", { className: "badge warn" }, summary.pending_approvals + " pending") : null),
      el("td", { title: summary.project }, shortPath(summary.project)),
      el("td", {}, summary.model || "", mcpLine(summary)),
      el("td", { className: "num" }, tokens(summary)),
      el("td", { className: "ago", dataset: { ts: String(summary.last_activity) } }, ago(summary.last_activity)),
    ];
  }

  function upsert(summary) {
    let entry = rows.get(summary.id);
    if (!entry) {
      const row = el("tr", { dataset: { session: summary.id } });
      entry = { row, summary };
      rows.set(summary.id, entry);
      body.appendChild(row);
    }
    entry.summary = summary;
    entry.row.replaceChildren(...cells(summary));
    entry.row.dataset.state = summary.state;
    empty.hidden = rows.size > 0;
  }

  function remove(data) {
    const entry = rows.get(data.id);
    if (entry) entry.row.remove();
    rows.delete(data.id);
    empty.hidden = rows.size > 0;
  }

  async function refreshAgents() {
    const agents = await showAgentInfo();
    const tbody = document.querySelector("#agents tbody");
    tbody.replaceChildren(
      ...agents.map((agent) =>
        el("tr", { dataset: { pid: String(agent.pid) }, className: agent.current ? "current" : "" },
          el("td", {}, agent.url ? el("a", { href: agent.url, className: "agent-link" }, "pid " + agent.pid) : "pid " + agent.pid,
            agent.current ? el("span", { className: "badge" }, "this agent") : null),
          el("td", { title: agent.project }, shortPath(agent.project)),
          el("td", {}, agent.model || ""),
          el("td", {}, agent.command || ""),
          el("td", {}, when(agent.started)),
        ),
      ),
    );
  }

  // ---- new sessions and earlier ones ---------------------------------------------------

  const form = document.getElementById("start-form");
  const projectInput = document.getElementById("start-project");
  const modeSelect = document.getElementById("start-mode");
  const promptInput = document.getElementById("start-prompt");
  const startStatus = document.getElementById("start-status");

  function openSession(summary) {
    window.location.href = window.Punie.withToken("/sessions/" + encodeURIComponent(summary.id));
  }

  async function startSession(event) {
    if (event) event.preventDefault();
    const cwd = projectInput.value.trim();
    if (!cwd) {
      startStatus.textContent = "choose or type a project folder";
      projectInput.focus();
      return;
    }
    startStatus.textContent = "starting…";
    const body = { cwd, mode: modeSelect.value };
    if (promptInput.value.trim()) body.prompt = promptInput.value;
    const result = await api("/api/sessions", { body });
    if (result.ok) openSession(result.data.session);
    else startStatus.textContent = (result.data && result.data.error) || "could not start (" + result.status + ")";
  }

  async function resume(id, button) {
    button.disabled = true;
    const result = await api("/api/sessions/" + encodeURIComponent(id) + "/resume", { body: { mode: modeSelect.value } });
    if (result.ok) openSession(result.data.session);
    else {
      button.disabled = false;
      startStatus.textContent = (result.data && result.data.error) || "could not resume (" + result.status + ")";
    }
  }

  async function loadProjects() {
    const result = await api("/api/projects");
    if (!result.ok) return;
    const projects = result.data.projects.filter((p) => p.exists);
    document.getElementById("project-list").replaceChildren(...projects.map((p) => el("option", { value: p.path })));
    document.getElementById("recent-projects").replaceChildren(...projects.map((p) =>
      el("button", { type: "button", className: "project", title: p.path, dataset: { path: p.path },
        onclick: () => { projectInput.value = p.path; promptInput.focus(); } },
      shortPath(p.path), p.sessions ? el("span", { className: "muted small" }, " " + p.sessions + " earlier") : null)));
    if (!projectInput.value && projects.length) projectInput.value = projects[0].path;
  }

  async function loadHistory() {
    const result = await api("/api/history");
    if (!result.ok) return;
    const tbody = document.querySelector("#history tbody");
    tbody.replaceChildren(...result.data.sessions.map((s) => {
      const button = el("button", { type: "button", className: "resume" }, s.open ? "Open" : "Resume");
      button.addEventListener("click", () => resume(s.id, button));
      return el("tr", { dataset: { session: s.id } },
        el("td", {}, s.title || s.id, el("div", { className: "muted small" }, s.id)),
        el("td", { title: s.project }, shortPath(s.project)),
        el("td", { className: "num" }, String(s.prompts)),
        el("td", {}, s.updated_at ? new Date(s.updated_at).toLocaleString() : ""),
        el("td", {}, button));
    }));
    document.getElementById("no-history").hidden = result.data.sessions.length > 0;
  }

  async function loadPages() {
    const result = await api("/api/pages");
    if (!result.ok) return;
    const list = document.getElementById("pages");
    list.replaceChildren(...result.data.pages.map((p) =>
      el("li", {}, el("a", { href: p.url, className: "plugin-page-link" }, p.title), " ", el("span", { className: "muted" }, p.plugin))));
    document.getElementById("plugin-pages").hidden = result.data.pages.length === 0;
  }

  form.addEventListener("submit", startSession);
  promptInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) startSession(event);
  });

  async function start() {
    loadProjects();
    loadHistory();
    loadPages();
    const result = await api("/api/sessions");
    if (result.ok) result.data.sessions.forEach(upsert);
    empty.hidden = rows.size > 0;
    stream("/api/events", { session: upsert, session_removed: remove });
    refreshAgents();
    setInterval(refreshAgents, 3000);
    setInterval(() => {
      for (const node of document.querySelectorAll("td.ago")) node.textContent = ago(Number(node.dataset.ts));
    }, 1000);
  }

  start();
})();
