// Drives `punie serve` with the official ACP TypeScript SDK, the way an IDE does.
//
// usage: node drive.mjs CONFIG.json
//   CONFIG: {"command": [...argv of punie serve...], "cwd": "/abs/workspace",
//            "scenario": "main" | "cancel", "env": {...}}
//
// "main" (fs + terminal offered, like Zed): a Code Mode snippet reads a file (served from an
// unsaved editor buffer) and writes another (permission allowed); a write whose permission is
// rejected; a command in an IDE terminal; a cancel while the answer streams; session/list and
// session/load of the conversation.
// "cancel" (no terminal, like JetBrains): a local command is cancelled mid-run; the child
// process must be gone and the session must answer the next prompt.
//
// Every check failure exits 1 with a message; on success the last stdout line is a JSON summary.

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { client, methods, ndJsonStream, PROTOCOL_VERSION } from "@agentclientprotocol/sdk";

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const cwd = config.cwd;
const scenario = config.scenario;
const withTerminal = scenario === "main";

function log(...args) {
  console.error("[client]", ...args);
}

function check(condition, message) {
  if (!condition) {
    log("CHECK FAILED:", message);
    throw new Error(`check failed: ${message}`);
  }
}

function waitFor(predicate, what, timeoutMs = 20000) {
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

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

const proc = spawn(config.command[0], config.command.slice(1), {
  cwd,
  stdio: ["pipe", "pipe", "inherit"],
  env: { ...process.env, ...(config.env || {}) },
});
const stream = ndJsonStream(Writable.toWeb(proc.stdin), Readable.toWeb(proc.stdout));

// What the "IDE" saw.
const updates = []; // {sessionId, update}
const permissionRequests = [];
const permissionAnswers = []; // option kinds to pick, in order
const buffers = new Map(); // unsaved editor text by absolute path
const reads = [];
const writes = [];
const terminals = new Map();
let nextTerminal = 0;

const app = client({ name: "punie-e2e-client" })
  .onNotification(methods.client.session.update, ({ params }) => {
    updates.push(params);
    const u = params.update;
    const detail = u.sessionUpdate.startsWith("tool_call") ? `${u.toolCallId} ${u.status ?? ""} ${u.title ?? ""}` : "";
    log("update", u.sessionUpdate, detail);
  })
  .onRequest(methods.client.session.requestPermission, ({ params }) => {
    permissionRequests.push(params);
    const kind = permissionAnswers.shift() ?? "allow_once";
    const option = params.options.find((o) => o.kind === kind);
    log("permission", params.toolCall.title, "->", kind);
    return { outcome: { outcome: "selected", optionId: option.optionId } };
  })
  .onRequest(methods.client.fs.readTextFile, ({ params }) => {
    reads.push(params.path);
    if (buffers.has(params.path)) return { content: buffers.get(params.path) };
    return { content: fs.readFileSync(params.path, "utf8") };
  })
  .onRequest(methods.client.fs.writeTextFile, ({ params }) => {
    writes.push(params.path);
    fs.mkdirSync(path.dirname(params.path), { recursive: true });
    fs.writeFileSync(params.path, params.content); // the editor saves the buffer
    return {};
  })
  .onRequest(methods.client.terminal.create, ({ params }) => {
    const id = `term-${nextTerminal++}`;
    const child = spawn(params.command, params.args ?? [], { cwd: params.cwd ?? cwd, stdio: ["ignore", "pipe", "pipe"] });
    const terminal = { child, output: "", exit: null };
    child.stdout.on("data", (d) => (terminal.output += d));
    child.stderr.on("data", (d) => (terminal.output += d));
    terminal.exited = new Promise((resolve) =>
      child.on("close", (code, signal) => resolve((terminal.exit = { exitCode: code, signal }))),
    );
    terminals.set(id, terminal);
    log("terminal/create", id, params.command, (params.args ?? []).join(" "));
    return { terminalId: id };
  })
  .onRequest(methods.client.terminal.waitForExit, async ({ params }) => await terminals.get(params.terminalId).exited)
  .onRequest(methods.client.terminal.output, ({ params }) => {
    const t = terminals.get(params.terminalId);
    return { output: t.output, truncated: false, exitStatus: t.exit ?? undefined };
  })
  .onRequest(methods.client.terminal.kill, ({ params }) => {
    terminals.get(params.terminalId).child.kill("SIGKILL");
    return {};
  })
  .onRequest(methods.client.terminal.release, ({ params }) => {
    const t = terminals.get(params.terminalId);
    if (t.exit === null) t.child.kill("SIGKILL");
    t.released = true;
    return {};
  });

function sessionUpdates(sessionId, from = 0) {
  return updates.slice(from).filter((p) => p.sessionId === sessionId).map((p) => p.update);
}

function text(list, kind = "agent_message_chunk") {
  return list.filter((u) => u.sessionUpdate === kind).map((u) => u.content.text).join("");
}

// Every tool call shown must end completed or failed: nothing left spinning in the IDE.
function checkAllSettled(list, what) {
  const last = new Map();
  for (const u of list) {
    if ((u.sessionUpdate === "tool_call" || u.sessionUpdate === "tool_call_update") && u.status) last.set(u.toolCallId, u.status);
  }
  for (const [id, status] of last) check(status === "completed" || status === "failed", `${what}: ${id} left ${status}`);
}

async function prompt(ctx, sessionId, words) {
  return await ctx.request(methods.agent.session.prompt, { sessionId, prompt: [{ type: "text", text: words }] });
}

async function mainScenario(ctx) {
  const summary = {};
  const notes = path.join(cwd, "notes.txt");
  buffers.set(notes, "unsaved buffer text\n"); // differs from the disk: the agent must read the buffer

  const { sessionId } = await ctx.request(methods.agent.session.new, { cwd, mcpServers: [] });
  summary.sessionId = sessionId;
  await waitFor(() => sessionUpdates(sessionId).some((u) => u.sessionUpdate === "available_commands_update"), "slash commands");

  // 1. A snippet that reads a file and writes another (allowed).
  let mark = updates.length;
  permissionAnswers.push("allow_once");
  let response = await prompt(ctx, sessionId, "Summarise notes.txt into out/summary.txt");
  check(response.stopReason === "end_turn", `first prompt ended ${response.stopReason}`);
  let seen = sessionUpdates(sessionId, mark);
  const calls = seen.filter((u) => u.sessionUpdate === "tool_call");
  const snippet = calls.find((u) => u.title.includes("Code Mode"));
  const read = calls.find((u) => u.kind === "read");
  const write = calls.find((u) => u.kind === "edit");
  check(snippet && read && write, "tool_call for the snippet, the read and the write");
  const diff = (write.content ?? []).find((c) => c.type === "diff");
  check(diff && diff.newText === "UNSAVED BUFFER TEXT\n", "the write's tool_call carries a diff");
  for (const call of [snippet, read, write]) {
    const after = seen.filter((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === call.toolCallId);
    check(after.some((u) => u.status === "completed"), `${call.title} completed`);
  }
  check(seen.some((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === read.toolCallId && u.status === "in_progress"), "in_progress update");
  check(text(seen).includes("Wrote out/summary.txt."), "the answer streamed as agent_message_chunk");
  check(seen.some((u) => u.sessionUpdate === "usage_update" && u.used > 0), "usage_update");
  check(reads.includes(notes), "fs/read_text_file was used for notes.txt");
  check(writes.includes(path.join(cwd, "out", "summary.txt")), "fs/write_text_file was used");
  check(fs.readFileSync(path.join(cwd, "out", "summary.txt"), "utf8") === "UNSAVED BUFFER TEXT\n", "the written file");
  check(permissionRequests.length === 1, `one permission request, got ${permissionRequests.length}`);
  const options = permissionRequests[0].options.map((o) => o.kind).sort().join(",");
  check(options === "allow_always,allow_once,reject_once", `permission options ${options}`);
  summary.firstPrompt = { updates: seen.length, calls: calls.map((c) => c.title) };

  // 2. A write the person rejects.
  mark = updates.length;
  permissionAnswers.push("reject_once");
  response = await prompt(ctx, sessionId, "Write rejected.txt");
  check(response.stopReason === "end_turn", `rejected prompt ended ${response.stopReason}`);
  seen = sessionUpdates(sessionId, mark);
  const rejected = seen.find((u) => u.sessionUpdate === "tool_call" && u.kind === "edit");
  check(rejected, "the rejected write was shown");
  check(
    seen.some((u) => u.sessionUpdate === "tool_call_update" && u.toolCallId === rejected.toolCallId && u.status === "failed"),
    "the rejected write failed",
  );
  check(!fs.existsSync(path.join(cwd, "rejected.txt")), "nothing written after a rejection");
  check(permissionRequests.length === 2, "asked again");
  summary.rejected = true;

  // 3. A command in an IDE terminal, embedded in its tool call.
  mark = updates.length;
  permissionAnswers.push("allow_always");
  response = await prompt(ctx, sessionId, "Run echo");
  check(response.stopReason === "end_turn", `command prompt ended ${response.stopReason}`);
  seen = sessionUpdates(sessionId, mark);
  const command = seen.find((u) => u.sessionUpdate === "tool_call" && u.kind === "execute" && !u.title.includes("Code Mode"));
  check(command, "the command's tool_call");
  const embedded = seen.some(
    (u) => u.toolCallId === command.toolCallId && (u.content ?? []).some((c) => c.type === "terminal"),
  );
  check(embedded, "the terminal is embedded in the command's tool call");
  check(terminals.size === 1 && [...terminals.values()][0].released, "the terminal was released");
  check(text(seen).includes("Ran it."), "answer after the command");
  const snippetDone = seen.find((u) => u.sessionUpdate === "tool_call_update" && u.status === "completed" && (u.content ?? []).some((c) => c.content?.text?.includes("terminal-ok")));
  check(snippetDone, "the command's output reached the snippet");
  summary.terminal = true;

  // 4. Cancel while the answer streams.
  mark = updates.length;
  const pending = prompt(ctx, sessionId, "Tell me a long story");
  await waitFor(() => sessionUpdates(sessionId, mark).some((u) => u.sessionUpdate === "agent_message_chunk"), "first chunk");
  const cancelledAt = Date.now();
  await ctx.notify(methods.agent.session.cancel, { sessionId });
  response = await pending;
  summary.cancelMs = Date.now() - cancelledAt;
  check(response.stopReason === "cancelled", `cancelled prompt ended ${response.stopReason}`);
  check(summary.cancelMs < 5000, `cancel took ${summary.cancelMs} ms`);
  checkAllSettled(sessionUpdates(sessionId), "main session");

  // 5. session/list and session/load replay the stored conversation.
  const listed = await ctx.request(methods.agent.session.list, { cwd });
  check(listed.sessions.some((s) => s.sessionId === sessionId && s.cwd === cwd), "session/list shows the session");
  mark = updates.length;
  const loaded = await ctx.request(methods.agent.session.load, { sessionId, cwd, mcpServers: [] });
  check(loaded.modes && loaded.modes.currentModeId === "ask", "session/load returns the modes");
  seen = sessionUpdates(sessionId, mark);
  const userText = text(seen, "user_message_chunk");
  check(userText.includes("Summarise notes.txt") && userText.includes("Write rejected.txt"), "replayed the prompts");
  check(text(seen).includes("Wrote out/summary.txt."), "replayed the answers");
  check(seen.some((u) => u.sessionUpdate === "tool_call"), "replayed the tool calls");
  summary.replayed = seen.length;
  return summary;
}

async function cancelScenario(ctx) {
  const summary = {};
  const { sessionId } = await ctx.request(methods.agent.session.new, { cwd, mcpServers: [] });
  const pidFile = path.join(cwd, "child.pid");
  const mark = updates.length;
  permissionAnswers.push("allow_once");
  const pending = prompt(ctx, sessionId, "Start the long command");
  await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim(), "the command's pid");
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  check(processAlive(pid), "the command runs");
  const cancelledAt = Date.now();
  await ctx.notify(methods.agent.session.cancel, { sessionId });
  const response = await pending;
  summary.cancelMs = Date.now() - cancelledAt;
  check(response.stopReason === "cancelled", `prompt ended ${response.stopReason}`);
  await waitFor(() => !processAlive(pid), "the child process to be gone", 5000);
  const seen = sessionUpdates(sessionId, mark);
  check(seen.some((u) => u.sessionUpdate === "tool_call" && u.kind === "execute"), "the command was shown");
  checkAllSettled(seen, "cancelled prompt");
  // The session still works after a cancel.
  const again = await prompt(ctx, sessionId, "Are you there?");
  check(again.stopReason === "end_turn", `next prompt ended ${again.stopReason}`);
  check(text(sessionUpdates(sessionId, mark)).includes("Still here."), "answer after cancel");
  summary.childGone = true;
  return summary;
}

let exitCode = 0;
try {
  const summary = await app.connectWith(stream, async (ctx) => {
    const init = await ctx.request(methods.agent.initialize, {
      protocolVersion: PROTOCOL_VERSION,
      clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: withTerminal },
      clientInfo: { name: "punie-e2e-client", version: "0.0.1" },
    });
    check(init.protocolVersion === 1, "protocol version 1");
    check(init.agentCapabilities.loadSession === true, "loadSession advertised");
    return scenario === "main" ? await mainScenario(ctx) : await cancelScenario(ctx);
  });
  summary.kinds = [...new Set(updates.map((p) => p.update.sessionUpdate))].sort();
  console.log(JSON.stringify(summary));
} catch (error) {
  log("FAILED:", error?.stack ?? error);
  exitCode = 1;
} finally {
  proc.stdin.end();
  const exited = await Promise.race([
    new Promise((resolve) => proc.on("exit", (code) => resolve(code ?? "signal"))),
    new Promise((resolve) => setTimeout(() => resolve(null), 10000)),
  ]);
  if (exited === null) {
    log("punie serve did not exit after stdin closed");
    proc.kill("SIGKILL");
    exitCode = 1;
  } else if (exited !== 0) {
    log("punie serve exited with", exited);
    exitCode = exitCode || 1;
  }
  for (const t of terminals.values()) if (t.exit === null) t.child.kill("SIGKILL");
}
process.exit(exitCode);
