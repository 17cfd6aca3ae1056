// Helpers for bench/reliability.sh. node:http, node:net and node:crypto only, no npm packages.
// Every client command is bounded in time (--timeout-ms) and prints one JSON line of results on stdout.
//
//   node bench/reliability-tools.mjs hash-upstream --portfile F
//       HTTP server on 127.0.0.1:0 that reads the whole request body, hashes it (SHA-256) and answers
//       200 {"sha256": ..., "bytes": ...}.
//   node bench/reliability-tools.mjs ka-upstream --variant end|destroy --portfile F
//       HTTP server that answers every request 200 (keep-alive) and closes the socket 2 ms after the response
//       was written: "end" = socket.end() then socket.destroy(); "destroy" = socket.destroy() only.
//       It counts how many times it processed each body (the body is the request's id). GET /__stats -> counts.
//   node bench/reliability-tools.mjs header-only --port P --path /up/x --n 100 --ready-file F [--hold-ms 120000]
//       Opens N TCP connections, each sending a POST head with Content-Length: 8388608 and no body, writes
//       F once all heads are sent, and holds them until SIGTERM (or hold-ms). Reports how many the proxy closed
//       and what it sent back.
//   node bench/reliability-tools.mjs uploads --url URL --n 100 --size 8388608 [--timeout-ms 180000]
//       N concurrent uploads of distinct SIZE-byte bodies; checks each answer is 200 with the body's SHA-256.
//   node bench/reliability-tools.mjs idle --port P --n 20000 --sources 1 --ready-file F [--hold-ms 120000]
//       Opens up to N idle TCP connections (no bytes sent), from --sources loopback addresses (127.0.0.1,
//       127.0.0.2, ...), writes F, holds them until SIGTERM (or hold-ms); reports how many were opened, how many
//       failed to open (by error code) and how many the proxy closed (by the time of the report).
//   node bench/reliability-tools.mjs ka-client --url URL --n 1000 --tag T --stats URL
//       N sequential POSTs without Idempotency-Key on one keep-alive agent, each with a unique body "T-i"; then
//       reads the upstream's counts: how many bodies were processed 0, 1, >1 times.
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';

const [cmd, ...rest] = process.argv.slice(2);
const args = Object.fromEntries(rest.reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const num = (k, d) => (args[k] === undefined ? d : Number(args[k]));
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const inc = (m, k) => { m[k] = (m[k] ?? 0) + 1; };

function listen(server) {
    server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        console.log(`PORT ${port}`);
        if (args.portfile) fs.writeFileSync(args.portfile, `${port}\n`);
    });
    process.on('SIGTERM', () => process.exit(0));
}

