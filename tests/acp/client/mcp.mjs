// Drives `punie serve` with the official ACP TypeScript SDK, passing MCP servers the way
// PyCharm and Zed do: all three McpServer shapes (stdio, http, sse) in session/new, then again
// in session/load.
//
// usage: node mcp.mjs CONFIG.json
//   CONFIG: {"command": [...argv of punie serve...], "cwd": "/abs/workspace", "env": {...},
//            "servers": [McpServer, ...] (session/new), "reload": [McpServer, ...] (session/load),
//            "stderrLog": "/abs/file for the agent's stderr"}
//
// Checks: mcpCapabilities advertised; session/new answers fast whatever the servers do; the
// scripted model's Code Mode snippets call MCP tools and read typed results; a writing MCP
// tool asks permission, a refusal is respected and an approval runs it; the person sees which
// servers connected and which failed, and why (agent message, /status, session info _meta);
// session/load reconnects. On success the last stdout line is a JSON summary.

import { spawn } from "node:child_process";
import fs from "node:fs";
import { Readable, Writable } from "node:stream";
import { client, methods, ndJsonStream, PROTOCOL_VERSION } from "@agentclientprotocol/sdk";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const cwd = config.cwd;

function log(...args) {
  console.error("[mcp-client]", ...args);
}

function check(condition, message) {
  if (!condition) {
    log("CHECK FAILED:", message);
    throw new Error(`check failed: ${message}`);
  }
}

function waitFor(predicate, what, timeoutMs = 30000) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const value = predicate();
      if (value) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

const stderrFd = fs.openSync(config.stderrLog, "w");
const proc = spawn(config.command[0], config.command.slice(1), {
  cwd,
  stdio: ["pipe", "pipe", stderrFd],
  env: { ...process.env, ...(config.env || {}) },
});
const stream = ndJsonStream(Writable.toWeb(proc.stdin), Readable.toWeb(proc.stdout));

const updates = [];
const permissionRequests = [];
const permissionAnswers = [];

const app = client({ name: "punie-mcp-e2e-client" })
  .onNotification(methods.client.session.update, ({ params }) => {
    updates.push(params);
  })
  .onRequest(methods.client.session.requestPermission, ({ params }) => {
    permissionRequests.push(params);
    const kind = permissionAnswers.shift() ?? "reject_once";
    const option = params.options.find((o) => o.kind === kind);
    log("permission", params.toolCall.title, "->", kind);
    return { outcome: { outcome: "selected", optionId: option.optionId } };
  })
  .onRequest(methods.client.fs.readTextFile, ({ params }) => ({ content: fs.readFileSync(params.path, "utf8") }))
  .onRequest(methods.client.fs.writeTextFile, ({ params }) => {
    fs.writeFileSync(params.path, params.content);
    return {};
  });

function sessionUpdates(sessionId, from = 0) {
  return updates.slice(from).filter((p) => p.sessionId === sessionId).map((p) => p.update);
}

function text(list) {
  return list.filter((u) => u.sessionUpdate === "agent_message_chunk").map((u) => u.content.text).join("");
}

function toolText(list) {
  return list
    .filter((u) => u.sessionUpdate === "tool_call_update")
    .flatMap((u) => u.content ?? [])
    .map((c) => c.content?.text ?? "")
    .join("\n");
}

async function prompt(ctx, sessionId, words) {
  return await ctx.request(methods.agent.session.prompt, { sessionId, prompt: [{ type: "text", text: words }] });
}

