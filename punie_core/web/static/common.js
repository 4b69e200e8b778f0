// Shared helpers of the Punie pages. Rule: text from the agent, the model or files only ever
// reaches the page through textContent / text nodes (never innerHTML), so it cannot run.
"use strict";
(function () {
  // The launch token comes in this page's own address (?token=). It is never put in a cookie:
  // a cookie would be sent to every other server on 127.0.0.1 too. Requests carry it as a
  // header; event streams and links to this server's pages carry it in their address.
  const TOKEN = new URLSearchParams(window.location.search).get("token") || "";

  function withToken(path) {
    if (!TOKEN) return path;
    const hash = path.indexOf("#");
    const base = hash >= 0 ? path.slice(0, hash) : path;
    const fragment = hash >= 0 ? path.slice(hash) : "";
    if (/[?&]token=/.test(base)) return path;
    return base + (base.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN) + fragment;
  }

  const STATE_LABELS = {
    idle: "idle",
    thinking: "thinking",
    running_tool: "running a tool",
    waiting_approval: "waiting for approval",
    finished: "finished",
    failed: "failed",
  };

  // el("div", {className: "x", title: "..."}, "text", child, ...)
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "href") node.setAttribute("href", safeHref(value));
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Only http(s) and same-site paths may become links (a registry entry could hold anything).
  function safeHref(value) {
    const text = String(value);
    if (text.startsWith("/") && !text.startsWith("//")) return withToken(text);
    try {
      const url = new URL(text);
      if (url.protocol === "http:" || url.protocol === "https:") return url.href;
    } catch (error) {
      /* not a URL */
    }
    return "#";
  }

  async function api(path, options) {
    const init = { method: "GET", headers: { "X-Punie-Token": TOKEN }, credentials: "omit", cache: "no-store" };
    if (options && options.body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    const response = await fetch(path, init);
    let data = null;
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (error) {
        data = { error: text };
      }
    }
    return { ok: response.ok, status: response.status, data };
  }

  function stateLabel(state) {
    return STATE_LABELS[state] || String(state);
  }

  function ago(ts) {
    if (!ts) return "";
    const seconds = Math.max(0, Math.round(Date.now() / 1000 - ts));
    if (seconds < 60) return seconds + " s ago";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    return Math.round(seconds / 3600) + " h ago";
  }

  function when(ts) {
    return ts ? new Date(ts * 1000).toLocaleString() : "";
  }

  function tokens(summary) {
    return (summary.input_tokens || 0).toLocaleString() + " / " + (summary.output_tokens || 0).toLocaleString();
  }

  function shortPath(path) {
    const parts = String(path || "").split("/").filter(Boolean);
    return parts.length ? parts[parts.length - 1] : String(path || "");
  }

  function setConnection(live) {
    const node = document.getElementById("connection");
    if (!node) return;
    node.textContent = live ? "live" : "reconnecting…";
    node.className = "connection " + (live ? "live" : "down");
  }

  // EventSource with handlers by event name; the browser reconnects by itself (Last-Event-ID).
  function stream(url, handlers) {
    const source = new EventSource(withToken(url));
    source.onopen = () => setConnection(true);
    source.onerror = () => setConnection(false);
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        let data = null;
        try {
          data = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        handler(data, event);
      });
    }
    return source;
  }

  async function showAgentInfo() {
    const result = await api("/api/agents");
    const node = document.getElementById("agent-info");
    if (!result.ok || !node) return [];
    const me = result.data.agents.find((a) => a.current);
    if (me) node.textContent = shortPath(me.project) + " · " + (me.model || "default model") + " · pid " + me.pid;
    return result.data.agents;
  }

  // Links written in the page's markup (the brand link) get the token too.
  for (const link of document.querySelectorAll('a[href^="/"]')) {
    link.setAttribute("href", safeHref(link.getAttribute("href")));
  }

  window.Punie = { el, api, ago, when, tokens, shortPath, stateLabel, stream, safeHref, withToken, setConnection, showAgentInfo };
})();
