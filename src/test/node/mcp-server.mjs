// An MCP server built with the official TypeScript SDK (Streamable HTTP, stateful sessions) for McpIT, with a
// fault switch in front of the SDK's transport. Prints {"port":N} once listening, then serves until killed.
//   POST /faults  {"method":"tools/list","tool":null,"fault":"503"|"reset","times":1}  arms a fault for the next calls
//   GET  /stats   {"attempts":{"tools/list":2,...},"runs":{"lookup":1},"sessions":{"tools/list":["..."]}}
// Tools: lookup (idempotentHint: true), refund (no annotations). Under a path starting with /json the server answers
// POSTs with application/json instead of an event stream. Usage: node mcp-server.mjs
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const transports = new Map();
const faults = [];
const attempts = {};
const runs = {};
const sessions = {};

function newServer() {
  const server = new McpServer({ name: 'breakwater-test', version: '1.0.0' });
  const tool = (name, annotations) => server.registerTool(name, { description: name, annotations }, async () => {
    runs[name] = (runs[name] ?? 0) + 1;
    return { content: [{ type: 'text', text: `${name} done` }] };
  });
  tool('lookup', { idempotentHint: true });
  tool('refund', undefined);
  return server;
}

function readBody(req) {
  return new Promise((resolve) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

async function onMcp(req, res) {
  const sessionId = req.headers['mcp-session-id'];
  const body = req.method === 'POST' ? JSON.parse(await readBody(req)) : undefined;
  const method = body?.method ?? req.method;
  attempts[method] = (attempts[method] ?? 0) + 1;
  (sessions[method] ??= []).push(sessionId ?? null);
  const fault = faults.find((f) => f.method === method && (!f.tool || f.tool === body?.params?.name) && f.times > 0);
  if (fault) {
    fault.times--;
    if (fault.fault === 'reset') {
      req.socket.destroy();
    } else {
      json(res, Number(fault.fault), { error: 'injected' });
    }
    return;
  }
  let transport = sessionId ? transports.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId || method !== 'initialize') {
      json(res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
      return;
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: req.url.startsWith('/json'),
      onsessioninitialized: (id) => transports.set(id, transport),
    });
    await newServer().connect(transport);
  }
  await transport.handleRequest(req, res, body);
}

const httpServer = http.createServer((req, res) => {
  const route = req.method + ' ' + req.url;
  if (route === 'POST /faults') {
    readBody(req).then((b) => {
      faults.push(JSON.parse(b));
      json(res, 200, { armed: faults.length });
    });
  } else if (route === 'GET /stats') {
    json(res, 200, { attempts, runs, sessions });
  } else {
    onMcp(req, res).catch((e) => {
      if (!res.headersSent) json(res, 500, { error: String(e) });
    });
  }
});
httpServer.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: httpServer.address().port })));