async function scenario(ctx) {
  const summary = {};
  const started = Date.now();
  const { sessionId } = await ctx.request(methods.agent.session.new, { cwd, mcpServers: config.servers });
  summary.sessionNewMs = Date.now() - started;
  await waitFor(() => sessionUpdates(sessionId).some((u) => u.sessionUpdate === "available_commands_update"), "slash commands");
  const commands = sessionUpdates(sessionId).find((u) => u.sessionUpdate === "available_commands_update").availableCommands;
  check(commands.some((c) => c.name === "status"), "/status is announced");

  // 1. Code Mode calls MCP tools from all three transports and reads typed results by field.
  let mark = updates.length;
  permissionAnswers.push("allow_once"); // basic_whoami has no annotations: unknown tools ask
  let response = await prompt(ctx, sessionId, "Check broken.py with the IDE");
  check(response.stopReason === "end_turn", `first prompt ended ${response.stopReason}`);
  let seen = sessionUpdates(sessionId, mark);
  const said = text(seen);
  check(said.includes("MCP servers:"), "the MCP servers are announced in the conversation");
  check(/basic \(stdio, client\): ready, 4 tools/.test(said), `basic ready in: ${said}`);
  check(/jb \(http, client\): ready, 4 tools/.test(said), "the http server is ready");
  check(/legacy \(sse, client\): ready, 4 tools/.test(said), "the sse server is ready");
  check(/crash \(stdio, client\): failed: .*missing licence file/.test(said), "the crash is explained");
  check(/malformed \(stdio, client\): failed: .*strng/.test(said), "the malformed schema is explained");
  check(said.includes("Checked."), "the model's answer");
  const output = toolText(seen);
  check(output.includes("problem 1 '(' was never closed"), `typed result read by field: ${output}`);
  check(output.includes("echo 5 sse"), "http and sse tools answered");
  check(output.includes("token=[secret]"), "the secret is masked in results");
  check(permissionRequests.length === 1 && permissionRequests[0].toolCall.title.startsWith("basic_whoami"), "the unannotated tool asked");
  check(seen.filter((u) => u.sessionUpdate === "tool_call" && u.title.startsWith("jb_get_file_problems")).length === 1, "the read-only IDE tool ran without asking");
  const mcpCalls = seen.filter((u) => u.sessionUpdate === "tool_call" && /^(jb|basic|legacy)_/.test(u.title));
  check(mcpCalls.length >= 4, `MCP calls shown as tool calls (${mcpCalls.length})`);
  const info = updates.filter((p) => p.sessionId === sessionId && p.update.sessionUpdate === "session_info_update" && p.update._meta?.punie?.mcpServers);
  check(info.length > 0, "session info carries the MCP servers");
  summary.infoServers = info.at(-1).update._meta.punie.mcpServers.map((s) => `${s.name}:${s.state}`);

  // 2. A writing MCP tool asks permission; a refusal is respected.
  mark = updates.length;
  permissionAnswers.push("reject_once");
  response = await prompt(ctx, sessionId, "Write a note");
  check(response.stopReason === "end_turn", `refused prompt ended ${response.stopReason}`);
  check(permissionRequests.length === 2, `a permission request, got ${permissionRequests.length}`);
  check(permissionRequests[1].toolCall.title.startsWith("basic_write_note(note.txt)"), permissionRequests[1].toolCall.title);
  check(!fs.existsSync(`${cwd}/note.txt`), "nothing written after a refusal");
  check(toolText(sessionUpdates(sessionId, mark)).includes("refused"), "the snippet saw the refusal");

  // 3. Approved, it runs.
  permissionAnswers.push("allow_once");
  response = await prompt(ctx, sessionId, "Write the note, I allow it");
  check(response.stopReason === "end_turn", `allowed prompt ended ${response.stopReason}`);
  check(fs.readFileSync(`${cwd}/note.txt`, "utf8") === "approved", "the approved tool wrote the note");

  // 4. /status lists every server, its tools and why one failed.
  mark = updates.length;
  await prompt(ctx, sessionId, "/status");
  const status = text(sessionUpdates(sessionId, mark));
  check(status.includes("Mode: ask"), "status shows the mode");
  check(/jb \(http, client\): ready, 4 tools/.test(status), "status shows the http server");
  check(/crash \(stdio, client\): failed/.test(status), "status shows the failure");
  summary.status = status;

  // 5. session/load reconnects with the servers it passes.
  mark = updates.length;
  const loaded = await ctx.request(methods.agent.session.load, { sessionId, cwd, mcpServers: config.reload });
  check(loaded.modes, "session/load answered");
  response = await prompt(ctx, sessionId, "Echo again after the reload");
  check(response.stopReason === "end_turn", `prompt after load ended ${response.stopReason}`);
  seen = sessionUpdates(sessionId, mark);
  check(toolText(seen).includes("again 5"), `reloaded server answered: ${toolText(seen)}`);
  check(/basic \(stdio, client\): ready/.test(text(seen)), "the reloaded servers are announced");
  check(!/crash/.test(text(seen)), "servers not passed again are gone");
  summary.permissionRequests = permissionRequests.length;
  return summary;
}

// "slow": one server that takes seconds to start; session/new must not wait for it, and the
// first prompt uses its tools once it is up.
async function slowScenario(ctx) {
  const started = Date.now();
  const { sessionId } = await ctx.request(methods.agent.session.new, { cwd, mcpServers: config.servers });
  const sessionNewMs = Date.now() - started;
  const response = await prompt(ctx, sessionId, "Use the slow server");
  check(response.stopReason === "end_turn", `prompt ended ${response.stopReason}`);
  const seen = sessionUpdates(sessionId);
  return { sessionNewMs, answer: text(seen), output: toolText(seen) };
}

let exitCode = 0;
try {
  const summary = await app.connectWith(stream, async (ctx) => {
    const init = await ctx.request(methods.agent.initialize, {
      protocolVersion: PROTOCOL_VERSION,
      clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: false },
      clientInfo: { name: "punie-mcp-e2e-client", version: "0.0.1" },
    });
    check(init.agentCapabilities.mcpCapabilities?.http === true, "mcpCapabilities.http");
    check(init.agentCapabilities.mcpCapabilities?.sse === true, "mcpCapabilities.sse");
    return config.scenario === "slow" ? await slowScenario(ctx) : await scenario(ctx);
  });
  console.log(JSON.stringify(summary));
} catch (error) {
  log("FAILED:", error?.stack ?? error);
  exitCode = 1;
} finally {
  proc.stdin.end();
  const exited = await Promise.race([
    new Promise((resolve) => proc.on("exit", (code) => resolve(code ?? "signal"))),
    new Promise((resolve) => setTimeout(() => resolve(null), 15000)),
  ]);
  if (exited === null) {
    log("punie serve did not exit after stdin closed");
    proc.kill("SIGKILL");
    exitCode = 1;
  } else if (exited !== 0) {
    log("punie serve exited with", exited);
    exitCode = exitCode || 1;
  }
}
process.exit(exitCode);
