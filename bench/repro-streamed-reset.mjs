// Reproduces a defect found by bench/soak.sh: when a request body too large to replay (streamed to the upstream
// once, RequestBody.Streamed) meets an upstream attempt that is reset before any response header, the pipe from
// the client request to the upstream request keeps writing into the finished upstream request, and Vert.x logs
//   ERROR io.vertx.core.impl.ContextImpl "Unhandled exception" java.lang.IllegalStateException: Request already complete
//     at HttpClientRequestImpl.checkEnded / writeQueueFull, from PipeImpl (UpstreamAttempt.writeBody: pipeTo(req))
// The client still gets its 502, and the next request on the same connection is still answered.
//
//   node bench/repro-streamed-reset.mjs [path/to/breakwater.jar]     (default target/breakwater.jar)
//
// It starts, on free loopback ports: an upstream that destroys every connection as soon as a request head
// arrives, and Breakwater with a one-route config (max-replay-body 64KiB). Then, on ONE raw TCP connection:
//   1. POST /v1/uploads with a 1 MiB body, sent in 64 KiB pieces 2 ms apart  -> expect a complete 502
//   2. GET /v1/next                                                           -> expect any complete response
// Prints what happened and Breakwater's ERROR lines. Exit 1 when the unhandled exception was logged or step 2 was
// neither answered nor closed within 10 s; 0 otherwise. Bounded: every wait has a timeout, both processes are
// stopped at the end.
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const jar = process.argv[2] ?? 'target/breakwater.jar';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

const upstream = http.createServer((req) => req.socket.destroy());
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upPort = upstream.address().port;
const bwPort = await freePort();
const adminPort = await freePort();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-repro-'));
const cfg = path.join(dir, 'repro.yaml');
fs.writeFileSync(cfg, `listen: 127.0.0.1:${bwPort}
admin: 127.0.0.1:${adminPort}
shutdown-grace: 1s
routes:
  - name: up
    path-prefix: /v1/
    upstream: http://127.0.0.1:${upPort}
    timeouts: {connect: 1s, response: 2s, idle: 1s, total: 6s}
    retry: {max-replay-body: 64KiB, retry-methods: [GET, POST]}
`);
const log = [];
const bw = spawn('java', ['-XX:+UseSerialGC', '-Xmx192m', '-jar', jar, '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
bw.stdout.on('data', (d) => log.push(d.toString()));
bw.stderr.on('data', (d) => log.push(d.toString()));
let ready = false;
for (let i = 0; i < 300 && !ready; i++) {
    ready = await new Promise((resolve) => {
        http.get(`http://127.0.0.1:${adminPort}/readyz`, (r) => { r.resume(); resolve(r.statusCode === 200); })
            .on('error', () => resolve(false));
    });
    if (!ready) await sleep(100);
}
if (!ready) { console.log('Breakwater did not start'); bw.kill('SIGKILL'); process.exit(2); }

// One raw connection; responses are read by counting complete HTTP/1.1 responses with Content-Length.
const sock = net.connect(bwPort, '127.0.0.1');
let inbuf = '';
sock.on('data', (d) => { inbuf += d.toString('latin1'); });
sock.on('error', () => {});
let closed = false;
sock.on('close', () => { closed = true; });
await new Promise((r) => sock.once('connect', r));
function responses() {
    const out = [];
    let rest = inbuf;
    for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = rest.slice(0, end);
        const m = /content-length:\s*(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (rest.length < end + 4 + len) break;
        out.push(head.split('\r\n')[0]);
        rest = rest.slice(end + 4 + len);
    }
    return out;
}
async function waitFor(n, ms) {
    for (let t = 0; t < ms / 20; t++) {
        if (responses().length >= n || closed) break;
        await sleep(20);
    }
    return responses();
}

const size = 1024 * 1024;
sock.write(`POST /v1/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\n\r\n`);
const piece = Buffer.alloc(64 * 1024, 0x61);
for (let sent = 0; sent < size && !closed; sent += piece.length) {
    sock.write(piece);
    await sleep(2);
}
const r1 = await waitFor(1, 10000);
console.log(`1. POST 1 MiB (upstream resets): ${r1[0] ?? (closed ? 'connection closed, no response' : 'no response in 10 s')}`);
sock.write('GET /v1/next HTTP/1.1\r\nHost: x\r\n\r\n');
const t0 = Date.now();
const r2 = await waitFor(2, 10000);
const answered = r2.length >= 2;
console.log(`2. GET on the same connection: ${answered ? `${r2[1]} after ${Date.now() - t0} ms`
    : closed ? `connection closed by Breakwater after ${Date.now() - t0} ms without an answer`
    : 'NO ANSWER within 10 s (hang)'}`);
sock.destroy();
bw.kill('SIGTERM');
await sleep(1500);
bw.kill('SIGKILL');
upstream.close();
const errors = log.join('').split('\n').filter((l) => l.includes('"level":"ERROR"'));
const unhandled = errors.filter((l) => l.includes('Request already complete')).length;
console.log(`Breakwater ERROR lines: ${errors.length}`);
for (const e of errors.slice(0, 3)) console.log('  ' + e.slice(0, 400));
console.log(`Unhandled "Request already complete": ${unhandled}`);
process.exit((answered || closed) && unhandled === 0 ? 0 : 1);
