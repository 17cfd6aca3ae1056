// Failure-path load generator for bench/run.sh. Prints one JSON line of results.
//
//   --mode loop (default): CLIENTS clients (agents) in a closed loop (send, wait for the answer, think THINK ms,
//       send again) for DURATION ms, each on a keep-alive connection; then waits at most 20 s for the last
//       answers. Client i asks for model MODELS[i % MODELS.length].
//   --mode hold: sends one trigger request (whose 429 closes Breakwater's rate-limit gate), waits 300 ms, then
//       opens REQUESTS requests, each on its own connection, evenly over RAMP ms, and writes MARKER (a file) once
//       all are sent. Reports when the first of them was answered (after the gate opened) and when all were.
//       Bounded by TIMEOUT ms.
//
// Every request is POST URL with {"model": ..., ...} and x-bench-sent: its send time (epoch ms), which the
// upstream uses to tell calls a proxy could have held from calls already on their way. Success = status 200.
//
//   node bench/failure-load.mjs --url http://127.0.0.1:18310/rl/v1/chat/completions --clients 200 --duration 30000
import http from 'node:http';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const url = new URL(args.url);
const mode = args.mode ?? 'loop';
const models = (args.models ?? 'bench-model').split(',');
const bodies = models.map((model) => JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello' }] }));
const epoch = () => performance.timeOrigin + performance.now();

const statuses = {};
const codes = {};
const latencies = [];
let ok = 0;
let failed = 0;
let errors = 0;
const errorKinds = {};

function pct(arr, p) {
    if (arr.length === 0) return null;
    const s = Float64Array.from(arr).sort();
    const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
    return Math.round(s[idx] * 10) / 10;
}

function send(agent, onDone, body = bodies[0]) {
    const t0 = performance.now();
    let settled = false;
    const settle = () => {
        if (settled) return false;
        settled = true;
        return true;
    };
    const req = http.request({
        host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
            authorization: 'Bearer sk-bench', 'x-bench-sent': epoch().toFixed(3) },
    }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
            if (!settle()) return;
            statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
            latencies.push(performance.now() - t0);
            if (res.statusCode === 200) ok++;
            else {
                failed++;
                let code = `upstream_${res.statusCode}`;
                try {
                    const e = JSON.parse(Buffer.concat(chunks).toString('utf8')).error;
                    if (e && e.type === 'breakwater_error') code = e.code;
                } catch { /* keep */ }
                codes[code] = (codes[code] ?? 0) + 1;
            }
            onDone(res.statusCode);
        });
        res.on('error', () => {
            if (!settle()) return;
            errors++;
            errorKinds.response_error = (errorKinds.response_error ?? 0) + 1;
            onDone(0);
        });
    });
    req.on('error', (e) => {
        if (!settle()) return;
        errors++;
        const k = e.code ?? e.message;
        errorKinds[k] = (errorKinds[k] ?? 0) + 1;
        onDone(0);
    });
    req.end(body);
    return req;
}

function summary(extra) {
    const total = ok + failed + errors;
    console.log(JSON.stringify({
        mode, requests: total, ok, failed, errors, success_rate: total ? Math.round((ok / total) * 10000) / 100 : null,
        statuses, codes, error_kinds: errorKinds,
        latency_ms: { p50: pct(latencies, 50), p99: pct(latencies, 99), max: pct(latencies, 100) }, ...extra,
    }));
    process.exit(0);
}

if (mode === 'loop') {
    const clients = Number(args.clients ?? 200);
    const duration = Number(args.duration ?? 30000);
    const think = Number(args.think ?? 0);
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const start = performance.now();
    let running = clients;
    const loop = (i) => {
        if (performance.now() - start >= duration) {
            if (--running === 0) summary({ clients, think_ms: think, models, duration_ms: duration });
            return;
        }
        send(agent, () => (think > 0 ? setTimeout(loop, think * (0.5 + Math.random()), i) : loop(i)),
            bodies[i % bodies.length]);
    };
    // Start the clients spread over one think time (or at once without think time).
    for (let i = 0; i < clients; i++) setTimeout(loop, (think * i) / clients, i);
    setTimeout(() => summary({ clients, think_ms: think, models, duration_ms: duration, unfinished: running }),
        duration + 20_000).unref();
} else {
    const n = Number(args.requests ?? 10000);
    const ramp = Number(args.ramp ?? 3000);
    const timeout = Number(args.timeout ?? 90_000);
    const marker = args.marker;
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const t0 = performance.now();
    const startEpochMs = Math.round(epoch());
    let sent = 0;
    let answered = 0;
    let firstAnswerMs = null;
    let allSentMs = null;
    let trigger = null;
    const reqs = [];
    const finish = () => summary({
        held_requests: n, start_epoch_ms: startEpochMs, sent, answered, trigger_status: trigger, all_sent_ms: allSentMs,
        first_answer_ms: firstAnswerMs, all_answered_ms: Math.round(performance.now() - t0),
    });
    send(agent, (status) => {
        trigger = status;
    });
    setTimeout(() => {
        for (let i = 0; i < n; i++) {
            setTimeout(() => {
                reqs.push(send(agent, () => {
                    answered++;
                    if (firstAnswerMs === null) firstAnswerMs = Math.round(performance.now() - t0);
                    if (answered === n) setTimeout(finish, 100);
                }));
                sent++;
                if (sent === n) {
                    allSentMs = Math.round(performance.now() - t0);
                    if (marker) fs.writeFileSync(marker, `${allSentMs}\n`);
                }
            }, (i * ramp) / n);
        }
    }, 300);
    setTimeout(() => {
        for (const r of reqs) r.destroy(new Error('timeout'));
        setTimeout(finish, 500);
    }, timeout).unref();
}