if (cmd === 'hash-upstream') {
    const server = http.createServer((req, res) => {
        const h = crypto.createHash('sha256');
        let bytes = 0;
        req.on('data', (c) => { h.update(c); bytes += c.length; });
        req.on('end', () => {
            const body = JSON.stringify({ sha256: h.digest('hex'), bytes });
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
            res.end(body);
        });
        req.on('error', () => {});
    });
    server.keepAliveTimeout = 30_000;
    listen(server);
} else if (cmd === 'ka-upstream') {
    const variant = args.variant ?? 'end';
    const counts = new Map();
    let requests = 0;
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            if (req.url === '/__stats') {
                const body = JSON.stringify({ requests, counts: Object.fromEntries(counts) });
                res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
                res.end(body);
                return;
            }
            requests++;
            const id = Buffer.concat(chunks).toString('utf8');
            counts.set(id, (counts.get(id) ?? 0) + 1);
            const body = JSON.stringify({ id });
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
            const sock = req.socket;
            res.end(body, () => {
                setTimeout(() => {
                    if (variant === 'end') { sock.end(); sock.destroy(); } else sock.destroy();
                }, 2);
            });
        });
    });
    server.keepAliveTimeout = 60_000;
    listen(server);
} else if (cmd === 'header-only') {
    const n = num('n', 100);
    const holdMs = num('hold-ms', 120_000);
    const socks = [];
    let closedByPeer = 0;
    let errored = 0;
    const replies = {};
    let done = false;
    for (let i = 0; i < n; i++) {
        const s = net.connect({ host: '127.0.0.1', port: num('port') });
        const st = { data: '', closed: false };
        s.on('data', (d) => { if (st.data.length < 200) st.data += d.toString('latin1'); });
        s.on('error', () => { errored++; });
        s.on('close', () => { if (!done) { closedByPeer++; st.closed = true; } });
        s.write(`POST ${args.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n`
            + 'Content-Length: 8388608\r\n\r\n');
        socks.push([s, st]);
    }
    setTimeout(() => fs.writeFileSync(args['ready-file'], 'ready\n'), 500);
    const finish = () => {
        done = true;
        for (const [, st] of socks) if (st.data) inc(replies, st.data.split('\r\n')[0]);
        out({ connections: n, closed_by_proxy: closedByPeer, errors: errored, replies });
        for (const [s] of socks) s.destroy();
        process.exit(0);
    };
    process.on('SIGTERM', finish);
    setTimeout(finish, holdMs);
} else if (cmd === 'uploads') {
    const url = new URL(args.url);
    const n = num('n', 100);
    const size = num('size', 8 * 1024 * 1024);
    const timeoutMs = num('timeout-ms', 180_000);
    const base = crypto.randomBytes(size);
    const CHUNK = 64 * 1024;
    const res = { n, size, ok: 0, bad_status: {}, bad_hash: 0, bad_bytes: 0, errors: {}, unanswered: n };
    const lat = [];
    const t0 = performance.now();
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    let finished = 0;
    const finish = () => {
        lat.sort((a, b) => a - b);
        res.wall_ms = Math.round(performance.now() - t0);
        res.latency_ms = { p50: Math.round(lat[Math.floor(lat.length / 2)] ?? -1), max: Math.round(lat.at(-1) ?? -1) };
        out(res);
        process.exit(0);
    };
    for (let i = 0; i < n; i++) {
        const h = crypto.createHash('sha256');
        let settled = false;
        const settle = () => { if (settled) return false; settled = true; res.unanswered--; return true; };
        const started = performance.now();
        const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
            headers: { 'content-type': 'application/octet-stream', 'content-length': size } }, (r) => {
            let b = '';
            r.on('data', (c) => { b += c; });
            r.on('end', () => {
                if (!settle()) return;
                lat.push(performance.now() - started);
                if (r.statusCode !== 200) inc(res.bad_status, r.statusCode);
                else {
                    let j = {};
                    try { j = JSON.parse(b); } catch { /* bad */ }
                    const want = h.digest('hex');
                    if (j.sha256 !== want) res.bad_hash++;
                    else if (j.bytes !== size) res.bad_bytes++;
                    else res.ok++;
                }
                if (++finished === n) finish();
            });
            r.on('error', (e) => { if (settle()) { inc(res.errors, `response_${e.code ?? e.message}`); if (++finished === n) finish(); } });
        });
        req.on('error', (e) => { if (settle()) { inc(res.errors, e.code ?? e.message); if (++finished === n) finish(); } });
        // A distinct body per request: the shared random block with (request, chunk) stamped into each 64 KiB chunk.
        let off = 0;
        const pump = () => {
            while (off < size) {
                const c = Buffer.from(base.subarray(off, Math.min(size, off + CHUNK)));
                c.writeUInt32BE(i, 0);
                c.writeUInt32BE(off / CHUNK, 4);
                h.update(c);
                off += c.length;
                if (!req.write(c)) { req.once('drain', pump); return; }
            }
            req.end();
        };
        pump();
    }
    setTimeout(finish, timeoutMs).unref();
} else if (cmd === 'idle') {
    const n = num('n', 20000);
    const sources = num('sources', 1);
    const holdMs = num('hold-ms', 120_000);
    const socks = [];
    let opened = 0;
    let closedByPeer = 0;
    let receivedBytes = 0;
    const failed = {};
    let done = false;
    let i = 0;
    const t0 = performance.now();
    const report = (extra) => out({ target: n, sources, opened, failed, closed_by_proxy: closedByPeer,
        open_now: opened - closedByPeer, received_bytes: receivedBytes, open_ms: Math.round(performance.now() - t0), ...extra });
    const openBatch = () => {
        const batchEnd = Math.min(n, i + 500);
        let pending = batchEnd - i;
        if (pending === 0) return ready();
        for (; i < batchEnd; i++) {
            const localAddress = `127.0.0.${1 + (i % sources)}`;
            const s = net.connect({ host: '127.0.0.1', port: num('port'), localAddress });
            let settled = false;
            const step = () => { if (!settled) { settled = true; if (--pending === 0) setImmediate(openBatch); } };
            s.setTimeout(5000, () => { inc(failed, 'connect_timeout'); s.destroy(); step(); });
            s.on('connect', () => { opened++; s.setTimeout(0); s.held = true; socks.push(s); step(); });
            s.on('data', (d) => { receivedBytes += d.length; });
            s.on('error', (e) => { if (!settled) inc(failed, e.code ?? e.message); step(); });
            s.on('close', () => { if (s.held && !done) closedByPeer++; });
        }
    };
    let readyAt = null;
    const ready = () => {
        if (readyAt) return;
        readyAt = performance.now();
        fs.writeFileSync(args['ready-file'], `${opened}\n`);
    };
    const finish = () => {
        report({ held_ms: readyAt ? Math.round(performance.now() - readyAt) : null });
        done = true;
        for (const s of socks) s.destroy();
        process.exit(0);
    };
    process.on('SIGTERM', finish);
    setTimeout(finish, holdMs);
    openBatch();
} else if (cmd === 'ka-client') {
    const url = new URL(args.url);
    const n = num('n', 1000);
    const tag = args.tag ?? 'x';
    const timeoutMs = num('timeout-ms', 120_000);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const statuses = {};
    const codes = {};
    const errors = {};
    const t0 = performance.now();
    const one = (i) => new Promise((resolve) => {
        const body = `${tag}-${i}`;
        const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
            headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } }, (r) => {
            let b = '';
            r.on('data', (c) => { b += c; });
            r.on('end', () => {
                inc(statuses, r.statusCode);
                if (r.statusCode !== 200) {
                    try { inc(codes, JSON.parse(b).error.code); } catch { inc(codes, `status_${r.statusCode}`); }
                }
                resolve();
            });
            r.on('error', (e) => { inc(errors, e.code ?? e.message); resolve(); });
        });
        req.setTimeout(30_000, () => req.destroy(new Error('client_timeout')));
        req.on('error', (e) => { inc(errors, e.code ?? e.message); resolve(); });
        req.end(body);
    });
    const stats = () => new Promise((resolve) => {
        http.get(args.stats, { timeout: 5000 }, (r) => {
            let b = '';
            r.on('data', (c) => { b += c; });
            r.on('end', () => { try { resolve(JSON.parse(b)); } catch { resolve(null); } });
        }).on('error', () => resolve(null));
    });
    const hard = setTimeout(() => { out({ error: 'timeout', statuses, errors }); process.exit(1); }, timeoutMs);
    (async () => {
        for (let i = 0; i < n; i++) await one(i);
        const wall = performance.now() - t0;
        const s = await stats();
        const processed = { zero: 0, once: 0, more: 0 };
        const dup = [];
        for (let i = 0; i < n; i++) {
            const c = s?.counts?.[`${tag}-${i}`] ?? 0;
            if (c === 0) processed.zero++;
            else if (c === 1) processed.once++;
            else { processed.more++; if (dup.length < 10) dup.push(`${tag}-${i}:${c}`); }
        }
        clearTimeout(hard);
        out({ tag, requests: n, statuses, codes, errors, upstream_requests: s?.requests ?? null, processed,
            duplicated_examples: dup, wall_ms: Math.round(wall) });
        process.exit(0);
    })();
} else {
    console.error(`unknown command: ${cmd}`);
    process.exit(2);
}
