// 429 upstream for the failure-path bench of bench/run.sh. Answers POST /v1/chat/completions with a fixed chat
// completion, except:
//   --mode window (default): from OFFSET ms after the first request on, during the first CLOSED ms of every
//       PERIOD ms, it answers 429 with Retry-After: RETRY_AFTER and an OpenAI rate-limit error body (the closed
//       windows are for the whole account: every model gets 429s);
//   --mode hold: every request during the HOLD s after the first request gets 429 with Retry-After: the whole
//       seconds left (the first one gets HOLD); afterwards 200.
// It counts every call, by closed window and by model. GET /stats returns the counts as JSON, one entry per
// closed window with, per model (POST /reset?mode=hold&hold=25 forgets everything and switches mode):
//   calls            calls that arrived in the window (all got 429)
//   first_429_ms     when the window's first 429 for that model was sent, in ms since the window opened
//   after_gate       calls whose client sent them (header x-bench-sent, epoch ms) more than GRACE ms after that
//                    first 429 was sent: calls a proxy with a per-model gate could have held back. The others
//                    were already on their way when the first 429 left the upstream.
//
//   node bench/ratelimit-upstream.mjs --port 18330 --mode window --offset 2000 --period 5000 --closed 1000 \
//        --retry-after 1
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const port = Number(args.port ?? 18330);
let mode = args.mode ?? 'window';
const period = Number(args.period ?? 5000);
const closedMs = Number(args['closed'] ?? 1000);
const retryAfter = String(args['retry-after'] ?? '1');
let holdSeconds = Number(args.hold ?? 20);
const graceMs = Number(args.grace ?? 5);
const offset = Number(args.offset ?? 2000);
const epoch = () => performance.timeOrigin + performance.now();

const ok = JSON.stringify({
    id: 'chatcmpl-bench', object: 'chat.completion', created: 1700000000, model: 'bench-model',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?' },
        finish_reason: 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 },
});
const limited = JSON.stringify({
    error: { message: 'Rate limit reached for bench-model on requests per min (RPM): Limit 10000. Please try again in 1s.',
        type: 'requests', param: null, code: 'rate_limit_exceeded' },
});

let origin = null; // time of the first request
let total = 0;
let total429 = 0;
const windows = []; // closed windows (window mode) or the single hold (hold mode)
const callsOutsideWindows = { calls: 0 };

function windowRecord(k) {
    while (windows.length <= k) windows.push({ calls: 0, models: {} });
    return windows[k];
}

const server = http.createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
    if (req.method === 'GET' && req.url === '/stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ mode, period_ms: period, closed_ms: closedMs, retry_after: retryAfter,
            hold_s: holdSeconds, grace_ms: graceMs, offset_ms: offset, total, total_429: total429, windows,
            outside_windows: callsOutsideWindows.calls }));
        return;
    }
    if (req.method === 'POST' && req.url.startsWith('/reset')) {
        const q = new URL(req.url, 'http://x').searchParams;
        mode = q.get('mode') ?? mode;
        holdSeconds = Number(q.get('hold') ?? holdSeconds);
        origin = null;
        total = 0;
        total429 = 0;
        windows.length = 0;
        callsOutsideWindows.calls = 0;
        req.resume();
        res.writeHead(204);
        res.end();
        return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const now = performance.now();
        if (origin === null) origin = now;
        total++;
        let model = '-';
        try {
            model = JSON.parse(Buffer.concat(chunks).toString('utf8')).model ?? '-';
        } catch { /* keep '-' */ }
        const since = now - origin;
        const sentHeader = Number(req.headers['x-bench-sent']);
        let closed;
        let wait = retryAfter;
        let k;
        let inWindow;
        if (mode === 'hold') {
            k = 0;
            closed = since < holdSeconds * 1000;
            inWindow = since;
            wait = String(Math.max(1, Math.ceil(holdSeconds - since / 1000)));
        } else {
            k = Math.floor((since - offset) / period);
            inWindow = since - offset - k * period;
            closed = since >= offset && inWindow < closedMs;
        }
        if (closed) {
            const w = windowRecord(k);
            w.calls++;
            let m = w.models[model];
            if (!m) {
                m = w.models[model] = { calls: 0, first_429_ms: Math.round(inWindow * 1000) / 1000, after_gate: 0 };
                Object.defineProperty(m, 'first429Epoch', { value: epoch(), enumerable: false });
            } else if (Number.isFinite(sentHeader) && sentHeader > m.first429Epoch + graceMs) {
                m.after_gate++;
            }
            m.calls++;
            total429++;
            res.writeHead(429, { 'content-type': 'application/json', 'retry-after': wait,
                'x-request-id': 'req_rl_upstream', 'content-length': Buffer.byteLength(limited) });
            res.end(limited);
        } else {
            callsOutsideWindows.calls++;
            res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_rl_upstream',
                'content-length': Buffer.byteLength(ok) });
            res.end(ok);
        }
    });
});
server.listen(port, '127.0.0.1', () => console.error(`ratelimit-upstream (${mode}) listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
