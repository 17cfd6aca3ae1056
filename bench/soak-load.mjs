// Bounded client load for bench/soak.sh. node:http only, no npm packages. Prints one JSON line of results.
//
//   node bench/soak-load.mjs --base http://127.0.0.1:18410 --concurrency 50 --duration 600000 --seed 42 \
//        --hang-ms 10000 [--progress-file FILE]
//
// CONCURRENCY workers in a closed loop for DURATION ms, sharing one keep-alive agent. Each worker picks its next
// request from its own PRNG (mulberry32, seeded from --seed and the worker number):
//   chat    POST /v1/chat/completions, small JSON body, one of three models       (openai route, POST retried)
//   stream  POST /v1/chat/completions with accept: text/event-stream, "stream":true (SSE)
//   upload  POST /v1/uploads with a body of 8 KiB - 1 MiB (log-uniform)            (some above max-replay-body)
//   get     GET  /tools/items?id=N                                                 (generic route)
//   tool    POST /tools/run, small body, an Idempotency-Key on half of them       (generic route)
// After DURATION no new request starts; the ones in flight get until HANG_MS after their own start.
//
// Classification of every request (the summary's "outcomes"):
//   complete          a whole HTTP response was read (its status is counted in "statuses")
//   cut_injected      the response headers arrived, then the connection was cut, and the upstream's
//                     x-soak-fate says it cut that response on purpose (expected)
//   --- the following are failures (exit code 1 when any is non-zero) ---
//   cut_unexpected    headers arrived, then the connection was cut although the fate was not "cut"
//   no_response       the connection failed before any response header (reset, refused, closed)
//   invalid_http      Node's HTTP parser rejected what came back (HPE_* error)
//   hung              no complete response HANG_MS after the request started (it is then destroyed)
//   body_mismatch     a 200 from an "ok" fate whose JSON does not echo the number of bytes sent, or an SSE 200
//                     that ended cleanly without "[DONE]" although its fate was not "cut"
// stale_keepalive (reported, not a failure): no_response on a reused keep-alive socket with ECONNRESET/EPIPE, the
// ordinary HTTP/1.1 race where the server closed an idle connection just as the client reused it.
import http from 'node:http';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const base = new URL(args.base);
const concurrency = Number(args.concurrency ?? 50);
const durationMs = Number(args.duration ?? 60000);
const hangMs = Number(args['hang-ms'] ?? 10000);
const seed = Number(args.seed ?? 1) >>> 0;
const progressFile = args['progress-file'];

function prng(s) {
    let st = s >>> 0;
    return () => {
        st = (st + 0x6d2b79f5) >>> 0;
        let t = st;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const MODELS = ['soak-model-a', 'soak-model-b', 'soak-model-c'];
const KINDS = [['chat', 35], ['stream', 15], ['upload', 12], ['get', 20], ['tool', 18]];
const KIND_W = KINDS.reduce((s, [, w]) => s + w, 0);
const BIG = Buffer.alloc(1024 * 1024, 0x61); // 'a' * 1 MiB, sliced for uploads

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });

const statuses = {};
const outcomes = { complete: 0, cut_injected: 0, cut_unexpected: 0, no_response: 0, invalid_http: 0, hung: 0,
    body_mismatch: 0, stale_keepalive: 0 };
const byKind = {};
const errorSamples = [];
const latencies = [];
let started = 0;
let uploadBytes = 0;
let maxLatency = 0;

function note(kind, outcome, detail) {
    outcomes[outcome]++;
    const k = (byKind[kind] ??= {});
    k[outcome] = (k[outcome] ?? 0) + 1;
    if (detail && outcome !== 'complete' && outcome !== 'cut_injected' && errorSamples.length < 20) {
        errorSamples.push({ kind, outcome, ...detail });
    }
}

