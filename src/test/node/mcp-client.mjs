// Drives the official MCP TypeScript SDK client over Streamable HTTP through Breakwater and prints, as one JSON
// line, the session id and each step's result or error. Steps: "list", "call:<tool>".
// Usage: node mcp-client.mjs <url> <step>...
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, ...steps] = process.argv.slice(2);
const client = new Client({ name: 'breakwater-it', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(url));
const out = { connected: false, sessionId: null, steps: [] };
try {
  await client.connect(transport);
  out.connected = true;
  out.sessionId = transport.sessionId ?? null;
  for (const step of steps) {
    try {
      if (step === 'list') {
        const listed = await client.listTools();
        out.steps.push({ ok: true, tools: listed.tools.map((t) => t.name) });
      } else {
        const result = await client.callTool({ name: step.slice('call:'.length), arguments: {} });
        out.steps.push({ ok: !result.isError, text: result.content?.[0]?.text ?? null });
      }
    } catch (e) {
      out.steps.push({ ok: false, error: e.constructor.name, message: String(e.message) });
    }
  }
} catch (e) {
  out.error = String(e.message);
}
console.log(JSON.stringify(out));
await client.close().catch(() => {});
process.exit(0);
