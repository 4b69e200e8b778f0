// The dashboard: this agent's sessions (live over SSE) and every Punie agent on the machine.
"use strict";
(function () {
  const { el, api, ago, when, tokens, shortPath, stateLabel, stream, showAgentInfo } = window.Punie;
  const rows = new Map(); // session id -> {row, summary}
  const body = document.querySelector("#sessions tbody");
  const empty = document.getElementById("no-sessions");

  function cells(summary) {
    const link = el("a", { href: "/sessions/" + encodeURIComponent(summary.id), className: "session-link" },
      summary.title || summary.id);
    return [
      el("td", {}, link, el("div", { className: "muted small" }, summary.id)),
      el("td", {}, el("span", { className: "state state-" + summary.state, dataset: { state: summary.state } },
        stateLabel(summary.state)),
        summary.pending_approvals ? el("span", { className: "badge warn" }, summary.pending_approvals + " pending") : null),
      el("td", { title: summary.project }, shortPath(summary.project)),
      el("td", {}, summary.model || ""),
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

  async function start() {
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