function buildRequest(rnd, worker, n) {
    let x = rnd() * KIND_W;
    let kind = 'chat';
    for (const [name, w] of KINDS) {
        if ((x -= w) < 0) { kind = name; break; }
    }
    const model = MODELS[Math.floor(rnd() * MODELS.length)];
    const headers = { authorization: 'Bearer sk-soak', 'x-request-id': `soak-${seed}-${worker}-${n}` };
    switch (kind) {
        case 'chat': {
            const body = Buffer.from(JSON.stringify({ model, messages: [{ role: 'user', content: `hello ${n}` }] }));
            return { kind, method: 'POST', path: '/v1/chat/completions', headers: { ...headers,
                'content-type': 'application/json' }, body };
        }
        case 'stream': {
            const body = Buffer.from(JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
            return { kind, method: 'POST', path: '/v1/chat/completions', stream: true, headers: { ...headers,
                'content-type': 'application/json', accept: 'text/event-stream' }, body };
        }
        case 'upload': {
            const size = Math.round(8192 * Math.pow(128, rnd())); // 8 KiB .. 1 MiB, log-uniform
            const prefix = Buffer.from(JSON.stringify({ model, pad: '' }).slice(0, -2));
            const body = Buffer.concat([prefix, BIG.subarray(0, Math.max(0, size - prefix.length - 2)), Buffer.from('"}')]);
            return { kind, method: 'POST', path: '/v1/uploads', headers: { ...headers,
                'content-type': 'application/json' }, body };
        }
        case 'get':
            return { kind, method: 'GET', path: `/tools/items?id=${n}`, headers, body: null };
        default: {
            const body = Buffer.from(JSON.stringify({ tool: 'run', arg: n }));
            const h = { ...headers, 'content-type': 'application/json' };
            if (rnd() < 0.5) h['idempotency-key'] = `soak-${seed}-${worker}-${n}`;
            return { kind: 'tool', method: 'POST', path: '/tools/run', headers: h, body };
        }
    }
}

function once(spec) {
    return new Promise((resolve) => {
        const t0 = performance.now();
        let done = false;
        let gotHeaders = false;
        let fate = null;
        let status = 0;
        let bodySent = false;
        const finish = (outcome, detail) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            const ms = performance.now() - t0;
            if (outcome === 'complete' || outcome === 'cut_injected') {
                latencies.push(ms);
                if (ms > maxLatency) maxLatency = ms;
            }
            note(spec.kind, outcome, detail && { ...detail, id: spec.headers['x-request-id'], status, fate,
                ms: Math.round(ms), at_s: Math.round((t0 - tStart) / 100) / 10, body_sent: bodySent,
                reused: req.reusedSocket, prev_on_socket: prevOnSocket });
            if (sock) sock.soakPrev = { id: spec.headers['x-request-id'], kind: spec.kind,
                bytes: spec.body ? spec.body.length : 0, status, outcome, body_sent: bodySent };
            resolve();
        };
        const headers = { ...spec.headers };
        if (spec.body) headers['content-length'] = spec.body.length;
        const req = http.request({ host: base.hostname, port: base.port, path: spec.path, method: spec.method, agent,
            headers });
        const timer = setTimeout(() => {
            finish('hung', { path: spec.path, gotHeaders });
            req.destroy(new Error('soak: hung'));
        }, hangMs);
        req.on('response', (res) => {
            gotHeaders = true;
            status = res.statusCode;
            fate = res.headers['x-soak-fate'] ?? null;
            const chunks = [];
            let size = 0;
            res.on('data', (c) => {
                if (size < 65536) chunks.push(c);
                size += c.length;
            });
            res.on('end', () => {
                if (done) return;
                statuses[status] = (statuses[status] ?? 0) + 1;
                if (status === 200 && fate !== 'cut') {
                    const text = Buffer.concat(chunks).toString('utf8');
                    if (spec.stream) {
                        if (!text.includes('data: [DONE]')) {
                            finish('body_mismatch', { path: spec.path, why: 'sse without [DONE]', tail: text.slice(-200) });
                            return;
                        }
                    } else if (fate) {
                        let ok = false;
                        try { ok = JSON.parse(text).bytes === (spec.body ? spec.body.length : 0); } catch { ok = false; }
                        if (!ok) {
                            finish('body_mismatch', { path: spec.path, sent: spec.body ? spec.body.length : 0,
                                got: text.slice(0, 200) });
                            return;
                        }
                    }
                }
                finish('complete');
            });
            res.on('error', (e) => handleError(e));
            res.on('aborted', () => handleError(new Error('aborted')));
        });
        const handleError = (e) => {
            if (done) return;
            const code = e.code ?? e.message;
            if (String(code).startsWith('HPE_')) {
                finish('invalid_http', { path: spec.path, code, gotHeaders });
            } else if (gotHeaders) {
                statuses[`${status}_cut`] = (statuses[`${status}_cut`] ?? 0) + 1;
                finish(fate === 'cut' ? 'cut_injected' : 'cut_unexpected', { path: spec.path, code });
            } else if (req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) {
                finish('stale_keepalive', { path: spec.path, code });
            } else {
                finish('no_response', { path: spec.path, code });
            }
        };
        req.on('error', handleError);
        req.on('finish', () => { bodySent = true; });
        // The previous request on the same keep-alive connection, for the failure samples.
        let sock = null;
        let prevOnSocket = null;
        req.on('socket', (so) => { sock = so; prevOnSocket = so.soakPrev ?? null; });
        if (spec.body) {
            uploadBytes += spec.body.length;
            req.end(spec.body);
        } else {
            req.end();
        }
    });
}

const tStart = performance.now();
const deadline = tStart + durationMs;
async function worker(i) {
    const rnd = prng((seed * 7919 + i * 104729) >>> 0);
    // Spread the start over 500 ms.
    await new Promise((r) => setTimeout(r, Math.floor(rnd() * 500)));
    for (let n = 0; n < 10_000_000 && performance.now() < deadline; n++) {
        started++;
        await once(buildRequest(rnd, i, n));
    }
}

let progressTimer = null;
if (progressFile) {
    progressTimer = setInterval(() => {
        fs.writeFileSync(progressFile, JSON.stringify({ t_s: Math.round((performance.now() - tStart) / 1000), started,
            outcomes, statuses }) + '\n');
    }, 5000);
}

function pct(sorted, p) {
    if (sorted.length === 0) return null;
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return Math.round(sorted[idx] * 10) / 10;
}

await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
if (progressTimer) clearInterval(progressTimer);
agent.destroy();
const sorted = Float64Array.from(latencies).sort();
const failures = outcomes.cut_unexpected + outcomes.no_response + outcomes.invalid_http + outcomes.hung
    + outcomes.body_mismatch;
const result = {
    seconds: Math.round((performance.now() - tStart) / 100) / 10,
    requests: started, outcomes, failures, statuses, byKind,
    latency_ms: { p50: pct(sorted, 50), p90: pct(sorted, 90), p99: pct(sorted, 99), p999: pct(sorted, 99.9),
        max: Math.round(maxLatency) },
    upload_mib: Math.round(uploadBytes / 1048576), errorSamples,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(failures > 0 ? 1 : 0);
