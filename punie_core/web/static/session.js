// One session: the live transcript (messages, Code Mode snippets, tool calls and their typed
// results, findings, diffs), permission requests with keyboard shortcuts, prompt and cancel.
"use strict";
(function () {
  const { el, api, tokens, shortPath, stateLabel, stream, showAgentInfo } = window.Punie;
  const sessionId = document.body.dataset.session;
  const base = "/api/sessions/" + encodeURIComponent(sessionId);
  const transcript = document.getElementById("transcript");
  const approvalsBox = document.getElementById("approvals");
  const promptBox = document.getElementById("prompt");
  const status = document.getElementById("composer-status");

  let lastSeq = 0;
  let summary = null;
  let assistant = null; // the message text node being streamed into
  let thinking = null;
  let runningSnippet = null; // tool calls made inside a snippet nest in its card
  const snippets = new Map(); // call_id -> card
  const toolCards = new Map(); // call_id -> card
  const approvals = new Map(); // call_id -> card (oldest first)

  const EVENT_TYPES = [
    "prompt_started", "text_delta", "thinking_delta", "snippet_started", "snippet_finished",
    "tool_call_started", "tool_call_finished", "usage_update", "plan_update", "state_changed",
    "prompt_finished", "approval_requested", "approval_resolved", "validation_finished", "error",
    "session_restored",
  ];

  // ---- rendering helpers ---------------------------------------------------------------

  function add(node) {
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
    transcript.appendChild(node);
    if (atBottom) node.scrollIntoView({ block: "end" });
    return node;
  }

  // A tool card goes inside the snippet that is running (its calls), else in the transcript.
  function place(card) {
    if (!runningSnippet) return add(card);
    let calls = runningSnippet.querySelector(".nested");
    if (!calls) calls = runningSnippet.appendChild(el("div", { className: "nested" }));
    calls.appendChild(card);
    return card;
  }

  function pre(text, className) {
    return el("pre", { className: className || "" }, text === undefined || text === null ? "" : String(text));
  }

  function code(text) {
    const block = el("pre", { className: "code python" });
    const inner = el("code");
    inner.appendChild(window.PunieHighlight.python(String(text || "")));
    block.appendChild(inner);
    return block;
  }

  function diffView(diff) {
    if (!diff) return null;
    const box = el("div", { className: "diff" },
      el("div", { className: "diff-head" }, (diff.created ? "new file " : "edit ") + diff.path));
    const body = el("pre", { className: "diff-body" });
    for (const line of diff.diff || []) {
      let kind = "ctx";
      if (line.startsWith("+++") || line.startsWith("---")) kind = "meta";
      else if (line.startsWith("@@")) kind = "hunk";
      else if (line.startsWith("+")) kind = "add";
      else if (line.startsWith("-")) kind = "del";
      body.appendChild(el("span", { className: "diff-" + kind }, line + "\n"));
    }
    if (diff.truncated) body.appendChild(el("span", { className: "diff-meta" }, "[diff cut]\n"));
    box.appendChild(body);
    return box;
  }

  function findingsView(findings) {
    return el("table", { className: "findings" },
      el("thead", {}, el("tr", {}, el("th", {}, "file"), el("th", {}, "line"), el("th", {}, "rule"), el("th", {}, "message"))),
      el("tbody", {}, findings.map((f) =>
        el("tr", {}, el("td", {}, f.path || ""), el("td", { className: "num" }, f.line === undefined ? "" : String(f.line)),
          el("td", {}, f.rule || ""), el("td", {}, f.message || "")))));
  }

  // A noun shown by the server: its plugin's view, or the generic view from its schema. The
  // HTML was rendered with escaping on and rebuilt from an allowlist (punie_core/views); it is
  // parsed into an inert document (nothing in it runs) and the page's CSP forbids inline script.
  function nounView(view) {
    const box = el("div", { className: "view-box", dataset: { noun: view.noun || "", plugin: view.plugin || "generic" } });
    if (view.notice) box.appendChild(el("div", { className: "view-notice" }, view.notice));
    const parsed = new DOMParser().parseFromString(String(view.html || ""), "text/html");
    for (const node of Array.from(parsed.body.childNodes)) box.appendChild(document.adoptNode(node));
    return box;
  }

  function isRecord(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  // Rows of records as a table whose columns are the records' own keys.
  function tableView(rows, depth) {
    const columns = [];
    for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    return el("table", { className: "v-table" },
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", {}, c)))),
      el("tbody", {}, rows.map((row) => el("tr", {}, columns.map((c) => el("td", {}, valueView(row[c], depth + 1)))))));
  }

  // A plain value (not a noun): strings as text, lists of records as tables, objects as fields.
  function valueView(value, depth) {
    depth = depth || 0;
    if (value === null || value === undefined) return el("span", { className: "muted" }, "None");
    if (typeof value === "string") return pre(value, "value");
    if (typeof value !== "object") return el("code", {}, JSON.stringify(value));
    if (depth > 2) return pre(JSON.stringify(value, null, 2), "value");
    if (Array.isArray(value)) {
      if (value.length && value.every(isRecord)) return tableView(value, depth);
      return el("ol", { className: "value-list" }, value.map((v) => el("li", {}, valueView(v, depth + 1))));
    }
    return fieldsView(value, depth);
  }

  function fieldsView(object, depth) {
    if (depth > 2) return pre(JSON.stringify(object, null, 2), "value");
    return el("dl", { className: "fields" }, Object.entries(object).map(([k, v]) => [el("dt", {}, k), el("dd", {}, valueView(v, depth + 1))]));
  }

  function badge(text, kind) {
    return el("span", { className: "badge " + (kind || "") }, text);
  }

  function ms(value) {
    return typeof value === "number" ? value.toFixed(value < 10 ? 1 : 0) + " ms" : "";
  }

  function endText() {
    assistant = null;
    thinking = null;
  }

  // ---- one handler per event type ------------------------------------------------------

  const render = {
    prompt_started(data) {
      endText();
      runningSnippet = null;
      add(el("div", { className: "msg user" + (data.restored ? " restored" : "") },
        el("div", { className: "who" }, data.restored ? "you (earlier)" : "you"), pre(data.text, "text")));
    },
    session_restored(data) {
      endText();
      add(el("div", { className: "note restored-note" },
        "resumed from the traces: " + data.turns + " earlier turn" + (data.turns === 1 ? "" : "s") +
        "; the model sees this conversation with your next prompt"));
    },
    text_delta(data) {
      if (!assistant) {
        assistant = document.createTextNode("");
        add(el("div", { className: "msg assistant" }, el("div", { className: "who" }, "agent"),
          el("div", { className: "text" }, assistant)));
      }
      assistant.appendData(data.text || "");
    },
    thinking_delta(data) {
      if (!thinking) {
        thinking = document.createTextNode("");
        add(el("details", { className: "thinking" }, el("summary", {}, "thinking"), el("div", { className: "text" }, thinking)));
      }
      thinking.appendData(data.text || "");
    },
    snippet_started(data) {
      endText();
      const card = el("div", { className: "card snippet", dataset: { call: data.call_id || "" } },
        el("div", { className: "card-head" }, badge("Code Mode"), el("span", { className: "status running" }, "running")),
        code(data.code));
      snippets.set(data.call_id, card);
      runningSnippet = card;
      add(card);
    },
    snippet_finished(data) {
      endText();
      let card = snippets.get(data.call_id);
      if (!card) card = add(el("div", { className: "card snippet" }, el("div", { className: "card-head" }, badge("Code Mode"))));
      if (runningSnippet === card) runningSnippet = null;
      const result = data.result || {};
      const head = card.querySelector(".card-head");
      const old = head.querySelector(".status");
      if (old) old.remove();
      head.appendChild(el("span", { className: "status " + (result.ok ? "ok" : "failed") }, result.ok ? "ok" : "failed"));
      head.appendChild(el("span", { className: "muted" }, ms(result.ms)));
      const body = el("div", { className: "result" });
      if (result.stdout) body.appendChild(el("div", {}, el("div", { className: "label" }, "output"), pre(result.stdout, "stdout")));
      if (result.value !== null && result.value !== undefined) body.appendChild(el("div", {}, el("div", { className: "label" }, "value"), valueView(result.value)));
      if (result.error) {
        const e = result.error;
        body.appendChild(el("div", { className: "error" }, (e.type || "Error") + (e.line ? " (line " + e.line + ")" : "") + ": " + (e.message || "")));
      }
      if (result.tool_calls && result.tool_calls.length) {
        body.appendChild(el("ul", { className: "calls" }, result.tool_calls.map((c) =>
          el("li", {}, el("code", {}, c.tool), " ", badge(c.ok ? "ok" : "failed", c.ok ? "ok" : "bad"), " ", ms(c.ms), c.error ? " " + c.error : ""))));
      }
      card.appendChild(body);
    },
    tool_call_started(data) {
      endText();
      const card = el("div", { className: "card tool", dataset: { call: data.call_id || "", tool: data.tool || "" } },
        el("div", { className: "card-head" }, badge(data.kind || "tool"), el("span", { className: "title" }, data.title || data.tool),
          el("span", { className: "status running" }, "running")));
      const args = Object.assign({}, data.arguments || {});
      if (data.diff && typeof args.content === "string") delete args.content; // the diff shows it
      if (Object.keys(args).length) card.appendChild(el("details", { className: "args" }, el("summary", {}, "arguments"), fieldsView(args, 1)));
      const diff = diffView(data.diff);
      if (diff) card.appendChild(diff);
      toolCards.set(data.call_id, card);
      place(card);
    },
    tool_call_finished(data) {
      endText();
      let card = toolCards.get(data.call_id);
      if (!card) {
        card = place(el("div", { className: "card tool", dataset: { call: data.call_id || "", tool: data.tool || "" } },
          el("div", { className: "card-head" }, badge("tool"), el("span", { className: "title" }, data.tool))));
      }
      const head = card.querySelector(".card-head");
      const old = head.querySelector(".status");
      if (old) old.remove();
      const label = data.refused ? "refused" : data.ok ? "ok" : "failed";
      head.appendChild(el("span", { className: "status " + (data.ok ? "ok" : "failed") }, label));
      head.appendChild(el("span", { className: "muted" }, ms(data.ms)));
      const body = el("div", { className: "result" });
      if (data.ok) {
        body.appendChild(el("div", { className: "label" }, "→ ", el("code", { className: "result-type" }, data.result_type || "")));
        body.appendChild(data.view ? nounView(data.view) : valueView(data.result));
      } else if (data.error) {
        body.appendChild(el("div", { className: "error" }, data.error));
      }
      card.appendChild(body);
    },
    usage_update(data) {
      if (summary) {
        summary.input_tokens = data.input_tokens;
        summary.output_tokens = data.output_tokens;
        showSummary();
      }
    },
    plan_update(data) {
      endText();
      add(el("div", { className: "card plan" }, el("div", { className: "card-head" }, badge("plan")),
        el("ol", {}, (data.entries || []).map((e) => el("li", { className: "plan-" + (e.status || "") },
          String(e.content || e.title || JSON.stringify(e)), e.status ? " " : "", e.status ? badge(e.status) : null)))));
    },
    state_changed(data) {
      if (summary) {
        summary.state = approvals.size ? "waiting_approval" : data.state;
        showSummary();
      }
    },
    prompt_finished(data) {
      endText();
      const outcome = data.outcome || {};
      const reason = outcome.stop_reason || "end_turn";
      const line = el("div", { className: "outcome outcome-" + reason }, "turn ended: " + reason);
      if (outcome.error) line.appendChild(el("div", { className: "error" }, outcome.error));
      add(line);
      const validation = outcome.validation;
      if (validation && Array.isArray(validation.findings)) render.validation_finished(validation);
    },
    validation_finished(data) {
      endText();
      const findings = data.findings || [];
      add(el("div", { className: "card validation" }, el("div", { className: "card-head" }, badge("validation"),
        el("span", { className: "status " + (findings.length ? "failed" : "ok") }, findings.length ? findings.length + " finding(s)" : "passed")),
        findings.length ? findingsView(findings) : null));
    },
    approval_requested(data) {
      endText();
      showApproval(data);
      add(el("div", { className: "note", dataset: { approval: data.call_id } }, "permission asked: " + data.title));
    },
    approval_resolved(data) {
      const card = approvals.get(data.call_id);
      if (card) card.remove();
      approvals.delete(data.call_id);
      const who = data.by === "browser" ? "in the browser" : data.by === "ide" ? "in the IDE" : "(" + data.by + ")";
      add(el("div", { className: "note " + (data.allowed ? "allowed" : "rejected"), dataset: { resolved: data.call_id } },
        (data.allowed ? "allowed " : "rejected ") + who + ": " + data.title));
      if (summary && !approvals.size && summary.state === "waiting_approval") {
        summary.state = "running_tool";
        showSummary();
      }
    },
    error(data) {
      endText();
      add(el("div", { className: "error" }, data.message || "error"));
    },
  };

  function generic(type, data) {
    endText();
    add(el("details", { className: "card other" }, el("summary", {}, type), pre(JSON.stringify(data, null, 2))));
  }

  function handle(record) {
    if (record.seq <= lastSeq) return;
    lastSeq = record.seq;
    const handler = render[record.type];
    if (handler) handler(record.data || {});
    else generic(record.type, record.data);
  }

  // ---- approvals ----------------------------------------------------------------------

  function showApproval(data) {
    if (approvals.has(data.call_id)) return;
    const card = el("div", { className: "card approval" + (data.sensitive ? " sensitive" : ""), dataset: { call: data.call_id } },
      el("div", { className: "card-head" }, badge("permission", "warn"), el("span", { className: "title" }, data.title),
        data.sensitive ? badge("sensitive file", "bad") : null),
      el("div", { className: "muted" }, "tool ", el("code", {}, data.tool), " · kind ", data.kind,
        data.askers && data.askers.length > 1 ? " · also asked: " + data.askers.filter((a) => a !== "browser").join(", ") : ""),
      diffView(data.diff) || (Object.keys(data.arguments || {}).length ? fieldsView(data.arguments, 1) : null),
      el("div", { className: "actions" },
        el("button", { type: "button", className: "allow", onclick: () => answer(data.call_id, true) }, "Allow ", el("kbd", {}, "a")),
        el("button", { type: "button", className: "reject danger", onclick: () => answer(data.call_id, false) }, "Reject ", el("kbd", {}, "r"))));
    approvals.set(data.call_id, card);
    approvalsBox.appendChild(card);
    if (summary) {
      summary.state = "waiting_approval";
      showSummary();
    }
  }

  async function answer(callId, allow) {
    const card = approvals.get(callId);
    if (card) card.querySelectorAll("button").forEach((b) => (b.disabled = true));
    const result = await api(base + "/approvals/" + encodeURIComponent(callId), { body: { allow } });
    if (!result.ok && card) {
      card.querySelectorAll("button").forEach((b) => (b.disabled = false));
      status.textContent = (result.data && result.data.error) || "could not answer (" + result.status + ")";
    }
  }

  // ---- summary, prompt, cancel ---------------------------------------------------------

  function showSummary() {
    if (!summary) return;
    document.getElementById("title").textContent = summary.title || "Session " + summary.id;
    document.title = "Punie · " + (summary.title || summary.id);
    const state = document.getElementById("state");
    state.textContent = stateLabel(summary.state);
    state.className = "state state-" + summary.state;
    state.dataset.state = summary.state;
    document.getElementById("project").textContent = shortPath(summary.project);
    document.getElementById("project").title = summary.project || "";
    document.getElementById("model").textContent = summary.model || "";
    document.getElementById("tokens").textContent = "tokens " + tokens(summary);
  }

  async function send() {
    const text = promptBox.value;
    if (!text.trim()) return;
    status.textContent = "sending…";
    const result = await api(base + "/prompts", { body: { text } });
    if (result.ok) {
      promptBox.value = "";
      status.textContent = "sent";
    } else {
      status.textContent = (result.data && result.data.error) || "could not send (" + result.status + ")";
    }
  }

  async function cancel() {
    const result = await api(base + "/cancel", { body: {} });
    status.textContent = result.ok ? (result.data.cancelled ? "cancelling…" : "nothing to cancel") : "could not cancel (" + result.status + ")";
  }

  document.getElementById("send").addEventListener("click", send);
  document.getElementById("cancel").addEventListener("click", cancel);

  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLInputElement;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      send();
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      if (typing) event.target.blur();
      cancel();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const oldest = approvals.keys().next();
    if ((event.key === "a" || event.key === "y") && !oldest.done) {
      event.preventDefault();
      answer(oldest.value, true);
    } else if ((event.key === "r" || event.key === "n") && !oldest.done) {
      event.preventDefault();
      answer(oldest.value, false);
    } else if (event.key === "/") {
      event.preventDefault();
      promptBox.focus();
    }
  });

  // ---- start: snapshot, then live events from where it ended ---------------------------

  async function start() {
    showAgentInfo();
    const result = await api(base);
    if (!result.ok) {
      status.textContent = result.status === 404 ? "no such session" : "could not load (" + result.status + ")";
      return;
    }
    summary = result.data.session;
    showSummary();
    for (const record of result.data.events) handle(record);
    for (const approval of result.data.approvals) showApproval(approval);
    const handlers = {};
    for (const type of EVENT_TYPES) handlers[type] = handle;
    handlers.reset = () => window.location.reload();
    stream(base + "/events?after=" + lastSeq, handlers);
    stream("/api/events", {
      session(data) {
        if (data.id !== sessionId) return;
        summary = data;
        showSummary();
      },
    });
    document.body.dataset.ready = "1";
  }

  start();
})();
